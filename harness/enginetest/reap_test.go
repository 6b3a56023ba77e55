package enginetest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestReapClearsADeadTestsEngine: the folder and DOCKER-USER rules of an
// engine whose test process died are cleared by the next Start; those of a
// live one are not.
func TestReapClearsADeadTestsEngine(t *testing.T) {
	Need(t)
	if err := exec.Command("iptables", "-w", "-n", "-L", "DOCKER-USER").Run(); err != nil {
		t.Skipf("no iptables chain DOCKER-USER here: %v", err)
	}
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	mk := func(owner int) *Engine {
		dir, err := os.MkdirTemp(tmpRoot, dirPrefix)
		if err != nil {
			t.Fatal(err)
		}
		e := &Engine{Dir: dir, Pool: "10.239.254.0/24"}
		// The rules first: another test's Start, beside this one, reaps a
		// folder as soon as its owner file names a dead process.
		if err := e.allowForwarding(); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(fmt.Sprintf("%d %s\n", owner, e.Pool)), 0o600); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = e.deleteRules(); _ = os.RemoveAll(dir) })
		return e
	}
	gone, live := mk(dead.Process.Pid), mk(os.Getpid())

	for _, err := range reap() {
		t.Logf("reap: %v (another test's Start may clear the same folder at once)", err)
	}
	if _, err := os.Stat(gone.Dir); !os.IsNotExist(err) {
		t.Errorf("the dead test's engine folder %s is still there: %v", gone.Dir, err)
	}
	if got := rulesOf(gone.Dir); len(got) != 0 {
		t.Errorf("the dead test's engine rules are still there: %v", got)
	}
	if _, err := os.Stat(live.Dir); err != nil {
		t.Errorf("the live test's engine folder went: %v", err)
	}
	if got := rulesOf(live.Dir); len(got) != 2 || strings.Join(got[0], " ") == "" {
		t.Errorf("want the live test's 2 rules kept, got %v", got)
	}
}
