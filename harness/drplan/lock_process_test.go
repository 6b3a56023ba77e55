//go:build unix

package drplan

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Environment of one updater process of TestUpdatesFromSeveralProcesses.
const (
	envPlan   = "FIREDRILL_DRPLAN_UPDATER_PLAN"
	envRow    = "FIREDRILL_DRPLAN_UPDATER_ROW"
	envRounds = "FIREDRILL_DRPLAN_UPDATER_ROUNDS"
)

// TestUpdaterProcess is one updater when the test binary runs itself as
// a child; otherwise it does nothing.
func TestUpdaterProcess(t *testing.T) {
	path := os.Getenv(envPlan)
	if path == "" {
		t.Skip("runs only as a child of TestUpdatesFromSeveralProcesses")
	}
	row, _ := strconv.Atoi(os.Getenv(envRow))
	rounds, _ := strconv.Atoi(os.Getenv(envRounds))
	// Widen the window between reading the plan and replacing it.
	beforeRename = func(string) error { <-time.After(5 * time.Millisecond); return nil }
	for i := 1; i <= rounds; i++ {
		a := map[string]Actual{fmt.Sprintf("row %d", row): {RTO: time.Duration(i) * time.Second, RPO: time.Duration(row+1) * time.Second, RunID: runID}}
		if err := Update(context.Background(), path, a, LastTested(time.Date(2026, 11, 27, 10, 0, i, 0, time.UTC), runID, "quarterly"), Options{LockTimeout: time.Minute}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestUpdatesFromSeveralProcesses: runs in separate processes update the
// same plan at once, many times; the flock makes each read-rewrite-rename
// whole, so no process loses another's row, the file is never a mix, and
// no temporary or lock file is left beside it.
func TestUpdatesFromSeveralProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "dr-plan.md")
	var b strings.Builder
	b.WriteString("# Plan\r\n\r\n**RTO/RPO Summary:**\r\n\r\n| Scenario | RTO Target | Actual | RPO Target | Actual |\r\n|---|---|---|---|---|\r\n")
	const procs, rounds = 4, 15
	for i := range procs {
		fmt.Fprintf(&b, "| Row %d | 5 min | - | 1 min | - |\r\n", i)
	}
	b.WriteString("\r\n**Last Tested:** TBD\r\n\r\nNotes a person wrote stay as they are.")
	if err := os.WriteFile(path, []byte(b.String()), 0o640); err != nil {
		t.Fatal(err)
	}
	cmds := make([]*exec.Cmd, procs)
	outs := make([]*bytes.Buffer, procs)
	for i := range procs {
		cmds[i] = exec.Command(os.Args[0], "-test.run", "^TestUpdaterProcess$", "-test.count", "1")
		cmds[i].Env = append(os.Environ(), envPlan+"="+path, envRow+"="+strconv.Itoa(i), envRounds+"="+strconv.Itoa(rounds))
		outs[i] = &bytes.Buffer{}
		cmds[i].Stdout, cmds[i].Stderr = outs[i], outs[i]
		if err := cmds[i].Start(); err != nil {
			t.Fatal(err)
		}
	}
	for i, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Fatalf("updater %d: %v\n%s", i, err, outs[i])
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseBytes(path, got); err != nil {
		t.Fatalf("the plan no longer parses: %v\n%s", err, got)
	}
	for i := range procs {
		want := fmt.Sprintf("| Row %d | 5 min | %d s | 1 min | %d s |\r\n", i, rounds, i+1)
		if !bytes.Contains(got, []byte(want)) {
			t.Errorf("row %d lost its last update; plan is\n%s", i, got)
		}
	}
	if !bytes.HasSuffix(got, []byte("\r\n\r\nNotes a person wrote stay as they are.")) || bytes.Count(got, []byte("\r\n")) != bytes.Count([]byte(b.String()), []byte("\r\n")) {
		t.Errorf("bytes outside the Actual cells changed:\n%q", got)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o640 {
		t.Errorf("the plan's mode changed: %v %v", fi.Mode(), err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("files beside the plan after the updates: %s", strings.Join(names, " "))
	}
}
