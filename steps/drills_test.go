package steps_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"firedrill/harness/drplan"
	"firedrill/harness/report/reportcheck"
	"firedrill/harness/result"
	"firedrill/harness/runner"
	"firedrill/steps"
)

var (
	tags    = flag.String("firedrill.tags", os.Getenv("FIREDRILL_TAGS"), "godog tag expression selecting drills (also FIREDRILL_TAGS)")
	prof    = flag.String("firedrill.profile", envOr("FIREDRILL_PROFILE", "ci"), "profile: ci or quarterly (also FIREDRILL_PROFILE)")
	plan    = flag.String("firedrill.plan", envOr("FIREDRILL_PLAN", "../docs/dr-plan.md"), "DR plan whose RTO/RPO table holds the targets")
	systems = flag.String("firedrill.systems", envOr("FIREDRILL_SYSTEMS", "../systems/desk.yml,../systems/reference.yml"),
		"comma-separated system files, drilled in this order; the last runs every feature, the others every quarterly drill (also FIREDRILL_SYSTEMS)")
	reports = flag.String("firedrill.reports", envOr("FIREDRILL_REPORTS", "../reports"), "reports folder")
	feats   = flag.String("firedrill.features", envOr("FIREDRILL_FEATURES", "../features"), "feature files folder (also FIREDRILL_FEATURES)")
	conc    = flag.Int("firedrill.concurrency", 1, "scenarios run side by side")
)

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// TestDrills runs the drill features against real containers; every
// scenario is a subtest.
func TestDrills(t *testing.T) {
	// The secrets check at the end proves something only if it can fail.
	t.Run("the secrets check finds a planted secret", TestLeaksFindsAPlantedSecret)
	if err := dockerReachable(); err != nil {
		msg := "Docker is not reachable (" + err.Error() + "): start the Docker engine (systemctl start docker) or set DOCKER_HOST, then 'make images'"
		switch {
		case os.Getenv("CI") == "true":
			t.Fatal(msg)
		case testing.Short():
			t.Skip("skipping drills in -short mode: " + msg)
		default:
			t.Fatal(msg)
		}
	}
	ctx := runContext(t)
	// End before go test's own -timeout panics, so cleanup still runs.
	if d, ok := t.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, d.Add(-45*time.Second))
		defer cancel()
	}
	var paths []string
	for _, p := range strings.Split(*systems, ",") {
		if p = strings.TrimSpace(p); p != "" {
			paths = append(paths, p)
		}
	}
	for i, path := range paths {
		// The last system runs every feature (and its run is the one
		// reports/latest points at); the others run the four quarterly
		// drills, which is what a system of another shape must prove (the
		// steady-state and stand-in features describe the reference).
		tagExpr := *tags
		if i < len(paths)-1 {
			tagExpr = "@quarterly"
			if *tags != "" {
				tagExpr = "@quarterly && " + *tags
			}
		}
		t.Run(strings.TrimSuffix(filepath.Base(path), ".yml"), func(t *testing.T) {
			drillSystem(ctx, t, path, tagExpr)
		})
	}
}

// drillSystem runs the features selected by tagExpr against one system
// and checks the run left nothing behind and leaked no secret.
func drillSystem(ctx context.Context, t *testing.T, system, tagExpr string) {
	var log bytes.Buffer
	out, err := runner.Run(ctx, runner.Options{
		Glue:        steps.Glue,
		Features:    []string{*feats},
		Tags:        tagExpr,
		Profile:     *prof,
		SystemPath:  system,
		PlanPath:    *plan,
		ReportsRoot: *reports,
		Concurrency: *conc,
		TestingT:    t,
		Output:      io.MultiWriter(os.Stdout, &log),
		NoColor:     true,
	})
	if err != nil {
		t.Fatal(err)
	}
	left, err := runner.Leftovers(context.Background(), out.Run.RunID)
	if err != nil {
		t.Fatal(err)
	}
	if !left.Zero() {
		t.Fatalf("run %s left %s behind", out.Run.RunID, left)
	}
	if len(out.Secrets) == 0 {
		t.Fatal("the run reports no generated secrets: the check below would prove nothing")
	}
	// The corrections the run proved, applied to a copy of the plan: the
	// features still follow it, and it needs no further correction.
	checkPlanPatch(t, out.Run)
	// The reports CI tools read, checked against those tools' schemas.
	notChecked, err := reportcheck.Dir(out.ReportDir)
	if err != nil {
		t.Errorf("the run's reports fail their schemas: %v", err)
	}
	for _, e := range notChecked {
		t.Logf("report not checked: %v", e)
	}
	files, err := listFiles(out.ReportDir)
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, filepath.Join(*reports, "history.jsonl"), *plan)
	for _, l := range leaks(out.Secrets, files, map[string][]byte{"the run's output": log.Bytes()}) {
		t.Error(l)
	}
}

