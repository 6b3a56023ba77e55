package timeline

import (
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"firedrill/harness/result"
)

// fakeClock is a clock the test moves by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 11, 27, 10, 2, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func at(hms string) time.Time {
	t, err := time.Parse("2006-01-02 15:04:05.999", "2026-11-27 "+hms)
	if err != nil {
		panic(err)
	}
	return t
}

// step is one thing a scenario does to its timeline in a table test.
type step struct {
	advance time.Duration
	kind    Kind
}

func play(steps []step) (*Timeline, *fakeClock) {
	c := newFakeClock()
	tl := New(c.Now)
	for _, s := range steps {
		c.Advance(s.advance)
		tl.Mark(s.kind, "")
	}
	return tl, c
}

func TestRTO(t *testing.T) {
	tests := []struct {
		name    string
		steps   []step
		want    time.Duration
		wantErr error
		errText string
	}{
		{
			name: "verified minus fault",
			steps: []step{
				{0, Steady}, {11 * time.Second, FaultInjected}, {2 * time.Second, FailureObserved},
				{3 * time.Minute, ServiceUp}, {10 * time.Second, Verified},
			},
			want: 3*time.Minute + 12*time.Second,
		},
		{
			name:    "no fault",
			steps:   []step{{0, Steady}, {time.Second, Verified}},
			wantErr: ErrNoFault,
			errText: "measure RTO: no fault was injected (no fault_injected event)",
		},
		{
			name:    "never verified",
			steps:   []step{{11 * time.Second, FaultInjected}, {time.Second, ServiceUp}},
			wantErr: ErrNotVerified,
			errText: "measure RTO: recovery was never verified after the fault at 10:02:11Z (no verified event)",
		},
		{
			name:    "verified only before the fault",
			steps:   []step{{5 * time.Second, Verified}, {6 * time.Second, FaultInjected}},
			wantErr: ErrNotVerified,
			errText: "measure RTO: recovery was never verified after the fault at 10:02:11Z (the only verified event, at 10:02:05Z, came before it)",
		},
		{
			name: "first fault, first verification after it",
			steps: []step{
				{0, Verified}, {10 * time.Second, FaultInjected}, {5 * time.Second, FaultInjected},
				{20 * time.Second, Verified}, {30 * time.Second, Verified},
			},
			want: 25 * time.Second,
		},
		{
			name:  "same instant",
			steps: []step{{0, FaultInjected}, {0, Verified}},
			want:  0,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tl, _ := play(tt.steps)
			got, err := tl.RTO()
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("RTO() error = %v, want %v", err, tt.wantErr)
				}
				if err.Error() != tt.errText {
					t.Fatalf("RTO() error text\n got %q\nwant %q", err, tt.errText)
				}
				return
			}
			if err != nil {
				t.Fatalf("RTO() error = %v", err)
			}
			if got != tt.want {
				t.Fatalf("RTO() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestMarkAtKeepsTimeOrder(t *testing.T) {
	c := newFakeClock()
	tl := New(c.Now)
	tl.Mark(FaultInjected, "rm -rf data_m5")
	c.Advance(10 * time.Second)
	tl.Mark(Verified, "data:validate passed")
	// A probe reports late that it saw the failure 2 s after the fault.
	tl.MarkAt(FailureObserved, "health red", c.Now().Add(-8*time.Second))
	c.Advance(time.Second)
	tl.MarkAt(ServiceUp, "same instant as verified, marked later", c.Now().Add(-time.Second))

	var kinds []string
	for _, e := range tl.Events() {
		kinds = append(kinds, e.Kind)
	}
	want := []string{"fault_injected", "failure_observed", "verified", "service_up"}
	if !reflect.DeepEqual(kinds, want) {
		t.Fatalf("event order = %v, want %v", kinds, want)
	}
	if got, ok := tl.DetectedAt(); !ok || !got.Equal(at("10:02:02")) {
		t.Fatalf("DetectedAt() = %v, %v; want 10:02:02", got, ok)
	}
}

func TestProofOfFault(t *testing.T) {
	tests := []struct {
		name    string
		steps   []step
		wantErr error
		errText string
	}{
		{
			name:  "observed after fault",
			steps: []step{{11 * time.Second, FaultInjected}, {2 * time.Second, FailureObserved}},
		},
		{
			name:    "never observed",
			steps:   []step{{11 * time.Second, FaultInjected}, {2 * time.Second, Verified}},
			wantErr: ErrNotObserved,
			errText: "fault injected at 10:02:11Z was never observed: no failure_observed event after it, so a recovery would prove nothing",
		},
		{
			name:    "observed only before the fault",
			steps:   []step{{time.Second, FailureObserved}, {10 * time.Second, FaultInjected}},
			wantErr: ErrNotObserved,
			errText: "fault injected at 10:02:11Z was never observed: no failure_observed event after it, so a recovery would prove nothing",
		},
		{
			name:    "no fault",
			steps:   []step{{time.Second, FailureObserved}},
			wantErr: ErrNoFault,
			errText: "prove fault: no fault was injected (no fault_injected event)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tl, _ := play(tt.steps)
			err := tl.ProofOfFault()
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("ProofOfFault() = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) || err.Error() != tt.errText {
				t.Fatalf("ProofOfFault() = %q, want %q (wrapping %v)", err, tt.errText, tt.wantErr)
			}
		})
	}
}

func TestPhases(t *testing.T) {
	c := newFakeClock()
	tl := New(c.Now)
	tl.Mark(FaultInjected, "")
	if err := tl.Begin("detect"); err != nil {
		t.Fatal(err)
	}
	c.Advance(2 * time.Second)
	if err := tl.End("detect"); err != nil {
		t.Fatal(err)
	}
	func() {
		defer tl.Phase("note positions", Manual(), Automated())()
		c.Advance(30 * time.Second)
	}()
	if err := tl.Begin("restore"); err != nil {
		t.Fatal(err)
	}
	if err := tl.Begin("restore"); !errors.Is(err, ErrPhase) {
		t.Fatalf("second Begin(restore) = %v, want ErrPhase", err)
	}
	if err := tl.End("reconcile"); !errors.Is(err, ErrPhase) {
		t.Fatalf("End(reconcile) = %v, want ErrPhase", err)
	}
	c.Advance(time.Minute) // restore still running when the phases are taken

	start := at("10:02:00")
	want := []result.Phase{
		{Name: "detect", StartedAt: start, EndedAt: start.Add(2 * time.Second)},
		{Name: "note positions", StartedAt: start.Add(2 * time.Second), EndedAt: start.Add(32 * time.Second), Manual: true, Automated: true},
		{Name: "restore", StartedAt: start.Add(32 * time.Second), EndedAt: start.Add(92 * time.Second)},
	}
	if got := tl.Phases(); !reflect.DeepEqual(got, want) {
		t.Fatalf("Phases() =\n%+v\nwant\n%+v", got, want)
	}
	wantErr := "begin phase \"restore\": phase misused: it is already running\n" +
		"end phase \"reconcile\": phase misused: it is not running"
	if err := tl.Err(); err == nil || err.Error() != wantErr {
		t.Fatalf("Err() = %q, want %q", err, wantErr)
	}

	// A name can be reused once its phase has ended.
	if err := tl.End("restore"); err != nil {
		t.Fatal(err)
	}
	if err := tl.Begin("restore"); err != nil {
		t.Fatalf("Begin(restore) after End = %v", err)
	}
	var details []string
	for _, e := range tl.Events() {
		if e.Kind == string(PhaseStarted) || e.Kind == string(PhaseFinished) {
			details = append(details, e.Kind+" "+e.Detail)
		}
	}
	wantEvents := []string{
		"phase_started detect", "phase_finished detect",
		"phase_started note positions", "phase_finished note positions",
		"phase_started restore", "phase_finished restore", "phase_started restore",
	}
	if !reflect.DeepEqual(details, wantEvents) {
		t.Fatalf("phase events = %v, want %v", details, wantEvents)
	}
}

func TestRPOFromNewest(t *testing.T) {
	fault := at("10:02:11")
	tests := []struct {
		name    string
		fault   time.Time
		newest  time.Time
		want    time.Duration
		wantErr string
	}{
		{name: "age at the fault", fault: fault, newest: at("10:02:04"), want: 7 * time.Second},
		{name: "newest is the fault instant", fault: fault, newest: fault, want: 0},
		// Rule changed on purpose: a change newer than the fault was clamped
		// to 0; it is clock skew (or a change made during injection), an error.
		{name: "newer than the fault is an error, not 0", fault: fault, newest: at("10:02:12"),
			wantErr: "measure RPO: the newest recovered change is dated after the fault: 2026-11-27T10:02:12.000Z, 1s after the fault at 2026-11-27T10:02:11.000Z; " +
				"likely clock skew (the clock that stamped it runs ahead of firedrill's), or it was made while the fault was being injected"},
		{name: "nothing recovered", fault: fault, wantErr: "measure RPO: nothing was recovered (no newest change to date the recovery point from)"},
		{name: "no fault", newest: fault, wantErr: "measure RPO: no fault was injected (no fault time)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := RPOFromNewest(tt.fault, tt.newest)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("RPOFromNewest() error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("RPOFromNewest() = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestLost(t *testing.T) {
	tests := []struct {
		name          string
		before, after []string
		want          []string
	}{
		{name: "nothing lost", before: []string{"f1", "f2"}, after: []string{"f2", "f1", "f3"}},
		{name: "three fills lost", before: []string{"f1", "f2", "f3", "f4", "f5"}, after: []string{"f1", "f2"}, want: []string{"f3", "f4", "f5"}},
		{name: "duplicates count once", before: []string{"f1", "f2", "f2"}, after: nil, want: []string{"f1", "f2"}},
		{name: "nothing known", before: nil, after: []string{"f1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Lost(tt.before, tt.after); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Lost() = %v, want %v", got, tt.want)
			}
		})
	}
	if got := Lost([]int{1, 2, 3}, []int{2}); len(got) != 2 {
		t.Fatalf("Lost(ints) = %v, want two lost", got)
	}
}

func TestCheckRTO(t *testing.T) {
	tests := []struct {
		name           string
		actual, target time.Duration
		fault, verify  time.Time
		want           string
	}{
		{
			name: "within target", actual: 2 * time.Minute, target: 2 * time.Minute,
			fault: at("10:02:11"), verify: at("10:04:11"),
		},
		{
			name: "house style", actual: 3*time.Minute + 12*time.Second, target: 2 * time.Minute,
			fault: at("10:02:11"), verify: at("10:05:23"),
			want: "RTO 3m12s exceeded target 2m0s (fault 10:02:11Z, verified 10:05:23Z)",
		},
		{
			name: "rounded to seconds when that still shows the miss", actual: 3*time.Minute + 12*time.Second + 345*time.Millisecond, target: 2 * time.Minute,
			fault: at("10:02:11"), verify: at("10:05:23.345"),
			want: "RTO 3m12s exceeded target 2m0s (fault 10:02:11Z, verified 10:05:23Z)",
		},
		{
			name: "finer when seconds would hide the miss", actual: 5*time.Second + 40*time.Millisecond, target: 5 * time.Second,
			fault: at("10:02:11"), verify: at("10:02:16.04"),
			want: "RTO 5.04s exceeded target 5s (fault 10:02:11.00Z, verified 10:02:16.04Z)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckRTO(tt.actual, tt.target, tt.fault, tt.verify)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("CheckRTO() = %v, want nil", err)
				}
				return
			}
			if err == nil || err.Error() != tt.want {
				t.Fatalf("CheckRTO() =\n %v\nwant\n %s", err, tt.want)
			}
			if !errors.Is(err, ErrExceeded) {
				t.Fatalf("CheckRTO() error does not wrap ErrExceeded")
			}
		})
	}
}

