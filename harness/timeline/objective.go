package timeline

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"firedrill/harness/result"
)

// ErrExceeded is wrapped by every missed objective (RTO or RPO over its
// target), so a caller can tell a drill that failed its objective from one
// that could not be measured.
var ErrExceeded = errors.New("objective exceeded")

// ObjectiveError is a missed objective: which one, the actual value, the
// target, and the evidence the actual was measured from. Its message reads
// `RTO 3m12s exceeded target 2m0s (fault 10:02:11Z, verified 10:05:23Z)`.
type ObjectiveError struct {
	Objective string // "RTO" or "RPO"
	Actual    time.Duration
	Target    time.Duration
	Evidence  []string // shown in brackets, in order
}

func (e *ObjectiveError) Error() string {
	a, t, _ := roundPair(e.Actual, e.Target)
	msg := fmt.Sprintf("%s %s exceeded target %s", e.Objective, a, t)
	if len(e.Evidence) > 0 {
		msg += " (" + strings.Join(e.Evidence, ", ") + ")"
	}
	return msg
}

// Is makes errors.Is(err, ErrExceeded) true.
func (e *ObjectiveError) Is(target error) bool { return target == ErrExceeded }

// CheckRTO returns nil when actual is within target, else an
// *ObjectiveError naming the fault and verified times.
func CheckRTO(actual, target time.Duration, faultAt, verifiedAt time.Time) error {
	if actual <= target {
		return nil
	}
	_, _, prec := roundPair(actual, target)
	return &ObjectiveError{
		Objective: "RTO", Actual: actual, Target: target,
		Evidence: []string{"fault " + stamp(faultAt, prec), "verified " + stamp(verifiedAt, prec)},
	}
}

// RPOEvidence is what an RPO was measured from.
type RPOEvidence struct {
	// NewestRecovered is the time of the newest change present after
	// recovery; zero if the measure was not an age (left out of the message).
	NewestRecovered time.Time
	FaultAt         time.Time
	// Lost counts the changes known before the fault and missing after
	// recovery; LostWhat names one of them ("fill", "bar"), "event" if empty.
	Lost     int
	LostWhat string
}

// CheckRPO returns nil when actual is within target, else an
// *ObjectiveError that reads
// `RPO 7s exceeded target 5s (newest recovered change 10:02:04Z, fault 10:02:11Z, 3 fills lost)`.
func CheckRPO(actual, target time.Duration, ev RPOEvidence) error {
	if actual <= target {
		return nil
	}
	_, _, prec := roundPair(actual, target)
	var evidence []string
	if !ev.NewestRecovered.IsZero() {
		evidence = append(evidence, "newest recovered change "+stamp(ev.NewestRecovered, prec))
	}
	if !ev.FaultAt.IsZero() {
		evidence = append(evidence, "fault "+stamp(ev.FaultAt, prec))
	}
	what := ev.LostWhat
	if what == "" {
		what = "event"
	}
	if ev.Lost != 1 {
		what += "s"
	}
	evidence = append(evidence, fmt.Sprintf("%d %s lost", ev.Lost, what))
	return &ObjectiveError{Objective: "RPO", Actual: actual, Target: target, Evidence: evidence}
}

// ErrAfterFault is wrapped when a change that should predate the fault is
// dated after it: a negative age, which no RPO may be stated from.
var ErrAfterFault = errors.New("dated after the fault")

// AgeAt is how old a change made at `at` was when the fault struck:
// faultAt − at. what names the change in the error ("the newest recovered
// change", "fill F-000003"). A change dated after the fault has no age: it
// is an error naming both times and the likely cause (clock skew between
// the machines that stamped them, or a change made once the fault was
// being injected), never a clamped 0.
func AgeAt(faultAt, at time.Time, what string) (time.Duration, error) {
	switch {
	case faultAt.IsZero():
		return 0, fmt.Errorf("%w (no fault time)", ErrNoFault)
	case at.IsZero():
		return 0, fmt.Errorf("%s has no time", what)
	}
	d := faultAt.Sub(at)
	if d < 0 {
		return 0, fmt.Errorf("%s is %w: %s, %s after the fault at %s; "+
			"likely clock skew (the clock that stamped it runs ahead of firedrill's), "+
			"or it was made while the fault was being injected",
			what, ErrAfterFault, wallClock(at), -d, wallClock(faultAt))
	}
	return d, nil
}

