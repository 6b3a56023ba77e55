package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/jedib0t/go-pretty/v6/table"
	"github.com/jedib0t/go-pretty/v6/text"

	"firedrill/harness/result"
)

// css styles the page; everything is inline, nothing is fetched.
const css = `
:root { color-scheme: light; --ink: #1f2328; --muted: #59636e; --line: #d1d9e0; --bg: #ffffff; --soft: #f6f8fa;
  --pass: #1a7f37; --fail: #cf222e; --warn: #9a6700; --auto: #3b6fb6; --manual: #d9822b; --rto: #cf222e; --rpo: #8250df; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "Noto Sans", "Liberation Sans", Arial, sans-serif; }
main { max-width: 1040px; margin: 0 auto; padding: 24px 20px 48px; }
h1 { font-size: 1.6rem; margin: 0 0 4px; }
h2 { font-size: 1.25rem; margin: 36px 0 8px; padding-top: 8px; border-top: 1px solid var(--line); }
h3 { font-size: 1.05rem; margin: 20px 0 6px; }
p.meta { color: var(--muted); margin: 0 0 8px; }
code, pre { font-family: ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas, "Liberation Mono", monospace; font-size: 0.85em; }
pre { background: var(--soft); border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px; margin: 4px 0; white-space: pre-wrap; word-break: break-word; max-height: 16em; overflow: auto; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; margin: 8px 0 12px; font-size: 0.92rem; }
th, td { border: 1px solid var(--line); padding: 5px 10px; text-align: left; vertical-align: top; }
th { background: var(--soft); font-weight: 600; }
td[align="right"], th[align="right"] { text-align: right; }
tbody tr:nth-child(even) td { background: #fbfcfd; }
.fg-green { color: var(--pass); font-weight: 600; }
.fg-red { color: var(--fail); }
.fg-yellow { color: var(--warn); }
.bold { font-weight: 700; }
.badge { display: inline-block; font-size: 0.8rem; font-weight: 600; padding: 1px 8px; border-radius: 999px; vertical-align: middle; color: #fff; }
.badge.passed { background: var(--pass); }
.badge.failed { background: var(--fail); }
.badge.not-run { background: var(--warn); }
p.not-run { color: var(--warn); font-weight: 600; margin: 0 0 4px; }
ul.failures { color: var(--fail); padding-left: 1.2em; }
figure { margin: 8px 0 4px; }
svg.timeline { display: block; width: 100%; max-width: 960px; height: auto; }
svg.timeline text { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "Noto Sans", "Liberation Sans", Arial, sans-serif; font-size: 12px; fill: var(--ink); }
svg.timeline .tick, svg.timeline .axis-title, svg.timeline .legend { fill: var(--muted); font-size: 11px; }
svg.timeline .phase-name { font-size: 12px; }
svg.timeline .finding-name { fill: var(--warn); }
svg.timeline .dur { font-size: 11px; fill: var(--ink); }
svg.timeline .dur.in { fill: #fff; font-weight: 600; }
svg.timeline .dur.in.p-manual-auto { fill: var(--ink); }
svg.timeline .stripe { fill: #f6f8fa; }
svg.timeline .grid { stroke: #e6eaef; stroke-width: 1; }
svg.timeline .axis { stroke: var(--muted); stroke-width: 1; }
svg.timeline .loss { fill: var(--rpo); fill-opacity: 0.08; }
svg.timeline .bar.p-auto { fill: var(--auto); }
svg.timeline .bar.p-manual { fill: var(--manual); }
svg.timeline .bar.p-manual-auto { fill: #f3c38f; stroke: var(--manual); stroke-width: 1.5; stroke-dasharray: 3 2; }
svg.timeline line.marker { stroke-width: 1.5; }
svg.timeline line.m-fault { stroke: var(--ink); }
svg.timeline line.m-detect { stroke: var(--warn); stroke-dasharray: 2 3; }
svg.timeline line.m-verified { stroke: var(--pass); }
svg.timeline line.m-rto { stroke: var(--rto); stroke-dasharray: 6 4; }
svg.timeline line.m-rpo { stroke: var(--rpo); stroke-dasharray: 6 4; }
svg.timeline line.m-newest { stroke: var(--rpo); stroke-dasharray: 2 3; }
svg.timeline text.marker-label { font-size: 11px; font-weight: 600; paint-order: stroke; stroke: #fff; stroke-width: 4px; stroke-linejoin: round; }
svg.timeline text.m-fault { fill: var(--ink); }
svg.timeline text.m-detect { fill: var(--warn); }
svg.timeline text.m-verified { fill: var(--pass); }
svg.timeline text.m-rto { fill: var(--rto); }
svg.timeline text.m-rpo, svg.timeline text.m-newest { fill: var(--rpo); }
svg.timeline .finding path, svg.timeline .finding-mark { fill: var(--warn); }
svg.timeline .finding text { fill: var(--warn); font-weight: 700; font-size: 11px; }
footer { margin-top: 40px; color: var(--muted); font-size: 0.85rem; }
@media print { h2 { break-before: auto; } section.scenario { break-inside: avoid; } }
`

// htmlTable renders rows with go-pretty, which escapes the text and turns
// colour codes into CSS classes.
func htmlTable(header table.Row, rows []table.Row, configs ...table.ColumnConfig) string {
	t := table.NewWriter()
	t.Style().HTML = table.HTMLOptions{ConvertColorsToSpans: true, CSSClass: "fd-table", EscapeText: true, Newline: "<br/>"}
	t.AppendHeader(header)
	t.AppendRows(rows)
	t.SetColumnConfigs(configs)
	return `<div class="table-wrap">` + "\n" + t.RenderHTML() + "\n</div>\n"
}

