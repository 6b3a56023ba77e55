package drplan

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"firedrill/harness/result"
)

// Actual is what a run found for one row of the plan.
type Actual struct {
	// Verdict says what the row's Actual cells may claim: RTO and RPO
	// below only when Passed.
	Verdict Verdict
	RTO     time.Duration
	RPO     time.Duration
	RunID   string // the firedrill run that drilled the row
	// Row is the plan row as the run's scenarios name it, for messages.
	Row string
	// ManualAutomated: the plan's manual steps were done by firedrill in
	// no time, so the RTO leaves out human time; the cell says so.
	ManualAutomated bool
	// The worst case the RPO is judged on (result.RPO.WorstCase*): the
	// largest of the row's scenarios; Declared when it is a declared
	// cadence, not a measured value; Missed when any misses the target.
	RPOWorst         time.Duration
	RPOWorstDeclared bool
	RPOWorstMissed   bool
	// RPOWorstWhy is the reason of a declared worst case, short.
	RPOWorstWhy string
}

// Verdict of one row in one run.
type Verdict int

// Verdicts. The zero value is Passed, so an Actual written as its numbers
// means them; ActualsFromRun always sets the verdict.
const (
	// Passed: every scenario of the row passed with RTO and RPO measured.
	Passed Verdict = iota
	// Failed: a scenario of the row failed.
	Failed
	// Untested: no scenario of the row failed, but one was not run or did
	// not measure both RTO and RPO; the run cannot vouch for any number.
	Untested
)

func (v Verdict) String() string {
	switch v {
	case Passed:
		return "passed"
	case Failed:
		return "failed"
	}
	return "untested"
}

// Options tune Update and Diff.
type Options struct {
	// LockTimeout bounds the wait for another run that is updating the
	// same plan; DefaultLockTimeout when zero.
	LockTimeout time.Duration
	// RunInCell appends the run id to each Actual cell ("42 s (run …)").
	// Off by default: the Last Tested line names the run, which keeps the
	// table readable when all rows come from one quarterly run.
	RunInCell bool
}

// DefaultLockTimeout is how long Update waits for another updater.
const DefaultLockTimeout = 30 * time.Second

// QuarterlyProfile is the only profile whose actuals may be written: its
// cadences are the plan's, so its RPO is the plan's RPO.
const QuarterlyProfile = "quarterly"

// ErrNotQuarterly: a run of another profile offered actuals for the plan.
var ErrNotQuarterly = errors.New("only a quarterly run may write actuals")

// ActualsFromRun collects what a run found for each plan row its
// scenarios name, keyed by the row's normalized name. A row whose every
// scenario passed with RTO and RPO measured is Passed, with the worst RTO
// and the worst RPO among them (Q1's restore and re-fetch options): the
// plan states what the team can count on. A row where any scenario failed
// is Failed; otherwise a row with a scenario not run, or one that did not
// measure both RTO and RPO, is Untested. Either way the run drilled the
// row, so the numbers an older run wrote there must go.
// It fails for a run of any profile but quarterly: a ci run backs up far
// more often than the plan, so its RPO would promise what the plan cannot.
func ActualsFromRun(run result.Run) (map[string]Actual, error) {
	if run.Profile != QuarterlyProfile {
		return nil, fmt.Errorf("collect actuals of run %s: %w: profile %q backs up on its own cadence, not the plan's, so its RPO would misstate the plan; run with --profile %s to update it",
			run.RunID, ErrNotQuarterly, run.Profile, QuarterlyProfile)
	}
	out := map[string]Actual{}
	for _, s := range run.Scenarios {
		if strings.TrimSpace(s.PlanRow) == "" {
			continue
		}
		key := normalize(s.PlanRow)
		a, seen := out[key]
		if !seen {
			a = Actual{Verdict: Passed, RunID: run.RunID, Row: strings.TrimSpace(s.PlanRow)}
		}
		if s.RTO != nil && s.RTO.ManualAutomated {
			a.ManualAutomated = true
		}
		if r := s.RPO; r != nil && r.WorstCaseBasis != "" {
			if r.WorstCase.Duration() >= a.RPOWorst {
				a.RPOWorst = r.WorstCase.Duration()
				a.RPOWorstDeclared = r.WorstCaseBasis == result.BasisDeclared
				if a.RPOWorstDeclared {
					a.RPOWorstWhy = shortWhy(r)
				}
			}
			a.RPOWorstMissed = a.RPOWorstMissed || !r.WorstCaseMet
		}
		switch {
		case s.Status == result.Failed:
			a.Verdict = Failed
		case a.Verdict == Failed:
			// another scenario of the row failed: that stands
		case s.Status != result.Passed || s.RTO == nil || s.RPO == nil:
			a.Verdict = Untested
		}
		if s.RTO != nil {
			a.RTO = max(a.RTO, s.RTO.Actual.Duration())
		}
		if s.RPO != nil {
			a.RPO = max(a.RPO, s.RPO.Actual.Duration())
		}
		out[key] = a
	}
	for key, a := range out {
		if a.Verdict != Passed { // numbers of a row that did not pass mean nothing
			a.RTO, a.RPO = 0, 0
			out[key] = a
		}
	}
	return out, nil
}

