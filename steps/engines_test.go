package steps_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"firedrill/harness/enginetest"
	"firedrill/harness/runner"
	"firedrill/steps"
)

// TestEngines runs Q2 and Q4 spread over two Docker engines: this
// machine's and a second one the test starts (as root; skipped otherwise,
// with the reason). Every scenario must say where it ran, both engines
// must have run some, and nothing may be left on either.
func TestEngines(t *testing.T) {
	if err := dockerReachable(); err != nil {
		t.Fatalf("Docker is not reachable (%v): start the Docker engine, then 'make images'", err)
	}
	second := enginetest.StartWith(t, enginetest.Options{Routable: true})
	ctx := runContext(t)
	if d, ok := t.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, d.Add(-45*time.Second))
		defer cancel()
	}
	first := "unix:///var/run/docker.sock"
	if h := os.Getenv("DOCKER_HOST"); h != "" {
		first = h
	}
	hosts := []string{first, second.Host}
	// Everything on either engine before the run: afterwards there must be
	// nothing more, labelled or not (testcontainers-go makes networks of
	// its own where it is let).
	before := map[string][]string{}
	for _, h := range hosts {
		before[h] = objects(t, h)
	}
	out, err := runner.Run(ctx, runner.Options{
		Glue:        steps.Glue,
		Features:    []string{*feats},
		Tags:        "@q2,@q4",
		Profile:     *prof,
		SystemPath:  "../systems/reference.yml",
		PlanPath:    *plan,
		ReportsRoot: t.TempDir(),
		Concurrency: 2,
		Engines:     hosts,
		TestingT:    t,
		Output:      io.MultiWriter(os.Stdout),
		NoColor:     true,
	})
	if err != nil {
		t.Fatal(err)
	}
	ran := map[string]int{}
	for _, sc := range out.Run.Scenarios {
		if len(sc.Engines) == 0 {
			t.Errorf("scenario %q does not say which engine it ran on", sc.Name)
			continue
		}
		primary := sc.Engines[rolePrimary]
		if primary == "" {
			t.Errorf("scenario %q names no engine for its primary: %v", sc.Name, sc.Engines)
		}
		ran[primary]++
		t.Logf("%s: %v", sc.Name, sc.Engines)
	}
	for _, h := range hosts {
		if ran[h] == 0 {
			t.Errorf("no scenario ran on engine %s (placed: %v)", h, ran)
		}
	}
	for _, sc := range out.Run.Scenarios {
		if sc.Drill != "Q4" {
			continue
		}
		if sc.Engines[rolePrimary] == sc.Engines[roleBackupServer] {
			t.Errorf("Q4's primary and backup server ran on one engine: %v", sc.Engines)
		}
		// Each server reached the services across hosts, through a relay
		// beside it: none shared a network with them.
		if sc.Engines[roleRelay] != sc.Engines[rolePrimary] || sc.Engines[roleBackupRelay] != sc.Engines[roleBackupServer] {
			t.Errorf("Q4's servers had no relay beside them: %v", sc.Engines)
		}
		// The primary's local backups lived on its host, and went with it.
		if sc.Engines[roleMinIOLocal] != sc.Engines[rolePrimary] {
			t.Errorf("Q4's local repository was not on the primary's engine: %v", sc.Engines)
		}
	}
	for _, h := range hosts {
		if extra := added(before[h], objects(t, h)); len(extra) > 0 {
			t.Errorf("the run left on engine %s: %s", h, strings.Join(extra, ", "))
		}
	}
	left, err := runner.Leftovers(context.Background(), out.Run.RunID)
	if err != nil {
		t.Fatal(err)
	}
	if !left.Zero() {
		t.Fatalf("run %s left %s behind on its engines", out.Run.RunID, left)
	}
	for _, sc := range out.Run.Scenarios {
		if !strings.EqualFold(string(sc.Status), "passed") {
			t.Errorf("scenario %q %s: %v", sc.Name, sc.Status, sc.Failures)
		}
	}
}

// added is what after holds that before did not.
func added(before, after []string) []string {
	var out []string
	for _, a := range after {
		if !slices.Contains(before, a) {
			out = append(out, a)
		}
	}
	return out
}

