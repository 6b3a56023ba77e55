package safety

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cucumber/godog"

	"firedrill/harness/drill"
	"firedrill/harness/profile"
	"firedrill/harness/stack"
	"firedrill/harness/system"
	"firedrill/steps"
)

// runFor is how long one interrupted or failed run may take end to end.
const runFor = 3 * time.Minute

// TestInterruptLeavesNothing interrupts real runs at several points; each
// ends with nothing labelled with its run id. One signal fails the running
// scenario, which tears its stack down; a second one forces (exit 130).
func TestInterruptLeavesNothing(t *testing.T) {
	needDocker(t)
	bin := firedrill(t)
	feats := features(t, map[string]string{"slow.feature": hangingRecovery})
	cases := []struct {
		name    string
		at      string        // the line the signal waits for
		after   time.Duration // and then this long
		signals []os.Signal
		code    int
	}{
		{"SIGINT while the stack starts", "starting stack", 0, []os.Signal{os.Interrupt}, 1},
		{"SIGINT while its containers are created", "starting stack", 400 * time.Millisecond, []os.Signal{os.Interrupt}, 1},
		{"SIGTERM right after the fault", "fault injected", 0, []os.Signal{syscall.SIGTERM}, 1},
		{"SIGINT mid-restore", "failure observed", 500 * time.Millisecond, []os.Signal{os.Interrupt}, 1},
		{"a second SIGINT mid-restore forces", "failure observed", 500 * time.Millisecond, []os.Signal{os.Interrupt, os.Interrupt}, 130},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			run := start(t, root, nil, bin, "run", "--features", feats, "--reports", t.TempDir())
			run.waitFor(c.at, runFor)
			time.Sleep(c.after)
			for i, sig := range c.signals {
				run.signal(sig)
				if i == 0 && len(c.signals) > 1 {
					run.waitFor("stopping, cleaning up", 10*time.Second)
				}
			}
			code := run.wait(runFor)
			if code != c.code {
				t.Errorf("exit %d, want %d", code, c.code)
			}
			if strings.Contains(run.output(), "panic:") {
				t.Errorf("the run panicked")
			}
			if l := leftovers(t, run.runID()); !l.Zero() {
				t.Fatalf("run %s left %s", run.runID(), l)
			}
		})
	}
}

// TestFailedScenarioLeavesNothing: a scenario whose check fails ends the
// run with exit 1, the failure in the summary, and nothing left.
func TestFailedScenarioLeavesNothing(t *testing.T) {
	needDocker(t)
	t.Parallel()
	feats := features(t, map[string]string{"fail.feature": "Feature: wrong mode\n  Scenario: the check fails\n" + deployPaper +
		"    Then the health check shows \"Mode: LIVE\"\n"})
	run := start(t, root, nil, firedrill(t), "run", "--features", feats, "--reports", t.TempDir())
	if code := run.wait(runFor); code != 1 {
		t.Fatalf("exit %d, want 1 (a drill failed)", code)
	}
	if out := run.output(); !strings.Contains(out, `health check: want "Mode: LIVE"`) {
		t.Fatalf("the failure is not in the output")
	}
	if l := leftovers(t, run.runID()); !l.Zero() {
		t.Fatalf("run %s left %s", run.runID(), l)
	}
}

// TestPanicInAStepLeavesNothing: godog recovers a panic in a step as the
// step's failure and still runs the After hook, which removes the stack.
// The run's own final sweep is not there: the After hook alone must do it.
func TestPanicInAStepLeavesNothing(t *testing.T) {
	needDocker(t)
	t.Parallel()
	ctx := context.Background()
	prof, _ := profile.Get("ci")
	sys, err := system.Load(filepath.Join(root, "systems/reference.yml"))
	if err != nil {
		t.Fatal(err)
	}
	runID := stack.NewRunID(time.Now())
	t.Cleanup(func() { _ = stack.Sweep(context.Background(), runID) })
	var log strings.Builder
	suite, err := drill.NewSuite(ctx, drill.Options{RunID: runID, Profile: prof, System: sys,
		PlanPath: filepath.Join(root, "docs/dr-plan.md"), ReportDir: t.TempDir(), Log: &syncWriter{w: &log}})
	if err != nil {
		t.Fatal(err)
	}
	feats := features(t, map[string]string{"panic.feature": "Feature: a bug in a step\n  Scenario: a step panics\n" + deployPaper +
		"    When a step panics\n    Then the health check shows \"Mode: PAPER\"\n"})
	status := godog.TestSuite{
		ScenarioInitializer: func(g *godog.ScenarioContext) {
			steps.Initialize(suite)(g)
			g.Step(`^a step panics$`, func() error { panic("a bug in a step") })
		},
		Options: &godog.Options{Format: "pretty", Paths: []string{feats}, Strict: true, Output: &syncWriter{w: &log}, NoColors: true, DefaultContext: ctx},
	}.Run()
	if status != 1 {
		t.Fatalf("godog status %d, want 1 (failed)\n%s", status, log.String())
	}
	r := suite.Result()
	if len(r.Scenarios) != 1 || !strings.Contains(strings.Join(r.Scenarios[0].Failures, ";"), "a bug in a step") {
		t.Fatalf("result %+v: want the scenario failed with the panic", r.Scenarios)
	}
	if l := leftovers(t, runID); !l.Zero() {
		t.Fatalf("run %s left %s after a panic in a step\n%s", runID, l, log.String())
	}
}

