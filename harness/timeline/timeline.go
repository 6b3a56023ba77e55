// Package timeline records what happened during one drill scenario and
// measures the recovery from it: events in, RTO and RPO out.
//
// A Timeline is a per-scenario list of timestamped events (steady state,
// fault injected, failure observed, phases started and finished, service
// up, verified) and of the phases they delimit. RTO is verified minus
// fault injected; RPO comes from the data (RPOFromNewest, Lost), never from
// a backup schedule. ProofOfFault refuses a recovery whose fault was never
// seen to bite, and CheckRTO/CheckRPO word a missed objective with its
// evidence.
//
// The package is pure: it does no I/O and reads time only through the clock
// passed to New, so tests drive it with a fake clock. A Timeline is safe for
// concurrent use: steps and probes mark it from different goroutines.
package timeline

import (
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"firedrill/harness/result"
)

// Kind names what an event records. The same words appear in results.json
// and in the reports.
type Kind string

// Event kinds, in the order a scenario normally produces them.
const (
	Steady          Kind = "steady"           // the system is in its steady state before the incident
	FaultInjected   Kind = "fault_injected"   // the fault was injected (RTO starts here)
	FailureObserved Kind = "failure_observed" // a check saw the fault bite (detection)
	PhaseStarted    Kind = "phase_started"    // a recovery phase started; Detail is its name
	PhaseFinished   Kind = "phase_finished"   // a recovery phase finished; Detail is its name
	ServiceUp       Kind = "service_up"       // the service answers again
	Verified        Kind = "verified"         // the runbook's checks passed (RTO ends here)
)

// Errors a measurement can wrap; test with errors.Is.
var (
	// ErrNoFault: the scenario has no fault_injected event.
	ErrNoFault = errors.New("no fault was injected")
	// ErrNotVerified: no verified event follows the fault.
	ErrNotVerified = errors.New("recovery was never verified")
	// ErrNotObserved: no failure_observed event follows the fault.
	ErrNotObserved = errors.New("fault was never observed")
	// ErrPhase: Begin/End were called out of order.
	ErrPhase = errors.New("phase misused")
)

// Timeline records one scenario's events and phases. Create it with New.
type Timeline struct {
	clock func() time.Time

	mu       sync.Mutex
	seq      int
	events   []event
	phases   []phase
	open     map[string]int // phase name -> index in phases
	problems []error
	// own is firedrill's own work (reading evidence for a measurement),
	// left out of the RTO where it falls inside the recovery.
	own []Span
}

// Span is firedrill's own work at a known time: what, from when to when.
type Span struct {
	What     string
	From, To time.Time
}

// Own records firedrill's own work from from to to (reading what a
// measurement needs): where it falls inside the recovery it delayed the
// runbook's next step by exactly that long, so the RTO leaves it out.
func (t *Timeline) Own(what string, from, to time.Time) {
	if !to.After(from) {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.own = append(t.own, Span{What: what, From: from, To: to})
}

// OwnWithin is firedrill's own time inside [from, to], and the spans, each
// clipped to it.
func (t *Timeline) OwnWithin(from, to time.Time) (time.Duration, []Span) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var total time.Duration
	var in []Span
	for _, sp := range t.own {
		a, b := sp.From, sp.To
		if a.Before(from) {
			a = from
		}
		if b.After(to) {
			b = to
		}
		if b.After(a) {
			total += b.Sub(a)
			in = append(in, Span{What: sp.What, From: a, To: b})
		}
	}
	return total, in
}

type event struct {
	at     time.Time
	seq    int
	kind   Kind
	detail string
	// took is, for a verified event marked by MarkVerified, how long the
	// check whose success it records ran.
	took time.Duration
}

type phase struct {
	name       string
	start, end time.Time
	manual     bool
	automated  bool
}

// New returns an empty timeline that reads the time from clock. A nil
// clock means time.Now.
func New(clock func() time.Time) *Timeline {
	if clock == nil {
		clock = time.Now
	}
	return &Timeline{clock: clock, open: map[string]int{}}
}

// Mark records an event of kind now and returns its time.
func (t *Timeline) Mark(kind Kind, detail string) time.Time {
	at := t.clock()
	t.MarkAt(kind, detail, at)
	return at
}

// MarkAt records an event that happened at a known time, for a probe that
// reports when it saw something rather than when it returned.
func (t *Timeline) MarkAt(kind Kind, detail string, at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.add(kind, detail, at)
}

func (t *Timeline) add(kind Kind, detail string, at time.Time) {
	t.addTook(kind, detail, at, 0)
}

func (t *Timeline) addTook(kind Kind, detail string, at time.Time, took time.Duration) {
	t.seq++
	t.events = append(t.events, event{at: at, seq: t.seq, kind: kind, detail: detail, took: took})
}

