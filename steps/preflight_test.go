package steps

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"firedrill/harness/drplan"
)

func plan(t *testing.T, path string) *drplan.Plan {
	t.Helper()
	p, err := drplan.Parse(path)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestShippedFeaturesPassPreflight: every step of every shipped feature
// matches exactly one firedrill step, and every row they measure is in
// the shipped plan.
func TestShippedFeaturesPassPreflight(t *testing.T) {
	if err := Preflight([]string{"../features"}, "", plan(t, "../docs/dr-plan.md")); err != nil {
		t.Fatal(err)
	}
}

const deploy = "    Given a traderunner deployment trading in paper mode against the mock broker\n"

func TestPreflightProblems(t *testing.T) {
	cases := []struct {
		name, feature, tags string
		want                []string
	}{
		{"malformed", "Feature: x\n  Scenario: y\n" + deploy + "  Examples:\n   | a |\n  not a row\n", "",
			[]string{"parse features", "bad.feature", "(6:", "correct the Gherkin"}},
		{"typo", "Feature: x\n  Scenario: y\n    Given a traderunner deployment trading in paper mode against the mock brocker\n", "",
			[]string{"bad.feature:3", `"a traderunner deployment trading in paper mode against the mock brocker" matches no firedrill step`,
				`did you mean "a traderunner deployment trading in (paper|live) mode against the mock broker"?`}},
		{"reworded check", "Feature: x\n  Scenario: y\n" + deploy + "    Then the healthcheck says \"Mode: PAPER\"\n", "",
			[]string{"bad.feature:4", `did you mean "the health check shows \"…\""?`}},
		{"unknown tag", "@smoke\nFeature: x\n  @q9\n  Scenario: y\n" + deploy, "@q1",
			[]string{`matches tags "@q1"`, "@q9 @smoke"}},
		{"missing plan row", "Feature: x\n  Scenario: y\n" + deploy + "    And the drill measures the \"Meteor strike\" row of the DR plan\n", "",
			[]string{`no row "Meteor strike"`, "dr-plan.md:", "add the row"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "bad.feature"), []byte(c.feature), 0o644); err != nil {
				t.Fatal(err)
			}
			err := Preflight([]string{dir}, c.tags, plan(t, "../docs/dr-plan.md"))
			if err == nil {
				t.Fatal("Preflight passed")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}

// TestPreflightUnparseableTarget: a row whose target cannot be read stops
// the run before it starts, naming the plan's line.
func TestPreflightUnparseableTarget(t *testing.T) {
	dir := t.TempDir()
	pl := filepath.Join(dir, "plan.md")
	src := "**RTO/RPO Summary:**\n\n| Scenario | RTO Target | Actual | RPO Target | Actual |\n|---|---|---|---|---|\n| Code corruption | soon | - | 0 min | - |\n"
	if err := os.WriteFile(pl, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	f := "Feature: x\n  Scenario: y\n" + deploy + "    And the drill measures the \"Code corruption\" row of the DR plan\n"
	if err := os.WriteFile(filepath.Join(dir, "a.feature"), []byte(f), 0o644); err != nil {
		t.Fatal(err)
	}
	err := Preflight([]string{dir}, "", plan(t, pl))
	if err == nil || !strings.Contains(err.Error(), `plan.md:5: RTO target "soon"`) {
		t.Fatalf("Preflight() = %v", err)
	}
}

// TestPreflightAmbiguous: a step two patterns match is refused with both.
func TestPreflightAmbiguous(t *testing.T) {
	saved := known
	defer func() { known = saved }()
	known = func() []*regexp.Regexp {
		return append(saved(), regexp.MustCompile(`^a traderunner deployment trading in paper mode against the (\S+) broker$`))
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.feature"), []byte("Feature: x\n  Scenario: y\n"+deploy), 0o644); err != nil {
		t.Fatal(err)
	}
	err := Preflight([]string{dir}, "", nil)
	if err == nil || !strings.Contains(err.Error(), "a.feature:3") || !strings.Contains(err.Error(), "matches 2 firedrill steps") {
		t.Fatalf("Preflight() = %v", err)
	}
}

func TestClosest(t *testing.T) {
	for text, want := range map[string]string{
		`the "artifacts/data_m5" directory is removed`:    `the "…" directory is deleted`,
		`the RTO is within the plans target`:              `the RTO is within the plan's target`,
		`the operator start the traderunner in live mode`: `the operator starts the traderunner in (paper|live) mode`,
		`MinIO holds at least 3 restic snapshot`:          `MinIO holds at least N restic snapshot(s)`,
	} {
		if got := Closest(text); got != want {
			t.Errorf("Closest(%q) = %q, want %q", text, got, want)
		}
	}
}
