// Package drplan reads the RTO and RPO targets from a team's DR plan and
// writes the measured actuals back into it.
//
// The plan is a Markdown file a person maintains. Its "RTO/RPO Summary"
// table (found under a heading or bold line containing those words) reads
//
//	| Scenario | RTO Target | Actual | RPO Target | Actual |
//
// with one row per scenario; each "Actual" column is the one right after its
// target. Parse reads the targets in the units a person writes (ParseTarget);
// Update rewrites only the Actual cells of the measured rows and the
// "**Last Tested:**" line, and leaves every other byte of the file as it was
// (line endings, padding, other tables, a missing final newline). Update
// writes atomically under an exclusive lock, is idempotent, and leaves the
// file untouched when anything is wrong; Diff shows what it would change.
//
// Every error about the plan names the file, the line and the fix.
package drplan

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Errors a plan problem wraps; test with errors.Is.
var (
	ErrNoTable      = errors.New("no RTO/RPO Summary table")
	ErrBadTable     = errors.New("malformed RTO/RPO Summary table")
	ErrNoRow        = errors.New("no such row")
	ErrBadTarget    = errors.New("unparseable target")
	ErrNoLastTested = errors.New("no Last Tested line")
	ErrLocked       = errors.New("plan is locked by another run")
)

// Error is a problem with a plan file: where, what, and how to fix it. It
// reads `docs/dr-plan.md:212: RPO target "soon" for row "Data corruption"
// cannot be parsed: write a duration such as "5 min" or "30 s"`.
type Error struct {
	File    string
	Line    int // 1-based; 0 when the problem has no line
	Problem string
	Fix     string
	Kind    error // one of the Err* sentinels
}

func (e *Error) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc = fmt.Sprintf("%s:%d", e.File, e.Line)
	}
	return loc + ": " + e.Problem + ": " + e.Fix
}

// Unwrap returns the sentinel.
func (e *Error) Unwrap() error { return e.Kind }

// Plan is a parsed DR plan: its RTO/RPO Summary table and its Last Tested
// line.
type Plan struct {
	Name string // the file as named in messages
	Line int    // line of the table's header row
	Rows []Row
	// LastTested is the value of the "**Last Tested:**" line ("TBD"), and
	// LastTestedLine its line; 0 when the plan has none.
	LastTested     string
	LastTestedLine int

	lines      []line
	cols       columns
	align      []alignment // per column, from the separator row
	lastTested *lastTestedLine
}

// Row is one scenario's row of the table.
type Row struct {
	Scenario  string // as written
	Line      int
	RTOTarget time.Duration
	RPOTarget time.Duration
	// RTOActual and RPOActual are the Actual cells as written ("-").
	RTOActual string
	RPOActual string

	cells []span
	err   error // why a target could not be read, or a cell is missing
}

type columns struct{ scenario, rtoTarget, rtoActual, rpoTarget, rpoActual int }

// Parse reads the plan at path.
func Parse(path string) (*Plan, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read plan: %w: pass --plan with the DR plan that holds the \"RTO/RPO Summary\" table (default docs/dr-plan.md)", err)
	}
	return ParseBytes(path, b)
}

// ParseBytes parses a plan held in memory; name is used in messages.
func ParseBytes(name string, b []byte) (*Plan, error) {
	p := &Plan{Name: name, lines: splitLines(b)}
	if err := p.findTable(); err != nil {
		return nil, err
	}
	p.findLastTested()
	return p, nil
}

func (p *Plan) errorf(line int, kind error, fix, format string, args ...any) *Error {
	return &Error{File: p.Name, Line: line, Problem: fmt.Sprintf(format, args...), Fix: fix, Kind: kind}
}

const fixTable = "add the table (see README) or pass --plan"

const headerHint = `the header must read "| Scenario | RTO Target | Actual | RPO Target | Actual |"`

// findTable finds the first table that follows a heading or bold line
// naming "RTO/RPO Summary", outside code fences.
func (p *Plan) findTable() error {
	fenced := fences(p.lines)
	for i, l := range p.lines {
		if fenced[i] || !isTitle(l.text) || !strings.Contains(strings.ToLower(l.text), "rto/rpo summary") {
			continue
		}
		for j := i + 1; j < len(p.lines) && !fenced[j]; j++ {
			t := strings.TrimSpace(p.lines[j].text)
			if t == "" {
				continue
			}
			if isTitle(t) || isRule(t) {
				break
			}
			if j+1 < len(p.lines) && hasPipe(t) && isSeparator(p.lines[j+1].text) {
				return p.readTable(j)
			}
		}
	}
	return p.errorf(0, ErrNoTable, fixTable, `no "RTO/RPO Summary" table found`)
}

func (p *Plan) readTable(header int) error {
	p.Line = header + 1
	hcells := splitCells(p.lines[header].text)
	heads := make([]string, len(hcells))
	for i, c := range hcells {
		heads[i] = normalize(c.text(p.lines[header].text))
	}
	for _, c := range splitCells(p.lines[header+1].text) {
		p.align = append(p.align, alignOf(c.text(p.lines[header+1].text)))
	}
	cols, err := p.columns(heads)
	if err != nil {
		return err
	}
	p.cols = cols
	need := max(cols.scenario, cols.rtoTarget, cols.rtoActual, cols.rpoTarget, cols.rpoActual) + 1
	seen := map[string]int{}
	for i := header + 2; i < len(p.lines) && hasPipe(p.lines[i].text); i++ {
		text := p.lines[i].text
		cells := splitCells(text)
		r := Row{Line: i + 1, cells: cells}
		cell := func(c int) string {
			if c < len(cells) {
				return strings.TrimSpace(cells[c].text(text))
			}
			return ""
		}
		r.Scenario = strings.Trim(cell(cols.scenario), "*_`")
		r.RTOActual, r.RPOActual = cell(cols.rtoActual), cell(cols.rpoActual)
		if r.Scenario == "" {
			continue // a row with no scenario measures nothing
		}
		key := normalize(r.Scenario)
		if prev, dup := seen[key]; dup {
			return p.errorf(r.Line, ErrBadTable, "give each scenario one row",
				"row %q appears twice (also line %d)", r.Scenario, prev)
		}
		seen[key] = r.Line
		if len(cells) < need {
			r.err = p.errorf(r.Line, ErrBadTable, `fill every column (write "-" in an empty Actual cell)`,
				"row %q has %d cells, the header has %d", r.Scenario, len(cells), len(hcells))
		} else {
			r.RTOTarget, r.err = p.target(r, "RTO", cell(cols.rtoTarget))
			if r.err == nil {
				r.RPOTarget, r.err = p.target(r, "RPO", cell(cols.rpoTarget))
			}
		}
		p.Rows = append(p.Rows, r)
	}
	return nil
}

