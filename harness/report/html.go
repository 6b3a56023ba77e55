package report

import (
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/jedib0t/go-pretty/v6/table"
	"github.com/jedib0t/go-pretty/v6/text"

	"firedrill/harness/result"
)

// css styles the page; everything is inline, nothing is fetched. The page
// reads on a phone (420 px: tables become cards, each timeline is drawn a
// second time, narrow, with its phase names above the bars) and on a wide
// screen (1400 px: the tables fit the width).
const css = `
:root { color-scheme: light; --ink: #1f2328; --muted: #59636e; --line: #d1d9e0; --bg: #ffffff; --soft: #f6f8fa;
  --pass: #1a7f37; --fail: #cf222e; --warn: #9a6700; --auto: #3b6fb6; --manual: #d9822b; --rto: #cf222e; --rpo: #8250df; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "Noto Sans", "Liberation Sans", Arial, sans-serif; }
main { max-width: 1240px; margin: 0 auto; padding: 24px 20px 48px; }
h1 { font-size: 1.6rem; margin: 0 0 4px; overflow-wrap: anywhere; }
h2 { font-size: 1.25rem; margin: 36px 0 8px; padding-top: 8px; border-top: 1px solid var(--line); }
h3 { font-size: 1.05rem; margin: 20px 0 6px; }
p.meta { color: var(--muted); margin: 0 0 8px; overflow-wrap: anywhere; }
code, pre { font-family: ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas, "Liberation Mono", monospace; font-size: 0.85em; }
code { white-space: pre-wrap; overflow-wrap: anywhere; }
pre { background: var(--soft); border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px; margin: 4px 0; white-space: pre-wrap; overflow-wrap: anywhere; max-height: 16em; overflow: auto; }
.pre { white-space: pre-wrap; overflow-wrap: anywhere; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; margin: 8px 0 12px; font-size: 0.92rem; }
table.wide { width: 100%; }
th, td { border: 1px solid var(--line); padding: 5px 8px; text-align: left; vertical-align: top; overflow-wrap: anywhere; }
th { background: var(--soft); font-weight: 600; }
td.num, th.num { text-align: right; white-space: nowrap; }
tbody tr:nth-child(even) td { background: #fbfcfd; }
table.findings td:nth-child(3) { width: 26%; }
table.findings td:nth-child(4) { width: 34%; }
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
svg.timeline, svg.trend { display: block; height: auto; }
svg.timeline.wide { width: 100%; max-width: 1200px; }
svg.timeline.narrow { display: none; width: 100%; max-width: 600px; }
svg text { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "Noto Sans", "Liberation Sans", Arial, sans-serif; font-size: 12px; fill: var(--ink); }
svg .tick, svg .axis-title, svg .legend { fill: var(--muted); }
svg .finding-name { fill: var(--warn); }
svg .dur.in { fill: #fff; font-weight: 600; }
svg .dur.in.p-manual-auto { fill: var(--ink); }
svg .stripe { fill: #f6f8fa; }
svg .grid { stroke: #e6eaef; stroke-width: 1; }
svg .axis { stroke: var(--muted); stroke-width: 1; }
svg .loss { fill: var(--rpo); fill-opacity: 0.08; }
svg .bar.p-auto { fill: var(--auto); }
svg .bar.p-manual { fill: var(--manual); }
svg .bar.p-manual-auto { fill: #f3c38f; stroke: var(--manual); stroke-width: 1.5; stroke-dasharray: 3 2; }
svg line.marker { stroke-width: 1.5; }
svg line.m-fault { stroke: var(--ink); }
svg line.m-detect { stroke: var(--warn); stroke-dasharray: 2 3; }
svg line.m-verified { stroke: var(--pass); }
svg line.m-rto { stroke: var(--rto); stroke-dasharray: 6 4; }
svg line.m-rpo { stroke: var(--rpo); stroke-dasharray: 6 4; }
svg line.m-newest { stroke: var(--rpo); stroke-dasharray: 2 3; }
svg path.edge.m-rto { fill: var(--rto); }
svg path.edge.m-rpo, svg path.edge.m-newest { fill: var(--rpo); }
svg path.edge.m-fault, svg path.edge.m-detect, svg path.edge.m-verified { fill: var(--ink); }
svg.narrow .phase-name { paint-order: stroke; stroke: #fff; stroke-width: 3px; stroke-linejoin: round; }
svg text.marker-label { font-weight: 600; paint-order: stroke; stroke: #fff; stroke-width: 4px; stroke-linejoin: round; }
svg text.m-fault { fill: var(--ink); }
svg text.m-detect { fill: var(--warn); }
svg text.m-verified { fill: var(--pass); }
svg text.m-rto { fill: var(--rto); }
svg text.m-rpo, svg text.m-newest { fill: var(--rpo); }
svg .finding path, svg .finding-mark { fill: var(--warn); }
svg .finding text { fill: var(--warn); font-weight: 700; }
svg .trend-title { font-weight: 600; }
svg .trend-line { fill: none; stroke: var(--auto); stroke-width: 1.5; }
svg .pt { fill: var(--auto); stroke: #fff; stroke-width: 1.5; }
svg .pt.pt-failed { fill: var(--fail); }
svg .pt.pt-current { stroke: var(--ink); stroke-width: 2; }
svg .pt-label { font-weight: 600; paint-order: stroke; stroke: #fff; stroke-width: 4px; }
svg line.target { stroke: var(--rto); stroke-width: 1.5; stroke-dasharray: 6 4; }
svg .target-label { fill: var(--rto); font-weight: 600; paint-order: stroke; stroke: #fff; stroke-width: 4px; }
svg .target-edge { fill: var(--rto); }
svg .legend.failed { fill: var(--fail); }
.trends { display: flex; flex-wrap: wrap; gap: 8px 24px; margin: 8px 0; }
.trends svg.trend { flex: 1 1 340px; max-width: 480px; width: 100%; }
footer { margin-top: 40px; color: var(--muted); font-size: 0.85rem; }
@media (max-width: 959px) {
  svg.timeline.wide { display: none; }
  svg.timeline.narrow { display: block; }
}
@media (max-width: 640px) {
  main { padding: 16px 12px 32px; }
  th, td { padding: 4px 6px; }
  td.num, th.num { white-space: normal; }
  table.cards, table.cards tbody, table.cards tr, table.cards td { display: block; width: 100%; }
  table.cards thead { display: none; }
  table.cards tr { border: 1px solid var(--line); border-radius: 6px; margin: 0 0 10px; }
  table.cards td { border: 0; border-top: 1px solid var(--line); display: flex; gap: 10px; text-align: left; white-space: normal; }
  table.cards tr td:first-child { border-top: 0; }
  table.cards td::before { content: attr(data-label); flex: 0 0 36%; font-weight: 600; color: var(--muted); }
  table.cards td > * { flex: 1 1 auto; min-width: 0; overflow-wrap: anywhere; }
  table.findings td:nth-child(n) { width: 100%; }
  tbody tr:nth-child(even) td { background: none; }
}
@media print { h2 { break-before: auto; } section.scenario { break-inside: avoid; } svg.timeline.narrow { display: none; } svg.timeline.wide { display: block; } }
`

