package safety

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"firedrill/harness/result"
)

// TestBrokenOrderActionIsNotRun: Q3 needs an order in flight when it kills
// the trading process, and makes one through the system's place_order
// action. A system whose action is broken cannot give the drill its
// precondition: Q3 ends "not run" with the action's own words, exit 3 (not
// 1: nothing was recovered, nothing failed to recover), and the plan row
// it would have measured is marked untested under this run, never left
// with an older run's numbers. The quarterly profile, because only it may
// write the plan.
func TestBrokenOrderActionIsNotRun(t *testing.T) {
	needDocker(t)
	t.Parallel()
	ref, err := os.ReadFile(filepath.Join(root, "systems/reference.yml"))
	if err != nil {
		t.Fatal(err)
	}
	line := regexp.MustCompile(`(?m)^  place_order: .*$`)
	if !line.Match(ref) {
		t.Fatal("systems/reference.yml declares no place_order action: the test has nothing to break")
	}
	sys := filepath.Join(t.TempDir(), "broken-order-desk.yml")
	broken := line.ReplaceAll(ref, []byte(`  place_order: echo "order desk closed for maintenance" >&2; exit 7`))
	if err := os.WriteFile(sys, broken, 0o644); err != nil {
		t.Fatal(err)
	}
	plan, _ := planCopy(t, "")
	reports := t.TempDir()
	run := start(t, root, nil, firedrill(t), "run", "--profile", "quarterly", "--tags", "@q3", "--system", sys,
		"--plan", plan, "--update-plan", "--reports", reports)
	// At the plan's cadences Q3 first waits for late in its 60 s state
	// backup cycle (up to two cycles), then tries to place its order.
	code := run.wait(runFor + 2*time.Minute)
	out := run.output()
	if code != 3 {
		t.Fatalf("exit %d, want 3 (a drill not run)\n%s", code, out)
	}
	id := run.runID()
	r := readResults(t, filepath.Join(reports, id))
	if len(r.Scenarios) != 1 {
		t.Fatalf("%d scenarios, want Q3's one", len(r.Scenarios))
	}
	sc := r.Scenarios[0]
	if sc.Status != result.NotRun || !strings.Contains(sc.NotRunReason, "order desk closed for maintenance") ||
		!strings.Contains(sc.NotRunReason, "place_order") {
		t.Fatalf("Q3: status %q, reason %q; want not run, naming the action and its output", sc.Status, sc.NotRunReason)
	}
	if len(sc.Failures) != 0 || sc.RTO != nil {
		t.Errorf("Q3 not run but failures %q, RTO %v", sc.Failures, sc.RTO)
	}
	b, err := os.ReadFile(plan)
	if err != nil {
		t.Fatal(err)
	}
	var row string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "| Live system failure |") {
			row = l
		}
	}
	if !strings.Contains(row, "untested") || !strings.Contains(row, id) {
		t.Fatalf("plan row after a not-run Q3: %q, want it marked untested under run %s", row, id)
	}
	if l := leftovers(t, id); !l.Zero() {
		t.Fatalf("run %s left %s", id, l)
	}
}
