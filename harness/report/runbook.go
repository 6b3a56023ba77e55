package report

import (
	"fmt"
	"sort"
	"strings"

	"github.com/jedib0t/go-pretty/v6/table"

	"firedrill/harness/result"
)

// The runbook's coverage: every numbered step of the plan's procedures,
// and what the run's scenarios did with it.

var coverageHeader = table.Row{"Plan step", "Title", "Line", "What the run did"}

// shortOutcome is how a coverage cell names an outcome.
func shortOutcome(o string) string {
	switch o {
	case result.OutcomePassed:
		return "✅ ran as written"
	case result.OutcomeFaultShown:
		return "✅ showed the fault"
	case result.OutcomeCorrected:
		return "🔧 failed as written, corrected"
	case result.OutcomeFailed:
		return "❌ failed as written"
	case result.OutcomeOperator + ", " + result.OperatorAutomated:
		return "👤 operator step, automated"
	case result.OutcomeOperator + ", " + result.OperatorByOperator:
		return "👤 operator step, by the operator"
	case result.OutcomeNotDrilled:
		return "— not drilled"
	}
	return o
}

// coverageRows is one row per numbered step of the run's runbook; marks
// keeps the outcomes' emoji (Markdown), or drops them (HTML, whose fonts may
// have none).
func coverageRows(run result.Run, marks bool) []table.Row {
	type key struct{ proc, step int }
	cells := map[key]map[string][]string{}
	for _, s := range run.Scenarios {
		for _, p := range s.PlanSteps {
			k := key{p.Procedure, p.Step}
			if cells[k] == nil {
				cells[k] = map[string][]string{}
			}
			o := shortOutcome(p.Outcome)
			if !marks {
				if _, text, ok := strings.Cut(o, " "); ok {
					o = text
				}
			}
			cells[k][o] = append(cells[k][o], s.Drill)
		}
	}
	var rows []table.Row
	for _, r := range run.Runbook {
		what := "not touched by this run"
		if m := cells[key{r.Procedure, r.Step}]; len(m) > 0 {
			var parts []string
			for _, o := range sortedKeys(m) {
				parts = append(parts, fmt.Sprintf("%s (%s)", o, drillCounts(m[o])))
			}
			what = strings.Join(parts, "; ")
		}
		rows = append(rows, table.Row{
			fmt.Sprintf("scenario %d step %d", r.Procedure, r.Step),
			oneLine(r.Title, 48), r.Line, oneLine(what, 110),
		})
	}
	return rows
}

// drillCounts reads "Q1 ×3, Q2".
func drillCounts(drills []string) string {
	n := map[string]int{}
	for _, d := range drills {
		if d == "" {
			d = "other"
		}
		n[d]++
	}
	var out []string
	for _, d := range sortedKeys(n) {
		if n[d] > 1 {
			out = append(out, fmt.Sprintf("%s ×%d", d, n[d]))
		} else {
			out = append(out, d)
		}
	}
	return strings.Join(out, ", ")
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// markdownRunbook writes the coverage table, the substitutions and the
// proposed plan patch.
func markdownRunbook(out *errWriter, run result.Run) {
	if len(run.Runbook) > 0 {
		out.printf("\n### Runbook coverage\n\nEvery numbered step of the plan's procedures, and what this run did with it (✅ ran as the plan writes it, 🔧 failed as written and the corrected step passed, ❌ failed, 👤 an operator step firedrill did its own way, — not drilled).\n\n%s\n",
			markdownTable(coverageHeader, coverageRows(run, true)))
	}
	if len(run.Substitutions) > 0 {
		out.printf("\n<details><summary>The plan's words on this system (%d substitutions)</summary>\n\n", len(run.Substitutions))
		var b strings.Builder
		for _, s := range run.Substitutions {
			fmt.Fprintf(&b, "%s\n  → %s\n", s.Plan, s.Here)
		}
		out.printf("%s\n</details>\n", codeBlock(b.String(), "text"))
	}
	if run.PlanPatch != "" {
		out.printf("\n### Proposed plan patch\n\nThe steps of the plan that failed as written, replaced by the corrected steps that passed (`firedrill plan fix %s --apply` writes it into the plan):\n\n<details><summary>%s</summary>\n\n%s\n</details>\n",
			run.RunID, patchSummary(run.PlanPatch), codeBlock(run.PlanPatch, "diff"))
	}
}

// patchSummary counts a diff's hunks and lines.
func patchSummary(diff string) string {
	hunks, add, del := 0, 0, 0
	for _, l := range strings.Split(diff, "\n") {
		switch {
		case strings.HasPrefix(l, "@@"):
			hunks++
		case strings.HasPrefix(l, "+") && !strings.HasPrefix(l, "+++"):
			add++
		case strings.HasPrefix(l, "-") && !strings.HasPrefix(l, "---"):
			del++
		}
	}
	return fmt.Sprintf("%d hunk(s): %d line(s) out, %d in", hunks, del, add)
}

// htmlRunbook is markdownRunbook for report.html.
func htmlRunbook(b *strings.Builder, run result.Run) {
	if len(run.Runbook) > 0 {
		b.WriteString("<section>\n<h2>Runbook coverage</h2>\n<p class=\"meta\">Every numbered step of the plan&#39;s procedures, and what this run did with it.</p>\n")
		b.WriteString(htmlTable("cards wide", coverageHeader, coverageRows(run, false), 2))
		b.WriteString("</section>\n")
	}
	if len(run.Substitutions) > 0 {
		fmt.Fprintf(b, "<section>\n<details><summary>The plan&#39;s words on this system (%d substitutions)</summary>\n<ul>\n", len(run.Substitutions))
		for _, s := range run.Substitutions {
			fmt.Fprintf(b, "<li><code>%s</code> → <code>%s</code></li>\n", esc(s.Plan), esc(s.Here))
		}
		b.WriteString("</ul>\n</details>\n</section>\n")
	}
	if run.PlanPatch != "" {
		fmt.Fprintf(b, "<section>\n<h2>Proposed plan patch</h2>\n<p class=\"meta\">The steps that failed as written, replaced by the corrected steps that passed: <code>firedrill plan fix %s --apply</code> writes it into the plan.</p>\n<pre class=\"pre\">%s</pre>\n</section>\n",
			esc(run.RunID), esc(run.PlanPatch))
	}
}
