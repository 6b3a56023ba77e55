package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/jedib0t/go-pretty/v6/table"

	"firedrill/harness/result"
)

// maxCell is the longest a Markdown table cell gets, in runes: a longer
// text is cut there, and written whole in a <details> block below the
// table (GitHub's job summary and pull requests render tables one line a
// row; a longer cell makes the table unreadable).
const maxCell = 120

// markdownTable renders rows as a GitHub table. A cell is one line (a
// line break would become literal HTML, and inside a code span, shown as
// such) of at most maxCell runes.
func markdownTable(header table.Row, rows []table.Row) string {
	flat := make([]table.Row, 0, len(rows))
	for _, r := range rows {
		row := make(table.Row, 0, len(r))
		for _, c := range r {
			row = append(row, oneLine(fmt.Sprint(c), maxCell))
		}
		flat = append(flat, row)
	}
	t := table.NewWriter()
	t.AppendHeader(header)
	t.AppendRows(flat)
	return t.RenderMarkdown()
}

// oneLine joins a text's lines and spaces, cut to width runes.
func oneLine(s string, width int) string {
	return cut(strings.Join(strings.Fields(s), " "), width)
}

// codeSpan writes s as inline code, fenced with more backticks than s
// holds in a row. s must be one line: Markdown has no line break inside a
// code span.
func codeSpan(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return ""
	}
	fence := "`"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	pad := ""
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		pad = " "
	}
	return fence + pad + s + pad + fence
}

// codeBlock writes s as a fenced code block, fenced with more backticks
// than s holds in a row (three at least).
func codeBlock(s, lang string) string {
	fence := "```"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	return fence + lang + "\n" + strings.TrimRight(s, "\n") + "\n" + fence + "\n"
}

// Markdown writes the run as Markdown for a CI job summary or a pull
// request: the same tables as the terminal, headed, with a met (✅) or
// missed (❌) mark per objective. No cell is longer than maxCell runes or
// holds a line break; a finding's command and output, and evidence of
// several lines, are in blocks below the tables.
func Markdown(w io.Writer, run result.Run, opts Options) error {
	out := &errWriter{w: w}
	first, second := runLines(run)
	out.printf("## %s\n\n%s\n\n", first, second)
	out.printf("%s\n\n", markdownTable(summaryHeader, summaryRows(run, strong, true)))
	out.printf("✅ met the plan's target · ❌ missed it · %s not measured\n", none)
	if lines := auditLines(run); len(lines) > 0 {
		out.printf("\n### Plan audit\n\nPromises the plan's own backups cannot keep (or cannot be shown to):\n\n")
		for _, l := range lines {
			out.printf("- %s\n", oneLine(l, 1000))
		}
	}

	if rows := trendRows(run, opts, strong); rows != nil {
		out.printf("\n### Against earlier %s runs\n\nA regression is an RTO or RPO worse than the previous run's by more than %s.\n\n%s\n",
			run.Profile, thresholdText(opts), markdownTable(trendHeader, rows))
	}

	markdownRunbook(out, run)

	for _, s := range run.Scenarios {
		markdownScenario(out, s)
	}
	if out.err != nil {
		return fmt.Errorf("write markdown report: %w", out.err)
	}
	return nil
}

func markdownScenario(out *errWriter, s result.Scenario) {
	out.printf("\n### %s: %s\n\n", title(s), status(s.Status, strong))
	var lines []string
	if l := notRunLine(s); l != "" {
		lines = append(lines, l)
	}
	lines = append(lines, recoveryLine(s))
	if l := rpoLine(s); l != "" {
		lines = append(lines, oneLine(l, 10000))
	}
	if l := engineLine(s); l != "" {
		lines = append(lines, l)
	}
	if s.Feature != "" {
		where := s.Feature
		if s.Line > 0 {
			where += fmt.Sprintf(":%d", s.Line)
		}
		lines = append(lines, "scenario "+codeSpan(where))
	}
	out.printf("%s\n", strings.Join(lines, "  \n"))
	if len(s.Evidence) > 0 {
		out.printf("\nEvidence:\n\n")
		for _, e := range s.Evidence {
			detail := strings.TrimRight(e.Detail, "\n")
			if !strings.Contains(detail, "\n") {
				out.printf("- %s: %s\n", e.Name, detail)
				continue
			}
			// its line breaks kept, in a block under its item
			out.printf("- %s:\n\n%s\n", e.Name, indentBlock(codeBlock(detail, "text"), "  "))
		}
	}
	if len(s.Phases) > 0 {
		out.printf("\n%s\n", markdownTable(phaseHeader, phaseRows(s)))
	}
	if len(s.Findings) > 0 {
		out.printf("\n**Findings (%d):** steps of the plan that did not work as written (command and output below)\n\n", len(s.Findings))
		rows := make([]table.Row, 0, len(s.Findings))
		for i, f := range s.Findings {
			rows = append(rows, table.Row{fmt.Sprintf("F%d", i+1), f.Step, codeSpan(oneLine(f.Command, 60)), f.Resolution})
		}
		out.printf("%s\n", markdownTable(table.Row{"#", "Step", "Command", "Resolution"}, rows))
		for i, f := range s.Findings {
			out.printf("\n<details><summary>F%d · %s: command and output</summary>\n\n", i+1, esc(oneLine(f.Step, 200)))
			if f.Command != "" {
				out.printf("%s\n", codeBlock(f.Command, "sh"))
			}
			if o := strings.TrimRight(f.Output, "\n"); o != "" {
				out.printf("%s\n", codeBlock(o, "text"))
			}
			if f.Resolution != "" {
				out.printf("Resolution: %s\n\n", oneLine(f.Resolution, 10000))
			}
			out.printf("</details>\n")
		}
	}
	if len(s.Failures) > 0 {
		out.printf("\n**Failures:**\n\n")
		for _, f := range s.Failures {
			first, rest, _ := strings.Cut(strings.TrimRight(f, "\n"), "\n")
			out.printf("- %s\n", first)
			if rest != "" {
				out.printf("\n%s\n", indentBlock(codeBlock(rest, "text"), "  "))
			}
		}
	}
}

// indentBlock indents every line of a block (to nest it in a list item).
func indentBlock(s, prefix string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = prefix + l
	}
	return strings.Join(lines, "\n")
}
