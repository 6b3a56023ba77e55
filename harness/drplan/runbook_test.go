package drplan

import (
	"strings"
	"testing"
)

func teamRunbook(t *testing.T) Runbook {
	t.Helper()
	p, err := Parse("testdata/audit/team-plan.md")
	if err != nil {
		t.Fatal(err)
	}
	return p.Runbook()
}

func TestRunbookReadsTheTeamsProcedures(t *testing.T) {
	rb := teamRunbook(t)
	if got := rb.Procedures(); len(got) != 4 {
		t.Fatalf("procedures %v, want scenarios 1-4", got)
	}
	want := map[int]int{1: 5, 2: 4, 3: 6, 4: 7}
	for proc, n := range want {
		if got := len(rb.Procedure(proc)); got != n {
			t.Errorf("scenario %d: %d steps, want %d", proc, got, n)
		}
	}
	s, ok := rb.Step(2, 2)
	if !ok || s.Title != "Option A: Restore from backup" || s.Line != 131 {
		t.Fatalf("scenario 2 step 2 = %+v", s)
	}
	cmds := s.Commands()
	if len(cmds) != 2 || !strings.HasPrefix(cmds[0], "restic -r /backup/traderunner restore latest --target /tmp/restore --path ") || cmds[1] != "cp -r /tmp/restore/data/* data/" {
		t.Fatalf("continuation lines not joined into one command: %q", cmds)
	}
}

func TestRunbookTellsOperatorLinesFromCommands(t *testing.T) {
	rb := teamRunbook(t)
	broker, _ := rb.Step(3, 1)
	if len(broker.Commands()) != 0 || len(broker.OperatorLines()) != 2 {
		t.Errorf("scenario 3 step 1 (log into the broker) = %+v, want two operator lines and no command", broker.Lines)
	}
	restore, _ := rb.Step(3, 3)
	ops := restore.OperatorLines()
	if len(ops) != 1 || len(ops[0].Placeholders) != 1 || ops[0].Placeholders[0] != "<snapshot-id>" {
		t.Errorf("the restore of <snapshot-id> is an operator line: %+v", restore.Lines)
	}
	clone, _ := rb.Step(4, 1)
	if ops := clone.OperatorLines(); len(ops) != 1 || ops[0].Text != "ssh backup-server" {
		t.Errorf("ssh backup-server is an operator hop: %+v", clone.Lines)
	}
	rollback, ok := rb.Section("config rollback")
	if !ok || rollback.Script() != "git log configs/risk.yml\ngit checkout HEAD~1 -- configs/risk.yml" {
		t.Errorf("section Config Rollback = %+v", rollback)
	}
}

func TestFingerprintIgnoresSpacingNotCommands(t *testing.T) {
	a := Fingerprint("make  data:validate\n\n")
	if a != Fingerprint("make data:validate") {
		t.Error("spacing changed the fingerprint")
	}
	if a == Fingerprint("make data:validate --all") {
		t.Error("a changed command kept its fingerprint")
	}
}