func (p *Plan) target(r Row, objective, text string) (time.Duration, error) {
	d, err := ParseTarget(text)
	var te *TargetError
	if errors.As(err, &te) {
		return 0, p.errorf(r.Line, ErrBadTarget, te.Fix, "%s target %q for row %q cannot be parsed", objective, text, r.Scenario)
	}
	return d, err
}

// columns matches the header by its words: "scenario", "rto"+"target",
// "rpo"+"target", and for each objective a column naming "rto"/"rpo" and
// "actual", else the "Actual" column right after its target.
func (p *Plan) columns(heads []string) (columns, error) {
	find := func(words ...string) int {
		for i, h := range heads {
			ok := true
			for _, w := range words {
				ok = ok && strings.Contains(h, w)
			}
			if ok {
				return i
			}
		}
		return -1
	}
	c := columns{scenario: find("scenario"), rtoTarget: find("rto", "target"), rpoTarget: find("rpo", "target")}
	if c.scenario < 0 {
		c.scenario = 0
	}
	actual := func(objective string, target int) (int, error) {
		if target < 0 {
			return -1, p.errorf(p.Line, ErrBadTable, headerHint, "the table has no %q column", objective+" Target")
		}
		if i := find(strings.ToLower(objective), "actual"); i >= 0 {
			return i, nil
		}
		if target+1 < len(heads) && strings.Contains(heads[target+1], "actual") {
			return target + 1, nil
		}
		return -1, p.errorf(p.Line, ErrBadTable, headerHint, "the table has no \"Actual\" column after %q", objective+" Target")
	}
	var err error
	if c.rtoActual, err = actual("RTO", c.rtoTarget); err != nil {
		return c, err
	}
	if c.rpoActual, err = actual("RPO", c.rpoTarget); err != nil {
		return c, err
	}
	return c, nil
}

// Row returns the row for scenario, matched case-insensitively with
// surrounding spaces and emphasis ignored.
func (p *Plan) Row(scenario string) (Row, error) {
	key := normalize(scenario)
	for _, r := range p.Rows {
		if normalize(r.Scenario) == key {
			return r, nil
		}
	}
	names := make([]string, len(p.Rows))
	for i, r := range p.Rows {
		names[i] = fmt.Sprintf("%q", r.Scenario)
	}
	return Row{}, p.errorf(p.Line, ErrNoRow,
		"add the row to the table or correct the scenario's plan row",
		"no row %q in the \"RTO/RPO Summary\" table (it has %s)", strings.TrimSpace(scenario), strings.Join(names, ", "))
}

// Target returns the RTO and RPO targets of the row for scenario.
func (p *Plan) Target(scenario string) (rto, rpo time.Duration, err error) {
	r, err := p.Row(scenario)
	if err != nil {
		return 0, 0, err
	}
	if r.err != nil {
		return 0, 0, r.err
	}
	return r.RTOTarget, r.RPOTarget, nil
}

// Check reports every problem with the rows named (missing, target
// unreadable), joined, so a run can refuse a bad plan before it breaks
// anything.
func (p *Plan) Check(scenarios ...string) error {
	var errs []error
	seen := map[string]bool{}
	for _, s := range scenarios {
		if seen[normalize(s)] {
			continue
		}
		seen[normalize(s)] = true
		if _, _, err := p.Target(s); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// normalize is how row names and header words compare: lower case,
// emphasis dropped, runs of spaces as one.
func normalize(s string) string {
	s = strings.ToLower(strings.Trim(strings.TrimSpace(s), "*_`"))
	return strings.Join(strings.Fields(s), " ")
}

// lastTestedRe matches "**Last Tested:** value" and its usual variants
// ("Last Tested: value", "**Last Tested**: value", a list item).
var lastTestedRe = regexp.MustCompile(`(?i)^(\s*(?:[-*+]\s+)?(?:\*\*|__)?last tested(?:\s*:\s*(?:\*\*|__)|(?:\*\*|__)\s*:|\s*:))(\s*)(.*?)(\s*)$`)

type lastTestedLine struct {
	index                     int
	prefix, gap, value, trail string
}

func (p *Plan) findLastTested() {
	fenced := fences(p.lines)
	for i, l := range p.lines {
		if fenced[i] {
			continue
		}
		if m := lastTestedRe.FindStringSubmatch(l.text); m != nil {
			p.lastTested = &lastTestedLine{index: i, prefix: m[1], gap: m[2], value: m[3], trail: m[4]}
			p.LastTested, p.LastTestedLine = m[3], i+1
			return
		}
	}
}

// sortedKeys returns the keys of m in the order of their normalized form,
// for deterministic errors.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return normalize(keys[i]) < normalize(keys[j]) })
	return keys
}
