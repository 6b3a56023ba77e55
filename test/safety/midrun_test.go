package safety

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"firedrill/harness/result"
)

// docker runs the docker command and returns its trimmed output.
func docker(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "docker", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("docker %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// containerOf finds the container of a role in one of this test's runs.
func containerOf(t *testing.T, runID, role string) string {
	t.Helper()
	id := docker(t, "ps", "-q", "--filter", "label=firedrill.run="+runID, "--filter", "label=firedrill.role="+role)
	if id == "" || strings.Contains(id, "\n") {
		t.Fatalf("run %s: want one %s container, got %q", runID, role, id)
	}
	return id
}

// release lets a scenario waiting at its "wait for the test" step go on.
func release(t *testing.T, runID string) {
	t.Helper()
	docker(t, "exec", containerOf(t, runID, "primary"), "touch", "/tmp/firedrill-test-go-on")
}

// waitForTest is a runbook step that waits (at most 60 s) until the test
// has done its damage and calls release.
const waitForTest = `    When the operator runs "wait for the test":
      """
      for i in $(seq 600); do test -e /tmp/firedrill-test-go-on && exit 0; sleep 0.1; done; exit 1
      """
`

const steadyBackground = `  Background:
` + deployPaper + `    And its state and data backups have reached MinIO
    And the drill measures the "Data corruption" row of the DR plan
`

func readResults(t *testing.T, dir string) result.Run {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r result.Run
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestMinIOUnreachableMidDrill: MinIO paused (it accepts connections and
// never answers) after the steady state. firedrill's own MinIO calls end
// at their timeout and the scenario fails naming MinIO, instead of
// waiting for ever; then MinIO killed outright fails at once.
func TestMinIOUnreachableMidDrill(t *testing.T) {
	needDocker(t)
	t.Parallel()
	feats := features(t, map[string]string{"minio.feature": "Feature: MinIO goes away\n" + steadyBackground + `
  Scenario: MinIO stops answering
` + waitForTest + `    Then MinIO holds the backup buckets
`})
	for _, c := range []struct {
		how      []string
		within   time.Duration
		mentions string
	}{
		{[]string{"pause"}, 90 * time.Second, "timeout awaiting response headers"},
		{[]string{"kill"}, 60 * time.Second, "reach minio at 9000/tcp: its container is exited"},
	} {
		t.Run(c.how[0], func(t *testing.T) {
			run := start(t, root, nil, firedrill(t), "run", "--features", feats, "--reports", t.TempDir())
			run.waitFor("steady state", runFor)
			docker(t, append(c.how, containerOf(t, run.runID(), "minio"))...)
			release(t, run.runID())
			began := time.Now()
			if code := run.wait(c.within); code != 1 {
				t.Fatalf("exit %d, want 1 (the drill failed)", code)
			}
			t.Logf("ended %s after MinIO went away", time.Since(began).Round(time.Second))
			out := run.output()
			if !strings.Contains(out, c.mentions) {
				t.Fatalf("the failure does not say MinIO stopped answering (%q)", c.mentions)
			}
			if l := leftovers(t, run.runID()); !l.Zero() {
				t.Fatalf("run %s left %s", run.runID(), l)
			}
		})
	}
}

// TestCorruptedResticRepository: the primary restic repository is damaged
// (its config object replaced by a key file) before the data is lost. The
// plan's restore fails as written; the drill records restic's reason as a
// finding and falls back, as the corrected step says, to the off-site
// (cloud) repository; the recovery is verified. The plan's step runs as
// the plan (docs/dr-plan.md, scenario 2 step 2) writes it.
func TestCorruptedResticRepository(t *testing.T) {
	needDocker(t)
	t.Parallel()
	feats := features(t, map[string]string{"restic.feature": "Feature: the backup repository is damaged\n" + steadyBackground + `
  Scenario: restore while the primary repository is damaged
` + waitForTest + `    When the "artifacts/data_m5" directory is deleted
    Then the failure shows: "make data:validate" fails
    When the operator runs step 2 of scenario 2 in the plan, "Option A: Restore from backup"
    And where that step failed, the operator runs the corrected step "restore from the off-site repository", written for plan commands 261541a3:
      """
      rm -rf /tmp/restore
      restic -r s3:s3.amazonaws.com/traderunner-backup restore latest --tag data --target /tmp/restore --include /home/mirko/data/workspace/droid/traderunner/artifacts/data_m5
      cp -a /tmp/restore/home/mirko/data/workspace/droid/traderunner/artifacts/data_m5 artifacts/
      """
    Then the recovery is verified by "make data:validate"
`})
	reports := t.TempDir()
	run := start(t, root, nil, firedrill(t), "run", "--features", feats, "--reports", reports)
	run.waitFor("steady state", runFor)
	// Replace the repository's config with a key file: restic's first read
	// of any command fails, and says the repository is damaged.
	minio := containerOf(t, run.runID(), "minio")
	tmp := t.TempDir()
	docker(t, "cp", minio+":/data/traderunner-backup/keys", tmp)
	keys, err := filepath.Glob(filepath.Join(tmp, "keys", "*", "xl.meta"))
	if err != nil || len(keys) == 0 {
		t.Fatalf("no restic key object in MinIO's data: %v", err)
	}
	docker(t, "cp", keys[0], minio+":/data/traderunner-backup/config/xl.meta")
	release(t, run.runID())
	if code := run.wait(runFor); code != 0 {
		t.Fatalf("exit %d, want 0: the fallback to the off-site repository should recover", code)
	}
	r := readResults(t, filepath.Join(reports, run.runID()))
	if len(r.Scenarios) != 1 || len(r.Scenarios[0].Findings) != 1 {
		t.Fatalf("want one scenario with one finding, got %+v", r.Scenarios)
	}
	f := r.Scenarios[0].Findings[0]
	if !strings.Contains(f.Output, "is damaged") || !strings.Contains(f.Resolution, "restore from the off-site repository") {
		t.Fatalf("the finding does not say why the restore failed and how the drill went on: %+v", f)
	}
	if l := leftovers(t, run.runID()); !l.Zero() {
		t.Fatalf("run %s left %s", run.runID(), l)
	}
}

// TestReportFolderLostMidRun: the run's report folder cannot be written
// when the run ends (here it was replaced by a file; a full disk does the
// same). The results kept in memory are still printed, the run says what
// it could not write and exits 2, and nothing is left running.
func TestReportFolderLostMidRun(t *testing.T) {
	needDocker(t)
	t.Parallel()
	feats := features(t, map[string]string{"ok.feature": "Feature: ok\n  Scenario: the stack is healthy\n" + deployPaper +
		"    Then the health check shows \"Mode: PAPER\"\n"})
	reports := t.TempDir()
	run := start(t, root, nil, firedrill(t), "run", "--features", feats, "--reports", reports)
	run.waitFor("starting stack", runFor)
	dir := filepath.Join(reports, run.runID())
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir, []byte("not a folder"), 0o644); err != nil {
		t.Fatal(err)
	}
	code := run.wait(runFor)
	out := run.output()
	if code != 2 {
		t.Errorf("exit %d, want 2 (the harness could not write its reports)", code)
	}
	for _, w := range []string{"the stack is healthy", "passed", "write " + filepath.Join(dir, "results.json"), "1 of 1 scenarios passed"} {
		if !strings.Contains(out, w) {
			t.Errorf("the output lacks %q", w)
		}
	}
	if l := leftovers(t, run.runID()); !l.Zero() {
		t.Fatalf("run %s left %s", run.runID(), l)
	}
}

// TestDiskFullKeepsResults: the disk that holds the reports fills up
// during the run (a 256 KiB tmpfs, filled once the stack starts). The
// results kept in memory are still printed, the run names the write that
// failed and exits 2, and nothing is left running. Mounting needs root,
// as CI has.
func TestDiskFullKeepsResults(t *testing.T) {
	needDocker(t)
	t.Parallel()
	reports := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", reports).CombinedOutput(); err != nil {
		msg := fmt.Sprintf("mount a small tmpfs (needs root): %v: %s", err, out)
		if os.Geteuid() == 0 {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", reports).Run() })
	feats := features(t, map[string]string{"ok.feature": "Feature: ok\n  Scenario: the stack is healthy\n" + deployPaper +
		"    Then the health check shows \"Mode: PAPER\"\n"})
	run := start(t, root, nil, firedrill(t), "run", "--features", feats, "--reports", reports)
	run.waitFor("starting stack", runFor)
	// Fill the disk: the write ends with "no space left on device".
	if out, err := exec.Command("dd", "if=/dev/zero", "of="+filepath.Join(reports, "filler"), "bs=4k").CombinedOutput(); err == nil ||
		!strings.Contains(string(out), "No space left") {
		t.Fatalf("filling the tmpfs: %v: %s", err, out)
	}
	code := run.wait(runFor)
	out := run.output()
	if code != 2 {
		t.Errorf("exit %d, want 2 (the harness could not write its reports)", code)
	}
	for _, w := range []string{"the stack is healthy", "no space left on device", "1 of 1 scenarios passed"} {
		if !strings.Contains(out, w) {
			t.Errorf("the output lacks %q", w)
		}
	}
	if l := leftovers(t, run.runID()); !l.Zero() {
		t.Fatalf("run %s left %s", run.runID(), l)
	}
}