// MarkVerified records the verified event of a final check that passed
// at at (when its run finished) after running for took: that run's own
// duration is part of the precision of the RTO it ends (RTOPrecision).
func (t *Timeline) MarkVerified(detail string, at time.Time, took time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.addTook(Verified, detail, at, took)
}

// PhaseOption qualifies a phase.
type PhaseOption func(*phase)

// Manual marks a phase the plan leaves to a person (logging into the
// broker, approving the switch to live).
func Manual() PhaseOption { return func(p *phase) { p.manual = true } }

// Automated marks a phase firedrill did in place of a person. Combined
// with Manual it tells that a manual step of the plan was automated, so
// its duration is not the human one.
func Automated() PhaseOption { return func(p *phase) { p.automated = true } }

// Begin starts the phase called name and records a phase_started event. It
// fails if a phase of that name is already running; a name may be reused
// once its earlier phase has ended.
func (t *Timeline) Begin(name string, opts ...PhaseOption) error {
	at := t.clock()
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.open[name]; ok {
		return t.problem(fmt.Errorf("begin phase %q: %w: it is already running", name, ErrPhase))
	}
	p := phase{name: name, start: at}
	for _, o := range opts {
		o(&p)
	}
	t.open[name] = len(t.phases)
	t.phases = append(t.phases, p)
	t.add(PhaseStarted, name, at)
	return nil
}

// End finishes the running phase called name and records a phase_finished
// event. It fails if no phase of that name is running.
func (t *Timeline) End(name string) error {
	at := t.clock()
	t.mu.Lock()
	defer t.mu.Unlock()
	i, ok := t.open[name]
	if !ok {
		return t.problem(fmt.Errorf("end phase %q: %w: it is not running", name, ErrPhase))
	}
	delete(t.open, name)
	t.phases[i].end = at
	t.add(PhaseFinished, name, at)
	return nil
}

// Phase begins the phase called name and returns the function that ends
// it, for `defer tl.Phase("restore")()`. Misuse is kept and reported by Err.
func (t *Timeline) Phase(name string, opts ...PhaseOption) (end func()) {
	if err := t.Begin(name, opts...); err != nil {
		return func() {}
	}
	return func() { _ = t.End(name) }
}

func (t *Timeline) problem(err error) error {
	t.problems = append(t.problems, err)
	return err
}

// Err reports every Begin/End misuse so far, joined, or nil.
func (t *Timeline) Err() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return errors.Join(t.problems...)
}

// Events returns the events in time order (events at the same instant in
// the order they were marked), ready for result.Scenario.Events.
func (t *Timeline) Events() []result.Event {
	t.mu.Lock()
	evs := t.sorted()
	t.mu.Unlock()
	out := make([]result.Event, len(evs))
	for i, e := range evs {
		out[i] = result.Event{At: e.at, Kind: string(e.kind), Detail: e.detail}
	}
	return out
}

func (t *Timeline) sorted() []event {
	evs := append([]event(nil), t.events...)
	sort.SliceStable(evs, func(i, j int) bool {
		if !evs[i].at.Equal(evs[j].at) {
			return evs[i].at.Before(evs[j].at)
		}
		return evs[i].seq < evs[j].seq
	})
	return evs
}

// Phases returns the phases in the order they began, ready for
// result.Scenario.Phases. A phase still running is cut at the clock's
// current time, so a scenario that failed mid-restore still shows how long
// the restore ran.
func (t *Timeline) Phases() []result.Phase {
	now := t.clock()
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]result.Phase, len(t.phases))
	for i, p := range t.phases {
		end := p.end
		if end.IsZero() {
			end = now
		}
		out[i] = result.Phase{Name: p.name, StartedAt: p.start, EndedAt: end, Manual: p.manual, Automated: p.automated}
	}
	return out
}

// First returns the time of the earliest event of kind.
func (t *Timeline) First(kind Kind) (time.Time, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return firstAfter(t.sorted(), kind, time.Time{})
}

// firstAfter finds the earliest event of kind at or after from (any time
// when from is zero).
func firstAfter(evs []event, kind Kind, from time.Time) (time.Time, bool) {
	for _, e := range evs {
		if e.kind == kind && (from.IsZero() || !e.at.Before(from)) {
			return e.at, true
		}
	}
	return time.Time{}, false
}

// FaultAt is when the (first) fault was injected.
func (t *Timeline) FaultAt() (time.Time, error) {
	at, ok := t.First(FaultInjected)
	if !ok {
		return time.Time{}, fmt.Errorf("find fault: %w (no %s event)", ErrNoFault, FaultInjected)
	}
	return at, nil
}

