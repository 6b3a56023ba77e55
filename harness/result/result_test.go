package result

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestStableID(t *testing.T) {
	tests := []struct {
		s    Scenario
		want string
	}{
		{Scenario{Drill: "Q1", Name: "the M5 bars are deleted and recovered by option A"}, "q1-the-m5-bars-are-deleted-and-recovered-by-option-a"},
		{Scenario{Drill: "Q2", Name: `"configs/risk.yml" is overwritten with broken YAML is recovered from git`}, "q2-configs-risk-yml-is-overwritten-with-broken-yaml-is-recovered-from-git"},
		{Scenario{Name: "the stack reaches steady state"}, "the-stack-reaches-steady-state"},
		{Scenario{ID: "kept", Drill: "Q1", Name: "renamed"}, "kept"},
	}
	for _, tt := range tests {
		if got := tt.s.StableID(); got != tt.want {
			t.Errorf("StableID(%q) = %q, want %q", tt.s.Name, got, tt.want)
		}
	}
}

// TestNoZeroTime: what was not recorded is left out or null in
// results.json, never Go's zero time; and it reads back the same.
func TestNoZeroTime(t *testing.T) {
	fault := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	run := Run{SchemaVersion: SchemaVersion, RunID: "r", Scenarios: []Scenario{
		{Name: "git", Status: Passed, RPO: &RPO{Actual: 0, Target: 0, FaultAt: fault, Met: true}},
		{Name: "not run", Status: NotRun, Findings: []Finding{{Step: "s"}}, Phases: []Phase{{Name: "p"}}},
	}}
	b, err := json.Marshal(run)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	if strings.Contains(s, "0001-01-01") {
		t.Fatalf("zero time in %s", s)
	}
	for _, want := range []string{`"newest_recovered":null`, `"rto":null`, `"rpo":null`, `"schema_version":4`} {
		if !strings.Contains(s, want) {
			t.Errorf("%s lacks %s", s, want)
		}
	}
	var back Run
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if r := back.Scenarios[0].RPO; r == nil || !r.NewestRecovered.IsZero() || !r.FaultAt.Equal(fault) {
		t.Fatalf("read back: %+v", r)
	}
}
