package report

import (
	"fmt"
	"html"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"firedrill/harness/result"
)

// Timeline geometry, in SVG user units (pixels at 100%).
const (
	svgWidth   = 960.0
	plotLeft   = 230.0 // phase names end left of this
	plotRight  = 930.0
	laneHeight = 16.0 // one lane of marker labels
	rowHeight  = 32.0 // one phase: a name of up to two lines
	barHeight  = 16.0
	charWidth  = 6.8 // a generous average glyph width at 12px, to keep labels apart
	labelChars = 31  // a line of a phase name; a name longer than two is cut (the full name is in the tooltip)
)

// marker is a vertical line on the timeline: fault, verified, a target.
type marker struct {
	at    float64 // seconds from the origin
	label string
	class string
}

// placed is a label given a lane and an anchor.
type placed struct {
	marker
	x, lane float64
	anchor  string
	textX   float64
}

type svgTimeline struct {
	b          strings.Builder
	lo, hi     float64 // domain, seconds from the origin
	originText string
}

func (t *svgTimeline) x(sec float64) float64 {
	return plotLeft + (sec-t.lo)/(t.hi-t.lo)*(plotRight-plotLeft)
}

func (t *svgTimeline) printf(format string, args ...any) { fmt.Fprintf(&t.b, format, args...) }