// htmlPaint marks painted text for htmlCell, which escapes a cell and
// turns the marks into spans with the colours' CSS classes.
func htmlPaint(s string, colors ...text.Color) string {
	if s == "" || len(colors) == 0 {
		return s
	}
	var classes []string
	for _, c := range colors {
		switch c {
		case text.FgRed:
			classes = append(classes, "fg-red")
		case text.FgGreen:
			classes = append(classes, "fg-green")
		case text.FgYellow:
			classes = append(classes, "fg-yellow")
		case text.Bold:
			classes = append(classes, "bold")
		}
	}
	return "\x00" + strings.Join(classes, " ") + "\x01" + s + "\x02"
}

// htmlCell escapes a cell's text, keeps its line breaks and turns
// htmlPaint's marks into spans.
func htmlCell(v any) string {
	s := esc(fmt.Sprint(v))
	for {
		i := strings.IndexByte(s, 0)
		if i < 0 {
			break
		}
		j := strings.IndexByte(s[i:], 1)
		if j < 0 {
			break
		}
		s = s[:i] + `<span class="` + s[i+1:i+j] + `">` + s[i+j+1:]
	}
	s = strings.NewReplacer("\x02", "</span>", "\n", "<br>").Replace(s)
	// a duration stays on one line: "1 min 35 s", not "1 min 35" and "s"
	for prev := ""; prev != s; { // the pairs overlap: "1 min", "min 35", "35 s"
		prev, s = s, durationSpace.ReplaceAllString(s, "$1&nbsp;$2")
	}
	return s
}

var durationSpace = regexp.MustCompile(`\b(\d+(?:\.\d+)?|min|h) (ms|s|min|h|\d)\b`)