func TestCheckRPO(t *testing.T) {
	tests := []struct {
		name           string
		actual, target time.Duration
		ev             RPOEvidence
		want           string
	}{
		{
			name: "within target", actual: 4 * time.Second, target: 5 * time.Second,
			ev: RPOEvidence{FaultAt: at("10:02:11"), NewestRecovered: at("10:02:07")},
		},
		{
			name: "house style", actual: 7 * time.Second, target: 5 * time.Second,
			ev:   RPOEvidence{NewestRecovered: at("10:02:04"), FaultAt: at("10:02:11"), Lost: 3, LostWhat: "fill"},
			want: "RPO 7s exceeded target 5s (newest recovered change 10:02:04Z, fault 10:02:11Z, 3 fills lost)",
		},
		{
			name: "one bar, zero target", actual: time.Minute, target: 0,
			ev:   RPOEvidence{NewestRecovered: at("10:01:11"), FaultAt: at("10:02:11"), Lost: 1, LostWhat: "bar"},
			want: "RPO 1m0s exceeded target 0s (newest recovered change 10:01:11Z, fault 10:02:11Z, 1 bar lost)",
		},
		{
			name: "count only", actual: time.Second, target: 0,
			ev:   RPOEvidence{Lost: 2},
			want: "RPO 1s exceeded target 0s (2 events lost)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckRPO(tt.actual, tt.target, tt.ev)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("CheckRPO() = %v, want nil", err)
				}
				return
			}
			if err == nil || err.Error() != tt.want {
				t.Fatalf("CheckRPO() =\n %v\nwant\n %s", err, tt.want)
			}
			var oe *ObjectiveError
			if !errors.As(err, &oe) || oe.Objective != "RPO" || !errors.Is(err, ErrExceeded) {
				t.Fatalf("CheckRPO() error is not an RPO *ObjectiveError: %#v", err)
			}
		})
	}
}

