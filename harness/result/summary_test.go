package result

import (
	"testing"
	"time"
)

func TestHuman(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "0 s"},
		{30 * time.Millisecond, "0 s"},
		{450 * time.Millisecond, "0.5 s"},
		{2*time.Second + 440*time.Millisecond, "2.4 s"},
		{3 * time.Second, "3 s"},
		{9*time.Second + 960*time.Millisecond, "10 s"},
		{42 * time.Second, "42 s"},
		{59*time.Second + 600*time.Millisecond, "1 min"},
		{3*time.Minute + 12*time.Second, "3 min 12 s"},
		{3*time.Minute + 12*time.Second + 400*time.Millisecond, "3 min 12 s"},
		{15 * time.Minute, "15 min"},
		{time.Hour + 5*time.Minute + 20*time.Second, "1 h 5 min"},
		{59*time.Minute + 59*time.Second + 800*time.Millisecond, "1 h"},
		{26 * time.Hour, "26 h"},
		{-7 * time.Second, "-7 s"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := Human(tt.d); got != tt.want {
				t.Fatalf("Human(%v) = %q, want %q", tt.d, got, tt.want)
			}
		})
	}
}

func TestScenarioFaultAt(t *testing.T) {
	fault := time.Date(2026, 11, 27, 10, 2, 11, 0, time.UTC)
	tests := []struct {
		name string
		s    Scenario
		ok   bool
	}{
		{"from RTO", Scenario{RTO: &RTO{FaultAt: fault}}, true},
		{"from RPO", Scenario{RPO: &RPO{FaultAt: fault}}, true},
		{"from events", Scenario{Events: []Event{{At: fault.Add(-time.Second), Kind: "steady"}, {At: fault, Kind: "fault_injected"}}}, true},
		{"none", Scenario{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tt.s.FaultAt()
			if ok != tt.ok || (ok && !got.Equal(fault)) {
				t.Fatalf("FaultAt() = %v, %v", got, ok)
			}
		})
	}
}

func TestRunPassed(t *testing.T) {
	run := func(statuses ...Status) Run {
		var r Run
		for _, s := range statuses {
			r.Scenarios = append(r.Scenarios, Scenario{Status: s})
		}
		return r
	}
	tests := []struct {
		name  string
		run   Run
		want  bool
		count Counts
	}{
		{"all passed", run(Passed, Passed), true, Counts{Passed: 2, Total: 2}},
		{"one failed", run(Passed, Failed), false, Counts{Passed: 1, Failed: 1, Total: 2}},
		{"one not run", run(Passed, NotRun), false, Counts{Passed: 1, NotRun: 1, Total: 2}},
		{"only not run", run(NotRun), false, Counts{NotRun: 1, Total: 1}},
		{"unknown status", run(Passed, ""), false, Counts{Passed: 1, Other: 1, Total: 2}},
		{"no scenario", run(), false, Counts{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.run.Passed(); got != tt.want {
				t.Errorf("Passed() = %v, want %v", got, tt.want)
			}
			if got := tt.run.Count(); got != tt.count {
				t.Errorf("Count() = %+v, want %+v", got, tt.count)
			}
		})
	}
}