// LastTested is the value Update writes on the Last Tested line: the
// date, the run, and the rows the run drilled, each with its verdict
// (TestedRows): "2026-11-27 (firedrill run 20261127T101500Z-ab12, profile
// quarterly: Data corruption passed, Live system failure untested)". Rows
// the run did not drill are not named: their cells are an earlier run's.
func LastTested(at time.Time, runID, profile string, rows ...string) string {
	s := fmt.Sprintf("%s (firedrill run %s, profile %s", at.Format("2006-01-02"), runID, profile)
	if len(rows) > 0 {
		s += ": " + strings.Join(rows, ", ")
	}
	return s + ")"
}

// TestedRows names the plan's rows that actuals hold, each with its
// verdict ("Live system failure untested"), in the table's order, for
// LastTested. Rows the table lacks are left out (Rewrite reports them).
func (p *Plan) TestedRows(actuals map[string]Actual) []string {
	verdicts := make(map[string]Verdict, len(actuals))
	for key, a := range actuals {
		verdicts[normalize(key)] = a.Verdict
	}
	var rows []string
	for _, r := range p.Rows {
		if v, ok := verdicts[normalize(r.Scenario)]; ok {
			rows = append(rows, r.Scenario+" "+v.String())
		}
	}
	return rows
}

// Cell is the text Update writes in an Actual cell of a row that passed:
// result.Human's form, with the run id when opts.RunInCell.
func Cell(d time.Duration, runID string, opts Options) string {
	s := result.Human(d)
	if opts.RunInCell && runID != "" {
		s += " (run " + runID + ")"
	}
	return s
}

// cells are the RTO and RPO Actual cells for a row: the numbers of a row
// that passed, else its verdict and the run, "failed (run …)", which a
// later run overwrites as it would a number.
func cells(a Actual, opts Options) (rto, rpo string) {
	if a.Verdict == Passed {
		rto, rpo = Cell(a.RTO, a.RunID, opts), Cell(a.RPO, a.RunID, opts)
		if a.ManualAutomated {
			rto += ", manual steps automated"
		}
		switch {
		case a.RPOWorstDeclared && a.RPOWorstMissed:
			rpo = fmt.Sprintf("**missed**: up to %s (%s, declared); %s measured", result.Human(a.RPOWorst), a.RPOWorstWhy, rpo)
		case a.RPOWorstDeclared:
			rpo = fmt.Sprintf("%s measured; up to %s declared (%s)", rpo, result.Human(a.RPOWorst), a.RPOWorstWhy)
		}
		return rto, rpo
	}
	s := a.Verdict.String()
	if a.RunID != "" {
		s += " (run " + a.RunID + ")"
	}
	return s, s
}

