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

// layout is a timeline's geometry, in SVG user units (pixels at 100%).
// The page shows the wide one on a screen of 960 px or more and the
// narrow one below, so neither is scaled to text under 11 px.
type layout struct {
	name                string  // CSS class: "wide" or "narrow"
	width               float64 // of the picture
	plotLeft, plotRight float64 // of the axis
	// nameAbove puts a phase's name above its bar (narrow) instead of
	// left of the axis (wide).
	nameAbove  bool
	rowHeight  float64 // one phase
	labelChars int     // a line of a phase name; longer names wrap to two, then are cut (the full name is in the tooltip)
}

var (
	wide   = layout{name: "wide", width: 960, plotLeft: 230, plotRight: 930, rowHeight: 32, labelChars: 31}
	narrow = layout{name: "narrow", width: 400, plotLeft: 12, plotRight: 388, nameAbove: true, rowHeight: 40, labelChars: 54}
)

const (
	laneHeight = 16.0 // one lane of marker labels
	barHeight  = 16.0
	charWidth  = 6.8 // a generous average glyph width at 12px, to keep labels apart
	minBar     = 3.0 // the narrowest a bar is drawn, so a short phase stays visible
	// farOff is how far from the fault an item may lie and still widen the
	// axis: a time beyond (a data timestamp, a clock gone wrong) is drawn
	// as an arrow at the edge.
	farOff = 2 * 24 * time.Hour
)

// marker is a vertical line on the timeline: fault, verified, a target.
type marker struct {
	at    float64 // seconds from the origin
	label string
	class string
	// edge is -1 or +1 for a marker off the axis to the left or right,
	// drawn as an arrow at that edge, 0 for one on it.
	edge int
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
	lay        layout
	lo, hi     float64 // domain, seconds from the origin
	originText string
}

func (t *svgTimeline) x(sec float64) float64 {
	return t.lay.plotLeft + (sec-t.lo)/(t.hi-t.lo)*(t.lay.plotRight-t.lay.plotLeft)
}

// clampX is x, held to the axis.
func (t *svgTimeline) clampX(sec float64) float64 {
	return math.Min(math.Max(t.x(sec), t.lay.plotLeft), t.lay.plotRight)
}

func (t *svgTimeline) printf(format string, args ...any) { fmt.Fprintf(&t.b, format, args...) }

