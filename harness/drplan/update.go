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

// Actual is what a drill measured for one row of the plan.
type Actual struct {
	RTO   time.Duration
	RPO   time.Duration
	RunID string // the firedrill run that measured it
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

// ActualsFromRun collects the actuals of a run by plan row. A row measured
// by several scenarios (Q1's restore and re-fetch options) gets the worst
// RTO and the worst RPO among them: the plan states what the team can
// count on. Scenarios that did not measure both RTO and RPO are left out.
// It fails for a run of any profile but quarterly: a ci run backs up far
// more often than the plan, so its RPO would promise what the plan cannot.
func ActualsFromRun(run result.Run) (map[string]Actual, error) {
	if run.Profile != QuarterlyProfile {
		return nil, fmt.Errorf("collect actuals of run %s: %w: profile %q backs up on its own cadence, not the plan's, so its RPO would misstate the plan; run with --profile %s to update it",
			run.RunID, ErrNotQuarterly, run.Profile, QuarterlyProfile)
	}
	out := map[string]Actual{}
	for _, s := range run.Scenarios {
		if s.PlanRow == "" || s.RTO == nil || s.RPO == nil {
			continue
		}
		key := normalize(s.PlanRow)
		a, ok := out[key]
		if !ok {
			a = Actual{RunID: run.RunID}
		}
		a.RTO = max(a.RTO, s.RTO.Actual.Duration())
		a.RPO = max(a.RPO, s.RPO.Actual.Duration())
		out[key] = a
	}
	return out, nil
}

// LastTested is the value Update writes on the Last Tested line:
// "2026-11-27 (firedrill run 20261127T101500Z-ab12, profile quarterly)".
func LastTested(at time.Time, runID, profile string) string {
	return fmt.Sprintf("%s (firedrill run %s, profile %s)", at.Format("2006-01-02"), runID, profile)
}

// Cell is the text Update writes in an Actual cell: result.Human's form,
// with the run id when opts.RunInCell.
func Cell(d time.Duration, runID string, opts Options) string {
	s := result.Human(d)
	if opts.RunInCell && runID != "" {
		s += " (run " + runID + ")"
	}
	return s
}

// Rewrite returns src with the Actual cells of the rows in actuals and the
// Last Tested line (unless lastTested is empty) rewritten, every other byte
// as it was. Rows are named as in Plan.Row. It fails, naming file, line and
// fix, if the table, a row, the row's targets or the Last Tested line is
// missing or unreadable.
func Rewrite(name string, src []byte, actuals map[string]Actual, lastTested string, opts Options) ([]byte, error) {
	p, err := ParseBytes(name, src)
	if err != nil {
		return nil, err
	}
	if len(actuals) == 0 {
		return nil, fmt.Errorf("rewrite plan %s: no actuals to write: run at least one drill that measures RTO and RPO", name)
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
		lines[i].text = p.rewriteRow(lines[i].text, r, map[int]string{
			p.cols.rtoActual: Cell(a.RTO, a.RunID, opts),
			p.cols.rpoActual: Cell(a.RPO, a.RunID, opts),
		})
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
