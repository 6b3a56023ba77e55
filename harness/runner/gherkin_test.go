package runner

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cucumber/godog"

	"firedrill/harness/report/reportcheck"
	"firedrill/harness/result"
)

// demoFeature is a drill feature as the real ones are written: tags, a
// background, an outline, a doc string, a scenario not run and one that
// fails.
const demoFeature = `@q9 @quarterly
Feature: Q9 drill: a demonstration
  What the drill breaks, and how the plan recovers it.

  Background: steady state
    Given a steady deployment

  Scenario Outline: recovered by option <option>
    When the plan's step "restore (option <option>)" is run:
      """
      restore --option <option>
      """
    Then the RTO of <rto> s is within its <target> s target

    Examples:
      | option | rto | target |
      | A      | 3   | 10     |
      | B      | 12  | 1      |

  Scenario: an order in flight
    Given an order is in flight
    When the process is killed

  Scenario: the server is lost
    When the server is lost
    Then the backup server takes over
`

// godogRun runs demoFeature through godog with the recorder, and godog's
// own JUnit and Cucumber formatters beside it (to prove the checks below
// refuse what they write). It returns the recorder and when each plan
// step ran.
func godogRun(t *testing.T, dir string) (*recorder, map[string]time.Time, string, string) {
	t.Helper()
	feature := filepath.Join(dir, "q9_demo.feature")
	if err := os.WriteFile(feature, []byte(demoFeature), 0o644); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	planSteps := map[string]time.Time{}
	rec, name := newRecorder(1)
	godogJUnit, godogCucumber := filepath.Join(dir, "godog-junit.xml"), filepath.Join(dir, "godog-cucumber.json")
	status := godog.TestSuite{
		Name: "firedrill",
		ScenarioInitializer: func(sc *godog.ScenarioContext) {
			sc.Step(`^a steady deployment$`, func() error { return nil })
			sc.Step(`^the plan's step "([^"]+)" is run:$`, func(step string, _ *godog.DocString) error {
				mu.Lock()
				defer mu.Unlock()
				planSteps[step] = time.Now()
				return nil
			})
			sc.Step(`^the RTO of (\d+) s is within its (\d+) s target$`, func(rto, target int) error {
				if rto > target {
					return errors.New("RTO 12s exceeded target 1s (fault 10:00:00Z, verified 10:00:12Z)")
				}
				return nil
			})
			sc.Step(`^an order is in flight$`, func() error { return errors.New("not run: no order was in flight: market closed") })
			sc.Step(`^the process is killed$`, func() error { return nil })
			sc.Step(`^the server is lost$`, func() error { return nil })
			sc.Step(`^the backup server takes over$`, func() error { return errors.New("recovery was never verified") })
		},
		Options: &godog.Options{
			Format: name + ",junit:" + godogJUnit + ",cucumber:" + godogCucumber,
			Paths:  []string{feature}, Output: io.Discard, NoColors: true, Strict: true, Concurrency: 1,
		},
	}.Run()
	if status != 1 {
		t.Fatalf("godog exited %d, want 1 (scenarios failed)", status)
	}
	return rec, planSteps, godogJUnit, godogCucumber
}

// demoRun is what the drill would have recorded of demoFeature's run.
func demoRun(planSteps map[string]time.Time) result.Run {
	fault := time.Now().UTC().Add(-time.Minute)
	scenario := func(name string, status result.Status) result.Scenario {
		return result.Scenario{Drill: "Q9", Name: name, PlanRow: "Data corruption", Status: status,
			StartedAt: fault.Add(-10 * time.Second), EndedAt: fault.Add(20 * time.Second), Findings: []result.Finding{}}
	}
	a := scenario("recovered by option A", result.Passed)
	a.RTO = &result.RTO{Actual: 3, Target: 10, ProbeInterval: 0.5, FaultAt: fault, VerifiedAt: fault.Add(3 * time.Second), Met: true}
	a.RPO = &result.RPO{Actual: 0, Target: 0, Basis: "git", FaultAt: fault, Met: true}
	a.Findings = []result.Finding{{At: planSteps["restore (option A)"], Step: "restore (option A)", Command: "restore --option A", Output: "exit 1: no such option"}}
	b := scenario("recovered by option B", result.Failed)
	b.RTO = &result.RTO{Actual: 12, Target: 1, ProbeInterval: 0.5, FaultAt: fault, VerifiedAt: fault.Add(12 * time.Second)}
	b.RPO = &result.RPO{Actual: 4, Target: 1, LostEvents: 2, Basis: "newest bar", NewestRecovered: fault.Add(-4 * time.Second), FaultAt: fault}
	b.Failures = []string{"RTO 12s exceeded target 1s (fault 10:00:00Z, verified 10:00:12Z)", "RPO 4s exceeded target 1s (newest recovered change 09:59:56Z, fault 10:00:00Z, 2 bars lost)"}
	c := scenario("an order in flight", result.NotRun)
	c.NotRunReason = "no order was in flight: market closed"
	d := scenario("the server is lost", result.Failed)
	d.Failures = []string{"recovery was never verified"}
	return result.Run{SchemaVersion: result.SchemaVersion, RunID: "20261127T100000Z-test", Profile: "ci",
		Cadences: map[string]result.Seconds{"probe_interval": 0.5}, System: "reference", Plan: "docs/dr-plan.md",
		StartedAt: fault.Add(-time.Minute), EndedAt: fault.Add(time.Minute), Scenarios: []result.Scenario{a, b, c, d}}
}

