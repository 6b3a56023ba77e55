package report

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"firedrill/harness/result"
)

// Trend chart geometry, in SVG user units: small enough that a phone
// shows it near 100%, two side by side on a wide screen.
const (
	trendWidth  = 400.0
	trendHeight = 196.0
	trendLeft   = 52.0
	trendRight  = 380.0
	trendTop    = 34.0
	trendBottom = 150.0
)

// scenarioRuns is a scenario's history, oldest first: the earlier runs of
// the same drill, scenario and profile (history.jsonl), then this one.
func scenarioRuns(history []Entry, run result.Run, i int) []Entry {
	cur := entries(run)[i]
	var out []Entry
	for _, e := range history {
		if e.RunID != run.RunID && sameDrill(e, cur) && e.At.Before(cur.At) {
			out = append(out, e)
		}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].At.Before(out[b].At) })
	return append(out, cur)
}

// trendCharts draws a scenario's RTO and RPO over its runs against their
// targets; "" when fewer than two runs measured either.
func trendCharts(history []Entry, run result.Run, i int, id string) string {
	if len(history) == 0 {
		return ""
	}
	runs := scenarioRuns(history, run, i)
	s := run.Scenarios[i]
	var rtoTarget, rpoTarget *result.Seconds
	if s.RTO != nil {
		rtoTarget = &s.RTO.Target
	}
	if s.RPO != nil {
		rpoTarget = &s.RPO.Target
	}
	var charts []string
	for _, c := range []struct {
		what   string
		value  func(Entry) *result.Seconds
		target *result.Seconds
	}{
		{"RTO", func(e Entry) *result.Seconds { return e.RTO }, rtoTarget},
		{"RPO", func(e Entry) *result.Seconds { return e.RPO }, rpoTarget},
	} {
		if svg := trendSVG(id+"-"+strings.ToLower(c.what), c.what, run.Profile, runs, c.value, c.target); svg != "" {
			charts = append(charts, svg)
		}
	}
	return strings.Join(charts, "\n")
}

type trendPoint struct {
	x, y    float64
	v       result.Seconds
	e       Entry
	current bool
}

