// Package report renders a firedrill run for the people who read it: a
// table in the terminal, Markdown for a CI job summary, one self-contained
// HTML page with a timeline per scenario, CSV for spreadsheets, and the
// history lines that let the next run show drift.
//
// It renders a result.Run and nothing else, so any past run can be
// rendered again from its results.json. It reads no clock and no files:
// every renderer writes to the io.Writer it is given, and the same run
// renders to the same bytes. Durations read as a person says them
// (result.Human: "42 s", "3 min 12 s"). Colour is the caller's decision
// (Options.Color: a TTY, and NO_COLOR unset).
package report

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/jedib0t/go-pretty/v6/table"
	"github.com/jedib0t/go-pretty/v6/text"

	"firedrill/harness/result"
)

// Options tune the renderers.
type Options struct {
	// Color writes ANSI colours in the terminal table. The caller sets it
	// for a TTY when NO_COLOR is unset; other formats ignore it.
	Color bool
	// History holds earlier results (reports/history.jsonl, see
	// ReadHistory). When it has entries, reports compare each scenario with
	// the previous and the best run of the same drill and profile. Entries
	// of the run being rendered are ignored.
	History []Entry
	// Threshold is the relative worsening of RTO or RPO against the
	// previous run that counts as a regression; DefaultThreshold when 0.
	Threshold float64
	// Hostname is the machine the drills ran on, for junit.xml
	// ("localhost" when empty).
	Hostname string
}

// painter colours a string, or leaves it as it is.
type painter func(s string, colors ...text.Color) string

func plain(s string, _ ...text.Color) string { return s }

// strong marks in Markdown what the terminal paints bold red (a failure,
// a missed target, a regression).
func strong(s string, colors ...text.Color) string {
	if s == "" {
		return s
	}
	for _, c := range colors {
		if c == text.FgRed {
			return "**" + s + "**"
		}
	}
	return s
}

// ansi colours with escape codes regardless of go-pretty's global colour
// switch: the caller has already decided.
func ansi(s string, colors ...text.Color) string {
	if s == "" || len(colors) == 0 {
		return s
	}
	return text.Escape(s, text.Colors(colors).EscapeSeq())
}

// none marks a value a scenario did not measure.
const none = "-"

func human(s result.Seconds) string { return result.Human(s.Duration()) }

// clock writes a time of day in UTC, as in the objective messages.
func clock(t time.Time) string { return t.UTC().Format("15:04:05Z") }

// stamp writes a date and time in UTC.
func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05Z") }

// offset writes t relative to the fault: "+12 s", "-30 s", "0 s".
func offset(fault, t time.Time) string {
	d := t.Sub(fault)
	if d > 0 {
		return "+" + result.Human(d)
	}
	return result.Human(d)
}

func title(s result.Scenario) string {
	if s.Drill == "" {
		return s.Name
	}
	return s.Drill + " · " + s.Name
}

// runLines are the two lines that head every report.
func runLines(run result.Run) (string, string) {
	first := "firedrill run " + run.RunID + " · profile " + run.Profile
	if run.System != "" {
		first += " · system " + run.System
	}
	var second []string
	if run.Plan != "" {
		second = append(second, "plan "+run.Plan)
	}
	if !run.StartedAt.IsZero() {
		second = append(second, "started "+stamp(run.StartedAt))
		if run.EndedAt.After(run.StartedAt) {
			second = append(second, "took "+result.Human(run.EndedAt.Sub(run.StartedAt)))
		}
	}
	second = append(second, passedLine(run))
	return first, strings.Join(second, " · ")
}