func f1(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

func esc(s string) string { return html.EscapeString(s) }

func textWidth(s string) float64 { return float64(len([]rune(s)))*charWidth + 4 }

// timelineSVG draws one scenario: its phases as bars from their start to
// their end, measured from the fault; vertical lines for the fault, the
// detection, the verification, the RTO target (after the fault) and the
// RPO target and the newest recovered change (before it: the data-loss
// window); the findings as marks; an axis in seconds.
func timelineSVG(s result.Scenario, id string) string {
	t := &svgTimeline{}
	origin, hasFault := s.FaultAt()
	t.originText = "fault injection"
	if !hasFault {
		origin, t.originText = s.StartedAt, "scenario start"
		if origin.IsZero() && len(s.Phases) > 0 {
			origin = s.Phases[0].StartedAt
		}
	}
	sec := func(at time.Time) float64 { return at.Sub(origin).Seconds() }

	var markers []marker
	if hasFault {
		markers = append(markers, marker{0, "fault injected " + clock(origin), "m-fault"})
		for _, e := range s.Events {
			if e.Kind == "failure_observed" && !e.At.Before(origin) {
				markers = append(markers, marker{sec(e.At), "detected " + offset(origin, e.At), "m-detect"})
				break
			}
		}
	}
	if r := s.RTO; r != nil {
		markers = append(markers,
			marker{sec(r.VerifiedAt), "verified: RTO " + human(r.Actual), "m-verified"},
			marker{float64(r.Target), "RTO target " + human(r.Target), "m-rto"})
	}
	var lossFrom float64
	hasLoss := false
	if r := s.RPO; r != nil && hasFault {
		markers = append(markers, marker{-float64(r.Target), "RPO target " + human(r.Target), "m-rpo"})
		lossFrom = -float64(r.Actual)
		if !r.NewestRecovered.IsZero() {
			lossFrom = math.Min(0, sec(r.NewestRecovered))
		}
		hasLoss = lossFrom < 0
		if hasLoss {
			markers = append(markers, marker{lossFrom, "newest recovered change: RPO " + human(r.Actual), "m-newest"})
		}
	}

	// The domain holds everything drawn, widened to whole ticks.
	lo, hi := 0.0, 0.0
	grow := func(v float64) { lo, hi = math.Min(lo, v), math.Max(hi, v) }
	for _, m := range markers {
		grow(m.at)
	}
	for _, p := range s.Phases {
		grow(sec(p.StartedAt))
		grow(sec(phaseEnd(p)))
	}
	for _, f := range s.Findings {
		if !f.At.IsZero() {
			grow(sec(f.At))
		}
	}
	if hi-lo <= 0 {
		hi = lo + 1
	}
	step := niceStep((hi - lo) / 8)
	t.lo, t.hi = math.Floor(lo/step)*step, math.Ceil(hi/step)*step
	if t.hi == hi && hi > 0 { // room for a label right of a line at the end
		t.hi += step
	}

	// Marker labels in lanes, so no two overlap.
	// Placed left to right and right to left; the order that leaves fewer
	// labels crossed by a line, then fewer lanes, wins.
	sort.SliceStable(markers, func(i, j int) bool { return markers[i].at < markers[j].at })
	labels, crossed := placeLabels(t, markers)
	reversed := append([]marker(nil), markers...)
	slices.Reverse(reversed)
	if l, c := placeLabels(t, reversed); c < crossed || (c == crossed && laneCount(l) < laneCount(labels)) {
		labels = l
	}
	lanes := laneCount(labels)
	top := 8 + float64(lanes)*laneHeight + 6
	rowsTop := top
	rowsBottom := rowsTop + float64(len(s.Phases))*rowHeight

	// Findings in their own row, marks in lanes like the labels.
	type findingMark struct {
		x, lane float64
		n       int
		tip     string
	}
	var marks []findingMark
	var findLanes []float64
	for i, f := range s.Findings {
		if f.At.IsZero() {
			continue
		}
		x := t.x(sec(f.At))
		lane := 0
		for lane < len(findLanes) && x-6 < findLanes[lane]+6 {
			lane++
		}
		if lane == len(findLanes) {
			findLanes = append(findLanes, 0)
		}
		findLanes[lane] = x + 8 + textWidth(fmt.Sprintf("F%d", i+1))
		tip := fmt.Sprintf("F%d at %s: %s", i+1, offset(origin, f.At), f.Step)
		if f.Command != "" {
			tip += " (" + f.Command + ")"
		}
		marks = append(marks, findingMark{x: x, lane: float64(lane), n: i + 1, tip: tip})
	}
	findingsTop := rowsBottom
	findingsHeight := 0.0
	if len(marks) > 0 {
		findingsHeight = 8 + float64(len(findLanes))*18
	}
	axisY := findingsTop + findingsHeight + 6
	legendY := axisY + 54
	legend := legendItems(s, markers)
	legendRows := layoutLegend(legend)
	height := legendY + float64(legendRows)*18 + 4

	t.printf(`<svg class="timeline" viewBox="0 0 %s %s" width="%s" height="%s" role="img" aria-labelledby="%s-title">`+"\n",
		f1(svgWidth), f1(height), f1(svgWidth), f1(height), id)
	t.printf(`<title id="%s-title">Timeline of %s, in seconds from the %s</title>`+"\n", id, esc(title(s)), t.originText)

	// Data-loss window, grid and ticks.
	if hasLoss {
		t.printf(`<rect class="loss" x="%s" y="%s" width="%s" height="%s"><title>changes lost: %s before the fault</title></rect>`+"\n",
			f1(t.x(lossFrom)), f1(rowsTop-4), f1(t.x(0)-t.x(lossFrom)), f1(axisY-rowsTop+4), esc(human(result.Seconds(-lossFrom))))
	}
	for _, v := range ticks(t.lo, t.hi, step) {
		x := t.x(v)
		t.printf(`<line class="grid" x1="%s" y1="%s" x2="%s" y2="%s"/>`+"\n", f1(x), f1(rowsTop-4), f1(x), f1(axisY))
		t.printf(`<text class="tick" x="%s" y="%s" text-anchor="middle">%s</text>`+"\n", f1(x), f1(axisY+16), esc(tickLabel(v, step)))
	}
	t.printf(`<line class="axis" x1="%s" y1="%s" x2="%s" y2="%s"/>`+"\n", f1(plotLeft), f1(axisY), f1(plotRight), f1(axisY))
	t.printf(`<text class="axis-title" x="%s" y="%s" text-anchor="end">seconds from %s</text>`+"\n", f1(plotRight), f1(axisY+34), t.originText)

	// Phases: one row each, the name left, the bar on the axis.
	for i, p := range s.Phases {
		y := rowsTop + float64(i)*rowHeight
		if i%2 == 1 {
			t.printf(`<rect class="stripe" x="0" y="%s" width="%s" height="%s"/>`+"\n", f1(y), f1(svgWidth), f1(rowHeight))
		}
		name := wrapName(p.Name, labelChars)
		for j, l := range name {
			ly := y + rowHeight/2 + 4 + (float64(j)-float64(len(name)-1)/2)*13
			t.printf(`<text class="phase-name" x="%s" y="%s" text-anchor="end">%s<title>%s</title></text>`+"\n",
				f1(plotLeft-10), f1(ly), esc(l), esc(p.Name))
		}
		x0, x1 := t.x(sec(p.StartedAt)), t.x(sec(phaseEnd(p)))
		w := math.Max(x1-x0, 2)
		class := "p-auto"
		switch {
		case p.Manual && p.Automated:
			class = "p-manual-auto"
		case p.Manual:
			class = "p-manual"
		}
		d := result.Human(phaseEnd(p).Sub(p.StartedAt))
		t.printf(`<rect class="bar %s" x="%s" y="%s" width="%s" height="%s" rx="2"><title>%s: %s to %s (%s), %s</title></rect>`+"\n",
			class, f1(x0), f1(y+(rowHeight-barHeight)/2), f1(w), f1(barHeight),
			esc(p.Name), esc(offset(origin, p.StartedAt)), esc(offset(origin, phaseEnd(p))), esc(d), mode(p))
		dw := textWidth(d)
		switch {
		case w >= dw+6:
			t.printf(`<text class="dur in %s" x="%s" y="%s" text-anchor="middle">%s</text>`+"\n", class, f1(x0+w/2), f1(y+rowHeight/2+4), esc(d))
		case x0+w+6+dw <= svgWidth-4:
			t.printf(`<text class="dur" x="%s" y="%s">%s</text>`+"\n", f1(x0+w+6), f1(y+rowHeight/2+4), esc(d))
		default:
			t.printf(`<text class="dur" x="%s" y="%s" text-anchor="end">%s</text>`+"\n", f1(x0-6), f1(y+rowHeight/2+4), esc(d))
		}
	}

	// Findings row.
	if len(marks) > 0 {
		t.printf(`<text class="phase-name finding-name" x="%s" y="%s" text-anchor="end">findings</text>`+"\n", f1(plotLeft-10), f1(findingsTop+18))
		for _, m := range marks {
			cy := findingsTop + 14 + m.lane*18
			t.printf(`<g class="finding"><title>%s</title><path d="M%s %sl6 6l-6 6l-6 -6z"/><text x="%s" y="%s">F%d</text></g>`+"\n",
				esc(m.tip), f1(m.x), f1(cy-6), f1(m.x+9), f1(cy+4), m.n)
		}
	}

	// Marker lines from their label down to the axis, labels over them.
	for _, p := range labels {
		ly := 8 + (p.lane+1)*laneHeight
		t.printf(`<line class="marker %s" x1="%s" y1="%s" x2="%s" y2="%s"/>`+"\n", p.class, f1(p.x), f1(ly-11), f1(p.x), f1(axisY))
	}
	for _, p := range labels {
		ly := 8 + (p.lane+1)*laneHeight
		t.printf(`<text class="marker-label %s" x="%s" y="%s" text-anchor="%s">%s</text>`+"\n", p.class, f1(p.textX), f1(ly-2), p.anchor, esc(p.label))
	}

	// Legend.
	for _, it := range legend {
		y := legendY + float64(it.row)*18
		switch it.kind {
		case "bar":
			t.printf(`<rect class="bar %s" x="%s" y="%s" width="18" height="10" rx="2"/>`, it.class, f1(it.x), f1(y-9))
		case "diamond":
			t.printf(`<path class="finding-mark" d="M%s %sl6 6l-6 6l-6 -6z"/>`, f1(it.x+9), f1(y-10))
		default:
			t.printf(`<line class="marker %s" x1="%s" y1="%s" x2="%s" y2="%s"/>`, it.class, f1(it.x), f1(y-4), f1(it.x+18), f1(y-4))
		}
		t.printf(`<text class="legend" x="%s" y="%s">%s</text>`+"\n", f1(it.x+24), f1(y), esc(it.label))
	}
	t.printf("</svg>")
	return t.b.String()
}

// placeLabels gives each marker's label the highest lane (and the side of
// its line) where it overlaps no other label, no line of a marker labelled
// above it crosses it, and its own line crosses no label below it. Lines
// run from their label down to the axis. When no lane is clear of lines,
// the label takes the first lane clear of other labels; its white halo
// keeps it legible.
func placeLabels(t *svgTimeline, markers []marker) (done []placed, crossed int) {
	span := func(p placed) (float64, float64) {
		w := textWidth(p.label)
		if p.anchor == "end" {
			return p.textX - w, p.textX
		}
		return p.textX, p.textX + w
	}
	fits := func(c placed, strict bool) bool {
		from, to := span(c)
		if from < 2 || to > svgWidth-2 {
			return false
		}
		for _, d := range done {
			dFrom, dTo := span(d)
			switch {
			case d.lane == c.lane && from < dTo+10 && dFrom < to+10:
				return false
			case !strict:
			case d.lane < c.lane && d.x >= from-2 && d.x <= to+2:
				return false
			case d.lane > c.lane && c.x >= dFrom-2 && c.x <= dTo+2:
				return false
			}
		}
		return true
	}
	for _, m := range markers {
		x := t.x(m.at)
		var candidates []placed
		for lane := 0; lane <= len(markers); lane++ {
			candidates = append(candidates,
				placed{marker: m, x: x, lane: float64(lane), anchor: "start", textX: x + 4},
				placed{marker: m, x: x, lane: float64(lane), anchor: "end", textX: x - 4})
		}
		chosen := -1
		for _, strict := range []bool{true, false} {
			for i, c := range candidates {
				if fits(c, strict) {
					chosen = i
					break
				}
			}
			if chosen >= 0 {
				break
			}
			crossed++
		}
		if chosen < 0 { // wider than the picture: keep it on its own lane
			chosen = 2 * len(markers)
		}
		done = append(done, candidates[chosen])
	}
	return done, crossed
}

func laneCount(labels []placed) int {
	n := 0
	for _, p := range labels {
		n = max(n, int(p.lane)+1)
	}
	return n
}

// wrapName breaks a phase name into at most two lines of width runes, at
// spaces where it can, cutting the second line with an ellipsis.
func wrapName(name string, width int) []string {
	if len([]rune(name)) <= width {
		return []string{name}
	}
	words := strings.Fields(name)
	var first string
	i := 0
	for ; i < len(words); i++ {
		next := strings.TrimSpace(first + " " + words[i])
		if len([]rune(next)) > width {
			break
		}
		first = next
	}
	if first == "" { // one long word
		r := []rune(name)
		return []string{string(r[:width]), cut(string(r[width:]), width)}
	}
	return []string{first, cut(strings.Join(words[i:], " "), width)}
}

// phaseEnd is a phase's end, or its start if it never ended.
func phaseEnd(p result.Phase) time.Time {
	if p.EndedAt.Before(p.StartedAt) {
		return p.StartedAt
	}
	return p.EndedAt
}

type legendItem struct {
	kind, class, label string
	x                  float64
	row                int
}

func legendItems(s result.Scenario, markers []marker) []legendItem {
	var items []legendItem
	seen := map[string]bool{}
	for _, p := range s.Phases {
		class, label := "p-auto", "automated phase"
		switch {
		case p.Manual && p.Automated:
			class, label = "p-manual-auto", "manual in the plan, automated here"
		case p.Manual:
			class, label = "p-manual", "manual phase (timed)"
		}
		if !seen[class] {
			seen[class] = true
			items = append(items, legendItem{kind: "bar", class: class, label: label})
		}
	}
	names := map[string]string{"m-rto": "RTO target", "m-rpo": "RPO target", "m-newest": "newest recovered change"}
	for _, m := range markers {
		if n, ok := names[m.class]; ok && !seen[m.class] {
			seen[m.class] = true
			items = append(items, legendItem{kind: "line", class: m.class, label: n})
		}
	}
	if len(s.Findings) > 0 {
		items = append(items, legendItem{kind: "diamond", label: "F: finding (a plan step that failed as written)"})
	}
	return items
}

// layoutLegend places the items left to right, wrapping; it returns the
// number of rows.
func layoutLegend(items []legendItem) int {
	x, row := plotLeft, 0
	for i := range items {
		w := 24 + textWidth(items[i].label) + 18
		if x+w > svgWidth-10 && x > plotLeft {
			x, row = plotLeft, row+1
		}
		items[i].x, items[i].row = x, row
		x += w
	}
	if len(items) == 0 {
		return 0
	}
	return row + 1
}

// niceStep rounds a raw tick step up to a step a person reads easily: 1,
// 2 or 5 times a power of ten below a second, then 1, 2, 5, 10, 15, 30 s
// and round minutes and hours.
func niceStep(raw float64) float64 {
	if raw <= 0 || math.IsNaN(raw) {
		return 1
	}
	if raw < 1 {
		p := math.Pow(10, math.Floor(math.Log10(raw)))
		for _, m := range []float64{1, 2, 5} {
			if raw <= m*p {
				return m * p
			}
		}
		return 10 * p
	}
	for _, s := range []float64{1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 21600, 43200, 86400} {
		if raw <= s {
			return s
		}
	}
	return math.Ceil(raw/86400) * 86400
}

func ticks(lo, hi, step float64) []float64 {
	var out []float64
	for i := 0; ; i++ {
		v := lo + float64(i)*step
		if v > hi+step/1000 {
			return out
		}
		out = append(out, v)
	}
}

// tickLabel writes a tick in seconds, with as many decimals as the step.
func tickLabel(v, step float64) string {
	decimals := 0
	if step < 1 {
		decimals = int(math.Ceil(-math.Log10(step)))
	}
	v = math.Round(v*math.Pow(10, float64(decimals))) / math.Pow(10, float64(decimals))
	if v == 0 {
		v = 0 // no "-0"
	}
	return strconv.FormatFloat(v, 'f', decimals, 64)
}
