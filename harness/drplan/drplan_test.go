package drplan

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"firedrill/harness/result"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

const runID = "20261127T101500Z-ab12"

var lastTested = LastTested(time.Date(2026, 11, 27, 10, 15, 0, 0, time.UTC), runID, "quarterly")

// actuals measured by a made-up quarterly run, one per row of the plans.
var actuals = map[string]Actual{
	"Code corruption":         {Verdict: Passed, RTO: 42 * time.Second, RPO: 0, RunID: runID},
	"data corruption":         {Verdict: Passed, RTO: 3*time.Minute + 12*time.Second, RPO: 4*time.Minute + 5*time.Second, RunID: runID},
	"Live system failure ":    {Verdict: Passed, RTO: 6*time.Minute + 30*time.Second + 400*time.Millisecond, RPO: 2400 * time.Millisecond, RunID: runID},
	"Complete server failure": {Verdict: Passed, RTO: time.Hour + 5*time.Minute + 20*time.Second, RPO: 3 * time.Minute, RunID: runID},
}

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run go test -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs (go test -update rewrites it):\n%s", path, unifiedDiff(name, splitLines(want), splitLines(padLines(want, got))))
	}
}

// padLines makes got line-for-line comparable with want for a failure
// message.
func padLines(want, got []byte) []byte {
	w, g := splitLines(want), splitLines(got)
	for len(g) < len(w) {
		g = append(g, line{text: "<missing line>", eol: "\n"})
	}
	return joinLines(g[:len(w)])
}

// TestRewriteGolden runs Rewrite on each plan of testdata/ and compares the
// plan it writes, or the error it gives, with testdata/<plan>.golden.
func TestRewriteGolden(t *testing.T) {
	plans, err := filepath.Glob("testdata/*.md")
	if err != nil || len(plans) == 0 {
		t.Fatalf("no plans in testdata: %v", err)
	}
	for _, plan := range plans {
		name := strings.TrimSuffix(filepath.Base(plan), ".md")
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(plan)
			if err != nil {
				t.Fatal(err)
			}
			out, err := Rewrite("docs/"+filepath.Base(plan), src, actuals, lastTested, Options{})
			if err != nil {
				golden(t, name+".golden", []byte("error: "+err.Error()+"\n"))
				return
			}
			golden(t, name+".golden", out)

			again, err := Rewrite("docs/"+filepath.Base(plan), out, actuals, lastTested, Options{})
			if err != nil || !bytes.Equal(again, out) {
				t.Fatalf("second Rewrite is not idempotent (err %v):\n%s", err, unifiedDiff(name, splitLines(out), splitLines(again)))
			}
			if bytes.Count(out, []byte("\n")) != bytes.Count(src, []byte("\n")) ||
				bytes.Count(out, []byte("\r\n")) != bytes.Count(src, []byte("\r\n")) {
				t.Fatalf("Rewrite changed the line structure")
			}
		})
	}
}

func TestCRLFMatchesLF(t *testing.T) {
	lf, err := os.ReadFile("testdata/basic.md")
	if err != nil {
		t.Fatal(err)
	}
	crlf := bytes.ReplaceAll(lf, []byte("\n"), []byte("\r\n"))
	outLF, err := Rewrite("basic.md", lf, actuals, lastTested, Options{})
	if err != nil {
		t.Fatal(err)
	}
	outCRLF, err := Rewrite("basic.md", crlf, actuals, lastTested, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if want := bytes.ReplaceAll(outLF, []byte("\n"), []byte("\r\n")); !bytes.Equal(outCRLF, want) {
		t.Fatalf("CRLF plan rewritten differently from its LF twin:\n%q", outCRLF)
	}
}

func TestDiffGolden(t *testing.T) {
	for _, plan := range []string{"basic.md", "no-trailing-newline.md", "extra-tables.md"} {
		t.Run(plan, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, plan)
			copyFile(t, filepath.Join("testdata", plan), path)
			got, err := Diff(path, actuals, lastTested, Options{})
			if err != nil {
				t.Fatal(err)
			}
			got = strings.ReplaceAll(got, filepath.ToSlash(dir), "docs")
			golden(t, strings.TrimSuffix(plan, ".md")+".diff.golden", []byte(got))

			// Once updated, the plan needs no change.
			if err := Update(context.Background(), path, actuals, lastTested, Options{}); err != nil {
				t.Fatal(err)
			}
			if again, err := Diff(path, actuals, lastTested, Options{}); err != nil || again != "" {
				t.Fatalf("Diff after Update = %q, %v; want no change", again, err)
			}
		})
	}
}

