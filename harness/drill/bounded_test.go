package drill

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"firedrill/harness/profile"
	"firedrill/harness/result"
	"firedrill/harness/system"
	"firedrill/harness/timeline"
)

// hangingOperator never finishes a manual step: a person who walked away.
type hangingOperator struct{}

func (hangingOperator) Do(ctx context.Context, step, _ string) error {
	<-ctx.Done()
	return fmt.Errorf("wait for operator on %q: %w", step, ctx.Err())
}

func testSuite(t *testing.T, op Operator) (*Suite, *bytes.Buffer) {
	t.Helper()
	prof, err := profile.Get("ci")
	if err != nil {
		t.Fatal(err)
	}
	sys, err := system.Load("../../systems/reference.yml")
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	return &Suite{opts: Options{RunID: "bounded-test", Profile: prof, System: sys, Log: &log, Operator: op}, started: time.Now()}, &log
}

// TestHungRecoveryEndsAtItsLimit: a recovery step that never returns ends
// at the recovery limit; the scenario fails naming the step that hung and
// keeps the timeline so far. Without the limit the test would hang (and
// go test's -timeout would kill it).
func TestHungRecoveryEndsAtItsLimit(t *testing.T) {
	s, log := testSuite(t, hangingOperator{})
	sc := s.Begin("a recovery that hangs", []string{"@q3"})
	sc.planRow, sc.rtoTarget, sc.rpoTarget = "Live system failure", 100*time.Millisecond, time.Second
	// What inject and the detection step record, with a limit short
	// enough for a unit test (recoveryLimit's floor is minutes).
	faultAt := time.Now()
	sc.tl.MarkAt(timeline.FaultInjected, "kill the live trading process", faultAt)
	sc.tl.MarkAt(timeline.FailureObserved, "health check: down", faultAt.Add(10*time.Millisecond))
	const limit = 300 * time.Millisecond
	sc.recoveryDeadline = faultAt.Add(limit)

	start := time.Now()
	err := sc.ApproveLive(context.Background())
	took := time.Since(start)
	if err == nil {
		t.Fatal("a hung manual step returned no error")
	}
	if took < limit-50*time.Millisecond || took > limit+time.Second {
		t.Fatalf("the hung step ended after %s, want about %s", took, limit)
	}
	if !strings.Contains(err.Error(), `"approve the switch to live"`) || !strings.Contains(err.Error(), "deadline exceeded") {
		t.Fatalf("error %q does not name the step that hung and its limit", err)
	}

	r := sc.Close(context.Background(), err)
	if r.Status != result.Failed {
		t.Fatalf("status %s, want failed", r.Status)
	}
	if len(r.Failures) != 1 || !strings.Contains(r.Failures[0], "approve the switch to live") {
		t.Fatalf("failures %q, want one naming the step", r.Failures)
	}
	var kinds []string
	for _, e := range r.Events {
		kinds = append(kinds, string(e.Kind))
	}
	if got := strings.Join(kinds, ","); !strings.Contains(got, "fault_injected") || !strings.Contains(got, "failure_observed") {
		t.Fatalf("timeline so far lost: events %s", got)
	}
	var phase *result.Phase
	for i, p := range r.Phases {
		if p.Name == "approve the switch to live" {
			phase = &r.Phases[i]
		}
	}
	if phase == nil || phase.EndedAt.IsZero() || phase.Duration() < limit-50*time.Millisecond {
		t.Fatalf("phases %+v: want the hung step's phase, ended at its limit", r.Phases)
	}
	if !strings.Contains(log.String(), "FAILED") {
		t.Fatalf("log does not say the scenario failed:\n%s", log)
	}
}

// TestRecoveryLimit: three times the RTO target, never under the floor.
func TestRecoveryLimit(t *testing.T) {
	for _, c := range []struct{ rto, want time.Duration }{
		{0, minRecovery},
		{10 * time.Second, minRecovery},
		{5 * time.Minute, 15 * time.Minute},
		{30 * time.Minute, 90 * time.Minute},
	} {
		t.Run(c.rto.String(), func(t *testing.T) {
			sc := &Scenario{rtoTarget: c.rto}
			if got := sc.recoveryLimit(); got != c.want {
				t.Fatalf("recoveryLimit() = %s, want %s", got, c.want)
			}
		})
	}
}