// leaks searches files and texts for secrets and says where each one
// appears, naming the secret by its position, never by its value. A file
// that does not exist holds nothing.
func leaks(secrets, files []string, texts map[string][]byte) []string {
	var out []string
	check := func(where string, b []byte) {
		for i, s := range secrets {
			if s != "" && bytes.Contains(b, []byte(s)) {
				out = append(out, fmt.Sprintf("generated secret #%d appears in %s", i+1, where))
			}
		}
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			if !errors.Is(err, os.ErrNotExist) {
				out = append(out, fmt.Sprintf("read %s to search it for secrets: %v", f, err))
			}
			continue
		}
		check(f, b)
	}
	for where, b := range texts {
		check(where, b)
	}
	sort.Strings(out)
	return out
}

func listFiles(dir string) ([]string, error) {
	var out []string
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		p := dir + "/" + e.Name()
		if e.IsDir() {
			sub, err := listFiles(p)
			if err != nil {
				return nil, err
			}
			out = append(out, sub...)
			continue
		}
		out = append(out, p)
	}
	return out, nil
}

func dockerReachable() error {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	b, err := exec.CommandContext(ctx, "docker", "version", "-f", "{{.Server.Version}}").CombinedOutput()
	if err != nil {
		return &dockerErr{strings.TrimSpace(string(b)), err}
	}
	return nil
}

type dockerErr struct {
	out string
	err error
}

func (e *dockerErr) Error() string { return e.err.Error() + ": " + e.out }

// checkPlanPatch applies a run's proposed plan patch to a copy of the plan
// and checks the loop closes on paper: the copy still satisfies every
// feature's reference (plan check) and proposes nothing more. (make drill
// PLAN=<that copy> then runs without a finding; README, "The plan is the
// runbook".)
func checkPlanPatch(t *testing.T, run result.Run) {
	t.Helper()
	fixes := drplan.FixesFromRun(run)
	if len(fixes) == 0 {
		return
	}
	if run.PlanPatch == "" {
		t.Errorf("the run proved %d correction(s) of the plan but its results carry no plan patch", len(fixes))
	}
	src, err := os.ReadFile(*plan)
	if err != nil {
		t.Fatal(err)
	}
	patched, diff, err := drplan.ProposeFix(*plan, src, fixes)
	if err != nil {
		t.Fatalf("propose the plan patch: %v", err)
	}
	if diff != run.PlanPatch {
		t.Errorf("the results' plan patch differs from the one proposed now")
	}
	copyPath := filepath.Join(t.TempDir(), "dr-plan.md")
	if err := os.WriteFile(copyPath, patched, 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := drplan.Parse(copyPath)
	if err != nil {
		t.Fatalf("the patched plan does not parse: %v", err)
	}
	problems, _, err := steps.PlanCheck([]string{*feats}, p)
	if err != nil {
		t.Fatal(err)
	}
	for _, pr := range problems {
		t.Errorf("after the patch: %s", pr)
	}
	if _, again, err := drplan.ProposeFix(copyPath, patched, fixes); err != nil || again != "" {
		t.Errorf("the patched plan still gets a patch (%v):\n%s", err, again)
	}
}
