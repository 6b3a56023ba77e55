package drill

import (
	"strings"
	"testing"
	"time"

	"firedrill/harness/drplan"
	"firedrill/harness/result"
)

func TestJudgeWorstCase(t *testing.T) {
	daily := &result.Cycle{Repository: "cloud repository", Tag: "state", Declared: result.Sec(24 * time.Hour), SinceNewest: 4}
	late := &result.Cycle{Repository: "primary repository", Tag: "state", Declared: 60, Observed: 60.1, SinceNewest: 54.2}
	planDaily := &drplan.AuditFinding{WorstCase: 24 * time.Hour, WorstCaseKnown: true, Backup: &drplan.PlanBackup{Line: 23}}
	for _, c := range []struct {
		name     string
		actual   time.Duration
		target   time.Duration
		cycle    *result.Cycle
		plan     *drplan.AuditFinding
		worst    time.Duration
		basis    string
		met      bool
		mentions string
	}{
		{"late in an observed cycle: judged on what was measured", 54 * time.Second, time.Minute, late, nil, 54 * time.Second, result.BasisMeasured, true, "fault 54 s after the newest state snapshot"},
		{"late, and over the target", 65 * time.Second, time.Minute, late, nil, 65 * time.Second, result.BasisMeasured, false, "observed every 1 min"},
		{"a daily cycle: judged on the declared cadence, red against 5 min", 4 * time.Second, 5 * time.Minute, daily, planDaily, 24 * time.Hour, result.BasisDeclared, false, "the plan allows up to 24 h (line 23)"},
		{"a daily cycle against a 2 day target is kept", 4 * time.Second, 48 * time.Hour, daily, nil, 24 * time.Hour, result.BasisDeclared, true, "declared by the deployment"},
		{"git: every commit kept", 0, 0, nil, &drplan.AuditFinding{Kind: "code"}, 0, result.BasisMeasured, true, "keeps every commit"},
		{"no cycle chosen (ci)", 2 * time.Second, time.Minute, nil, nil, 2 * time.Second, result.BasisMeasured, true, "not chosen"},
	} {
		t.Run(c.name, func(t *testing.T) {
			rpo := &result.RPO{Actual: result.Sec(c.actual), Target: result.Sec(c.target)}
			judgeWorstCase(rpo, c.cycle, c.plan)
			if rpo.WorstCase.Duration() != c.worst || rpo.WorstCaseBasis != c.basis || rpo.WorstCaseMet != c.met {
				t.Errorf("worst case %s (%s), met %v; want %s (%s), met %v", rpo.WorstCase.Duration(), rpo.WorstCaseBasis, rpo.WorstCaseMet, c.worst, c.basis, c.met)
			}
			if !strings.Contains(rpo.WorstCaseWhy, c.mentions) {
				t.Errorf("why %q does not say %q", rpo.WorstCaseWhy, c.mentions)
			}
		})
	}
}

func TestCycleLead(t *testing.T) {
	// 60 s state cycle, an order to place first (1 s trades): aimed 7 s
	// before the next snapshot, so the fault lands about 54 s in.
	if got := cycleLead(60*time.Second, 2*time.Second); got != 7*time.Second {
		t.Errorf("cycleLead(60 s, 2 s) = %s, want 7 s", got)
	}
	if got := cycleLead(2*time.Second, 0); got != 200*time.Millisecond {
		t.Errorf("cycleLead(2 s, 0) = %s, want 200 ms", got)
	}
}