func TestRTOResult(t *testing.T) {
	tl, _ := play([]step{{11 * time.Second, FaultInjected}, {3*time.Minute + 12*time.Second, Verified}})
	got, err := tl.RTOResult(2*time.Minute, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	// Qualified here, or already by RTOResult: QualifyRTO is idempotent. A
	// verified event marked without a duration leaves the probe interval.
	tl.QualifyRTO(got)
	want := &result.RTO{Actual: 192, Target: 120, ProbeInterval: 1, Precision: 1, FaultAt: at("10:02:11"), VerifiedAt: at("10:05:23"), Met: false}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("RTOResult() = %+v, want %+v", got, want)
	}
	if _, err := New(nil).RTOResult(time.Minute, time.Second); !errors.Is(err, ErrNoFault) {
		t.Fatalf("RTOResult() on an empty timeline = %v, want ErrNoFault", err)
	}
}

// TestRTOPrecision: the precision stated with an RTO is the probe interval
// plus the duration of the check run whose success ended it, not of any
// other check.
func TestRTOPrecision(t *testing.T) {
	const probe = 250 * time.Millisecond
	tl := New(newFakeClock().Now)
	tl.MarkVerified("a check before the fault", at("10:02:05"), 5*time.Second)
	tl.MarkAt(FaultInjected, "kill", at("10:02:11"))
	tl.MarkVerified("make health-check", at("10:02:41"), 85*time.Millisecond)
	tl.MarkVerified("a later check", at("10:02:50"), 3*time.Second)
	if took, ok := tl.FinalCheck(); !ok || took != 85*time.Millisecond {
		t.Fatalf("FinalCheck() = %s, %v; want 85ms, true", took, ok)
	}
	r, err := tl.RTOResult(time.Minute, probe)
	if err != nil {
		t.Fatal(err)
	}
	tl.QualifyRTO(r)
	tl.QualifyRTO(r)
	if want := result.Sec(probe + 85*time.Millisecond); r.Precision != want || r.ProbeInterval != result.Sec(probe) {
		t.Fatalf("precision %v (probe interval %v), want %v: the interval plus the final check's 85ms", r.Precision, r.ProbeInterval, want)
	}
	if r.Actual != 30 || r.ManualAutomated {
		t.Fatalf("RTO %+v: want 30 s, no manual phase automated", r)
	}
	if _, ok := New(nil).FinalCheck(); ok {
		t.Fatal("FinalCheck() on an empty timeline reported a check")
	}
	tl.QualifyRTO(nil) // no RTO measured: nothing to qualify
}