// TestEngineLostMidRun stops the second engine while a scenario runs on
// it: that scenario must fail within a minute, saying which engine it
// lost; the scenarios on the other engine pass; the run ends and writes
// its reports.
func TestEngineLostMidRun(t *testing.T) {
	if err := dockerReachable(); err != nil {
		t.Fatalf("Docker is not reachable (%v): start the Docker engine, then 'make images'", err)
	}
	second := enginetest.Start(t)
	ctx := runContext(t)
	first := "unix:///var/run/docker.sock"
	if h := os.Getenv("DOCKER_HOST"); h != "" {
		first = h
	}
	killed := make(chan time.Time, 1)
	go func() {
		// Once a traderunner runs on the second engine, its engine stops
		// (SIGTERM to its dockerd, by pid).
		deadline := time.Now().Add(3 * time.Minute)
		for time.Now().Before(deadline) {
			all, _ := enginetest.Objects(second.Host)
			for _, o := range all {
				if strings.HasPrefix(o, "container ") && strings.HasSuffix(o, "-primary") {
					time.Sleep(2 * time.Second)
					_ = syscall.Kill(second.Pid, syscall.SIGTERM)
					killed <- time.Now()
					return
				}
			}
			time.Sleep(200 * time.Millisecond)
		}
		close(killed)
	}()
	out, err := runner.Run(ctx, runner.Options{
		Glue:        steps.Glue,
		Features:    []string{*feats},
		Tags:        "@q2",
		Profile:     *prof,
		SystemPath:  "../systems/reference.yml",
		PlanPath:    *plan,
		ReportsRoot: t.TempDir(),
		Concurrency: 2,
		Engines:     []string{first, second.Host},
		Output:      io.MultiWriter(os.Stdout),
		NoColor:     true,
	})
	if out == nil {
		t.Fatalf("the run wrote nothing: %v", err)
	}
	at, ok := <-killed
	if !ok {
		t.Fatal("no scenario started on the second engine: nothing was stopped")
	}
	for _, f := range []string{"results.json", "junit.xml", "summary.md"} {
		if _, err := os.Stat(filepath.Join(out.ReportDir, f)); err != nil {
			t.Errorf("the run did not write %s after losing an engine: %v", f, err)
		}
	}
	onSecond := 0
	for _, sc := range out.Run.Scenarios {
		if sc.Engines[rolePrimary] != second.Host {
			if sc.Status != "passed" {
				t.Errorf("scenario %q on the first engine %s: %v", sc.Name, sc.Status, sc.Failures)
			}
			continue
		}
		// A scenario may still be placed there until the loss is seen
		// (two missed pings, 2 s apart, or its first failed call).
		if sc.StartedAt.After(at.Add(15 * time.Second)) {
			t.Errorf("scenario %q was placed on the second engine %s after it stopped", sc.Name, sc.StartedAt.Sub(at).Round(100*time.Millisecond))
		}
		onSecond++
		if sc.Status != "failed" {
			t.Errorf("scenario %q on the lost engine %s, want failed", sc.Name, sc.Status)
		}
		if !strings.Contains(strings.Join(sc.Failures, "\n"), "engine "+second.Host+" stopped answering") {
			t.Errorf("scenario %q does not say it lost engine %s: %v", sc.Name, second.Host, sc.Failures)
		}
		if d := sc.EndedAt.Sub(at); d > time.Minute {
			t.Errorf("scenario %q ended %s after its engine stopped, want within a minute", sc.Name, d.Round(time.Second))
		}
		t.Logf("%q failed %s after its engine stopped: %v", sc.Name, sc.EndedAt.Sub(at).Round(100*time.Millisecond), sc.Failures)
	}
	if onSecond == 0 {
		t.Fatal("no scenario reports the second engine")
	}
}

// The roles of a stack's containers, as results.json names them.
const (
	rolePrimary      = "primary"
	roleBackupServer = "backup-server"
	roleRelay        = "relay"
	roleBackupRelay  = "backup-relay"
	roleMinIOLocal   = "minio-local"
)

// objects lists every container, network and volume on an engine.
func objects(t *testing.T, host string) []string {
	t.Helper()
	out, err := enginetest.Objects(host)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
