package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/jedib0t/go-pretty/v6/table"

	"firedrill/harness/result"
)

func markdownTable(header table.Row, rows []table.Row) string {
	t := table.NewWriter()
	t.AppendHeader(header)
	t.AppendRows(rows)
	return t.RenderMarkdown()
}

// codeSpan writes s as inline code, fenced with more backticks than s
// holds in a row.
func codeSpan(s string) string {
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

// Markdown writes the run as Markdown for a CI job summary or a pull
// request: the same tables as the terminal, headed.
func Markdown(w io.Writer, run result.Run, opts Options) error {
	out := &errWriter{w: w}
	first, second := runLines(run)
	out.printf("## %s\n\n%s\n\n", first, second)
	out.printf("%s\n", markdownTable(summaryHeader, summaryRows(run, strong)))
	if lines := auditLines(run); len(lines) > 0 {
		out.printf("\n### Plan audit\n\nPromises the plan's own backups cannot keep (or cannot be shown to):\n\n")
		for _, l := range lines {
			out.printf("- %s\n", l)
		}
	}

	if rows := trendRows(run, opts, strong); rows != nil {
		out.printf("\n### Against earlier %s runs\n\nA regression is an RTO or RPO worse than the previous run's by more than %s.\n\n%s\n",
			run.Profile, thresholdText(opts), markdownTable(trendHeader, rows))
	}

	for _, s := range run.Scenarios {
		out.printf("\n### %s: %s\n\n", title(s), status(s.Status, strong))
		var lines []string
		if l := notRunLine(s); l != "" {
			lines = append(lines, l)
		}
		lines = append(lines, recoveryLine(s))
		if l := rpoLine(s); l != "" {
			lines = append(lines, l)
		}
		for _, e := range s.Evidence {
			lines = append(lines, "evidence: "+e.Name+": "+e.Detail)
		}
		out.printf("%s\n", strings.Join(lines, "  \n"))
		if len(s.Phases) > 0 {
			out.printf("\n%s\n", markdownTable(phaseHeader, phaseRows(s)))
		}
		if len(s.Findings) > 0 {
			out.printf("\n**Findings (%d):** steps of the plan that did not work as written\n\n", len(s.Findings))
			rows := make([]table.Row, 0, len(s.Findings))
			for i, f := range s.Findings {
				var output []string
				for _, l := range lastLines(f.Output, 3, 100) {
					output = append(output, codeSpan(l))
				}
				rows = append(rows, table.Row{i + 1, f.Step, codeSpan(f.Command), strings.Join(output, "<br>"), f.Resolution})
			}
			out.printf("%s\n", markdownTable(table.Row{"#", "Step", "Command", "Output (end)", "Resolution"}, rows))
		}
		if len(s.Failures) > 0 {
			out.printf("\n**Failures:**\n\n")
			for _, f := range s.Failures {
				out.printf("- %s\n", strings.ReplaceAll(f, "\n", " "))
			}
		}
	}
	if out.err != nil {
		return fmt.Errorf("write markdown report: %w", out.err)
	}
	return nil
}