func TestManualAutomated(t *testing.T) {
	cases := []struct {
		name string
		opts [][]PhaseOption
		want bool
	}{
		{"no phase", nil, false},
		{"automated only", [][]PhaseOption{{Automated()}}, false},
		{"manual, done by a person", [][]PhaseOption{{Manual()}, {}}, false},
		{"manual done by firedrill", [][]PhaseOption{{}, {Manual(), Automated()}}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tl := New(newFakeClock().Now)
			for i, o := range c.opts {
				tl.Phase(fmt.Sprintf("step %d", i), o...)()
			}
			tl.Mark(FaultInjected, "")
			tl.MarkVerified("check", tl.Mark(Steady, "").Add(time.Second), 0)
			if got := tl.ManualAutomated(); got != c.want {
				t.Fatalf("ManualAutomated() = %v, want %v", got, c.want)
			}
			r, err := tl.RTOResult(time.Minute, time.Second)
			if err != nil {
				t.Fatal(err)
			}
			tl.QualifyRTO(r)
			if r.ManualAutomated != c.want {
				t.Fatalf("RTO.ManualAutomated = %v, want %v", r.ManualAutomated, c.want)
			}
		})
	}
}

func TestRPOResult(t *testing.T) {
	ev := RPOEvidence{NewestRecovered: at("10:02:04"), FaultAt: at("10:02:11"), Lost: 3, LostWhat: "fill"}
	got := RPOResult(7*time.Second, 5*time.Second, "newest state change in the restored snapshot", ev)
	want := &result.RPO{Actual: 7, Target: 5, LostEvents: 3, Basis: "newest state change in the restored snapshot",
		NewestRecovered: at("10:02:04"), FaultAt: at("10:02:11"), Met: false}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("RPOResult() = %+v, want %+v", got, want)
	}
}

