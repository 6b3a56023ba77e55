package drplan

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

const day = 24 * time.Hour

// auditFile audits the plan at path.
func auditFile(t *testing.T, path string) AuditReport {
	t.Helper()
	p, err := Parse(path)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Audit(p)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// auditText audits a plan held in memory.
func auditText(t *testing.T, plan string) AuditReport {
	t.Helper()
	p, err := ParseBytes("plan.md", []byte(plan))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Audit(p)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

type wantFinding struct {
	row        string
	rowLine    int
	verdict    AuditVerdict
	backupLine int           // 0: no backup
	cadence    int           // the cadence's line
	worst      time.Duration // -1: unknown
	margin     time.Duration
	committed  bool
	also       []int
	notes      int
	line       string // the finding as printed
}

func checkFindings(t *testing.T, rep AuditReport, want []wantFinding) {
	t.Helper()
	t.Logf("%s:\n%s", rep.Plan, printed(rep))
	if len(rep.Findings) != len(want) {
		t.Fatalf("%d findings, want %d:\n%s", len(rep.Findings), len(want), printed(rep))
	}
	for i, w := range want {
		f := rep.Findings[i]
		t.Run(w.row, func(t *testing.T) {
			if f.Row != w.row || f.RowLine != w.rowLine {
				t.Errorf("row %q line %d, want %q line %d", f.Row, f.RowLine, w.row, w.rowLine)
			}
			if f.Verdict != w.verdict {
				t.Errorf("verdict %s, want %s: %s", f.Verdict, w.verdict, f)
			}
			switch {
			case w.backupLine == 0 && f.Backup != nil:
				t.Errorf("backup at line %d, want none", f.Backup.Line)
			case w.backupLine != 0 && f.Backup == nil:
				t.Errorf("no backup, want line %d", w.backupLine)
			case w.backupLine != 0 && (f.Backup.Line != w.backupLine || f.Backup.Cadence.Line != w.cadence):
				t.Errorf("backup line %d cadence line %d, want %d and %d", f.Backup.Line, f.Backup.Cadence.Line, w.backupLine, w.cadence)
			}
			if w.worst < 0 {
				if f.WorstCaseKnown {
					t.Errorf("worst case %s, want unknown", f.WorstCase)
				}
			} else if !f.WorstCaseKnown || f.WorstCase != w.worst || f.Margin != w.margin {
				t.Errorf("worst case %s (known %v) margin %s, want %s margin %s", f.WorstCase, f.WorstCaseKnown, f.Margin, w.worst, w.margin)
			}
			if f.CommittedOnly != w.committed {
				t.Errorf("committed only %v, want %v", f.CommittedOnly, w.committed)
			}
			var also []int
			for _, a := range f.Also {
				also = append(also, a.Line)
			}
			if fmt.Sprint(also) != fmt.Sprint(w.also) {
				t.Errorf("also lines %v, want %v", also, w.also)
			}
			if len(f.Notes) != w.notes {
				t.Errorf("notes %q, want %d", f.Notes, w.notes)
			}
			if w.line != "" && f.String() != w.line {
				t.Errorf("printed\n  %s\nwant\n  %s", f, w.line)
			}
		})
	}
}

func printed(rep AuditReport) string {
	var b strings.Builder
	for _, f := range rep.Findings {
		b.WriteString(f.String() + "\n")
	}
	return b.String()
}

// TestAuditTeamPlan: the team's plan, as it is, cannot keep its 5 min RPO
// for data corruption (daily backup) or a lost server (the only off-site
// copy is optional and daily); it keeps the 1 min RPO of a live failure
// (state copied every 60 s) and, for committed changes, the 0 min of code
// corruption.
func TestAuditTeamPlan(t *testing.T) {
	rep := auditFile(t, "testdata/audit/team-plan.md")
	checkFindings(t, rep, []wantFinding{
		{row: "Code corruption", rowLine: 350, verdict: PromiseKept, backupLine: 51, cadence: 51, worst: 0, margin: 0, committed: true, also: []int{17, 29},
			line: `RPO of "Code corruption" (line 350: 0 min) is kept for committed changes: its git backup "git push origin main" (line 51; also line 17 "Git + hourly snapshots", line 29 "Git") keeps every commit: nothing committed is lost; uncommitted work is not covered`},
		{row: "Data corruption", rowLine: 351, verdict: PromiseBroken, backupLine: 64, cadence: 64, worst: day, margin: 5*time.Minute - day, also: []int{23},
			line: `RPO of "Data corruption" (line 351: 5 min) cannot be kept: its data backup "Daily backup (via cron)" (line 64; also line 23 "Daily to restic") is daily: up to 24 h lost`},
		{row: "Live system failure", rowLine: 352, verdict: PromiseKept, backupLine: 76, cadence: 79, worst: time.Minute, margin: 0,
			line: `RPO of "Live system failure" (line 352: 1 min) is kept: its state backup "Real-time state backup (every minute during live trading)" (line 76) runs every 60 s (line 79): up to 60 s lost, margin 0 s`},
		{row: "Complete server failure", rowLine: 353, verdict: PromiseBroken, backupLine: 70, cadence: 64, worst: day, margin: 5*time.Minute - day, notes: 1,
			line: `RPO of "Complete server failure" (line 353: 5 min) cannot be kept: its off-site backup "Cloud backup (optional)" (line 70) is optional and daily (line 64): up to 24 h lost if it is set up, and no off-site copy at all if it is not; line 41 ("Real-time to separate disk + cloud") promises more than any backup the plan shows how to take`},
	})
	if got := len(rep.Broken()); got != 2 {
		t.Errorf("%d broken, want 2", got)
	}
	if d, ok := rep.WorstCase("complete server FAILURE"); !ok || d != day {
		t.Errorf("WorstCase(Complete server failure) = %s, %v; want 24 h", d, ok)
	}
	if b := rep.Findings[3].Backup; !b.Optional || !b.OffSite || b.Git {
		t.Errorf("cloud backup: optional %v off site %v git %v", b.Optional, b.OffSite, b.Git)
	}
}

// TestAuditNamedIntervals: a plan (docs/dr-plan.md as it was) that names
// its cadences (TR_*_INTERVAL) and states only the state backup's (60 s).
func TestAuditNamedIntervals(t *testing.T) {
	rep := auditFile(t, "testdata/audit/named-intervals.md")
	checkFindings(t, rep, []wantFinding{
		{row: "Code corruption", rowLine: 72, verdict: PromiseKept, backupLine: 20, cadence: 20, worst: 0, margin: 0, committed: true, also: []int{19},
			line: `RPO of "Code corruption" (line 72: 0 min) is kept for committed changes: its git backup of "Strategy code" (line 20; also line 19 "Configuration") keeps every commit: nothing committed is lost; uncommitted work is not covered`},
		{row: "Data corruption", rowLine: 73, verdict: PromiseUnknown, backupLine: 21, cadence: 21, worst: -1,
			line: `RPO of "Data corruption" (line 73: 5 min) is unknown: its data backup of "Market data" (line 21) runs every TR_DATA_BACKUP_INTERVAL: cadence not stated in the plan`},
		{row: "Live system failure", rowLine: 74, verdict: PromiseKept, backupLine: 22, cadence: 22, worst: time.Minute, margin: 0,
			line: `RPO of "Live system failure" (line 74: 1 min) is kept: its state backup of "Trading state" (line 22) runs every 60 s: up to 60 s lost, margin 0 s`},
		{row: "Complete server failure", rowLine: 75, verdict: PromiseUnknown, backupLine: 23, cadence: 23, worst: -1,
			line: `RPO of "Complete server failure" (line 75: 5 min) is unknown: its off-site backup of "Everything above, off site" (line 23) runs every TR_CLOUD_BACKUP_INTERVAL: cadence not stated in the plan`},
	})
	if len(rep.Broken()) != 0 {
		t.Errorf("broken: %v", rep.Broken())
	}
}

// TestAuditRepositoryPlan: docs/dr-plan.md states its data and cloud
// backups daily: the 5 min RPO targets of both rows cannot be kept.
func TestAuditRepositoryPlan(t *testing.T) {
	rep := auditFile(t, "../../docs/dr-plan.md")
	var broken []string
	for _, f := range rep.Broken() {
		broken = append(broken, f.Row)
	}
	if got := strings.Join(broken, ", "); got != "Data corruption, Complete server failure" {
		t.Errorf("broken promises of docs/dr-plan.md: %q, want Data corruption and Complete server failure", got)
	}
}

// cadencePlan is a plan whose one row is backed by the code block body
// under "## Backups".
func cadencePlan(row, rpo, body string) string {
	return "# Plan\n\n## Backups\n\n```bash\n" + body + "\n```\n\n" +
		"**RTO/RPO Summary:**\n\n| Scenario | RTO Target | Actual | RPO Target | Actual |\n|---|---|---|---|---|\n" +
		"| " + row + " | 10 min | - | " + rpo + " | - |\n"
}

// TestAuditCadences: each way a plan states a cadence, and the verdict it
// gives a target.
func TestAuditCadences(t *testing.T) {
	const unknown = time.Duration(-1)
	cases := []struct {
		name    string
		row     string
		rpo     string
		body    string
		every   time.Duration // -1: unknown
		verdict AuditVerdict
		notes   int
	}{
		{"every minute", "Data corruption", "1 min", "# data backup, every minute\nrestic backup data/", time.Minute, PromiseKept, 0},
		{"every 60 s", "Data corruption", "30 s", "# data backup every 60 s\nrestic backup data/", time.Minute, PromiseBroken, 0},
		{"every 5 minutes", "Data corruption", "5 min", "# data backup every 5 minutes\nrestic backup data/", 5 * time.Minute, PromiseKept, 0},
		{"every 2 weeks", "Data corruption", "1 h", "# data backup every 2 weeks\nrestic backup data/", 14 * day, PromiseBroken, 0},
		{"sleep in a loop", "Live system failure", "1 min", "# state copy\nwhile true; do\n  cp state/*.json /backup/state/\n  sleep 60\ndone", time.Minute, PromiseKept, 0},
		{"sleep with a unit", "Live system failure", "1 min", "# state copy\nwhile true; do\n  cp state/*.json /backup/state/\n  sleep 2m\ndone", 2 * time.Minute, PromiseBroken, 0},
		{"sleep outside a loop", "Live system failure", "1 min", "# state copy\ncp state/*.json /backup/state/\nsleep 60", unknown, PromiseUnknown, 0},
		{"words and loop disagree", "Live system failure", "1 min", "# state backup every minute\nwhile true; do\n  cp state/*.json /backup/state/\n  sleep 300\ndone", 5 * time.Minute, PromiseBroken, 1},
		{"hourly", "Data corruption", "1 h", "# Hourly data backup\nrestic backup data/", time.Hour, PromiseKept, 0},
		{"daily", "Data corruption", "5 min", "# Daily data backup\nrestic backup data/", day, PromiseBroken, 0},
		{"nightly", "Data corruption", "1 d", "# nightly data backup\nrsync -a data/ /mnt/backup/", day, PromiseKept, 0},
		{"weekly", "Data corruption", "1 d", "# Weekly data backup\nrestic backup data/", 7 * day, PromiseBroken, 0},
		{"via cron without schedule", "Data corruption", "5 min", "# data backup (via cron)\nrestic backup data/", unknown, PromiseUnknown, 0},
		{"cron every 5 min", "Data corruption", "5 min", "# data backup (via cron)\n*/5 * * * * restic backup data/", 5 * time.Minute, PromiseKept, 0},
		{"cron in the comment", "Data corruption", "5 min", "# data backup (via cron: `0 2 * * *`)\nrestic backup data/", day, PromiseBroken, 0},
		{"cron on weekdays", "Data corruption", "1 d", "# data backup (via cron)\n0 2 * * 1-5 restic backup data/", 3 * day, PromiseBroken, 0},
		{"cron twice an hour", "Data corruption", "30 min", "# data backup\n0,30 * * * * restic backup data/", 30 * time.Minute, PromiseKept, 0},
		{"cron macro", "Data corruption", "1 h", "# data backup (via cron)\n@hourly restic backup data/", time.Hour, PromiseKept, 0},
		{"cron beats the words", "Data corruption", "5 min", "# hourly data backup (via cron)\n*/5 * * * * restic backup data/", 5 * time.Minute, PromiseKept, 1},
		{"optional", "Data corruption", "1 d", "# Daily data backup (optional)\nrestic backup data/", day, PromiseBroken, 0},
		{"no cadence", "Data corruption", "5 min", "# data backup\nrestic backup data/", unknown, PromiseUnknown, 0},
		{"named cadence", "Data corruption", "5 min", "# data backup every `BACKUP_INTERVAL`\nrestic backup data/", unknown, PromiseUnknown, 0},
		{"named cadence stated", "Data corruption", "5 min", "BACKUP_INTERVAL=300s\n\n# data backup every $BACKUP_INTERVAL\nrestic backup data/", 5 * time.Minute, PromiseKept, 0},
		{"restic init is no backup", "Data corruption", "5 min", "# Initialize backup repository (one-time)\nrestic -r /backup/repo init", unknown, PromiseNotAudited, 0},
		{"inherits its section's cadence", "Complete server failure", "1 d",
			"# Daily data backup (via cron)\nrestic -r /backup/repo backup data/\n\n# Off-site copy\nrestic -r s3:s3.example.com/b backup data/", day, PromiseKept, 0},
		{"git push", "Code corruption", "0 min", "# Automatic via GitHub\ngit push origin main", 0, PromiseKept, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rep := auditText(t, cadencePlan(c.row, c.rpo, c.body))
			f := rep.Findings[0]
			t.Log(f)
			if f.Verdict != c.verdict {
				t.Errorf("verdict %s, want %s: %s", f.Verdict, c.verdict, f)
			}
			if len(f.Notes) != c.notes {
				t.Errorf("notes %q, want %d", f.Notes, c.notes)
			}
			if c.verdict == PromiseNotAudited {
				return
			}
			if f.Backup == nil {
				t.Fatalf("no backup: %s", f)
			}
			cad := f.Backup.Cadence
			switch {
			case c.every == unknown && (cad.Known || cad.PerCommit):
				t.Errorf("cadence %s, want unknown", cad)
			case c.every != unknown && !cad.Known && !cad.PerCommit:
				t.Errorf("cadence unknown, want %s: %s", c.every, f)
			case c.every != unknown && cad.Every != c.every:
				t.Errorf("cadence %s (%s), want %s", cad.Every, cad, c.every)
			}
		})
	}
}

// TestAuditTablesAndLists: a table with a Backup column and list items
// under a backup heading are backups too; a summary line is cited beside
// the backup it agrees with, and one promising more is a note.
func TestAuditTablesAndLists(t *testing.T) {
	plan := `# Plan

## Assets
### Market data
- Location: ` + "`data/`" + `
- Backup: hourly to the cloud

## Backup schedule
- Nightly rsync of data/ to the backup host
- Trading state snapshot every 30 s to ` + "`s3:bucket`" + `

| Asset | Backup |
|---|---|
| Market data | restic, every 15 min |

**RTO/RPO Summary:**

| Scenario | RTO Target | Actual | RPO Target | Actual |
|---|---|---|---|---|
| Data corruption | 10 min | - | 15 min | - |
| Live system failure | 10 min | - | 1 min | - |
| Complete server failure | 10 min | - | 1 min | - |
| Network partition | 10 min | - | 1 min | - |
`
	rep := auditText(t, plan)
	checkFindings(t, rep, []wantFinding{
		{row: "Data corruption", rowLine: 20, verdict: PromiseKept, backupLine: 14, cadence: 14, worst: 15 * time.Minute, margin: 0, notes: 0},
		{row: "Live system failure", rowLine: 21, verdict: PromiseKept, backupLine: 10, cadence: 10, worst: 30 * time.Second, margin: 30 * time.Second},
		{row: "Complete server failure", rowLine: 22, verdict: PromiseKept, backupLine: 10, cadence: 10, worst: 30 * time.Second, margin: 30 * time.Second},
		{row: "Network partition", rowLine: 23, verdict: PromiseNotAudited, worst: -1,
			line: `RPO of "Network partition" (line 23: 1 min) is not audited: no backup of the plan maps to this row (its name names no server, code, config, state or data)`},
	})
	// the summary's "hourly" is slower than the 15 min table row: neither
	// cited nor a note; made faster, it is a note
	rep = auditText(t, strings.Replace(plan, "hourly to the cloud", "every 5 min", 1))
	if f := rep.Findings[0]; len(f.Notes) != 1 || !strings.Contains(f.Notes[0], "line 6") {
		t.Errorf("notes %q, want one on line 6", f.Notes)
	}
	rep = auditText(t, strings.Replace(plan, "hourly to the cloud", "every 15 min", 1))
	if f := rep.Findings[0]; len(f.Also) != 1 || f.Also[0].Line != 6 {
		t.Errorf("also %v, want line 6", f.Also)
	}
}

// TestAuditSummariesOnly: a plan that shows no backup but its assets'
// "Backup:" lines is judged on those.
func TestAuditSummariesOnly(t *testing.T) {
	rep := auditText(t, `# Plan
### Historical Data
- Backup: Daily to restic
### Live Trading State
- Backup: Real-time to separate disk + cloud

**RTO/RPO Summary:**

| Scenario | RTO Target | Actual | RPO Target | Actual |
|---|---|---|---|---|
| Data corruption | 10 min | - | 5 min | - |
| Live system failure | 10 min | - | 1 min | - |
| Complete server failure | 10 min | - | 5 min | - |
`)
	checkFindings(t, rep, []wantFinding{
		{row: "Data corruption", rowLine: 11, verdict: PromiseBroken, backupLine: 3, cadence: 3, worst: day, margin: 5*time.Minute - day},
		{row: "Live system failure", rowLine: 12, verdict: PromiseUnknown, backupLine: 5, cadence: 0, worst: -1},
		{row: "Complete server failure", rowLine: 13, verdict: PromiseUnknown, backupLine: 5, cadence: 0, worst: -1},
	})
}

// TestAuditNoBackups: a plan that describes no backup audits nothing, and
// says so for every row.
func TestAuditNoBackups(t *testing.T) {
	rep := auditText(t, `# Plan

## Recovery
`+"```bash\nrestic restore latest --target /tmp/restore\n```"+`

**RTO/RPO Summary:**

| Scenario | RTO Target | Actual | RPO Target | Actual |
|---|---|---|---|---|
| Code corruption | 5 min | - | 0 min | - |
| Data corruption | 10 min | - | 5 min | - |
| Live system failure | 15 min | - | 1 min | - |
| Complete server failure | 30 min | - | 5 min | - |
`)
	if len(rep.Findings) != 4 {
		t.Fatalf("%d findings, want 4", len(rep.Findings))
	}
	for _, f := range rep.Findings {
		if f.Verdict != PromiseNotAudited || f.Reason != notMapped {
			t.Errorf("%s", f)
		}
		if _, ok := rep.WorstCase(f.Row); ok {
			t.Errorf("%s: worst case known", f.Row)
		}
	}
}

// TestAuditBadInput: an unreadable target is Parse's error, and a table
// without rows an error too.
func TestAuditBadInput(t *testing.T) {
	for _, c := range []struct {
		name, plan string
		kind       error
	}{
		{"bad target", "**RTO/RPO Summary:**\n\n| Scenario | RTO Target | Actual | RPO Target | Actual |\n|---|---|---|---|---|\n| Data corruption | 10 min | - | soon | - |\n", ErrBadTarget},
		{"no rows", "**RTO/RPO Summary:**\n\n| Scenario | RTO Target | Actual | RPO Target | Actual |\n|---|---|---|---|---|\n", ErrBadTable},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, err := ParseBytes("plan.md", []byte(c.plan))
			if err != nil {
				t.Fatal(err)
			}
			_, err = Audit(p)
			if !errors.Is(err, c.kind) {
				t.Errorf("error %v, want %v", err, c.kind)
			}
		})
	}
}

// TestCronGap: the longest gap between two runs of a schedule.
func TestCronGap(t *testing.T) {
	for _, c := range []struct {
		expr string
		want time.Duration // 0: an error
	}{
		{"*/5 * * * *", 5 * time.Minute},
		{"* * * * *", time.Minute},
		{"0 2 * * *", day},
		{"0 2,14 * * *", 12 * time.Hour},
		{"15 1-5 * * *", 20 * time.Hour},
		{"0 2 * * 1-5", 3 * day},
		{"0 0 * * sun", 7 * day},
		{"0 0 1 * *", 31 * day},
		{"0 0 29 2 *", (4*365 + 1) * day},
		{"0 0 1,15 * mon", 7 * day},
		{"61 * * * *", 0},
		{"0 0 31 2 *", 0},
		{"* * *", 0},
	} {
		got, err := cronGap(c.expr)
		if c.want == 0 {
			if err == nil {
				t.Errorf("cronGap(%q) = %s, want an error", c.expr, got)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("cronGap(%q) = %s, %v; want %s", c.expr, got, err, c.want)
		}
	}
}