// badgeClass is a status as one CSS class: "not run" is "not-run".
func badgeClass(s result.Status) string {
	return strings.Join(strings.Fields(strings.ToLower(esc(string(s)))), "-")
}

// drawsTimeline tells whether a scenario gets a timeline. One not run that
// timed nothing would draw an empty axis; its reason says what there is
// to say.
func drawsTimeline(s result.Scenario) bool {
	return s.Status != result.NotRun || len(s.Phases) > 0 || len(s.Findings) > 0
}

// HTML writes the run as one self-contained page: the tables, and per
// scenario an inline SVG timeline. It references no external asset.
func HTML(w io.Writer, run result.Run, opts Options) error {
	var b strings.Builder
	first, second := runLines(run)
	fmt.Fprintf(&b, `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>%s</title>
<style>%s</style>
</head>
<body>
<main>
<header>
<h1>%s</h1>
<p class="meta">%s</p>
</header>
`, esc(first), css, esc(first), esc(second))

	b.WriteString("<section>\n<h2>Scenarios</h2>\n")
	b.WriteString(htmlTable(summaryHeader, summaryRows(run, ansi)))
	b.WriteString("</section>\n")
	if lines := auditLines(run); len(lines) > 0 {
		b.WriteString("<section>\n<h2>Plan audit</h2>\n<p class=\"meta\">Promises the plan&#39;s own backups cannot keep (or cannot be shown to).</p>\n<ul>\n")
		for _, l := range lines {
			fmt.Fprintf(&b, "<li>%s</li>\n", esc(l))
		}
		b.WriteString("</ul>\n</section>\n")
	}

	if rows := trendRows(run, opts, ansi); rows != nil {
		fmt.Fprintf(&b, "<section>\n<h2>Against earlier %s runs</h2>\n<p class=\"meta\">A regression is an RTO or RPO worse than the previous run&#39;s by more than %s.</p>\n",
			esc(run.Profile), thresholdText(opts))
		b.WriteString(htmlTable(trendHeader, rows))
		b.WriteString("</section>\n")
	}

	for i, s := range run.Scenarios {
		id := fmt.Sprintf("scenario-%d", i+1)
		fmt.Fprintf(&b, "<section class=\"scenario\" id=\"%s\">\n<h2>%s <span class=\"badge %s\">%s</span></h2>\n",
			id, esc(title(s)), badgeClass(s.Status), esc(string(s.Status)))
		if l := notRunLine(s); l != "" {
			fmt.Fprintf(&b, "<p class=\"not-run\">%s</p>\n", esc(l))
		}
		lines := []string{esc(recoveryLine(s))}
		if l := rpoLine(s); l != "" {
			lines = append(lines, esc(l))
		}
		if s.PlanRow != "" {
			lines = append(lines, "plan row "+esc(s.PlanRow))
		}
		fmt.Fprintf(&b, "<p class=\"meta\">%s</p>\n", strings.Join(lines, "<br>\n"))
		if drawsTimeline(s) {
			fmt.Fprintf(&b, "<figure>\n%s\n</figure>\n", timelineSVG(s, id+"-timeline"))
		}
		if len(s.Failures) > 0 {
			b.WriteString("<h3>Failures</h3>\n<ul class=\"failures\">\n")
			for _, f := range s.Failures {
				fmt.Fprintf(&b, "<li>%s</li>\n", esc(f))
			}
			b.WriteString("</ul>\n")
		}
		if len(s.Phases) > 0 {
			b.WriteString("<h3>Phases</h3>\n")
			b.WriteString(htmlTable(phaseHeader, phaseRows(s),
				table.ColumnConfig{Number: 2, Align: text.AlignRight}, table.ColumnConfig{Number: 3, Align: text.AlignRight}))
		}
		if len(s.Findings) > 0 {
			fmt.Fprintf(&b, "<h3>Findings (%d): steps of the plan that did not work as written</h3>\n", len(s.Findings))
			b.WriteString("<div class=\"table-wrap\">\n<table class=\"fd-table\">\n<thead><tr><th>#</th><th>Step</th><th>Command</th><th>Output</th><th>Resolution</th></tr></thead>\n<tbody>\n")
			for j, f := range s.Findings {
				fmt.Fprintf(&b, "<tr><td>F%d</td><td>%s</td><td><code>%s</code></td><td><pre>%s</pre></td><td>%s</td></tr>\n",
					j+1, esc(f.Step), esc(f.Command), esc(strings.TrimRight(f.Output, "\n")), esc(f.Resolution))
			}
			b.WriteString("</tbody>\n</table>\n</div>\n")
		}
		if len(s.Evidence) > 0 {
			b.WriteString("<h3>Evidence</h3>\n<ul>\n")
			for _, e := range s.Evidence {
				fmt.Fprintf(&b, "<li><strong>%s</strong>: %s</li>\n", esc(e.Name), esc(e.Detail))
			}
			b.WriteString("</ul>\n")
		}
		b.WriteString("</section>\n")
	}
	b.WriteString("<footer>Rendered by firedrill from the run&#39;s results.json.</footer>\n</main>\n</body>\n</html>\n")
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write html report: %w", err)
	}
	return nil
}