// TestConcurrentMarks: steps and probes mark from different goroutines.
// Run with -race to make it bite.
func TestConcurrentMarks(t *testing.T) {
	c := newFakeClock()
	tl := New(c.Now)
	const workers, marks = 8, 200
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := fmt.Sprintf("probe-%d", w)
			for i := range marks {
				c.Advance(time.Millisecond)
				tl.Mark(ServiceUp, name)
				if i%50 == 0 {
					end := tl.Phase(fmt.Sprintf("%s-%d", name, i))
					tl.Events()
					end()
				}
			}
		}()
	}
	wg.Wait()
	evs := tl.Events()
	if want := workers*marks + workers*(marks/50)*2; len(evs) != want {
		t.Fatalf("got %d events, want %d", len(evs), want)
	}
	for i := 1; i < len(evs); i++ {
		if evs[i].At.Before(evs[i-1].At) {
			t.Fatalf("events out of order at %d: %v after %v", i, evs[i].At, evs[i-1].At)
		}
	}
	if len(tl.Phases()) != workers*(marks/50) || tl.Err() != nil {
		t.Fatalf("phases = %d, err = %v", len(tl.Phases()), tl.Err())
	}
}

// firedrill's own work inside the recovery is left out of the RTO, clipped
// to the window; its own work outside the window changes nothing.
func TestRTOLeavesOutOwnWork(t *testing.T) {
	tl := New(nil)
	tl.MarkAt(FaultInjected, "fault", at("10:00:00"))
	tl.MarkAt(FailureObserved, "seen", at("10:00:01"))
	tl.MarkAt(Verified, "verified", at("10:00:10"))
	before, err := tl.RTO()
	if err != nil || before != 10*time.Second {
		t.Fatalf("RTO with no own work = %v, %v; want 10s", before, err)
	}
	tl.Own("straddles the fault", at("09:59:59.5"), at("10:00:00.5")) // 0.5 s inside
	tl.Own("inside", at("10:00:03"), at("10:00:04"))                  // 1 s
	tl.Own("after the verified moment", at("10:00:11"), at("10:00:12"))
	tl.Own("empty", at("10:00:05"), at("10:00:05"))
	got, err := tl.RTO()
	if err != nil {
		t.Fatal(err)
	}
	if want := 8500 * time.Millisecond; got != want {
		t.Errorf("RTO = %v, want %v", got, want)
	}
	r, err := tl.RTOResult(time.Minute, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if r.Actual != result.Sec(8500*time.Millisecond) || r.HarnessExcluded != result.Sec(1500*time.Millisecond) {
		t.Errorf("RTOResult actual %v excluded %v, want 8.5 and 1.5", r.Actual, r.HarnessExcluded)
	}
	if r.VerifiedAt.Sub(r.FaultAt) != 10*time.Second {
		t.Errorf("the window is still fault to verified: %v", r.VerifiedAt.Sub(r.FaultAt))
	}
	_, spans := tl.OwnWithin(r.FaultAt, r.VerifiedAt)
	if len(spans) != 2 || !spans[0].From.Equal(at("10:00:00")) {
		t.Errorf("spans within the window = %+v, want the two inside, the first clipped to the fault", spans)
	}
}