// Rewrite returns src with the Actual cells of the rows in actuals and the
// Last Tested line (unless lastTested is empty) rewritten, every other byte
// as it was. Rows are named as in Plan.Row. A row that did not pass gets
// its verdict and the run in both cells ("failed (run …)"), never the
// numbers an earlier run wrote there. It fails, naming file, line and fix,
// if the table, a row, the row's targets or the Last Tested line is
// missing or unreadable.
func Rewrite(name string, src []byte, actuals map[string]Actual, lastTested string, opts Options) ([]byte, error) {
	p, err := ParseBytes(name, src)
	if err != nil {
		return nil, err
	}
	if len(actuals) == 0 {
		return nil, fmt.Errorf("rewrite plan %s: no actuals to write: run at least one drill of a row of its table", name)
	}
	if strings.ContainsAny(lastTested, "\r\n") {
		return nil, fmt.Errorf("rewrite plan %s: last tested value %q spans lines: pass a single line", name, lastTested)
	}
	lines := append([]line(nil), p.lines...)
	var errs []error
	for _, key := range sortedKeys(actuals) {
		a := actuals[key]
		if strings.ContainsAny(a.RunID, "|\r\n") {
			errs = append(errs, fmt.Errorf("rewrite plan %s: run id %q cannot go in a table cell: use a run id without '|' or line breaks", name, a.RunID))
			continue
		}
		r, err := p.Row(key)
		if err == nil {
			err = r.err
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		i := r.Line - 1
		rto, rpo := cells(a, opts)
		lines[i].text = p.rewriteRow(lines[i].text, r, map[int]string{p.cols.rtoActual: rto, p.cols.rpoActual: rpo})
	}
	if lastTested != "" {
		if lt := p.lastTested; lt == nil {
			errs = append(errs, p.errorf(0, ErrNoLastTested, `add a line "**Last Tested:** TBD" below the table`, `no "**Last Tested:**" line found`))
		} else {
			gap := lt.gap
			if gap == "" {
				gap = " "
			}
			lines[lt.index].text = lt.prefix + gap + lastTested + lt.trail
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return joinLines(lines), nil
}

// rewriteRow replaces the cells at the given columns, right to left so the
// spans of the cells before stay valid.
func (p *Plan) rewriteRow(text string, r Row, cells map[int]string) string {
	cols := make([]int, 0, len(cells))
	for c := range cells {
		cols = append(cols, c)
	}
	sort.Sort(sort.Reverse(sort.IntSlice(cols)))
	for _, c := range cols {
		s := r.cells[c]
		a := alignLeft
		if c < len(p.align) {
			a = p.align[c]
		}
		text = text[:s.start] + fitCell(s.text(text), cells[c], a) + text[s.end:]
	}
	return text
}

// fitCell writes content in place of a cell's old content. When it fits in
// the cell's width, the cell keeps its width and the content sits as the
// column's alignment says, with the one space of padding the cell had on
// each side (none if it had none); otherwise only this cell widens, to the
// content and that padding.
func fitCell(raw, content string, a alignment) string {
	lead := len(raw) - len(strings.TrimLeft(raw, " \t"))
	trail := len(raw) - len(strings.TrimRight(raw, " \t"))
	padL, padR := min(lead, 1), min(trail, 1)
	if strings.TrimSpace(raw) == "" { // an empty cell: its spaces pad both sides
		padL, padR = min(len(raw), 1), min(len(raw), 1)
	}
	free := utf8.RuneCountInString(raw) - utf8.RuneCountInString(content) - padL - padR
	if free < 0 {
		free = 0
	}
	switch a {
	case alignRight:
		padL += free
	case alignCenter:
		padL, padR = padL+free/2, padR+free-free/2
	default:
		padR += free
	}
	return strings.Repeat(" ", padL) + content + strings.Repeat(" ", padR)
}

// Update writes actuals and the Last Tested line into the plan at path
// (see Rewrite). It holds an exclusive lock (flock) on a sidecar
// ".<name>.lock" file, removed when done, for the whole
// read-rewrite-write, waiting at most opts.LockTimeout for another
// updater; it writes a temporary file in the same directory,
// syncs it and renames it over the plan, keeping the file's mode, so the
// plan is either wholly old or wholly new. When the plan already reads as
// it would be written, nothing is written. On any error the plan is
// untouched.
func Update(ctx context.Context, path string, actuals map[string]Actual, lastTested string, opts Options) error {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return fmt.Errorf("update plan: %w", err)
	}
	unlock, err := lockPlan(ctx, path, real, opts.lockTimeout())
	if err != nil {
		return err
	}
	defer unlock()
	fi, err := os.Stat(real)
	if err != nil {
		return fmt.Errorf("update plan: %w", err)
	}
	src, err := os.ReadFile(real)
	if err != nil {
		return fmt.Errorf("update plan: %w", err)
	}
	out, err := Rewrite(path, src, actuals, lastTested, opts)
	if err != nil {
		return err
	}
	if bytes.Equal(out, src) {
		return nil
	}
	if err := writeAtomic(real, out, fi); err != nil {
		return fmt.Errorf("update plan %s: %w", path, err)
	}
	return nil
}

// Diff returns, as a unified diff, what Update would change in the plan at
// path; "" when it would change nothing.
func Diff(path string, actuals map[string]Actual, lastTested string, opts Options) (string, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("diff plan: %w", err)
	}
	out, err := Rewrite(path, src, actuals, lastTested, opts)
	if err != nil {
		return "", err
	}
	return unifiedDiff(filepath.ToSlash(path), splitLines(src), splitLines(out)), nil
}

func (o Options) lockTimeout() time.Duration {
	if o.LockTimeout > 0 {
		return o.LockTimeout
	}
	return DefaultLockTimeout
}

// beforeRename, when set by a test, runs after the temporary file is
// written and synced and before it replaces the plan.
var beforeRename func(tmp string) error

func writeAtomic(path string, data []byte, fi fs.FileInfo) (err error) {
	dir, base := filepath.Split(path)
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("create temporary file: %w", err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	if err := f.Chmod(fi.Mode().Perm()); err != nil {
		return fmt.Errorf("keep mode of %s: %w", path, err)
	}
	keepOwner(f, fi)
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", tmp, err)
	}
	if beforeRename != nil {
		if err := beforeRename(tmp); err != nil {
			return err
		}
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("replace %s: %w", path, err)
	}
	syncDir(dir)
	return nil
}

// shortWhy names a declared worst case's cadence for a plan cell: "data
// backup every 24 h".
func shortWhy(r *result.RPO) string {
	if c := r.Cycle; c != nil && c.Declared > 0 {
		return fmt.Sprintf("%s backup to the %s every %s", c.Tag, c.Repository, result.Human(c.Declared.Duration()))
	}
	return "backup cadence"
}