func f1(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

func esc(s string) string { return html.EscapeString(s) }

func textWidth(s string) float64 { return float64(len([]rune(s)))*charWidth + 4 }

// recoveryWindow is the part of a scenario's time the axis spans: from the
// fault (or the earliest phase) to the verification (or the latest phase
// or finding). Targets, the RPO window and anything far off lie outside
// unless they are close to it.
func recoveryWindow(s result.Scenario, sec func(time.Time) float64) (lo, hi float64) {
	near := func(v float64) bool { return math.Abs(v) <= farOff.Seconds() }
	grow := func(v float64) {
		if near(v) {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
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
	if r := s.RTO; r != nil && !r.VerifiedAt.IsZero() {
		grow(sec(r.VerifiedAt))
	}
	return lo, hi
}

// timelineSVG draws one scenario's recovery: its phases as bars from their
// start to their end, measured from the fault; vertical lines for the
// fault, the detection and the verification; the RTO target, the RPO
// target and the newest recovered change (the data-loss window, before the
// fault) where they lie on the axis, else as labelled arrows at its edge;
// the findings as marks; an axis in the unit that fits (ms, s, min, h).
// The axis spans the recovery window (fault to verified), so long and
// short phases are both seen; a phase too short to see is drawn minBar
// wide with its duration beside it.
func timelineSVG(s result.Scenario, id string, lay layout) string {
	t := &svgTimeline{lay: lay}
	origin, hasFault := s.FaultAt()
	t.originText = "fault injection"
	if !hasFault {
		origin, t.originText = s.StartedAt, "scenario start"
		if origin.IsZero() && len(s.Phases) > 0 {
			origin = s.Phases[0].StartedAt
		}
	}
	sec := func(at time.Time) float64 { return at.Sub(origin).Seconds() }

	lo, hi := recoveryWindow(s, sec)
	var markers []marker
	if hasFault {
		markers = append(markers, marker{at: 0, label: "fault injected " + clock(origin), class: "m-fault"})
		for _, e := range s.Events {
			if e.Kind == "failure_observed" && !e.At.Before(origin) {
				markers = append(markers, marker{at: sec(e.At), label: "detected " + offset(origin, e.At), class: "m-detect"})
				break
			}
		}
	}
	var edgeMarkers []marker // drawn on the axis only if close to the window
	if r := s.RTO; r != nil {
		markers = append(markers, marker{at: sec(r.VerifiedAt), label: "verified: RTO " + human(r.Actual), class: "m-verified"})
		edgeMarkers = append(edgeMarkers, marker{at: float64(r.Target), label: "RTO target " + human(r.Target), class: "m-rto"})
	}
	lossFrom, hasLoss := 0.0, false
	if r := s.RPO; r != nil && hasFault {
		// The loss is dated by the RPO itself, the age of what was lost at
		// the fault: newest_recovered is in the data's own time (a market
		// bar's), which need not be the clock's.
		lossFrom, hasLoss = -float64(r.Actual), r.Actual > 0
		edgeMarkers = append(edgeMarkers, marker{at: -float64(r.Target), label: "RPO target " + human(r.Target), class: "m-rpo"})
		if hasLoss {
			edgeMarkers = append(edgeMarkers, marker{at: lossFrom, label: "newest recovered change: RPO " + human(r.Actual), class: "m-newest"})
		}
	}
	// What lies within a sixth of the window's span widens it; the rest
	// is an arrow at the edge.
	span := math.Max(hi-lo, 1)
	for _, m := range edgeMarkers {
		if m.at >= lo-span/6 && m.at <= hi+span/6 {
			lo, hi = math.Min(lo, m.at), math.Max(hi, m.at)
		}
	}
	if hi-lo <= 0 {
		hi = lo + 1
	}
	pad := (hi - lo) * 0.03
	t.lo, t.hi = lo-pad, hi+pad
	markers = edgeOrOn(append(markers, edgeMarkers...), t.lo, t.hi)
	unit, step := axisUnit(t.hi - t.lo)

	labels := t.labelLanes(markers)
	lanes := laneCount(labels)
	rowsTop := 8 + float64(lanes)*laneHeight + 6
	rowsBottom := rowsTop + float64(len(s.Phases))*lay.rowHeight

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
		x := t.clampX(sec(f.At))
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
		if lay.nameAbove {
			findingsHeight += 14
		}
	}
	axisY := findingsTop + findingsHeight + 6
	legendY := axisY + 54
	legend := legendItems(s, markers)
	legendRows := layoutLegend(legend, lay)
	height := legendY + float64(legendRows)*18 + 4

	t.printf(`<svg class="timeline %s" viewBox="0 0 %s %s" width="%s" height="%s" role="img" aria-labelledby="%s-title">`+"\n",
		lay.name, f1(lay.width), f1(height), f1(lay.width), f1(height), id)
	t.printf(`<title id="%s-title">Timeline of %s, in %s from the %s</title>`+"\n", id, esc(title(s)), unit.name, t.originText)

	// Data-loss window, grid and ticks.
	if hasLoss {
		x0 := t.clampX(lossFrom)
		t.printf(`<rect class="loss" x="%s" y="%s" width="%s" height="%s"><title>changes lost: %s before the fault</title></rect>`+"\n",
			f1(x0), f1(rowsTop-4), f1(t.clampX(0)-x0), f1(axisY-rowsTop+4), esc(human(result.Seconds(-lossFrom))))
	}
	for _, v := range ticks(t.lo, t.hi, step*unit.sec) {
		x := t.x(v)
		t.printf(`<line class="grid" x1="%s" y1="%s" x2="%s" y2="%s"/>`+"\n", f1(x), f1(rowsTop-4), f1(x), f1(axisY))
		t.printf(`<text class="tick" x="%s" y="%s" text-anchor="middle">%s</text>`+"\n", f1(x), f1(axisY+16), esc(unit.label(v, step)))
	}
	t.printf(`<line class="axis" x1="%s" y1="%s" x2="%s" y2="%s"/>`+"\n", f1(lay.plotLeft), f1(axisY), f1(lay.plotRight), f1(axisY))
	t.printf(`<text class="axis-title" x="%s" y="%s" text-anchor="end">%s from %s</text>`+"\n", f1(lay.plotRight), f1(axisY+34), unit.name, t.originText)

	// Phases: one row each, the name left (or above), the bar on the axis.
	for i, p := range s.Phases {
		t.phaseRow(p, i, rowsTop+float64(i)*lay.rowHeight, origin, sec)
	}

	// Findings row.
	if len(marks) > 0 {
		top := findingsTop
		if lay.nameAbove { // its name is drawn with the phases' (nameAbove)
			top += 14
		} else {
			t.printf(`<text class="phase-name finding-name" x="%s" y="%s" text-anchor="end">findings</text>`+"\n", f1(lay.plotLeft-10), f1(top+18))
		}
		for _, m := range marks {
			cy := top + 14 + m.lane*18
			t.printf(`<g class="finding"><title>%s</title><path d="M%s %sl6 6l-6 6l-6 -6z"/><text x="%s" y="%s">F%d</text></g>`+"\n",
				esc(m.tip), f1(m.x), f1(cy-6), f1(m.x+9), f1(cy+4), m.n)
		}
	}

	// Marker lines from their label down to the axis, labels over them
	// (and, narrow, the phase names, with a halo); a marker off the axis
	// is an arrowhead at its edge.
	for _, p := range labels {
		ly := 8 + (p.lane+1)*laneHeight
		switch p.edge {
		case 0:
			t.printf(`<line class="marker %s" x1="%s" y1="%s" x2="%s" y2="%s"/>`+"\n", p.class, f1(p.x), f1(ly-11), f1(p.x), f1(axisY))
		case 1:
			t.printf(`<path class="edge %s" d="M%s %sl-8 -5v10z"/>`+"\n", p.class, f1(p.x), f1(axisY))
		default:
			t.printf(`<path class="edge %s" d="M%s %sl8 -5v10z"/>`+"\n", p.class, f1(p.x), f1(axisY))
		}
	}
	if lay.nameAbove {
		for i, p := range s.Phases {
			t.printf(`<text class="phase-name" x="%s" y="%s">%s<title>%s</title></text>`+"\n",
				f1(lay.plotLeft), f1(rowsTop+float64(i)*lay.rowHeight+13), esc(cut(p.Name, lay.labelChars)), esc(p.Name))
		}
		if len(marks) > 0 {
			t.printf(`<text class="phase-name finding-name" x="%s" y="%s">findings</text>`+"\n", f1(lay.plotLeft), f1(findingsTop+12))
		}
	}
	for _, p := range labels {
		ly := 8 + (p.lane+1)*laneHeight
		tip := ""
		if p.edge != 0 {
			tip = fmt.Sprintf("<title>%s: %s from the %s, off this axis</title>", esc(strings.Trim(p.label, "◀▶ ")), esc(offsetSeconds(p.at)), t.originText)
		}
		t.printf(`<text class="marker-label %s" x="%s" y="%s" text-anchor="%s">%s%s</text>`+"\n", p.class, f1(p.textX), f1(ly-2), p.anchor, esc(p.label), tip)
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

// edgeOrOn marks each marker off the domain as an arrow at its edge.
func edgeOrOn(markers []marker, lo, hi float64) []marker {
	out := make([]marker, 0, len(markers))
	for _, m := range markers {
		switch {
		case m.at < lo:
			m.edge, m.label = -1, "◀ "+m.label
		case m.at > hi:
			m.edge, m.label = 1, m.label+" ▶"
		}
		out = append(out, m)
	}
	return out
}

// offsetSeconds writes a distance from the origin as a person reads it.
func offsetSeconds(v float64) string {
	d := time.Duration(v * float64(time.Second))
	if math.Abs(v) > math.MaxInt64/float64(time.Second) {
		return fmt.Sprintf("%.0f days", v/86400)
	}
	if d > 0 {
		return "+" + result.Human(d)
	}
	return result.Human(d)
}

// phaseRow draws one phase: its name and its bar, with its duration inside
// the bar when it fits, else beside it.
func (t *svgTimeline) phaseRow(p result.Phase, i int, y float64, origin time.Time, sec func(time.Time) float64) {
	lay := t.lay
	if i%2 == 1 {
		t.printf(`<rect class="stripe" x="0" y="%s" width="%s" height="%s"/>`+"\n", f1(y), f1(lay.width), f1(lay.rowHeight))
	}
	barY := y + (lay.rowHeight-barHeight)/2
	if lay.nameAbove { // the name is drawn over the marker lines (nameAbove)
		barY = y + lay.rowHeight - barHeight - 5
	} else {
		name := wrapName(p.Name, lay.labelChars)
		for j, l := range name {
			ly := y + lay.rowHeight/2 + 4 + (float64(j)-float64(len(name)-1)/2)*13
			t.printf(`<text class="phase-name" x="%s" y="%s" text-anchor="end">%s<title>%s</title></text>`+"\n",
				f1(lay.plotLeft-10), f1(ly), esc(l), esc(p.Name))
		}
	}
	x0, x1 := t.clampX(sec(p.StartedAt)), t.clampX(sec(phaseEnd(p)))
	w := math.Max(x1-x0, minBar)
	if x0+w > lay.plotRight {
		x0 = lay.plotRight - w
	}
	class := "p-auto"
	switch {
	case p.Manual && p.Automated:
		class = "p-manual-auto"
	case p.Manual:
		class = "p-manual"
	}
	d := result.Human(phaseEnd(p).Sub(p.StartedAt))
	t.printf(`<rect class="bar %s" x="%s" y="%s" width="%s" height="%s" rx="2"><title>%s: %s to %s (%s), %s</title></rect>`+"\n",
		class, f1(x0), f1(barY), f1(w), f1(barHeight),
		esc(p.Name), esc(offset(origin, p.StartedAt)), esc(offset(origin, phaseEnd(p))), esc(d), mode(p))
	dw := textWidth(d)
	ty := barY + barHeight/2 + 4
	switch {
	case w >= dw+6:
		t.printf(`<text class="dur in %s" x="%s" y="%s" text-anchor="middle">%s</text>`+"\n", class, f1(x0+w/2), f1(ty), esc(d))
	case x0+w+4+dw <= lay.width-4:
		t.printf(`<text class="dur" x="%s" y="%s">%s</text>`+"\n", f1(x0+w+4), f1(ty), esc(d))
	default:
		t.printf(`<text class="dur" x="%s" y="%s" text-anchor="end">%s</text>`+"\n", f1(x0-4), f1(ty), esc(d))
	}
}

// labelLanes places the markers' labels in lanes, so no two overlap: the
// arrows at the edges first (they have no line and one place), then the
// others in three orders: left to right, right to left, and those whose
// label would lie over more other markers' lines first (a label placed
// first takes a higher lane, above the lines below it). The order that
// leaves fewer labels crossed by a line, then fewer lanes, wins.
func (t *svgTimeline) labelLanes(markers []marker) []placed {
	sort.SliceStable(markers, func(i, j int) bool {
		if (markers[i].edge != 0) != (markers[j].edge != 0) {
			return markers[i].edge != 0
		}
		return markers[i].at < markers[j].at
	})
	edges := slices.IndexFunc(markers, func(m marker) bool { return m.edge == 0 })
	if edges < 0 {
		edges = len(markers)
	}
	reversed := slices.Clone(markers)
	slices.Reverse(reversed[edges:])
	covering := slices.Clone(markers)
	covers := func(m marker) int {
		x := t.x(m.at)
		from, to := x+4, x+4+textWidth(m.label)
		if to > t.lay.width-2 {
			from, to = x-4-textWidth(m.label), x-4
		}
		n := 0
		for _, o := range markers {
			if ox := t.x(o.at); o != m && o.edge == 0 && ox >= from-2 && ox <= to+2 {
				n++
			}
		}
		return n
	}
	sort.SliceStable(covering[edges:], func(i, j int) bool {
		return covers(covering[edges+i]) > covers(covering[edges+j])
	})
	var best []placed
	bestCrossed := -1
	for _, order := range [][]marker{markers, reversed, covering} {
		l, c := placeLabels(t, order)
		if bestCrossed < 0 || c < bestCrossed || (c == bestCrossed && laneCount(l) < laneCount(best)) {
			best, bestCrossed = l, c
		}
	}
	return best
}

// placeLabels gives each marker's label the highest lane (and the side of
// its line) where it overlaps no other label, no line of a marker labelled
// above it crosses it, and its own line crosses no label below it. Lines
// run from their label down to the axis. A marker at an edge has its label
// inside the picture. When no lane is clear of lines, the label takes the
// first lane clear of other labels; its white halo keeps it legible.
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
		if from < 2 || to > t.lay.width-2 {
			return false
		}
		for _, d := range done {
			dFrom, dTo := span(d)
			switch {
			case d.lane == c.lane && from < dTo+10 && dFrom < to+10:
				return false
			case !strict:
			case d.edge == 0 && d.lane < c.lane && d.x >= from-2 && d.x <= to+2:
				return false
			case c.edge == 0 && d.lane > c.lane && c.x >= dFrom-2 && c.x <= dTo+2:
				return false
			}
		}
		return true
	}
	for _, m := range markers {
		var candidates []placed
		for lane := 0; lane <= len(markers); lane++ {
			switch m.edge {
			case -1:
				candidates = append(candidates, placed{marker: m, x: t.lay.plotLeft, lane: float64(lane), anchor: "start", textX: t.lay.plotLeft})
			case 1:
				candidates = append(candidates, placed{marker: m, x: t.lay.plotRight, lane: float64(lane), anchor: "end", textX: t.lay.plotRight})
			default:
				x := t.x(m.at)
				candidates = append(candidates,
					placed{marker: m, x: x, lane: float64(lane), anchor: "start", textX: x + 4},
					placed{marker: m, x: x, lane: float64(lane), anchor: "end", textX: x - 4})
			}
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
			chosen = len(candidates) - 1
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
		if n, ok := names[m.class]; ok && !seen[m.class] && m.edge == 0 {
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
func layoutLegend(items []legendItem, lay layout) int {
	x, row := lay.plotLeft, 0
	for i := range items {
		w := 24 + textWidth(items[i].label) + 18
		if x+w > lay.width-10 && x > lay.plotLeft {
			x, row = lay.plotLeft, row+1
		}
		items[i].x, items[i].row = x, row
		x += w
	}
	if len(items) == 0 {
		return 0
	}
	return row + 1
}

// unit is an axis unit: ms, s, min or h.
type unit struct {
	name  string  // in the axis title: "seconds"
	sec   float64 // its length in seconds
	steps []float64
}

var units = []unit{
	{"milliseconds", 0.001, []float64{1, 2, 5, 10, 20, 50, 100, 200, 250, 500}},
	{"seconds", 1, []float64{1, 2, 5, 10, 15, 20, 30}},
	{"minutes", 60, []float64{1, 2, 5, 10, 15, 20, 30}},
	{"hours", 3600, []float64{1, 2, 3, 6, 12, 24, 48, 168}},
}

// axisUnit picks the unit that fits a span of seconds (ms below 2 s, s
// below 3 min, min below 3 h, then h) and a tick step in it that gives at
// most about eight ticks.
func axisUnit(span float64) (unit, float64) {
	u := units[3]
	switch {
	case span < 2:
		u = units[0]
	case span < 180:
		u = units[1]
	case span < 3*3600:
		u = units[2]
	}
	raw := span / u.sec / 8
	for _, s := range u.steps {
		if raw <= s {
			return u, s
		}
	}
	last := u.steps[len(u.steps)-1]
	return u, math.Ceil(raw/last) * last
}

// label writes a tick at v seconds in the unit, with as many decimals as
// the step needs.
func (u unit) label(v, step float64) string {
	x := v / u.sec
	decimals := 0
	if step < 1 {
		decimals = int(math.Ceil(-math.Log10(step)))
	}
	p := math.Pow(10, float64(decimals))
	x = math.Round(x*p) / p
	if x == 0 {
		x = 0 // no "-0"
	}
	return strings.Replace(strconv.FormatFloat(x, 'f', decimals, 64), "-", "−", 1)
}

// ticks are the multiples of step within [lo, hi].
func ticks(lo, hi, step float64) []float64 {
	var out []float64
	for i := math.Ceil(lo/step - 1e-9); i*step <= hi+step/1000; i++ {
		out = append(out, i*step)
	}
	return out
}
