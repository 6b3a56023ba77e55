package drplan

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

var teamFixes = []Fix{
	{Procedure: 2, Step: 2, Title: "Option A: Restore from backup", Fingerprint: "261541a3",
		Commands: "# newest data snapshot first\nfor id in $(restic -r /backup/traderunner snapshots --tag data --compact | tac); do\n  restic -r /backup/traderunner restore \"$id\" --target /tmp/restore || continue\ndone",
		Note:     "Corrected by firedrill: as written this step failed in drill Q1 (run R1)."},
	{Procedure: 1, Step: 3, Title: "Restore from stable tag", Fingerprint: "b25d5957",
		Commands: "git checkout HEAD -- <file>", Note: "Corrected by firedrill: drill Q2 (run R1)."},
	{Procedure: 1, Step: 4, Title: "Verify", Fingerprint: "ceee0d63",
		Commands: "make test\nTR_MODE=paper make start\nmake health-check", Note: "Corrected by firedrill: drill Q2 (run R1)."},
}

// TestProposeFixTouchesOnlyTheRunbook: the patch replaces the failing
// steps' commands and adds a comment; the numbered titles, every other line
// of the plan and the table stay, and the patched plan reads the corrected
// commands as the steps' own.
func TestProposeFixTouchesOnlyTheRunbook(t *testing.T) {
	src, err := os.ReadFile("testdata/audit/team-plan.md")
	if err != nil {
		t.Fatal(err)
	}
	out, diff, err := ProposeFix("docs/dr-plan.md", src, teamFixes)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(diff, "\n") {
		if strings.HasPrefix(l, "-") && !strings.HasPrefix(l, "---") {
			if t2 := strings.TrimSpace(l[1:]); strings.HasPrefix(t2, "#") || strings.HasPrefix(t2, "|") {
				t.Errorf("the patch removes a comment or a table line: %q", l)
			}
		}
	}
	p, err := ParseBytes("patched", out)
	if err != nil {
		t.Fatal(err)
	}
	rb := p.Runbook()
	for _, f := range teamFixes {
		s, err := rb.Resolve(StepRef{f.Procedure, f.Step, f.Title})
		if err != nil {
			t.Fatalf("after the patch: %v", err)
		}
		if !s.Corrects(f.Commands) {
			t.Errorf("scenario %d step %d reads %q after the patch, want the corrected commands", f.Procedure, f.Step, s.Script())
		}
	}
	if len(rb.Steps) != len(teamRunbook(t).Steps) {
		t.Errorf("the patch changed the number of steps: %d, was %d", len(rb.Steps), len(teamRunbook(t).Steps))
	}
	// The diff applies with patch(1) and gives the same bytes.
	if _, err := exec.LookPath("patch"); err == nil {
		dir := t.TempDir()
		if err := os.MkdirAll(filepath.Join(dir, "docs"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "docs/dr-plan.md"), src, 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("patch", "-p1", "--quiet")
		cmd.Dir, cmd.Stdin = dir, strings.NewReader(diff)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("patch -p1: %v: %s\n%s", err, b, diff)
		}
		got, _ := os.ReadFile(filepath.Join(dir, "docs/dr-plan.md"))
		if string(got) != string(out) {
			t.Errorf("patch(1) of the diff differs from the patched plan")
		}
	}
	// A second proposal on the patched plan changes nothing.
	if _, again, err := ProposeFix("docs/dr-plan.md", out, teamFixes); err != nil || again != "" {
		t.Errorf("a patched plan still gets a patch (err %v):\n%s", err, again)
	}
}

// TestApplyFixRefusesAChangedStep: a fix written for commands the plan no
// longer has leaves the plan as it was.
func TestApplyFixRefusesAChangedStep(t *testing.T) {
	src, err := os.ReadFile("testdata/audit/team-plan.md")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "dr-plan.md")
	changed := strings.Replace(string(src), "cp -r /tmp/restore/data/* data/", "cp -a /tmp/restore/data/. data/", 1)
	if err := os.WriteFile(path, []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = ApplyFix(context.Background(), path, teamFixes[:1])
	if err == nil || !strings.Contains(err.Error(), "changed since the run") {
		t.Fatalf("err = %v, want the step named as changed since the run", err)
	}
	if b, _ := os.ReadFile(path); string(b) != changed {
		t.Error("the plan was rewritten although the fix was refused")
	}
}