// TestReportsOfAGodogRun runs a feature through godog as a drill run does
// (no container: the steps are stubs), and checks the report folder it
// publishes: results.json, junit.xml and cucumber.json against their
// schemas, file modes, and that godog's own JUnit and Cucumber output fail
// the same checks.
func TestReportsOfAGodogRun(t *testing.T) {
	dir := t.TempDir()
	rec, planSteps, godogJUnit, godogCucumber := godogRun(t, dir)
	features := rec.Features()
	if len(features) != 1 || len(features[0].Scenarios) != 4 {
		t.Fatalf("recorded %d features: %+v", len(features), features)
	}
	run := demoRun(planSteps)
	annotate(&run, features)
	for i, want := range []int{17, 18, 20, 24} { // example rows, then scenarios
		if s := run.Scenarios[i]; s.Line != want || !strings.HasSuffix(s.Feature, "q9_demo.feature") || s.ID == "" {
			t.Errorf("scenario %q: feature %q line %d id %q, want line %d", s.Name, s.Feature, s.Line, s.ID, want)
		}
	}
	steps := features[0].Scenarios[0].Steps
	if len(steps) != 3 || steps[0].Keyword != "Given " || steps[1].DocString == nil || steps[1].DocString.Content != "restore --option A" ||
		steps[1].Status != "passed" || steps[1].StartedAt.After(planSteps["restore (option A)"]) {
		t.Fatalf("option A's steps as recorded: %+v", steps)
	}

	root := filepath.Join(dir, "reports")
	reportDir := filepath.Join(root, run.RunID)
	if err := os.MkdirAll(reportDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := WriteResults(run, reportDir); err != nil {
		t.Fatal(err)
	}
	if err := Publish(run, features, root, reportDir, io.Discard, false); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"results.json", "junit.xml", "cucumber.json", "summary.md", "report.html", "results.csv"} {
		st, err := os.Stat(filepath.Join(reportDir, f))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o644 {
			t.Errorf("%s has mode %v, want 0644 like every report", f, st.Mode().Perm())
		}
	}
	junit, _ := os.ReadFile(filepath.Join(reportDir, "junit.xml"))
	if n := strings.Count(string(junit), "<failure "); n != 3 {
		t.Errorf("junit.xml has %d failures, want 3 (option B's RTO and RPO, the lost server's drill):\n%s", n, junit)
	}
	cucumber, _ := os.ReadFile(filepath.Join(reportDir, "cucumber.json"))
	if !strings.Contains(string(cucumber), `FINDING F1: the plan's step \"restore (option A)\" failed as written`) {
		t.Errorf("cucumber.json does not show option A's finding on its step:\n%s", cucumber)
	}

	notChecked, err := reportcheck.Dir(reportDir)
	if err != nil {
		t.Fatal(err)
	}
	// What godog writes itself fails the same checks.
	if err := reportcheck.JUnitFile(godogJUnit); err == nil {
		t.Error("godog's own junit.xml passes the JUnit schemas: the check proves nothing")
	} else if !errors.Is(err, reportcheck.ErrNotChecked) {
		t.Logf("godog's own junit.xml, as expected: %v", err)
	}
	if err := reportcheck.CucumberFile(godogCucumber); err == nil {
		t.Error("godog's own cucumber.json passes the Cucumber-JVM schema: the check proves nothing")
	} else if !errors.Is(err, reportcheck.ErrNotChecked) {
		t.Logf("godog's own cucumber.json, as expected: %v", err)
	}
	if len(notChecked) > 0 {
		t.Skipf("not checked: %v", errors.Join(notChecked...))
	}
}