// Recovery returns the fault time and the first verified time after it.
func (t *Timeline) Recovery() (faultAt, verifiedAt time.Time, err error) {
	t.mu.Lock()
	evs := t.sorted()
	t.mu.Unlock()
	faultAt, ok := firstAfter(evs, FaultInjected, time.Time{})
	if !ok {
		return time.Time{}, time.Time{}, fmt.Errorf("measure RTO: %w (no %s event)", ErrNoFault, FaultInjected)
	}
	verifiedAt, ok = firstAfter(evs, Verified, faultAt)
	if !ok {
		if early, seen := firstAfter(evs, Verified, time.Time{}); seen {
			return faultAt, time.Time{}, fmt.Errorf("measure RTO: %w after the fault at %s (the only %s event, at %s, came before it)",
				ErrNotVerified, stamp(faultAt, time.Second), Verified, stamp(early, time.Second))
		}
		return faultAt, time.Time{}, fmt.Errorf("measure RTO: %w after the fault at %s (no %s event)",
			ErrNotVerified, stamp(faultAt, time.Second), Verified)
	}
	return faultAt, verifiedAt, nil
}

// FinalCheck is how long the final check ran whose verified event ends
// the RTO (the first after the fault); 0 when that event was marked
// without a duration (MarkAt), false when there is none.
func (t *Timeline) FinalCheck() (time.Duration, bool) {
	t.mu.Lock()
	evs := t.sorted()
	t.mu.Unlock()
	faultAt, ok := firstAfter(evs, FaultInjected, time.Time{})
	if !ok {
		return 0, false
	}
	for _, e := range evs {
		if e.kind == Verified && !e.at.Before(faultAt) {
			return e.took, true
		}
	}
	return 0, false
}

// RTOPrecision is how far a measured RTO may be from the truth: the
// recovery may have completed up to a probe interval before the probe
// run that saw it started, and that run's own duration more before it
// finished (the verified time). Probes that are not timed count only the
// interval.
func (t *Timeline) RTOPrecision(probeInterval time.Duration) time.Duration {
	took, _ := t.FinalCheck()
	return probeInterval + took
}

// ManualAutomated tells whether a phase the plan leaves to a person was
// done by firedrill instead (Manual and Automated), so that the RTO leaves
// out the human time a real recovery spends on it.
func (t *Timeline) ManualAutomated() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, p := range t.phases {
		if p.manual && p.automated {
			return true
		}
	}
	return false
}

// QualifyRTO states on a measured RTO (RTOResult's) its precision, from
// its probe interval and the final check's duration (RTOPrecision), and
// whether a manual phase was automated. It is idempotent.
func (t *Timeline) QualifyRTO(r *result.RTO) {
	if r == nil {
		return
	}
	r.Precision = result.Sec(t.RTOPrecision(r.ProbeInterval.Duration()))
	r.ManualAutomated = t.ManualAutomated()
}

// RTO is the recovery time: the first verified event after the fault minus
// the first fault_injected event, less firedrill's own time in between
// (Own).
func (t *Timeline) RTO() (time.Duration, error) {
	f, v, err := t.Recovery()
	if err != nil {
		return 0, err
	}
	own, _ := t.OwnWithin(f, v)
	return v.Sub(f) - own, nil
}

// ProofOfFault fails unless a failure_observed event follows the fault:
// a fault nobody saw bite proves nothing about the recovery that follows.
func (t *Timeline) ProofOfFault() error {
	t.mu.Lock()
	evs := t.sorted()
	t.mu.Unlock()
	faultAt, ok := firstAfter(evs, FaultInjected, time.Time{})
	if !ok {
		return fmt.Errorf("prove fault: %w (no %s event)", ErrNoFault, FaultInjected)
	}
	if _, ok := firstAfter(evs, FailureObserved, faultAt); !ok {
		return &sentinelError{
			msg: fmt.Sprintf("fault injected at %s was never observed: no %s event after it, so a recovery would prove nothing",
				stamp(faultAt, time.Second), FailureObserved),
			err: ErrNotObserved,
		}
	}
	return nil
}

// DetectedAt is when the fault was first observed after its injection.
func (t *Timeline) DetectedAt() (time.Time, bool) {
	t.mu.Lock()
	evs := t.sorted()
	t.mu.Unlock()
	faultAt, ok := firstAfter(evs, FaultInjected, time.Time{})
	if !ok {
		return time.Time{}, false
	}
	return firstAfter(evs, FailureObserved, faultAt)
}

// sentinelError words its own message and still matches a sentinel with
// errors.Is.
type sentinelError struct {
	msg string
	err error
}

func (e *sentinelError) Error() string { return e.msg }
func (e *sentinelError) Unwrap() error { return e.err }
