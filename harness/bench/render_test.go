package bench

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"firedrill/harness/result"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// fixedReport is a report with made-up figures and a fixed clock.
func fixedReport() *Report {
	t0 := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	scenario := func(name string, start float64, rto float64) result.Scenario {
		return result.Scenario{
			Name: name, Status: result.Passed, StartedAt: at(start), EndedAt: at(start + 10 + rto),
			RTO: &result.RTO{Actual: result.Sec(time.Duration(rto * float64(time.Second))), FaultAt: at(start + 8), VerifiedAt: at(start + 8 + rto)},
			Events: []result.Event{
				{At: at(start + 6), Kind: "steady"}, {At: at(start + 8), Kind: "fault_injected"},
				{At: at(start + 8.2), Kind: "failure_observed"}, {At: at(start + 8 + rto), Kind: "verified"},
			},
			Phases: []result.Phase{
				{Name: "step", StartedAt: at(start + 8.2), EndedAt: at(start + 7 + rto)},
				{Name: "check: x", StartedAt: at(start + 7.5 + rto), EndedAt: at(start + 8 + rto)},
			},
		}
	}
	suiteRun := func(c int, wall float64, id string) SuiteRun {
		return SuiteRun{
			Concurrency: c, RunID: id, Wall: time.Duration(wall * float64(time.Second)),
			Memory: memory{HWM: 80e6, Rusage: 82e6},
			Run:    &result.Run{Scenarios: []result.Scenario{scenario(Drills[0].Scenario, 0, 2), scenario(Drills[3].Scenario, 20, 6)}},
		}
	}
	bd := func(rto float64) Breakdown {
		d := time.Duration(rto * float64(time.Second))
		return Breakdown{RTO: d, Detect: d / 10, Steps: d * 7 / 10, Verify: d / 10, Other: d / 10}
	}
	failed := suiteRun(2, 400, "r5")
	failed.ExitCode = 1
	failed.Run.Scenarios[0].Status = result.Failed
	failed.Run.Scenarios[0].Failures = []string{"check \"make data:validate\": not reached within 30m0s\nmore"}
	return &Report{
		RunID: "20261127T100000Z-abcd", Started: t0, Ended: t0.Add(17 * time.Minute), Runs: 2, Profile: "ci",
		Machine: Machine{Cores: 2, Docker: "20.10.24 (API 1.41)", Compose: "1.29.2", Go: "go1.26", LoadAvgBefore: "1.00 1.00 1.00", LoadAvgAfter: "2.00 2.00 2.00"},
		Images:  &ImagesResult{Warm: []time.Duration{2 * time.Second, 3 * time.Second}},
		Spinup: &SpinupResult{
			Pairs: []SpinupPair{
				{Firedrill: 2 * time.Second, FiredrillStack: 1500 * time.Millisecond, ComposeUp: 2 * time.Second, ComposeHealthy: 2500 * time.Millisecond, ComposeWait: 3 * time.Second, Polls: 2},
				{ComposeFirst: true, Firedrill: 2200 * time.Millisecond, FiredrillStack: 1700 * time.Millisecond, ComposeUp: 1900 * time.Millisecond, ComposeHealthy: 2400 * time.Millisecond, ComposeWait: 3100 * time.Millisecond, Polls: 2},
			},
			PsCalls: []time.Duration{800 * time.Millisecond, 900 * time.Millisecond},
		},
		Suite: &SuiteResult{Concurrencies: []int{1, 2}, Runs: []SuiteRun{
			suiteRun(1, 100, "r1"), suiteRun(2, 64, "r2"), suiteRun(1, 104, "r3"), suiteRun(2, 58, "r4"), failed,
		}},
		RTO: &RTOResult{Source: "each drill's scenario run alone", Drills: []DrillRTO{
			{Drill: Drills[0], Firedrill: []Breakdown{bd(2), bd(2.2)}, Script: []ScriptRun{{Breakdown: bd(1.9)}, {Breakdown: bd(2.1)}}},
			{Drill: Drills[3], Firedrill: []Breakdown{bd(6), bd(7)}, Script: []ScriptRun{{Breakdown: bd(5)}, {Breakdown: bd(6)}}},
		}},
		Swept: []string{"20261127T100000Z-abcd", "r1", "r2", "r3", "r4"},
	}
}

func TestRenderGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := Render(&buf, fixedReport()); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "report.golden.md")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run with -update to create it): %v", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("report differs from %s (go test ./harness/bench -run TestRenderGolden -update):\n%s", path, buf.String())
	}
	if bytes.Contains(buf.Bytes(), []byte("\x1b[")) {
		t.Error("the report holds terminal colour codes")
	}
}
