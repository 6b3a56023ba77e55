package runner

import (
	"strings"
	"testing"

	"firedrill/harness/result"
)

func TestExitCode(t *testing.T) {
	const reason = "no order was in flight: the system's place_order action failed:\nexit status 1"
	sc := func(drill, name string, st result.Status) result.Scenario {
		s := result.Scenario{Drill: drill, Name: name, Status: st}
		if st == result.NotRun {
			s.NotRunReason = reason
		}
		return s
	}
	passed := sc("Q1", "Data corruption", result.Passed)
	failed := sc("Q4", "Complete server failure", result.Failed)
	notRun := sc("Q3", "Live trading failure with orders in flight", result.NotRun)
	outcome := func(godog int, scenarios ...result.Scenario) *Outcome {
		return &Outcome{Run: result.Run{RunID: "20261127T101500Z-ab12", Scenarios: scenarios}, ReportDir: "reports/20261127T101500Z-ab12", Status: godog}
	}
	tests := []struct {
		name string
		out  *Outcome
		code int
		// the message holds each of these; nothing for a pass
		says []string
	}{
		{"every drill passed", outcome(0, passed, passed), ExitPassed, nil},
		{"a drill failed", outcome(1, passed, failed), ExitFailed,
			[]string{"1 of 2 scenarios failed", `failed: Q4 "Complete server failure"`, "reports/20261127T101500Z-ab12"}},
		{"a drill not run, godog failed it too", outcome(1, passed, notRun), ExitNotRun,
			[]string{"no scenario failed, but 1 of 2 were not run", `not run: Q3 "Live trading failure with orders in flight": no order was in flight: the system's place_order action failed: exit status 1`}},
		{"a drill not run, godog passed", outcome(0, notRun), ExitNotRun, []string{"1 of 1 were not run"}},
		{"failed beats not run", outcome(1, notRun, failed), ExitFailed,
			[]string{"1 of 2 scenarios failed, 1 not run", `failed: Q4 "Complete server failure"`, `not run: Q3 "Live trading failure with orders in flight": no order`}},
		{"a status firedrill does not know", outcome(0, passed, sc("Q2", "Config corruption", "skipped")), ExitFailed,
			[]string{`failed: Q2 "Config corruption" (status "skipped"`}},
		{"godog failed, no scenario says why", outcome(1, passed), ExitFailed, []string{"godog reported a failure although every scenario passed"}},
		{"godog rejected the options", outcome(2, passed), ExitHarness, []string{"godog rejected"}},
		{"no scenario", outcome(0), ExitHarness, []string{"ran no scenario"}},
		{"no outcome", nil, ExitHarness, []string{"did not run"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, msg := ExitCode(tt.out)
			if code != tt.code {
				t.Fatalf("ExitCode() = %d, want %d (message %q)", code, tt.code, msg)
			}
			if tt.code == ExitPassed && msg != "" {
				t.Fatalf("a pass says %q", msg)
			}
			for _, s := range tt.says {
				if !strings.Contains(msg, s) {
					t.Errorf("message lacks %q:\n%s", s, msg)
				}
			}
		})
	}
}
