package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/jedib0t/go-pretty/v6/table"
	"github.com/jedib0t/go-pretty/v6/text"

	"firedrill/harness/result"
)

var trendHeader = table.Row{"Drill", "Scenario", "RTO actual", "RTO previous", "RTO best", "RPO actual", "RPO previous", "RPO best", "Trend"}

// trendRows is the comparison table; nil without history.
func trendRows(run result.Run, opts Options, paint painter) []table.Row {
	if len(opts.History) == 0 {
		return nil
	}
	var rows []table.Row
	for _, c := range Trend(opts.History, run, opts.Threshold) {
		var prevRTO, prevRPO, bestRTO, bestRPO = none, none, none, none
		if c.Previous != nil {
			prevRTO, prevRPO = optHuman(c.Previous.RTO), optHuman(c.Previous.RPO)
		}
		if c.Best != nil {
			bestRTO, bestRPO = optHuman(c.Best.RTO), optHuman(c.Best.RPO)
		}
		verdict := trendText(c)
		if c.Regressed() {
			verdict = paint(verdict, text.FgRed, text.Bold)
		}
		rows = append(rows, table.Row{
			c.Current.Drill, c.Current.Scenario, optHuman(c.Current.RTO), prevRTO, bestRTO,
			optHuman(c.Current.RPO), prevRPO, bestRPO, verdict,
		})
	}
	return rows
}

func thresholdText(opts Options) string {
	t := opts.Threshold
	if t <= 0 {
		t = DefaultThreshold
	}
	return fmt.Sprintf("%.0f%%", t*100)
}

// newTerminalTable is a go-pretty table in the terminal's light style,
// headers as written.
func newTerminalTable(header table.Row) table.Writer {
	t := table.NewWriter()
	t.SetStyle(table.StyleLight)
	t.Style().Format.Header = text.FormatDefault
	t.AppendHeader(header)
	return t
}

// Terminal writes the run for a person at a terminal: the run's table, the
// trend against history, and per scenario its timings, phases, findings
// and failures.
func Terminal(w io.Writer, run result.Run, opts Options) error {
	paint := painter(plain)
	if opts.Color {
		paint = ansi
	}
	out := &errWriter{w: w}
	first, second := runLines(run)
	out.printf("%s\n%s\n\n", paint(first, text.Bold), second)

	t := newTerminalTable(summaryHeader)
	t.AppendRows(summaryRows(run, paint, false))
	t.SetColumnConfigs([]table.ColumnConfig{
		{Number: 2, WidthMax: 32, WidthMaxEnforcer: text.WrapSoft}, {Number: 3, WidthMax: 24, WidthMaxEnforcer: text.WrapSoft},
		{Number: 4, WidthMax: 18, WidthMaxEnforcer: text.WrapSoft}, {Number: 6, WidthMax: 20, WidthMaxEnforcer: text.WrapSoft},
	})
	out.printf("%s\n", t.Render())
	if lines := auditLines(run); len(lines) > 0 {
		out.printf("\n%s\n", paint("Plan audit: promises the plan's own backups cannot keep (or cannot be shown to)", text.Bold))
		for _, l := range lines {
			out.printf("  %s\n", l)
		}
	}

	if rows := trendRows(run, opts, paint); rows != nil {
		out.printf("\n%s\n", paint(fmt.Sprintf("Against earlier %s runs (regression: worse than the previous by more than %s)", run.Profile, thresholdText(opts)), text.Bold))
		t := newTerminalTable(trendHeader)
		t.AppendRows(rows)
		t.SetColumnConfigs([]table.ColumnConfig{{Number: 2, WidthMax: 30, WidthMaxEnforcer: text.WrapSoft}})
		out.printf("%s\n", t.Render())
	}

	for _, s := range run.Scenarios {
		out.printf("\n%s · %s\n", paint(title(s), text.Bold), status(s.Status, paint))
		if l := notRunLine(s); l != "" {
			out.printf("%s\n", paint(l, text.FgYellow))
		}
		out.printf("%s\n", recoveryLine(s))
		if l := rpoLine(s); l != "" {
			out.printf("%s\n", l)
		}
		if l := engineLine(s); l != "" {
			out.printf("%s\n", l)
		}
		for _, e := range s.Evidence {
			out.printf("evidence: %s: %s\n", e.Name, indent(strings.TrimRight(e.Detail, "\n"), "  "))
		}
		if len(s.Phases) > 0 {
			t := newTerminalTable(phaseHeader)
			t.AppendRows(phaseRows(s))
			t.SetColumnConfigs([]table.ColumnConfig{{Number: 2, Align: text.AlignRight}, {Number: 3, Align: text.AlignRight}})
			out.printf("%s\n", t.Render())
		}
		if len(s.Findings) > 0 {
			out.printf("%s\n", paint(fmt.Sprintf("Findings (%d): steps of the plan that did not work as written", len(s.Findings)), text.FgYellow, text.Bold))
			fault, hasFault := s.FaultAt()
			for i, f := range s.Findings {
				when := ""
				if hasFault && !f.At.IsZero() {
					when = " (" + offset(fault, f.At) + ")"
				}
				out.printf("  F%d %s%s\n", i+1, f.Step, when)
				if f.Command != "" {
					out.printf("     $ %s\n", strings.ReplaceAll(f.Command, "\n", "\n       "))
				}
				for _, l := range lastLines(f.Output, 3, 100) {
					out.printf("     %s\n", l)
				}
				if f.Resolution != "" {
					out.printf("     → %s\n", strings.ReplaceAll(f.Resolution, "\n", "\n       "))
				}
			}
		}
		for _, f := range s.Failures {
			out.printf("%s %s\n", paint("✗", text.FgRed, text.Bold), f)
		}
	}
	if out.err != nil {
		return fmt.Errorf("write terminal report: %w", out.err)
	}
	return nil
}