// TestGoTestTimeoutLeavesNothing: TestDrills ends its context 45 s before
// go test's -timeout, so a drill that would outlast it fails and cleans
// up instead of dying in go test's panic with its containers running.
func TestGoTestTimeoutLeavesNothing(t *testing.T) {
	needDocker(t)
	t.Parallel()
	dir := t.TempDir()
	bin := filepath.Join(dir, "steps.test")
	build := exec.Command("go", "test", "-c", "-o", bin, "./steps")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the steps test binary: %v\n%s", err, out)
	}
	feats := features(t, map[string]string{"slow.feature": hangingRecovery})
	const timeout = 75 * time.Second // the drills get 30 s of it
	began := time.Now()
	run := start(t, filepath.Join(root, "steps"), []string{"FIREDRILL_PROFILE=ci"}, bin,
		"-test.run", "^TestDrills$", "-test.v", "-test.timeout", timeout.String(),
		"-firedrill.features", feats, "-firedrill.reports", t.TempDir())
	code := run.wait(timeout + 30*time.Second)
	took := time.Since(began)
	out := run.output()
	if strings.Contains(out, "panic: test timed out") {
		t.Fatalf("go test's timeout fired: the drills did not end first")
	}
	if code != 1 || !strings.Contains(out, "--- FAIL: TestDrills") {
		t.Fatalf("exit %d: want TestDrills to fail (exit 1) at its own deadline", code)
	}
	if took > timeout {
		t.Fatalf("took %s, beyond -timeout %s", took, timeout)
	}
	if l := leftovers(t, run.runID()); !l.Zero() {
		t.Fatalf("run %s left %s", run.runID(), l)
	}
}

// TestSIGKILLThenClean: SIGKILL leaves the stack behind (no process
// survives it); `firedrill clean` removes it, and the next run's start
// removes another killed run's leftovers by itself.
func TestSIGKILLThenClean(t *testing.T) {
	needDocker(t)
	t.Parallel()
	bin := firedrill(t)
	feats := features(t, map[string]string{"slow.feature": hangingRecovery})
	kill := func() string {
		run := start(t, root, nil, bin, "run", "--features", feats, "--reports", t.TempDir())
		run.waitFor("fault injected", runFor)
		run.signal(syscall.SIGKILL)
		run.wait(30 * time.Second)
		id := run.runID()
		if l := leftovers(t, id); l.Zero() {
			t.Fatalf("run %s left nothing after SIGKILL: the test would prove nothing", id)
		}
		return id
	}

	cleaned := kill()
	clean := start(t, root, nil, bin, "clean")
	if code := clean.wait(time.Minute); code != 0 {
		t.Fatalf("firedrill clean: exit %d", code)
	}
	if l := leftovers(t, cleaned); !l.Zero() {
		t.Fatalf("firedrill clean left %s of killed run %s", l, cleaned)
	}

	swept := kill()
	// The next run sweeps at its start, before it checks its images: a
	// system naming an image that is not there ends it right after.
	sys := filepath.Join(t.TempDir(), "system.yml")
	writeSystem(t, sys, "acme/no-such-trader:1.0")
	next := start(t, root, nil, bin, "run", "--features", feats, "--system", sys, "--reports", t.TempDir())
	if code := next.wait(time.Minute); code != 2 {
		t.Fatalf("next run: exit %d, want 2", code)
	}
	if l := leftovers(t, swept); !l.Zero() {
		t.Fatalf("the next run's start left %s of killed run %s", l, swept)
	}
}

// writeSystem writes the reference system description with another image.
func writeSystem(t *testing.T, path, image string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "systems/reference.yml"))
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(b), "image: firedrill/traderunner:latest", "image: "+image, 1)
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}
