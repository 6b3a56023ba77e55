package safety

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const measures = `    And the drill measures the "Code corruption" row of the DR plan
`

// TestBadInput meets each kind of bad input as a new user would, through
// the command: one clear message naming the thing and the fix, exit 2
// (the harness could not run the drills), no run started, and the plan's
// bytes as they were.
func TestBadInput(t *testing.T) {
	bin := firedrill(t)
	// A plan of the test's own, so that actuals a drill writes into the
	// shipped plan change nothing here.
	const plan = "# DR plan\n\n**RTO/RPO Summary:**\n\n| Scenario | RTO Target | Actual | RPO Target | Actual |\n|---|---|---|---|---|\n" +
		"| Code corruption | 5 min | - | 0 min | - |\n| Data corruption | 10 min | - | 5 min | - |\n\n**Last Tested:** TBD\n"
	planWithout := func(old, new string) func(t *testing.T) string {
		return func(t *testing.T) string {
			if !strings.Contains(plan, old) {
				t.Fatalf("the test's plan does not hold %q", old)
			}
			return strings.Replace(plan, old, new, 1)
		}
	}
	oneRow := map[string]string{"a.feature": "Feature: x\n  Scenario: y\n" + deployPaper + measures}
	cases := []struct {
		name     string
		docker   bool                        // needs the engine to get that far
		features map[string]string           // nil: the shipped features
		plan     func(t *testing.T) string   // plan text; nil: the shipped plan
		args     func(t *testing.T) []string // extra arguments
		env      []string
		want     []string
	}{
		{name: "malformed feature file",
			features: map[string]string{"bad.feature": "Feature: x\n  Scenario: y\n" + deployPaper + "  Examples:\n   | a |\n  not a row\n"},
			want:     []string{"parse features", "bad.feature", "(6:", "correct the Gherkin"}},
		{name: "undefined step",
			features: map[string]string{"typo.feature": "Feature: x\n  Scenario: y\n    Given a traderunner deployment trading in paper mode against the mock brocker\n"},
			want:     []string{"typo.feature:3", "matches no firedrill step", `did you mean "a traderunner deployment trading in (paper|live) mode against the mock broker"?`}},
		{name: "unknown tag",
			args: func(*testing.T) []string { return []string{"--tags", "@q5"} },
			want: []string{`matches tags "@q5"`, "@q1 @q2 @q3 @q4", "@smoke"}},
		{name: "DR plan missing",
			args: func(t *testing.T) []string { return []string{"--plan", filepath.Join(t.TempDir(), "dr-plan.md")} },
			want: []string{"read plan", "no such file", "pass --plan"}},
		{name: "DR plan without its table", features: oneRow,
			plan: func(*testing.T) string { return "# DR plan\n\nTargets are agreed in the meeting.\n" },
			want: []string{`no "RTO/RPO Summary" table`, "add the table"}},
		{name: "DR plan missing the row", features: oneRow,
			plan: planWithout("| Code corruption | 5 min | - | 0 min | - |\n", ""),
			want: []string{`no row "Code corruption"`, "dr-plan.md:", "add the row"}},
		{name: "DR plan with an unparseable target", features: oneRow,
			plan: planWithout("| Code corruption | 5 min |", "| Code corruption | soonish |"),
			want: []string{`RTO target "soonish" for row "Code corruption" cannot be parsed`, "dr-plan.md:7:"}},
		{name: "unknown profile",
			args: func(*testing.T) []string { return []string{"--profile", "fast"} },
			want: []string{`unknown profile "fast"`, "ci, quarterly"}},
		{name: "system description invalid",
			args: func(t *testing.T) []string {
				p := filepath.Join(t.TempDir(), "system.yml")
				if err := os.WriteFile(p, []byte("name: x\nimage: acme/trader:1\nhome: /srv\nhealth: {port: 80, path: /h}\ncommands:\n  start: ./run\n"), 0o644); err != nil {
					t.Fatal(err)
				}
				return []string{"--system", p}
			},
			want: []string{"check system description", "commands.health_check: missing", "commands.kill_trading: missing", "variables.broker_url: missing"}},
		{name: "Docker unreachable", env: []string{"DOCKER_HOST=unix:///nonexistent/docker.sock"},
			want: []string{"Docker is not reachable", "DOCKER_HOST=unix:///nonexistent/docker.sock", "start the Docker engine"}},
		{name: "system naming a missing image", docker: true,
			args: func(t *testing.T) []string {
				p := filepath.Join(t.TempDir(), "system.yml")
				writeSystem(t, p, "acme/no-such-trader:1.0")
				return []string{"--system", p}
			},
			want: []string{"acme/no-such-trader:1.0", "not found", "make images"}},
		{name: "report folder not writable", docker: true,
			args: func(t *testing.T) []string {
				f := filepath.Join(t.TempDir(), "a-file")
				if err := os.WriteFile(f, nil, 0o644); err != nil {
					t.Fatal(err)
				}
				return []string{"--reports", filepath.Join(f, "reports")}
			},
			want: []string{"create report folder", "pass --reports with a writable folder"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.docker {
				needDocker(t)
			}
			text := ""
			if c.plan != nil {
				text = c.plan(t)
			}
			plan, before := planCopy(t, text)
			args := []string{"run", "--tags", "", "--plan", plan, "--reports", t.TempDir()}
			if c.features != nil {
				args = append(args, "--features", features(t, c.features))
			}
			if c.args != nil {
				args = append(args, c.args(t)...)
			}
			run := start(t, root, c.env, bin, args...)
			code := run.wait(time.Minute)
			out := run.output()
			if code != 2 {
				t.Errorf("exit %d, want 2", code)
			}
			for _, w := range c.want {
				if !strings.Contains(out, w) {
					t.Errorf("the message lacks %q", w)
				}
			}
			if n := strings.Count(out, "firedrill: harness error:"); n != 1 {
				t.Errorf("%d error messages, want one:\n%s", n, out)
			}
			if id := run.runID(); id != "" {
				t.Errorf("run %s started although its input was bad", id)
			}
			assertUnchanged(t, plan, before)
		})
	}
}