// htmlTable writes a table: class "cards" turns each row into a card on a
// phone, each cell labelled with its column; num are the columns (from 0)
// aligned right.
func htmlTable(class string, header table.Row, rows []table.Row, num ...int) string {
	right := map[int]bool{}
	for _, n := range num {
		right[n] = true
	}
	var b strings.Builder
	fmt.Fprintf(&b, "<div class=\"table-wrap\">\n<table class=\"fd-table %s\">\n<thead><tr>", class)
	for i, h := range header {
		if right[i] {
			fmt.Fprintf(&b, "<th class=\"num\">%s</th>", htmlCell(h))
		} else {
			fmt.Fprintf(&b, "<th>%s</th>", htmlCell(h))
		}
	}
	b.WriteString("</tr></thead>\n<tbody>\n")
	for _, row := range rows {
		b.WriteString("<tr>")
		for i, c := range row {
			label := ""
			if i < len(header) {
				label = esc(fmt.Sprint(header[i]))
			}
			// the content in one span: a card lays out its label and it
			if right[i] {
				fmt.Fprintf(&b, "<td class=\"num\" data-label=\"%s\"><span>%s</span></td>", label, htmlCell(c))
			} else {
				fmt.Fprintf(&b, "<td data-label=\"%s\"><span>%s</span></td>", label, htmlCell(c))
			}
		}
		b.WriteString("</tr>\n")
	}
	b.WriteString("</tbody>\n</table>\n</div>\n")
	return b.String()
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

// HTML writes the run as one self-contained page: the tables, per
// scenario an inline SVG timeline (twice: wide and narrow, the page shows
// the one that fits the screen) and, with history, its RTO and RPO over
// earlier runs. It references no external asset.
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
	b.WriteString(htmlTable("cards wide", summaryHeader, summaryRows(run, htmlPaint, false), 7, 9))
	b.WriteString("</section>\n")
	if lines := auditLines(run); len(lines) > 0 {
		b.WriteString("<section>\n<h2>Plan audit</h2>\n<p class=\"meta\">Promises the plan&#39;s own backups cannot keep (or cannot be shown to).</p>\n<ul>\n")
		for _, l := range lines {
			fmt.Fprintf(&b, "<li>%s</li>\n", esc(l))
		}
		b.WriteString("</ul>\n</section>\n")
	}

	if rows := trendRows(run, opts, htmlPaint); rows != nil {
		fmt.Fprintf(&b, "<section>\n<h2>Against earlier %s runs</h2>\n<p class=\"meta\">A regression is an RTO or RPO worse than the previous run&#39;s by more than %s.</p>\n",
			esc(run.Profile), thresholdText(opts))
		b.WriteString(htmlTable("cards wide", trendHeader, rows))
		b.WriteString("</section>\n")
	}

	htmlRunbook(&b, run)

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
		if l := engineLine(s); l != "" {
			lines = append(lines, esc(l))
		}
		if s.PlanRow != "" {
			lines = append(lines, "plan row "+esc(s.PlanRow))
		}
		if s.Feature != "" {
			where := s.Feature
			if s.Line > 0 {
				where += fmt.Sprintf(":%d", s.Line)
			}
			lines = append(lines, "scenario <code>"+esc(where)+"</code>")
		}
		fmt.Fprintf(&b, "<p class=\"meta\">%s</p>\n", strings.Join(lines, "<br>\n"))
		if drawsTimeline(s) {
			fmt.Fprintf(&b, "<figure>\n%s\n%s\n</figure>\n", timelineSVG(s, id+"-timeline", wide), timelineSVG(s, id+"-timeline-narrow", narrow))
		}
		if charts := trendCharts(opts.History, run, i, id+"-trend"); charts != "" {
			fmt.Fprintf(&b, "<h3>Over earlier runs</h3>\n<div class=\"trends\">\n%s\n</div>\n", charts)
		}
		if len(s.Failures) > 0 {
			b.WriteString("<h3>Failures</h3>\n<ul class=\"failures\">\n")
			for _, f := range s.Failures {
				fmt.Fprintf(&b, "<li class=\"pre\">%s</li>\n", esc(f))
			}
			b.WriteString("</ul>\n")
		}
		if len(s.Phases) > 0 {
			b.WriteString("<h3>Phases</h3>\n")
			b.WriteString(htmlTable("", phaseHeader, phaseRows(s), 1, 2))
		}
		if len(s.Findings) > 0 {
			fmt.Fprintf(&b, "<h3>Findings (%d): steps of the plan that did not work as written</h3>\n", len(s.Findings))
			b.WriteString("<div class=\"table-wrap\">\n<table class=\"fd-table cards wide findings\">\n<thead><tr><th>#</th><th>Step</th><th>Command</th><th>Output</th><th>Resolution</th></tr></thead>\n<tbody>\n")
			for j, f := range s.Findings {
				fmt.Fprintf(&b, "<tr><td data-label=\"#\"><span>F%d</span></td><td data-label=\"Step\"><span>%s</span></td><td data-label=\"Command\"><code>%s</code></td><td data-label=\"Output\"><pre>%s</pre></td><td data-label=\"Resolution\"><span>%s</span></td></tr>\n",
					j+1, esc(f.Step), esc(f.Command), esc(strings.TrimRight(f.Output, "\n")), esc(f.Resolution))
			}
			b.WriteString("</tbody>\n</table>\n</div>\n")
		}
		if len(s.Evidence) > 0 {
			b.WriteString("<h3>Evidence</h3>\n<ul>\n")
			for _, e := range s.Evidence {
				fmt.Fprintf(&b, "<li><strong>%s</strong>: <span class=\"pre\">%s</span></li>\n", esc(e.Name), esc(e.Detail))
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
