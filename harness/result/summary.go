package result

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Human writes a duration the way a person reads it in a plan or a report:
// "0 s", "2.4 s", "42 s", "3 min 12 s", "1 h 5 min".
//
// Below ten seconds it keeps a tenth of a second (a ci profile's recoveries
// take seconds, and "2 s" would hide a 40% difference); up to an hour it
// keeps whole seconds; from an hour on, whole minutes. Units are omitted
// when they are zero ("3 min", "1 h"). The output parses back with
// drplan.ParseTarget.
func Human(d time.Duration) string {
	if d < 0 {
		return "-" + Human(-d)
	}
	if r := d.Round(100 * time.Millisecond); r < 10*time.Second {
		if r%time.Second == 0 {
			return strconv.FormatInt(int64(r/time.Second), 10) + " s"
		}
		return strconv.FormatFloat(r.Seconds(), 'f', 1, 64) + " s"
	}
	if r := d.Round(time.Second); r < time.Hour {
		m, s := int64(r/time.Minute), int64(r%time.Minute/time.Second)
		switch {
		case m == 0:
			return fmt.Sprintf("%d s", s)
		case s == 0:
			return fmt.Sprintf("%d min", m)
		default:
			return fmt.Sprintf("%d min %d s", m, s)
		}
	}
	r := d.Round(time.Minute)
	h, m := int64(r/time.Hour), int64(r%time.Hour/time.Minute)
	if m == 0 {
		return fmt.Sprintf("%d h", h)
	}
	return fmt.Sprintf("%d h %d min", h, m)
}

// FaultAt is when the scenario's fault was injected: from its RTO, else its
// RPO, else its fault_injected event. The second value is false when the
// scenario never recorded one (it failed before the fault).
func (s Scenario) FaultAt() (time.Time, bool) {
	switch {
	case s.RTO != nil && !s.RTO.FaultAt.IsZero():
		return s.RTO.FaultAt, true
	case s.RPO != nil && !s.RPO.FaultAt.IsZero():
		return s.RPO.FaultAt, true
	}
	for _, e := range s.Events {
		if e.Kind == "fault_injected" {
			return e.At, true
		}
	}
	return time.Time{}, false
}

// Counts is how many scenarios of a run ended in each status.
type Counts struct {
	Passed, Failed, NotRun int
	// Other counts scenarios with a status this model does not know (an
	// empty one, or one from a newer firedrill); they are not passes.
	Other int
	Total int
}

// Count counts the run's scenarios by status.
func (r Run) Count() Counts {
	c := Counts{Total: len(r.Scenarios)}
	for _, s := range r.Scenarios {
		switch s.Status {
		case Passed:
			c.Passed++
		case Failed:
			c.Failed++
		case NotRun:
			c.NotRun++
		default:
			c.Other++
		}
	}
	return c
}

// Passed reports whether every scenario of the run passed (and there was at
// least one). A scenario not run is not a pass: the run proved nothing
// about its recovery.
func (r Run) Passed() bool {
	if len(r.Scenarios) == 0 {
		return false
	}
	for _, s := range r.Scenarios {
		if s.Status != Passed {
			return false
		}
	}
	return true
}

// StableID is the scenario's id across runs: its drill and name in lower
// case, every run of other characters a dash ("q1-the-m5-bars-are-deleted-
// and-recovered-by-option-a"). It is the ID the scenario was written with,
// if any; it changes only when the scenario is renamed, as its history
// does (reports/history.jsonl keys a scenario by drill and name too).
func (s Scenario) StableID() string {
	if s.ID != "" {
		return s.ID
	}
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(strings.TrimSpace(s.Drill + " " + s.Name)) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
			continue
		}
		dash = true
	}
	return b.String()
}
