package fault

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// TestDeleteDirWhileTheSystemWrites: the system keeps writing while the
// fault saves its undo copy (the stand-in writes each file through a
// temporary one it renames); a temporary file vanishing mid-copy must not
// fail the injection. Without the retry, cp fails about one time in three.
func TestDeleteDirWhileTheSystemWrites(t *testing.T) {
	sh, dir := setup(t)
	for i := range 50 {
		if err := os.WriteFile(filepath.Join(dir, "data", fmt.Sprintf("f%d", i)), make([]byte, 2000), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writeWhile(t, dir, `while :; do f=data/.MANIFEST.$RANDOM.tmp; echo x > $f 2>/dev/null; mv $f data/MANIFEST 2>/dev/null; done`)
	for i := range 30 {
		f := fileFault{sh: sh, path: "data", name: "copy data", script: "true"}
		if _, err := f.Inject(context.Background()); err != nil {
			t.Fatalf("injection %d failed while the system writes: %v", i, err)
		}
	}
	// A real copy error still fails the fault, with cp's message.
	f := fileFault{sh: sh, path: "data", name: "copy data", script: "true"}
	if err := os.Chmod(filepath.Join(dir, "data", "f1"), 0); err == nil && os.Geteuid() != 0 {
		if _, err := f.Inject(context.Background()); err == nil {
			t.Fatal("an unreadable file did not fail the undo copy")
		}
	}
}

// TestDeleteDirWhileTheSystemWritesIntoIt: the system creates files in the
// folder while it is deleted (a temporary file it renames, as the stand-in's
// ingest does); a file created after rm listed the folder must not fail the
// fault ("Directory not empty"), and the folder must be gone when it ends.
// Without the retry, rm fails within a few tries here.
func TestDeleteDirWhileTheSystemWritesIntoIt(t *testing.T) {
	sh, dir := setup(t)
	data := filepath.Join(dir, "data")
	fill := func() {
		if err := os.MkdirAll(data, 0o755); err != nil {
			t.Fatal(err)
		}
		for i := range 50 {
			if err := os.WriteFile(filepath.Join(data, fmt.Sprintf("f%d", i)), make([]byte, 100), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	writeWhile(t, dir, `while :; do f=data/.bar.$RANDOM.tmp; echo x > $f 2>/dev/null && mv $f data/bar.$RANDOM 2>/dev/null; done`)
	for i := range 5 {
		fill()
		if _, err := DeleteDir(sh, "data").Inject(context.Background()); err != nil {
			t.Fatalf("deletion %d failed while the system writes into the folder: %v", i, err)
		}
		if _, err := os.Stat(data); !os.IsNotExist(err) {
			t.Fatalf("deletion %d left %s behind (%v)", i, data, err)
		}
	}
}

// writeWhile runs a writer (a bash loop) in dir until the test ends. The
// writer's own children (an echo, a mv) would outlive a kill of bash alone
// and write into the folder while the test removes it: the whole process
// group goes.
func writeWhile(t *testing.T, dir, script string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	churn := exec.CommandContext(ctx, "bash", "-c", script)
	churn.Dir = dir
	churn.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	churn.Cancel = func() error { return syscall.Kill(-churn.Process.Pid, syscall.SIGKILL) }
	if err := churn.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); _ = churn.Wait() })
}