// trendSVG draws one measure over the runs: a point per run that measured
// it (red for a run that failed), a dashed line at the target, or an arrow
// at the top naming it when it lies far above every run.
func trendSVG(id, what, profile string, runs []Entry, value func(Entry) *result.Seconds, target *result.Seconds) string {
	var measured []Entry
	top := 0.0
	for _, e := range runs {
		if v := value(e); v != nil && e.Status != result.NotRun {
			measured = append(measured, e)
			top = math.Max(top, float64(*v))
		}
	}
	if len(measured) < 2 {
		return ""
	}
	targetOn := target != nil && float64(*target) <= math.Max(top, 1)*1.6
	if targetOn {
		top = math.Max(top, float64(*target))
	}
	if top < 2 { // no loss at all, or a second: a scale of seconds
		top = 2
	}
	u, step := axisUnit(top)
	// four to six ticks: a step in the unit, the top a whole number of them
	step = math.Max(step, niceAbove(top/u.sec/5, u.steps))
	yMax := math.Ceil(top/u.sec/step) * step * u.sec
	if yMax < top*1.05 {
		yMax += step * u.sec
	}
	y := func(v float64) float64 { return trendBottom - v/yMax*(trendBottom-trendTop) }

	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p(`<svg class="trend" viewBox="0 0 %s %s" width="%s" height="%s" role="img" aria-labelledby="%s-title">`+"\n",
		f1(trendWidth), f1(trendHeight), f1(trendWidth), f1(trendHeight), id)
	p(`<title id="%s-title">%s over the last %d %s runs, in %s</title>`+"\n", id, what, len(measured), esc(profile), u.name)
	p(`<text class="trend-title" x="%s" y="16">%s over %d %s runs</text>`+"\n", f1(trendLeft), what, len(measured), esc(profile))
	for _, v := range ticks(0, yMax, step*u.sec) {
		p(`<line class="grid" x1="%s" y1="%s" x2="%s" y2="%s"/>`+"\n", f1(trendLeft), f1(y(v)), f1(trendRight), f1(y(v)))
		p(`<text class="tick" x="%s" y="%s" text-anchor="end">%s</text>`+"\n", f1(trendLeft-6), f1(y(v)+4), u.label(v, step))
	}
	p(`<text class="axis-title" x="%s" y="16" text-anchor="end">in %s</text>`+"\n", f1(trendRight), u.name)
	p(`<line class="axis" x1="%s" y1="%s" x2="%s" y2="%s"/>`+"\n", f1(trendLeft), f1(trendBottom), f1(trendRight), f1(trendBottom))

	if target != nil && targetOn {
		ty := y(float64(*target))
		p(`<line class="target" x1="%s" y1="%s" x2="%s" y2="%s"><title>target %s</title></line>`+"\n",
			f1(trendLeft), f1(ty), f1(trendRight), f1(ty), esc(human(*target)))
	}

	// Points evenly spaced, oldest left; the dates below, as many as fit.
	n := len(measured)
	pts := make([]trendPoint, 0, n)
	for i, e := range measured {
		x := (trendLeft + trendRight) / 2
		if n > 1 {
			x = trendLeft + 14 + float64(i)*(trendRight-trendLeft-28)/float64(n-1)
		}
		v := *value(e)
		pts = append(pts, trendPoint{x: x, y: y(float64(v)), v: v, e: e, current: i == n-1})
	}
	var line []string
	for _, pt := range pts {
		line = append(line, f1(pt.x)+","+f1(pt.y))
	}
	p(`<polyline class="trend-line" points="%s"/>`+"\n", strings.Join(line, " "))
	lastLeft := pts[n-1].x - textWidth("this run")/2
	prevRight := math.Inf(-1)
	for _, pt := range pts {
		class := "pt"
		if pt.e.Status != result.Passed {
			class += " pt-failed"
		}
		if pt.current {
			class += " pt-current"
		}
		p(`<circle class="%s" cx="%s" cy="%s" r="4.5"><title>%s %s: %s %s (%s)</title></circle>`+"\n",
			class, f1(pt.x), f1(pt.y), esc(pt.e.RunID), stamp(pt.e.At), what, esc(human(pt.v)), esc(string(pt.e.Status)))
		date := pt.e.At.UTC().Format("Jan 2")
		if pt.current {
			date = "this run"
		}
		// the dates that fit: never over another, nor over this run's
		w := textWidth(date)
		if pt.current || (pt.x-w/2 > prevRight+6 && pt.x+w/2 < lastLeft-6) {
			p(`<text class="tick" x="%s" y="%s" text-anchor="middle">%s</text>`+"\n", f1(pt.x), f1(trendBottom+16), esc(date))
			prevRight = pt.x + w/2
		}
	}
	// The value of this run beside its point, below it when the target's
	// line runs close above and there is room.
	last := pts[n-1]
	ly := last.y - 8
	if target != nil && targetOn && math.Abs(y(float64(*target))-ly) < 10 && last.y+18 < trendBottom-4 {
		ly = last.y + 18
	}
	p(`<text class="pt-label" x="%s" y="%s" text-anchor="end">%s</text>`+"\n", f1(last.x-8), f1(ly), esc(human(last.v)))

	// Legend: the points, the target (or where it is when off the scale).
	ly = trendHeight - 8
	p(`<circle class="pt" cx="14" cy="%s" r="4.5"/><text class="legend" x="22" y="%s">passed</text>`+"\n", f1(ly-4), f1(ly))
	x := 22 + textWidth("passed") + 10
	p(`<circle class="pt pt-failed" cx="%s" cy="%s" r="4.5"/><text class="legend" x="%s" y="%s">failed</text>`+"\n", f1(x+5), f1(ly-4), f1(x+13), f1(ly))
	x += 13 + textWidth("failed") + 10
	if target != nil {
		label := "target " + human(*target)
		if !targetOn {
			label += " ▲ above"
		}
		p(`<line class="target" x1="%s" y1="%s" x2="%s" y2="%s"/><text class="legend" x="%s" y="%s">%s</text>`+"\n",
			f1(x), f1(ly-4), f1(x+18), f1(ly-4), f1(x+24), f1(ly), esc(label))
	}
	p("</svg>")
	return b.String()
}

// niceAbove is the smallest step of a unit's steps at or above raw.
func niceAbove(raw float64, steps []float64) float64 {
	for _, s := range steps {
		if raw <= s {
			return s
		}
	}
	return steps[len(steps)-1] * math.Ceil(raw/steps[len(steps)-1])
}