// wallClock writes a wall-clock time in full: a negative age can be months
// (a commit dated in the future) or milliseconds.
func wallClock(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

// RPOFromNewest is the age, at the fault, of the newest change present
// after recovery: how much time's worth of changes the recovery lost. A
// change newer than the fault is an error (see AgeAt), never a negative or
// a clamped 0 RPO. It fails when either time is missing, since an RPO with
// nothing recovered cannot be stated as an age.
func RPOFromNewest(faultAt, newestRecovered time.Time) (time.Duration, error) {
	switch {
	case faultAt.IsZero():
		return 0, fmt.Errorf("measure RPO: %w (no fault time)", ErrNoFault)
	case newestRecovered.IsZero():
		return 0, errors.New("measure RPO: nothing was recovered (no newest change to date the recovery point from)")
	}
	d, err := AgeAt(faultAt, newestRecovered, "the newest recovered change")
	if err != nil {
		return 0, fmt.Errorf("measure RPO: %w", err)
	}
	return d, nil
}

// Lost returns the IDs known before the fault that are missing after
// recovery, in the order of before and without duplicates. len(Lost(...))
// is the lost-event count (broker fills missing from restored state, bars
// missing from restored data).
func Lost[T comparable](before, after []T) []T {
	present := make(map[T]struct{}, len(after))
	for _, id := range after {
		present[id] = struct{}{}
	}
	var lost []T
	seen := make(map[T]struct{})
	for _, id := range before {
		if _, ok := present[id]; ok {
			continue
		}
		if _, dup := seen[id]; dup {
			continue
		}
		seen[id] = struct{}{}
		lost = append(lost, id)
	}
	return lost
}

// RTOResult measures the RTO and returns it as the result model holds it,
// with Met set against target. The error is a measurement error only (no
// fault, never verified); a missed target is reported by CheckRTO.
func (t *Timeline) RTOResult(target, probeInterval time.Duration) (*result.RTO, error) {
	f, v, err := t.Recovery()
	if err != nil {
		return nil, err
	}
	own, _ := t.OwnWithin(f, v)
	actual := v.Sub(f) - own
	return &result.RTO{
		Actual: result.Sec(actual), Target: result.Sec(target), ProbeInterval: result.Sec(probeInterval),
		FaultAt: f, VerifiedAt: v, Met: actual <= target, HarnessExcluded: result.Sec(own),
	}, nil
}

// RPOResult states a measured RPO as the result model holds it, with Met
// set against target; basis says in words what it was measured from.
func RPOResult(actual, target time.Duration, basis string, ev RPOEvidence) *result.RPO {
	return &result.RPO{
		Actual: result.Sec(actual), Target: result.Sec(target), LostEvents: ev.Lost, Basis: basis,
		NewestRecovered: ev.NewestRecovered, FaultAt: ev.FaultAt, Met: actual <= target,
	}
}

// roundPair rounds actual and target for a message: to whole seconds when
// that still shows actual over target, else as finely as needed (down to a
// millisecond) so the message never reads "RTO 5s exceeded target 5s".
func roundPair(actual, target time.Duration) (a, t, prec time.Duration) {
	prec = time.Second
	for prec > time.Millisecond && actual.Round(prec) <= target.Round(prec) {
		prec /= 10
	}
	return actual.Round(prec), target.Round(prec), prec
}

// stamp writes a time of day in UTC to the given precision: 10:02:11Z,
// 10:02:11.04Z.
func stamp(t time.Time, prec time.Duration) string {
	layout := "15:04:05Z"
	switch {
	case prec >= time.Second:
	case prec >= 100*time.Millisecond:
		layout = "15:04:05.0Z"
	case prec >= 10*time.Millisecond:
		layout = "15:04:05.00Z"
	default:
		layout = "15:04:05.000Z"
	}
	return t.UTC().Round(prec).Format(layout)
}