func TestTargets(t *testing.T) {
	tests := []struct {
		plan     string
		row      string
		rto, rpo time.Duration
		wantErr  error
		errText  string
	}{
		{plan: "basic.md", row: "Code corruption", rto: 5 * time.Minute, rpo: 0},
		{plan: "basic.md", row: "  COMPLETE server failure ", rto: 30 * time.Minute, rpo: 5 * time.Minute},
		{plan: "extra-tables.md", row: "Data corruption", rto: 10 * time.Minute, rpo: 5 * time.Minute},
		{plan: "extra-tables.md", row: "Complete server failure", rto: 30 * time.Minute, rpo: 5 * time.Minute},
		{plan: "extra-tables.md", row: "Ransomware", wantErr: ErrBadTarget,
			errText: `testdata/extra-tables.md:32: RTO target "TBD" for row "Ransomware" cannot be parsed: write a duration such as "5 min" or "30 s"`},
		{plan: "heading-style.md", row: "code corruption", rto: 15 * time.Minute, rpo: 0},
		{plan: "heading-style.md", row: "Data corruption", rto: 150 * time.Second, rpo: 30 * time.Second},
		{plan: "heading-style.md", row: "Live system failure", rto: time.Hour, rpo: 90 * time.Second},
		{plan: "heading-style.md", row: "Complete server failure", rto: 90 * time.Minute, rpo: 30 * time.Second},
		{plan: "basic.md", row: "Ransomware", wantErr: ErrNoRow,
			errText: `testdata/basic.md:21: no row "Ransomware" in the "RTO/RPO Summary" table (it has "Code corruption", "Data corruption", "Live system failure", "Complete server failure"): add the row to the table or correct the scenario's plan row`},
		{plan: "bad-target.md", row: "Data corruption", wantErr: ErrBadTarget,
			errText: `testdata/bad-target.md:24: RPO target "soon" for row "Data corruption" cannot be parsed: write a duration such as "5 min" or "30 s"`},
		{plan: "bad-target.md", row: "Live system failure", wantErr: ErrBadTarget,
			errText: `testdata/bad-target.md:25: RTO target "15" for row "Live system failure" cannot be parsed: give the number a unit, such as "15 min" or "15 s"`},
		{plan: "bad-target.md", row: "Code corruption", rto: 5 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.plan+"/"+tt.row, func(t *testing.T) {
			p, err := Parse(filepath.Join("testdata", tt.plan))
			if err != nil {
				t.Fatal(err)
			}
			rto, rpo, err := p.Target(tt.row)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || err.Error() != tt.errText {
					t.Fatalf("Target() error =\n %v\nwant\n %s", err, tt.errText)
				}
				return
			}
			if err != nil || rto != tt.rto || rpo != tt.rpo {
				t.Fatalf("Target() = %v, %v, %v; want %v, %v", rto, rpo, err, tt.rto, tt.rpo)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name    string
		src     string
		wantErr error
		errText string
	}{
		{
			name: "no table", src: "# Plan\n\nNothing here.\n", wantErr: ErrNoTable,
			errText: `plan.md: no "RTO/RPO Summary" table found: add the table (see README) or pass --plan`,
		},
		{
			name: "no RPO target column", wantErr: ErrBadTable,
			src:     "**RTO/RPO Summary:**\n\n| Scenario | RTO Target | Actual |\n|---|---|---|\n| Code corruption | 5 min | - |\n",
			errText: `plan.md:3: the table has no "RPO Target" column: the header must read "| Scenario | RTO Target | Actual | RPO Target | Actual |"`,
		},
		{
			name: "no actual after target", wantErr: ErrBadTable,
			src:     "**RTO/RPO Summary:**\n\n| Scenario | RTO Target | RPO Target | Actual |\n|---|---|---|---|\n",
			errText: `plan.md:3: the table has no "Actual" column after "RTO Target": the header must read "| Scenario | RTO Target | Actual | RPO Target | Actual |"`,
		},
		{
			name: "duplicate row", wantErr: ErrBadTable,
			src:     "**RTO/RPO Summary:**\n\n| Scenario | RTO Target | Actual | RPO Target | Actual |\n|---|---|---|---|---|\n| A | 1 min | - | 1 min | - |\n| a  | 1 min | - | 1 min | - |\n",
			errText: `plan.md:6: row "a" appears twice (also line 5): give each scenario one row`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseBytes("plan.md", []byte(tt.src))
			if !errors.Is(err, tt.wantErr) || err.Error() != tt.errText {
				t.Fatalf("ParseBytes() error =\n %v\nwant\n %s", err, tt.errText)
			}
		})
	}

	p, err := ParseBytes("plan.md", []byte("**RTO/RPO Summary:**\n\n| Scenario | RTO Target | Actual | RPO Target | Actual |\n|---|---|---|---|---|\n| Short | 1 min | - |\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := p.Target("short"); !errors.Is(err, ErrBadTable) ||
		err.Error() != `plan.md:5: row "Short" has 3 cells, the header has 5: fill every column (write "-" in an empty Actual cell)` {
		t.Fatalf("Target(short row) = %v", err)
	}
	if err := p.Check("Short", "Missing", "short"); err == nil || strings.Count(err.Error(), "\n") != 1 {
		t.Fatalf("Check() = %v, want two problems", err)
	}
}

func TestParseTarget(t *testing.T) {
	ok := []struct {
		in   string
		want time.Duration
	}{
		{"5 min", 5 * time.Minute},
		{"< 15 minutes", 15 * time.Minute},
		{"<15min", 15 * time.Minute},
		{"0 min", 0},
		{"0", 0},
		{"1 h", time.Hour},
		{"1 hour", time.Hour},
		{"30s", 30 * time.Second},
		{"30 sec", 30 * time.Second},
		{"90 seconds", 90 * time.Second},
		{"1.5 h", 90 * time.Minute},
		{"1,5 h", 90 * time.Minute},
		{"2 min 30 s", 150 * time.Second},
		{"2m30s", 150 * time.Second},
		{"2 min, 30 s", 150 * time.Second},
		{"1 h and 5 min", 65 * time.Minute},
		{"≤ 10 min", 10 * time.Minute},
		{"<= 10 Min", 10 * time.Minute},
		{"up to 4 hours", 4 * time.Hour},
		{"**5 min**", 5 * time.Minute},
		{"5\u00a0min", 5 * time.Minute},
		{"1 day", 24 * time.Hour},
		{"500 ms", 500 * time.Millisecond},
	}
	for _, tt := range ok {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseTarget(tt.in)
			if err != nil || got != tt.want {
				t.Fatalf("ParseTarget(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
	bad := []struct{ in, want string }{
		{"soon", `parse target "soon": write a duration such as "5 min" or "30 s"`},
		{"", `parse target "": write a duration such as "5 min" or "30 s"`},
		{"-", `parse target "-": write a duration such as "5 min" or "30 s"`},
		{"TBD", `parse target "TBD": write a duration such as "5 min" or "30 s"`},
		{"15", `parse target "15": give the number a unit, such as "15 min" or "15 s"`},
		{"5 fortnights", `parse target "5 fortnights": unit "fortnights" is not one of s, min, h, day: write a duration such as "5 min" or "30 s"`},
		{"5 min (approx.)", `parse target "5 min (approx.)": write a duration such as "5 min" or "30 s"`},
		{"> 5 min", `parse target "> 5 min": write a duration such as "5 min" or "30 s"`},
		{"-5 min", `parse target "-5 min": write a duration such as "5 min" or "30 s"`},
	}
	for _, tt := range bad {
		t.Run("bad "+tt.in, func(t *testing.T) {
			_, err := ParseTarget(tt.in)
			var te *TargetError
			if !errors.As(err, &te) || err.Error() != tt.want {
				t.Fatalf("ParseTarget(%q) error =\n %v\nwant\n %s", tt.in, err, tt.want)
			}
		})
	}
}

// TestHumanParsesBack: what Update writes in a cell, ParseTarget reads.
func TestHumanParsesBack(t *testing.T) {
	for _, d := range []time.Duration{0, 2400 * time.Millisecond, 42 * time.Second, 192 * time.Second, 3 * time.Minute, time.Hour, 65 * time.Minute} {
		got, err := ParseTarget(result.Human(d))
		if err != nil || got != d {
			t.Errorf("ParseTarget(Human(%v) = %q) = %v, %v", d, result.Human(d), got, err)
		}
	}
}

func TestFitCell(t *testing.T) {
	tests := []struct {
		name, raw, content string
		align              alignment
		want               string
	}{
		{"widens a narrow cell", " - ", "3 min 12 s", alignLeft, " 3 min 12 s "},
		{"keeps a wide cell's width", " -          ", "42 s", alignLeft, " 42 s       "},
		{"right aligned", "          - ", "42 s", alignRight, "       42 s "},
		{"centred", "    -    ", "42 s", alignCenter, "  42 s   "},
		{"no padding stays none", "-", "42 s", alignLeft, "42 s"},
		{"empty cell", "", "42 s", alignLeft, "42 s"},
		{"blank cell", " ", "42 s", alignLeft, " 42 s "},
		{"exact fit", " ---- ", "42 s", alignLeft, " 42 s "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := fitCell(tt.raw, tt.content, tt.align)
			if got != tt.want {
				t.Fatalf("fitCell(%q, %q) = %q, want %q", tt.raw, tt.content, got, tt.want)
			}
			if again := fitCell(got, tt.content, tt.align); again != got {
				t.Fatalf("fitCell is not idempotent: %q then %q", got, again)
			}
		})
	}
}

func TestRunInCell(t *testing.T) {
	src, err := os.ReadFile("testdata/basic.md")
	if err != nil {
		t.Fatal(err)
	}
	out, err := Rewrite("basic.md", src, actuals, lastTested, Options{RunInCell: true})
	if err != nil {
		t.Fatal(err)
	}
	want := "| Code corruption | 5 min | 42 s (run 20261127T101500Z-ab12) | 0 min | 0 s (run 20261127T101500Z-ab12) |\n"
	if !bytes.Contains(out, []byte(want)) {
		t.Fatalf("RunInCell: no line %q in\n%s", want, out)
	}
}

// TestActualsFromRun: a row gets numbers only when every scenario of it
// passed with RTO and RPO; a failure anywhere in the row makes it failed;
// otherwise a scenario not run, or one short of RTO or RPO, makes it
// untested.
func TestActualsFromRun(t *testing.T) {
	tests := []struct {
		name      string
		scenarios []result.Scenario
		want      Actual
	}{
		{"all passed", []result.Scenario{passed("Data corruption", 3*time.Minute, 10*time.Second), passed("Data corruption", 2*time.Minute, 4*time.Minute)},
			Actual{Verdict: Passed, RTO: 3 * time.Minute, RPO: 4 * time.Minute}},
		{"one failed", []result.Scenario{passed("Data corruption", time.Minute, 0), failed("Data corruption")},
			Actual{Verdict: Failed}},
		{"one not run", []result.Scenario{passed("Data corruption", time.Minute, 0), notRun("Data corruption")},
			Actual{Verdict: Untested}},
		{"failed beats not run", []result.Scenario{notRun("Data corruption"), failed("Data corruption"), passed("Data corruption", time.Minute, 0)},
			Actual{Verdict: Failed}},
		{"failed stands whatever comes after", []result.Scenario{failed("Data corruption"), notRun("Data corruption"), rtoOnly("Data corruption", time.Minute)},
			Actual{Verdict: Failed}},
		{"RTO but no RPO", []result.Scenario{rtoOnly("Data corruption", time.Minute)},
			Actual{Verdict: Untested}},
		{"no RTO nor RPO", []result.Scenario{{PlanRow: "Data corruption", Status: result.Passed}},
			Actual{Verdict: Untested}},
		{"an unknown status", []result.Scenario{{PlanRow: "Data corruption", Status: "skipped", RTO: &result.RTO{Actual: 1}, RPO: &result.RPO{Actual: 1}}},
			Actual{Verdict: Untested}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run := result.Run{RunID: runID, Profile: "quarterly", Scenarios: append(tt.scenarios, result.Scenario{Name: "smoke", Status: result.Passed})}
			got, err := ActualsFromRun(run)
			if err != nil {
				t.Fatal(err)
			}
			tt.want.RunID, tt.want.Row = runID, "Data corruption"
			if len(got) != 1 || got["data corruption"] != tt.want {
				t.Fatalf("ActualsFromRun() = %+v, want data corruption: %+v (and no row for a scenario without one)", got, tt.want)
			}
		})
	}
	run := result.Run{RunID: runID, Profile: "ci", Scenarios: []result.Scenario{passed("Data corruption", time.Minute, 0)}}
	if _, err := ActualsFromRun(run); !errors.Is(err, ErrNotQuarterly) {
		t.Fatalf("ActualsFromRun(ci) = %v, want ErrNotQuarterly", err)
	}
}

func passed(row string, rto, rpo time.Duration) result.Scenario {
	return result.Scenario{PlanRow: row, Status: result.Passed, RTO: &result.RTO{Actual: result.Sec(rto)}, RPO: &result.RPO{Actual: result.Sec(rpo)}}
}

// failed measured both, and failed all the same (over its target).
func failed(row string) result.Scenario {
	s := passed(row, time.Hour, time.Hour)
	s.Status = result.Failed
	return s
}

func notRun(row string) result.Scenario {
	return result.Scenario{PlanRow: row, Status: result.NotRun, NotRunReason: "no order was in flight"}
}

func rtoOnly(row string, rto time.Duration) result.Scenario {
	s := passed(row, rto, 0)
	s.RPO = nil
	return s
}

// TestRunUpdatesRows: from a plan an earlier run filled in, a new run's
// scenarios rewrite exactly the rows it drilled, never leave the earlier
// run's numbers in them, leave the rows it did not drill as they were,
// name the rows it drilled on the Last Tested line, and a second update
// changes nothing.
func TestRunUpdatesRows(t *testing.T) {
	earlier, err := os.ReadFile("testdata/basic.golden") // basic.md as the earlier run left it
	if err != nil {
		t.Fatal(err)
	}
	const next = "20270227T090000Z-cd34"
	line := func(date string, rows string) string {
		return "**Last Tested:** " + date + " (firedrill run " + next + ", profile quarterly: " + rows + ")"
	}
	const date = "2027-02-27"
	tests := []struct {
		name      string
		scenarios []result.Scenario
		want      []string // the lines that change, in order
	}{
		{
			name: "all passed",
			scenarios: []result.Scenario{
				passed("Code corruption", 30*time.Second, 0), passed("Data corruption", 2*time.Minute, time.Minute),
				passed("Live system failure", 5*time.Minute, 2*time.Second), passed("Complete server failure", 20*time.Minute, 4*time.Minute),
			},
			want: []string{
				"| Code corruption | 5 min | 30 s | 0 min | 0 s |",
				"| Data corruption | 10 min | 2 min      | 5 min | 1 min     |",
				"| Live system failure | 15 min | 5 min      | 1 min | 2 s   |",
				"| Complete server failure | 30 min | 20 min    | 5 min | 4 min |",
				line(date, "Code corruption passed, Data corruption passed, Live system failure passed, Complete server failure passed"),
			},
		},
		{
			name: "one failed",
			scenarios: []result.Scenario{
				passed("Code corruption", 30*time.Second, 0), failed("Live system failure"), passed("Live system failure", time.Minute, time.Second),
			},
			want: []string{
				"| Code corruption | 5 min | 30 s | 0 min | 0 s |",
				"| Live system failure | 15 min | failed (run " + next + ") | 1 min | failed (run " + next + ") |",
				line(date, "Code corruption passed, Live system failure failed"),
			},
		},
		{
			name: "one not run",
			scenarios: []result.Scenario{
				passed("Code corruption", 30*time.Second, 0), notRun("Live system failure"), passed("Live system failure", time.Minute, time.Second),
			},
			want: []string{
				"| Code corruption | 5 min | 30 s | 0 min | 0 s |",
				"| Live system failure | 15 min | untested (run " + next + ") | 1 min | untested (run " + next + ") |",
				line(date, "Code corruption passed, Live system failure untested"),
			},
		},
		{
			name:      "a row with RTO but no RPO",
			scenarios: []result.Scenario{rtoOnly("Data corruption", time.Minute)},
			want: []string{
				"| Data corruption | 10 min | untested (run " + next + ") | 5 min | untested (run " + next + ") |",
				line(date, "Data corruption untested"),
			},
		},
		{
			name:      "rows not in the run stay as they were",
			scenarios: []result.Scenario{passed("Complete server failure", 20*time.Minute, 4*time.Minute)},
			want: []string{
				"| Complete server failure | 30 min | 20 min    | 5 min | 4 min |",
				line(date, "Complete server failure passed"),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run := result.Run{RunID: next, Profile: "quarterly", Scenarios: tt.scenarios}
			acts, err := ActualsFromRun(run)
			if err != nil {
				t.Fatal(err)
			}
			p0, err := ParseBytes("plan.md", earlier)
			if err != nil {
				t.Fatal(err)
			}
			tested := LastTested(time.Date(2027, 2, 27, 9, 0, 0, 0, time.UTC), next, "quarterly", p0.TestedRows(acts)...)
			out, err := Rewrite("plan.md", earlier, acts, tested, Options{})
			if err != nil {
				t.Fatal(err)
			}
			before, after := splitLines(earlier), splitLines(out)
			if len(before) != len(after) {
				t.Fatalf("Rewrite changed the number of lines: %d to %d", len(before), len(after))
			}
			var changed []string
			for i := range before {
				if before[i] != after[i] {
					changed = append(changed, after[i].text)
				}
			}
			if strings.Join(changed, "\n") != strings.Join(tt.want, "\n") {
				t.Fatalf("changed lines:\n%s\nwant:\n%s", strings.Join(changed, "\n"), strings.Join(tt.want, "\n"))
			}

			// Targets untouched; every Actual cell reads back as written.
			p1, err := ParseBytes("plan.md", out)
			if err != nil {
				t.Fatalf("the rewritten plan does not parse: %v", err)
			}
			for i, r := range p1.Rows {
				if r.err != nil || r.RTOTarget != p0.Rows[i].RTOTarget || r.RPOTarget != p0.Rows[i].RPOTarget {
					t.Errorf("row %q: targets %v, %v (err %v); were %v, %v", r.Scenario, r.RTOTarget, r.RPOTarget, r.err, p0.Rows[i].RTOTarget, p0.Rows[i].RPOTarget)
				}
				a, drilled := acts[normalize(r.Scenario)]
				wantRTO, wantRPO := p0.Rows[i].RTOActual, p0.Rows[i].RPOActual
				if drilled {
					wantRTO, wantRPO = cells(a, Options{})
				}
				if r.RTOActual != wantRTO || r.RPOActual != wantRPO {
					t.Errorf("row %q reads actuals %q, %q; want %q, %q", r.Scenario, r.RTOActual, r.RPOActual, wantRTO, wantRPO)
				}
			}

			again, err := Rewrite("plan.md", out, acts, tested, Options{})
			if err != nil || !bytes.Equal(again, out) {
				t.Fatalf("a second update is not idempotent (err %v):\n%s", err, unifiedDiff("plan.md", splitLines(out), splitLines(again)))
			}
		})
	}
}

// TestLaterRunOverwritesVerdict: "failed (run …)" and "untested (run …)"
// are cells like any other: the next run that passes writes its numbers
// over them.
func TestLaterRunOverwritesVerdict(t *testing.T) {
	src, err := os.ReadFile("testdata/basic.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []Verdict{Failed, Untested} {
		t.Run(v.String(), func(t *testing.T) {
			out, err := Rewrite("plan.md", src, map[string]Actual{"Live system failure": {Verdict: v, RunID: runID}}, lastTested, Options{})
			if err != nil {
				t.Fatal(err)
			}
			want := "| Live system failure | 15 min | " + v.String() + " (run " + runID + ") | 1 min | " + v.String() + " (run " + runID + ") |\n"
			if !bytes.Contains(out, []byte(want)) {
				t.Fatalf("no line %q in\n%s", want, out)
			}
			out, err = Rewrite("plan.md", out, map[string]Actual{"Live system failure": {Verdict: Passed, RTO: 42 * time.Second, RPO: 2 * time.Second, RunID: "20270227T090000Z-cd34"}}, lastTested, Options{})
			if err != nil {
				t.Fatal(err)
			}
			p, err := ParseBytes("plan.md", out)
			if err != nil {
				t.Fatal(err)
			}
			r, err := p.Row("Live system failure")
			if err != nil || r.RTOActual != "42 s" || r.RPOActual != "2 s" || r.RTOTarget != 15*time.Minute || r.RPOTarget != time.Minute {
				t.Fatalf("after a passing run the row reads %q, %q, targets %v, %v (%v)", r.RTOActual, r.RPOActual, r.RTOTarget, r.RPOTarget, err)
			}
		})
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// entries lists a directory, for checking what Update left behind.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, de := range des {
		names = append(names, de.Name())
	}
	return names
}

func TestUpdateFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "dr-plan.md")
	copyFile(t, "testdata/basic.md", path)
	if err := os.Chmod(path, 0o640); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "plan-link.md")
	if err := os.Symlink("dr-plan.md", link); err != nil {
		t.Fatal(err)
	}
	if err := Update(context.Background(), link, actuals, lastTested, Options{}); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	want, _ := os.ReadFile("testdata/basic.golden")
	if !bytes.Equal(got, want) {
		t.Fatalf("updated plan differs from testdata/basic.golden:\n%s", got)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o640 {
		t.Fatalf("mode after Update = %v, %v; want 0640", fi.Mode(), err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("Update replaced the symlink: %v %v", fi.Mode(), err)
	}
	if names := strings.Join(entries(t, dir), " "); names != "dr-plan.md plan-link.md" {
		t.Fatalf("directory after Update holds %s", names)
	}

	// Idempotent: a second identical update writes nothing (a write would
	// rename a new file, with a new inode, over the plan).
	before, _ := os.Stat(path)
	if err := Update(context.Background(), path, actuals, lastTested, Options{}); err != nil {
		t.Fatal(err)
	}
	after, _ := os.Stat(path)
	if !os.SameFile(before, after) {
		t.Fatalf("an identical Update rewrote the file")
	}
}

// TestUpdateLeavesFileUntouched: whatever fails, the plan keeps its bytes
// and no temporary file stays behind.
func TestUpdateLeavesFileUntouched(t *testing.T) {
	tests := []struct {
		name    string
		plan    string
		actuals map[string]Actual
		hook    func(tmp string) error
		wantErr string
	}{
		{name: "missing row", plan: "missing-row.md", actuals: actuals, wantErr: `no row "Complete server failure"`},
		{name: "bad target", plan: "bad-target.md", actuals: actuals, wantErr: `RPO target "soon"`},
		{name: "no table", plan: "no-table.md", actuals: actuals, wantErr: `no "RTO/RPO Summary" table found`},
		{name: "no last tested", plan: "no-last-tested.md", actuals: actuals, wantErr: `no "**Last Tested:**" line found`},
		{name: "no actuals", plan: "basic.md", actuals: map[string]Actual{}, wantErr: "no actuals to write"},
		{
			name: "write fails", plan: "basic.md", actuals: actuals, wantErr: "disk full",
			hook: func(tmp string) error {
				_ = os.WriteFile(tmp, []byte("half a pl"), 0o644)
				return errors.New("disk full")
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "dr-plan.md")
			copyFile(t, filepath.Join("testdata", tt.plan), path)
			orig, _ := os.ReadFile(path)
			beforeRename = tt.hook
			defer func() { beforeRename = nil }()

			err := Update(context.Background(), path, tt.actuals, lastTested, Options{})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Update() = %v, want an error containing %q", err, tt.wantErr)
			}
			if got, _ := os.ReadFile(path); !bytes.Equal(got, orig) {
				t.Fatalf("the plan changed although Update failed:\n%s", got)
			}
			if names := strings.Join(entries(t, dir), " "); names != "dr-plan.md" {
				t.Fatalf("directory after a failed Update holds %s", names)
			}
		})
	}
}

// TestUpdateWaitsForLock: a second updater waits for the lock and gives up
// after its timeout, saying another run is updating the plan.
func TestUpdateWaitsForLock(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "dr-plan.md")
	copyFile(t, "testdata/basic.md", path)
	orig, _ := os.ReadFile(path)
	f, err := os.OpenFile(filepath.Join(dir, ".dr-plan.md.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = Update(context.Background(), path, actuals, lastTested, Options{LockTimeout: 300 * time.Millisecond})
	waited := time.Since(start)
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "another firedrill run is updating the plan") {
		t.Fatalf("Update() under a held lock = %v", err)
	}
	if waited < 300*time.Millisecond || waited > 2*time.Second {
		t.Fatalf("Update waited %v, want about 300ms", waited)
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, orig) {
		t.Fatalf("the plan changed although the lock was held")
	}

	// Released within the timeout, the waiter goes ahead.
	released := make(chan struct{})
	time.AfterFunc(200*time.Millisecond, func() {
		defer close(released)
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	})
	err = Update(context.Background(), path, actuals, lastTested, Options{LockTimeout: 5 * time.Second})
	<-released
	if err != nil {
		t.Fatalf("Update() after the lock was released = %v", err)
	}
}

// TestConcurrentUpdates: updaters of different rows run at once; each
// reads, rewrites and renames under the lock, so none loses another's row.
func TestConcurrentUpdates(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "dr-plan.md")
	var b strings.Builder
	b.WriteString("**RTO/RPO Summary:**\n\n| Scenario | RTO Target | Actual | RPO Target | Actual |\n|---|---|---|---|---|\n")
	const rows = 8
	for i := range rows {
		fmt.Fprintf(&b, "| Row %d | 5 min | - | 1 min | - |\n", i)
	}
	b.WriteString("\n**Last Tested:** TBD\n")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	// Widen the window between reading the plan and replacing it.
	beforeRename = func(string) error { <-time.After(20 * time.Millisecond); return nil }
	defer func() { beforeRename = nil }()

	var wg sync.WaitGroup
	errs := make([]error, rows)
	for i := range rows {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := map[string]Actual{fmt.Sprintf("row %d", i): {Verdict: Passed, RTO: time.Duration(i+1) * time.Second, RPO: time.Second, RunID: runID}}
			errs[i] = Update(context.Background(), path, a, lastTested, Options{LockTimeout: 10 * time.Second})
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	for i := range rows {
		want := fmt.Sprintf("| Row %d | 5 min | %d s | 1 min | 1 s |\n", i, i+1)
		if !bytes.Contains(got, []byte(want)) {
			t.Errorf("row %d lost its update; plan is\n%s", i, got)
		}
	}
}

// TestUsersPlan: the user's real plan parses as it is, and an update
// changes only the four rows' Actual cells and the Last Tested line.
func TestUsersPlan(t *testing.T) {
	src, err := os.ReadFile("../../../shared/seed/dr_plan_v2.md")
	if errors.Is(err, os.ErrNotExist) {
		t.Skip("the user's plan ../../../shared/seed/dr_plan_v2.md is absent: skipping")
	}
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "dr_plan_v2.md")
	if err := os.WriteFile(path, src, 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := Parse(path)
	if err != nil {
		t.Fatal(err)
	}
	targets := map[string][2]time.Duration{
		"Code corruption":         {5 * time.Minute, 0},
		"Data corruption":         {10 * time.Minute, 5 * time.Minute},
		"Live system failure":     {15 * time.Minute, time.Minute},
		"Complete server failure": {30 * time.Minute, 5 * time.Minute},
	}
	for row, want := range targets {
		rto, rpo, err := p.Target(row)
		if err != nil || rto != want[0] || rpo != want[1] {
			t.Errorf("Target(%q) = %v, %v, %v; want %v, %v", row, rto, rpo, err, want[0], want[1])
		}
	}
	if len(p.Rows) != 4 || p.LastTested != "TBD" {
		t.Fatalf("parsed %d rows, Last Tested %q; want 4 rows, TBD", len(p.Rows), p.LastTested)
	}

	if err := Update(context.Background(), path, actuals, lastTested, Options{}); err != nil {
		t.Fatal(err)
	}
	out, _ := os.ReadFile(path)
	before, after := splitLines(src), splitLines(out)
	if len(before) != len(after) {
		t.Fatalf("Update changed the number of lines: %d to %d", len(before), len(after))
	}
	var changed []string
	for i := range before {
		if before[i] != after[i] {
			changed = append(changed, after[i].text)
		}
	}
	want := []string{
		"| Code corruption | 5 min | 42 s | 0 min | 0 s |",
		"| Data corruption | 10 min | 3 min 12 s | 5 min | 4 min 5 s |",
		"| Live system failure | 15 min | 6 min 30 s | 1 min | 2.4 s |",
		"| Complete server failure | 30 min | 1 h 5 min | 5 min | 3 min |",
		"**Last Tested:** 2026-11-27 (firedrill run 20261127T101500Z-ab12, profile quarterly)",
	}
	if strings.Join(changed, "\n") != strings.Join(want, "\n") {
		t.Fatalf("changed lines:\n%s\nwant:\n%s\ndiff:\n%s", strings.Join(changed, "\n"), strings.Join(want, "\n"),
			unifiedDiff("dr_plan_v2.md", before, after))
	}
	d, err := Diff(path, actuals, lastTested, Options{})
	if err != nil || d != "" {
		t.Fatalf("Diff after Update = %q, %v; want none", d, err)
	}
}

// TestCellsSayWorstCaseAndManual: a row that passed says where its numbers
// fall short of what the plan promises: a declared worst case that misses
// the RPO target is written as missed, with the measured value beside it;
// an RTO without human time says so.
func TestCellsSayWorstCaseAndManual(t *testing.T) {
	for _, c := range []struct {
		a        Actual
		rto, rpo string
	}{
		{Actual{RTO: 2300 * time.Millisecond, RPO: 54 * time.Second}, "2.3 s", "54 s"},
		{Actual{RTO: 6100 * time.Millisecond, RPO: 3300 * time.Millisecond, ManualAutomated: true,
			RPOWorst: 24 * time.Hour, RPOWorstDeclared: true, RPOWorstMissed: true, RPOWorstWhy: "state backup to the cloud repository every 24 h"},
			"6.1 s, manual steps automated", "**missed**: up to 24 h (state backup to the cloud repository every 24 h, declared); 3.3 s measured"},
		{Actual{RTO: time.Second, RPO: time.Second, RPOWorst: time.Hour, RPOWorstDeclared: true, RPOWorstWhy: "hourly"},
			"1 s", "1 s measured; up to 1 h declared (hourly)"},
	} {
		rto, rpo := cells(c.a, Options{})
		if rto != c.rto || rpo != c.rpo {
			t.Errorf("cells(%+v) = %q, %q; want %q, %q", c.a, rto, rpo, c.rto, c.rpo)
		}
	}
}
