package stack

import (
	"context"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	tc "github.com/testcontainers/testcontainers-go"
	tcexec "github.com/testcontainers/testcontainers-go/exec"
)

const baseImage = "firedrill/base:latest"

// needDocker skips a test that needs the engine and the base image under
// -short or where they are missing (and fails in CI, where they must be).
func needDocker(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("skipping in -short mode: needs Docker and the firedrill images")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	cl, err := client(ctx)
	if err == nil {
		_, err = cl.ImageInspect(ctx, baseImage)
		cl.Close()
	}
	if err != nil {
		msg := "needs Docker and " + baseImage + " (run 'make images'): " + err.Error()
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
}

// TestActionsOnAnotherRunsContainerAreRefused: a container labelled with
// another run's id, even one that sits in this stack's table under a role,
// is never exec'd into, copied to or from, signalled, reached or removed.
func TestActionsOnAnotherRunsContainerAreRefused(t *testing.T) {
	needDocker(t)
	ctx := context.Background()
	mine, other := NewRunID(time.Now())+"-mine", NewRunID(time.Now())+"-other"
	const scenario = "blast-radius"
	start := func(runID string) *tc.DockerContainer {
		c, err := tc.Run(ctx, baseImage,
			tc.WithLabels(map[string]string{LabelRun: runID, LabelScenario: scenario, LabelRole: RolePrimary, LabelOwner: Owner()}),
			tc.WithEntrypoint("sleep", "infinity"),
			tc.WithExposedPorts(portHealth),
		)
		t.Cleanup(func() {
			if err := SweepScenario(context.WithoutCancel(ctx), runID, scenario); err != nil {
				t.Error(err)
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	foreign := start(other)
	s := &Stack{cfg: Config{RunID: mine, Scenario: scenario}, containers: map[string]*tc.DockerContainer{RolePrimary: foreign}}

	acts := map[string]func() error{
		"exec": func() error {
			_, err := s.Exec(ctx, RolePrimary, "", "touch /tmp/touched", nil)
			return err
		},
		"copy in":  func() error { return s.CopyIn(ctx, RolePrimary, "/tmp/touched", []byte("x"), 0o644) },
		"copy out": func() error { _, err := s.CopyOut(ctx, RolePrimary, "/etc/hostname"); return err },
		"signal":   func() error { return s.Signal(ctx, RolePrimary, "SIGKILL") },
		"endpoint": func() error { _, err := s.Endpoint(ctx, RolePrimary, portHealth); return err },
		"remove":   func() error { return s.Remove(ctx, RolePrimary) },
	}
	for name, act := range acts {
		t.Run(name, func(t *testing.T) {
			err := act()
			if err == nil || !strings.Contains(err.Error(), "refused") || !strings.Contains(err.Error(), other) {
				t.Fatalf("%s on another run's container: err = %v, want a refusal naming its run", name, err)
			}
		})
	}
	// Nothing happened to it: still running, untouched.
	st, err := foreign.State(ctx)
	if err != nil || !st.Running {
		t.Fatalf("the other run's container is no longer running: %+v, %v", st, err)
	}
	// Read as the command's own word, not its exit code alone: an exec
	// whose code is read before it ends says 0 under load.
	code, out, err := foreign.Exec(ctx, []string{"sh", "-c", "if test -e /tmp/touched; then echo PRESENT; else echo ABSENT; fi"}, tcexec.Multiplexed())
	if err != nil {
		t.Fatalf("look into the other run's container: %v", err)
	}
	b, _ := io.ReadAll(out)
	if !strings.Contains(string(b), "ABSENT") {
		t.Fatalf("the refused exec or copy ran anyway (/tmp/touched: %q, exit %d)", strings.TrimSpace(string(b)), code)
	}

	// The same actions on this run's own container go ahead.
	own := start(mine)
	s.containers[RolePrimary] = own
	if r, err := s.Exec(ctx, RolePrimary, "", "echo ok", nil); err != nil || strings.TrimSpace(r.Output) != "ok" {
		t.Fatalf("exec on this run's container: %q, %v", r.Output, err)
	}
	// With a local engine, firedrill reaches containers on loopback only.
	if dh := os.Getenv("DOCKER_HOST"); dh == "" || strings.HasPrefix(dh, "unix://") {
		ep, err := s.Endpoint(ctx, RolePrimary, portHealth)
		if err != nil || !strings.HasPrefix(ep, "127.0.0.1:") {
			t.Fatalf("endpoint of this run's container = %q, %v: want 127.0.0.1:<port>", ep, err)
		}
	}
	if err := s.Remove(ctx, RolePrimary); err != nil {
		t.Fatalf("remove this run's container: %v", err)
	}
}

// TestExecEndsAtItsDeadline: a command that outlives its context returns
// at the deadline with the context's error, so a hung step cannot hang a
// drill.
func TestExecEndsAtItsDeadline(t *testing.T) {
	needDocker(t)
	ctx := context.Background()
	runID := NewRunID(time.Now()) + "-exec"
	c, err := tc.Run(ctx, baseImage,
		tc.WithLabels(map[string]string{LabelRun: runID, LabelScenario: "exec", LabelOwner: Owner()}),
		tc.WithEntrypoint("sleep", "infinity"))
	t.Cleanup(func() { _ = SweepScenario(context.WithoutCancel(ctx), runID, "exec") })
	if err != nil {
		t.Fatal(err)
	}
	s := &Stack{cfg: Config{RunID: runID, Scenario: "exec"}, containers: map[string]*tc.DockerContainer{RolePrimary: c}}
	dctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = s.Exec(dctx, RolePrimary, "", "sleep 60", nil)
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("exec of a hung command returned after %s, want about 0.5 s", took)
	}
	if err == nil || !strings.Contains(err.Error(), "deadline exceeded") {
		t.Fatalf("err = %v, want the deadline", err)
	}
}

// TestSweepScenarioRefusesEmptyNames: an empty run id would sweep the
// scenario's objects of every run on the engine.
func TestSweepScenarioRefusesEmptyNames(t *testing.T) {
	if err := SweepScenario(context.Background(), "", "steady"); err == nil {
		t.Fatal("SweepScenario with no run id went ahead")
	}
	if err := SweepScenario(context.Background(), "20261127T000000Z-0000", ""); err == nil {
		t.Fatal("SweepScenario with no scenario went ahead")
	}
}

// portHealth is the reference system's health port.
const portHealth = "8090/tcp"