// passedLine counts the run's scenarios: "5 of 5 scenarios passed", and
// when some did not pass, how many failed and how many were not run, so a
// drill that never ran is not read as a failed recovery, nor missed.
func passedLine(run result.Run) string {
	c := run.Count()
	line := fmt.Sprintf("%d of %d scenarios passed", c.Passed, c.Total)
	if c.Failed > 0 {
		line += fmt.Sprintf(", %d failed", c.Failed)
	}
	if c.NotRun > 0 {
		line += fmt.Sprintf(", %d not run", c.NotRun)
	}
	if c.Other > 0 {
		line += fmt.Sprintf(", %d with no known status", c.Other)
	}
	return line
}

var summaryHeader = table.Row{"Drill", "Scenario", "Plan row", "RTO actual", "RTO target", "RPO actual", "RPO target", "Lost", "Status", "Findings"}

// summaryRows is the run's table: one row per scenario. With marks, each
// measured objective starts with a met (✅) or missed (❌) mark.
func summaryRows(run result.Run, paint painter, marks bool) []table.Row {
	rows := make([]table.Row, 0, len(run.Scenarios))
	for _, s := range run.Scenarios {
		rtoActual, rtoTarget, rpoActual, rpoTarget, lost := none, none, none, none, none
		if s.RTO != nil {
			rtoActual, rtoTarget = objective(human(s.RTO.Actual), s.RTO.Met, paint, marks), human(s.RTO.Target)
			if s.RTO.ManualAutomated {
				rtoActual += ", manual steps automated"
			}
		}
		if s.RPO != nil {
			rpoActual, rpoTarget = objective(human(s.RPO.Actual), s.RPO.Met, paint, marks), human(s.RPO.Target)
			if s.RPO.WorstCaseBasis == result.BasisDeclared && !s.RPO.WorstCaseMet {
				rpoActual += "; " + objective("worst case "+human(s.RPO.WorstCase)+" (declared cadence)", false, paint, marks)
			}
			lost = fmt.Sprint(s.RPO.LostEvents)
		}
		findings := fmt.Sprint(len(s.Findings))
		if len(s.Findings) > 0 {
			findings = paint(findings, text.FgYellow)
		}
		rows = append(rows, table.Row{s.Drill, s.Name, s.PlanRow, rtoActual, rtoTarget, rpoActual, rpoTarget, lost, status(s.Status, paint), findings})
	}
	return rows
}

// objective writes a measured value, marked when it missed its target;
// with marks, ✅ or ❌ before it.
func objective(value string, met bool, paint painter, marks bool) string {
	switch {
	case met && marks:
		return "✅ " + value
	case met:
		return value
	case marks:
		return "❌ " + paint(value+" (over)", text.FgRed, text.Bold)
	}
	return paint(value+" (over)", text.FgRed, text.Bold)
}

func status(s result.Status, paint painter) string {
	switch s {
	case result.Passed:
		return paint(string(s), text.FgGreen)
	case result.Failed:
		return paint(string(s), text.FgRed, text.Bold)
	case result.NotRun:
		// Neither green nor red: nothing was recovered, nothing failed.
		return paint(string(s), text.FgYellow, text.Bold)
	}
	return string(s)
}

// notRunLine says why a scenario was not run; "" for one that ran.
func notRunLine(s result.Scenario) string {
	if s.Status != result.NotRun {
		return ""
	}
	// One line in every format: a reason may quote a command's output.
	reason := strings.Join(strings.Fields(s.NotRunReason), " ")
	if reason == "" {
		reason = "no reason was recorded"
	}
	return "not run: " + reason
}

var phaseHeader = table.Row{"Phase", "Start (from fault)", "Duration", "Mode"}

// phaseRows is a scenario's phase table.
func phaseRows(s result.Scenario) []table.Row {
	fault, ok := s.FaultAt()
	rows := make([]table.Row, 0, len(s.Phases))
	for _, p := range s.Phases {
		start := none
		if ok {
			start = offset(fault, p.StartedAt)
		}
		rows = append(rows, table.Row{p.Name, start, result.Human(p.Duration()), mode(p)})
	}
	return rows
}

