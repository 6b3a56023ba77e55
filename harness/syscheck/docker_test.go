package syscheck

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"firedrill/harness/images"
	"firedrill/harness/stack"
	"firedrill/harness/system"
)

// TestMain: Ctrl-C while a check has containers running removes what this
// binary made before it exits, as the drills do.
func TestMain(m *testing.M) {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		s := <-sigs
		fmt.Fprintf(os.Stderr, "syscheck tests: %s: removing this binary's containers and networks\n", s)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_ = stack.SweepOwnedSettled(ctx, time.Second)
		os.Exit(130)
	}()
	os.Exit(m.Run())
}

const reference = "../../systems/reference.yml"

// needImages skips a test without Docker or without the reference images.
func needImages(t *testing.T, imgs ...string) {
	t.Helper()
	if testing.Short() {
		t.Skip("Docker test (-short)")
	}
	for _, img := range imgs {
		if _, err := images.Label(t.Context(), img); err != nil {
			t.Skipf("%s not in the engine (make images): %v", img, err)
		}
	}
}

// variant writes a copy of the reference system file with replacements.
func variant(t *testing.T, pairs ...string) string {
	t.Helper()
	b, err := os.ReadFile(reference)
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	for i := 0; i+1 < len(pairs); i += 2 {
		if !strings.Contains(text, pairs[i]) {
			t.Fatalf("the reference system file has no %q", pairs[i])
		}
		text = strings.Replace(text, pairs[i], pairs[i+1], 1)
	}
	path := filepath.Join(t.TempDir(), "system.yml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// lineOf is the line of the first occurrence of text in a file.
func lineOf(t *testing.T, path, text string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, text) {
			return i + 1
		}
	}
	t.Fatalf("%s has no %q", path, text)
	return 0
}

// nothingLeft fails when anything of the run is still in the engine.
func nothingLeft(t *testing.T, runID string) {
	t.Helper()
	left, err := stack.Count(context.Background(), runID)
	if err != nil {
		t.Fatal(err)
	}
	if !left.Zero() {
		t.Errorf("run %s left %s", runID, left)
		_ = stack.Sweep(context.Background(), runID)
	}
}

func check(t *testing.T, path string, o Options) Report {
	t.Helper()
	o.RunID = stack.NewRunID(time.Now())
	o.Log = testLog{t}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	r := Run(ctx, path, o)
	var b strings.Builder
	r.Write(&b)
	t.Logf("system check %s:\n%s%s", path, b.String(), r.Summary())
	nothingLeft(t, o.RunID)
	return r
}

type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// The reference system passes every check, static and live, and leaves
// nothing behind.
func TestReferencePasses(t *testing.T) {
	needImages(t, images.Traderunner, images.MinIO, images.Broker)
	start := time.Now()
	r := check(t, reference, Options{})
	if r.ExitCode() != ExitOK {
		t.Fatalf("exit %d, problems: %q", r.ExitCode(), lines(r.Problems))
	}
	for _, want := range []string{"file:", "image:", "home:", "commands:", "health:", "commands.health_check:", "variables.repository:", "variables.cloud_repository:"} {
		found := false
		for _, p := range r.Passed {
			found = found || strings.HasPrefix(p, want)
		}
		if !found {
			t.Errorf("no ok line for %s in %q", want, r.Passed)
		}
	}
	t.Logf("took %s", time.Since(start).Round(time.Second))
}

// A typo in a key is one line naming it and its line; exit 2; no
// container is made.
func TestTypoInAKey(t *testing.T) {
	needImages(t, images.Traderunner)
	path := variant(t, "  health_check: make", "  helth_check: make")
	r := check(t, path, Options{})
	if r.ExitCode() != ExitProblems || len(r.Problems) != 1 {
		t.Fatalf("want exit 2 and one problem, got exit %d: %q", r.ExitCode(), lines(r.Problems))
	}
	want := fmt.Sprintf("line %d: commands.helth_check: unknown key: did you mean health_check?", lineOf(t, path, "helth_check"))
	if got := r.Problems[0].String(); !strings.HasPrefix(got, want) {
		t.Errorf("got %q, want it to start %q", got, want)
	}
}

// A command the image does not have is one line naming commands.<action>
// and its line, exit 2, and the throwaway container is gone.
func TestCommandMissingFromTheImage(t *testing.T) {
	needImages(t, images.Traderunner)
	for _, c := range []struct {
		from, to, key, says string
	}{
		{"health_check: make health-check", "health_check: make helth-check", "commands.health_check", "has no target helth-check"},
		{"stop: make stop", "stop: nosuchtool stop", "commands.stop", "runs nosuchtool, which is not in " + images.Traderunner},
		{"positions: cat artifacts", "positions: bin/positions artifacts", "commands.positions", "bin/positions, which does not exist in home"},
	} {
		t.Run(c.key, func(t *testing.T) {
			path := variant(t, c.from, c.to)
			r := check(t, path, Options{})
			if r.ExitCode() != ExitProblems || len(r.Problems) != 1 {
				t.Fatalf("want exit 2 and one problem, got exit %d: %q", r.ExitCode(), lines(r.Problems))
			}
			want := fmt.Sprintf("line %d: %s: ", lineOf(t, path, c.to), c.key)
			if got := r.Problems[0].String(); !strings.HasPrefix(got, want) || !strings.Contains(got, c.says) {
				t.Errorf("got %q, want %q ... %q", got, want, c.says)
			}
			var b strings.Builder
			r.Write(&b)
			if n := strings.Count(b.String(), "\n"); n != 1 {
				t.Errorf("printed %d lines, want 1: %q", n, b.String())
			}
		})
	}
}

// An image the engine does not have is one line naming image: and the fix.
func TestImageMissing(t *testing.T) {
	needImages(t)
	path := variant(t, "image: firedrill/traderunner:latest", "image: example/not-built-here:1.0")
	r := check(t, path, Options{})
	if r.ExitCode() != ExitProblems || len(r.Problems) != 1 {
		t.Fatalf("want exit 2 and one problem, got exit %d: %q", r.ExitCode(), lines(r.Problems))
	}
	got := r.Problems[0].String()
	if want := fmt.Sprintf("line %d: image: example/not-built-here:1.0 is not in the Docker engine: build it", lineOf(t, path, "image:")); !strings.HasPrefix(got, want) || !strings.Contains(got, "docker load") {
		t.Errorf("got %q, want %q ... docker load", got, want)
	}
}

// Static, as `firedrill run` calls it, passes the reference (its own
// sweep would report anything its container left as a problem).
func TestStaticOfTheReference(t *testing.T) {
	needImages(t, images.Traderunner)
	sys, err := system.Load(reference)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if ps := Static(t.Context(), sys); len(ps) > 0 {
		t.Fatalf("problems: %q", lines(ps))
	}
	t.Logf("Static took %s", time.Since(start).Round(10*time.Millisecond))
}

// An image without bash is one line naming image: firedrill runs every
// command with bash -c.
func TestImageWithoutBash(t *testing.T) {
	needImages(t, images.Broker) // FROM scratch
	path := variant(t, "image: firedrill/traderunner:latest", "image: "+images.Broker)
	r := check(t, path, Options{})
	if r.ExitCode() != ExitProblems || len(r.Problems) != 1 {
		t.Fatalf("want exit 2 and one problem, got exit %d: %q", r.ExitCode(), lines(r.Problems))
	}
	if got := r.Problems[0].String(); !strings.Contains(got, "image: "+images.Broker+" has no bash") {
		t.Errorf("got %q", got)
	}
}