// mode says who did a phase.
func mode(p result.Phase) string {
	switch {
	case p.Manual && p.Automated:
		return "automated (manual in plan)"
	case p.Manual:
		return "manual"
	}
	return "automated"
}

// recoveryLine sums up when things happened in a scenario.
func recoveryLine(s result.Scenario) string {
	fault, ok := s.FaultAt()
	if !ok {
		return "no fault was injected"
	}
	parts := []string{"fault " + clock(fault)}
	for _, e := range s.Events {
		if e.Kind == "failure_observed" && !e.At.Before(fault) {
			parts = append(parts, "detected "+offset(fault, e.At))
			break
		}
	}
	if s.RTO != nil {
		parts = append(parts, "verified "+offset(fault, s.RTO.VerifiedAt))
		if s.RTO.ProbeInterval > 0 {
			parts = append(parts, "probed every "+human(s.RTO.ProbeInterval))
		}
	} else {
		parts = append(parts, "recovery not verified")
	}
	return strings.Join(parts, " · ")
}

// engineLine says which Docker engine ran which of the scenario's
// containers, when the run spread over several ("" otherwise).
func engineLine(s result.Scenario) string {
	if len(s.Engines) == 0 {
		return ""
	}
	byEngine := map[string][]string{}
	var engines []string
	for role, e := range s.Engines {
		if byEngine[e] == nil {
			engines = append(engines, e)
		}
		byEngine[e] = append(byEngine[e], role)
	}
	sort.Strings(engines)
	var parts []string
	for _, e := range engines {
		roles := byEngine[e]
		sort.Strings(roles)
		parts = append(parts, strings.Join(roles, ", ")+" on "+e)
	}
	return "engines: " + strings.Join(parts, "; ")
}

// rpoLine says what the RPO was measured from.
func rpoLine(s result.Scenario) string {
	if s.RPO == nil {
		return ""
	}
	line := "RPO " + human(s.RPO.Actual)
	if s.RPO.Basis != "" {
		line += ": " + s.RPO.Basis
	}
	line += fmt.Sprintf(" · lost events: %d", s.RPO.LostEvents)
	if s.RPO.Uncertain > 0 {
		line += fmt.Sprintf(" · uncertain: %d", s.RPO.Uncertain)
	}
	if s.RPO.WorstCaseBasis != "" {
		verdict := "meets"
		if !s.RPO.WorstCaseMet {
			verdict = "misses"
		}
		line += fmt.Sprintf(" · judged on the worst case, %s (%s), which %s the %s target", human(s.RPO.WorstCase), s.RPO.WorstCaseBasis, verdict, human(s.RPO.Target))
		if s.RPO.WorstCaseWhy != "" {
			line += ": " + s.RPO.WorstCaseWhy
		}
	}
	return line
}

// auditLines are the plan audit's lines for a report: the promises the
// plan's own backups cannot keep, or cannot be shown to keep.
func auditLines(run result.Run) []string {
	var out []string
	for _, a := range run.PlanAudit {
		if a.Verdict != "kept" {
			out = append(out, a.Text)
		}
	}
	return out
}

// lastLines keeps the last n non-empty lines of a command's output, each
// cut to width runes: the end of an output is where the error is.
func lastLines(out string, n, width int) []string {
	var lines []string
	for _, l := range strings.Split(strings.ReplaceAll(out, "\r\n", "\n"), "\n") {
		if l = strings.TrimRight(l, " \t"); l != "" {
			lines = append(lines, cut(l, width))
		}
	}
	if len(lines) > n {
		lines = append([]string{"…"}, lines[len(lines)-n:]...)
	}
	return lines
}

func cut(s string, width int) string {
	r := []rune(s)
	if len(r) <= width {
		return s
	}
	return string(r[:width-1]) + "…"
}

// errWriter keeps the first write error, so a renderer can write freely
// and report once.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

func (e *errWriter) printf(format string, args ...any) { fmt.Fprintf(e, format, args...) }
