package report

import (
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"errors"
	"flag"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jedib0t/go-pretty/v6/text"

	"firedrill/harness/result"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (go test -update creates it): %v", err)
	}
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		for i := 0; i < len(gl) || i < len(wl); i++ {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Fatalf("%s differs from line %d (go test -update rewrites it):\n got: %q\nwant: %q", path, i+1, g, w)
			}
		}
	}
}

func TestGolden(t *testing.T) {
	run := fixtureRun()
	opts := Options{History: fixtureHistory()}
	tests := []struct {
		file   string
		render func(io.Writer) error
	}{
		{"terminal.golden", func(w io.Writer) error { return Terminal(w, run, opts) }},
		{"terminal-no-history.golden", func(w io.Writer) error { return Terminal(w, run, Options{}) }},
		{"summary.md.golden", func(w io.Writer) error { return Markdown(w, run, opts) }},
		{"report.html.golden", func(w io.Writer) error { return HTML(w, run, opts) }},
		{"results.csv.golden", func(w io.Writer) error { return CSV(w, run) }},
		{"history.jsonl.golden", func(w io.Writer) error { _, err := w.Write(HistoryLine(run)); return err }},
		{"junit.xml.golden", func(w io.Writer) error { return JUnit(w, run, Options{Hostname: "drill-host"}) }},
		{"cucumber.json.golden", func(w io.Writer) error { return Cucumber(w, run, fixtureFeatures()) }},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			var b bytes.Buffer
			if err := tt.render(&b); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(b.String(), "\x1b[") {
				t.Fatalf("%s holds colour codes without Options.Color", tt.file)
			}
			golden(t, tt.file, b.Bytes())

			var again bytes.Buffer
			if err := tt.render(&again); err != nil || !bytes.Equal(again.Bytes(), b.Bytes()) {
				t.Fatalf("a second rendering differs (err %v)", err)
			}
		})
	}
}

func TestTerminalColor(t *testing.T) {
	run := fixtureRun()
	var plainOut, colorOut bytes.Buffer
	if err := Terminal(&plainOut, run, Options{History: fixtureHistory()}); err != nil {
		t.Fatal(err)
	}
	if err := Terminal(&colorOut, run, Options{Color: true, History: fixtureHistory()}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(colorOut.String(), "\x1b[31;1mfailed") && !strings.Contains(colorOut.String(), "\x1b[31;1m") {
		t.Fatalf("no red in the coloured report:\n%q", colorOut.String())
	}
	// not run is painted neither green nor red: it is no pass and no failure
	if !strings.Contains(colorOut.String(), "\x1b[33;1mnot run\x1b[0m") {
		t.Fatalf("no yellow \"not run\" in the coloured report")
	}
	if got := text.StripEscape(colorOut.String()); got != plainOut.String() {
		t.Fatalf("the coloured report, without its colours, differs from the plain one")
	}
}

var svgRe = regexp.MustCompile(`(?s)<svg\b.*?</svg>`)

func TestHTMLSelfContained(t *testing.T) {
	run := fixtureRun()
	run.Scenarios = append(run.Scenarios, result.Scenario{Drill: "S1", Name: "Code corruption", Status: result.Failed,
		Failures: []string{"prove fault: no fault was injected (no fault_injected event)"}})
	var b bytes.Buffer
	if err := HTML(&b, run, Options{History: fixtureHistory()}); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	// one timeline per scenario (wide and narrow), but for the one not run,
	// which timed nothing
	for _, class := range []string{"timeline wide", "timeline narrow"} {
		if n := strings.Count(page, `<svg class="`+class+`"`); n != len(run.Scenarios)-1 {
			t.Fatalf("%d %s timelines for %d scenarios, one of them not run", n, class, len(run.Scenarios))
		}
	}
	if !strings.Contains(page, `<span class="badge not-run">not run</span>`) ||
		!strings.Contains(page, `<p class="not-run">not run: no order was in flight: the system&#39;s place_order action failed: exit status 1 broker: order refused, market closed</p>`) {
		t.Fatalf("the scenario not run has no badge of its own or no reason")
	}
	for _, bad := range []string{"http://", "https://", "<link", "<script", "<img", "@import", "url("} {
		if strings.Contains(page, bad) {
			t.Fatalf("the page references an external asset or runs code: %q", bad)
		}
	}
	for i, svg := range svgRe.FindAllString(page, -1) {
		if err := wellFormed(svg); err != nil {
			t.Fatalf("svg %d is not well formed: %v", i+1, err)
		}
	}
	if !strings.Contains(page, "&lt;Key not found&gt; &amp; giving up | see the log") {
		t.Fatalf("finding output is not escaped as text")
	}
}

func wellFormed(s string) error {
	d := xml.NewDecoder(strings.NewReader(s))
	for {
		_, err := d.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// svgText is a text element of a timeline, with the box it takes.
type svgText struct {
	class, anchor, content string
	x, y                   float64
}

func (s svgText) span() (float64, float64) {
	w := textWidth(s.content)
	switch s.anchor {
	case "end":
		return s.x - w, s.x
	case "middle":
		return s.x - w/2, s.x + w/2
	}
	return s.x, s.x + w
}

func svgTexts(t *testing.T, svg string) []svgText {
	t.Helper()
	var out []svgText
	d := xml.NewDecoder(strings.NewReader(svg))
	var cur *svgText
	depth := 0
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if tok.Name.Local == "text" {
				cur = &svgText{anchor: "start"}
				for _, a := range tok.Attr {
					switch a.Name.Local {
					case "class":
						cur.class = a.Value
					case "text-anchor":
						cur.anchor = a.Value
					case "x":
						cur.x, _ = strconv.ParseFloat(a.Value, 64)
					case "y":
						cur.y, _ = strconv.ParseFloat(a.Value, 64)
					}
				}
				depth = 0
			} else if cur != nil {
				depth++
			}
		case xml.CharData:
			if cur != nil && depth == 0 {
				cur.content += string(tok)
			}
		case xml.EndElement:
			if cur != nil && tok.Name.Local == "text" {
				out = append(out, *cur)
				cur = nil
			} else if cur != nil {
				depth--
			}
		}
	}
}

// TestTimelineLabelsDoNotOverlap: for 2 to 8 phases (and each scenario of
// the fixture), no two labels of a timeline share space, and every label
// stays inside the picture.
func TestTimelineLabelsDoNotOverlap(t *testing.T) {
	scenarios := fixtureRun().Scenarios
	for n := 2; n <= 8; n++ {
		scenarios = append(scenarios, phasesScenario(n))
	}
	for _, s := range scenarios {
		for _, lay := range []layout{wide, narrow} {
			t.Run(s.Name+"/"+lay.name, func(t *testing.T) { checkTimelineLabels(t, s, lay) })
		}
	}
}

func checkTimelineLabels(t *testing.T, s result.Scenario, lay layout) {
	{
		{
			svg := timelineSVG(s, "t", lay)
			texts := svgTexts(t, svg)
			for _, l := range markerLines(t, svg) {
				for _, a := range texts {
					a0, a1 := a.span()
					if strings.HasPrefix(a.class, "marker-label") && l.y1 < a.y-8 && l.y2 > a.y && l.x > a0 && l.x < a1 {
						t.Errorf("the line at x %.0f crosses the label %q", l.x, a.content)
					}
				}
			}
			if len(texts) == 0 {
				t.Fatal("no text in the timeline")
			}
			for i, a := range texts {
				a0, a1 := a.span()
				if a0 < 0 || a1 > lay.width {
					t.Errorf("%q (%s) runs out of the picture: %.0f..%.0f", a.content, a.class, a0, a1)
				}
				for _, b := range texts[i+1:] {
					if math.Abs(a.y-b.y) >= 11 { // different lines
						continue
					}
					b0, b1 := b.span()
					if a0 < b1 && b0 < a1 {
						t.Errorf("%q (%s) overlaps %q (%s) at y %.0f", a.content, a.class, b.content, b.class, a.y)
					}
				}
			}
		}
	}
}

func TestTrend(t *testing.T) {
	cs := Trend(fixtureHistory(), fixtureRun(), 0)
	var got []string
	for _, c := range cs {
		got = append(got, c.Current.Drill+": "+trendText(c))
	}
	want := []string{
		"Q1: ok: RTO +7%, RPO +2%", // against August's run, not September's that did not run
		"Q2: ok: RTO +3%, RPO same",
		"Q3: regression: RTO +61%, RPO +40%",
		"Q4: first run",
		"Q3: not run",
		"Q1: first run",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Trend() = %v\nwant %v", got, want)
	}
	if q1 := cs[0]; q1.Previous.RunID != "20260827T090000Z-0001" || q1.Best.RunID != "20260527T090000Z-0001" {
		t.Fatalf("Q1 previous %s best %s", q1.Previous.RunID, q1.Best.RunID)
	}
	if q3 := cs[2]; q3.Best == nil || q3.Best.RunID != "20260527T090000Z-0001" {
		t.Fatalf("Q3 best should be the passed May run, got %+v", q3.Best)
	}
	if nr := cs[4]; nr.Regressed() || nr.Previous == nil || nr.Previous.RunID != "20260827T090000Z-0001" {
		t.Fatalf("the scenario not run: regressed %v, previous %+v; want no regression against August's run", nr.Regressed(), nr.Previous)
	}

	// A scenario not run that holds numbers all the same is compared with
	// nothing: it measured no recovery.
	run := fixtureRun()
	run.Scenarios[4].RTO = &result.RTO{Actual: 5000, Target: 900, ProbeInterval: 1}
	run.Scenarios[4].RPO = &result.RPO{Actual: 500, Target: 60}
	if nr := Trend(fixtureHistory(), run, 0)[4]; nr.Regressed() || trendText(nr) != "not run" {
		t.Fatalf("a scenario not run holding numbers: regressed %v, %q; want no regression, \"not run\"", nr.Regressed(), trendText(nr))
	}
}

func TestRegression(t *testing.T) {
	v := func(f float64) *result.Seconds { x := result.Seconds(f); return &x }
	tests := []struct {
		name      string
		prev, cur *result.Seconds
		threshold float64
		floor     time.Duration
		want      bool
	}{
		{"within threshold", v(100), v(119), 0.2, 0, false},
		{"beyond threshold", v(100), v(121), 0.2, 0, true},
		{"better", v(100), v(50), 0.2, 0, false},
		{"beyond threshold but within a probe interval", v(2), v(2.9), 0.2, time.Second, false},
		{"beyond threshold and a probe interval", v(2), v(3.5), 0.2, time.Second, true},
		{"from no loss to some", v(0), v(0.5), 0.2, 0, true},
		{"no loss still", v(0), v(0), 0.2, 0, false},
		{"not measured", nil, v(3), 0.2, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, got := change(tt.prev, tt.cur, tt.threshold, tt.floor); got != tt.want {
				t.Fatalf("change() regressed = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestHistoryRoundTrip(t *testing.T) {
	run := fixtureRun()
	lines := HistoryLine(run)
	if n := bytes.Count(lines, []byte("\n")); n != len(run.Scenarios) {
		t.Fatalf("%d history lines for %d scenarios", n, len(run.Scenarios))
	}
	got, err := ReadHistory(bytes.NewReader(append(lines, '\n')))
	if err != nil {
		t.Fatal(err)
	}
	if want := entries(run); !reflect.DeepEqual(got, want) {
		t.Fatalf("ReadHistory(HistoryLine()) =\n%+v\nwant\n%+v", got, want)
	}
	if _, err := ReadHistory(strings.NewReader(string(lines) + "{not json\n")); err == nil ||
		!strings.HasPrefix(err.Error(), "read history line 7: ") {
		t.Fatalf("ReadHistory(bad line) = %v", err)
	}
}

func TestCSVParses(t *testing.T) {
	var b bytes.Buffer
	if err := CSV(&b, fixtureRun()); err != nil {
		t.Fatal(err)
	}
	records, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != 7 || records[3][6] != "965" || records[2][6] != "48.2" || records[4][6] != "" {
		t.Fatalf("unexpected CSV: %q", records)
	}
	reason := slices.Index(csvHeader, "not_run_reason")
	if nr := records[5]; nr[5] != "not run" || nr[reason] != notRunReason || records[1][reason] != "" {
		t.Fatalf("the scenario not run reads status %q, reason %q; want \"not run\" and its reason", nr[5], nr[reason])
	}
	id := slices.Index(csvHeader, "scenario_id")
	if got := records[6][id]; id != len(csvHeader)-1 || got != "q1-the-m5-bars-are-deleted-and-recovered-by-option-b" {
		t.Fatalf("scenario_id column %d reads %q; want the last column, the stable id", id, got)
	}
	fault := slices.Index(csvHeader, "fault_at")
	if got := records[1][fault]; got != "2026-11-27T10:16:11.000Z" {
		t.Fatalf("fault_at reads %q; want RFC 3339 in UTC to the millisecond", got)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteErrors(t *testing.T) {
	run := fixtureRun()
	for name, err := range map[string]error{
		"terminal": Terminal(failingWriter{}, run, Options{}),
		"markdown": Markdown(failingWriter{}, run, Options{}),
		"html":     HTML(failingWriter{}, run, Options{}),
		"csv":      CSV(failingWriter{}, run),
	} {
		if err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Errorf("%s: error = %v, want disk full", name, err)
		}
	}
}

type vline struct{ x, y1, y2 float64 }

// markerLines finds the vertical marker lines of a timeline.
func markerLines(t *testing.T, svg string) []vline {
	t.Helper()
	var out []vline
	d := xml.NewDecoder(strings.NewReader(svg))
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Local != "line" {
			continue
		}
		v := map[string]string{}
		for _, a := range se.Attr {
			v[a.Name.Local] = a.Value
		}
		if !strings.HasPrefix(v["class"], "marker ") || v["x1"] != v["x2"] {
			continue
		}
		x, _ := strconv.ParseFloat(v["x1"], 64)
		y1, _ := strconv.ParseFloat(v["y1"], 64)
		y2, _ := strconv.ParseFloat(v["y2"], 64)
		out = append(out, vline{x, y1, y2})
	}
}

// TestEngineLineGroupsRolesByEngine: a scenario spread over engines says
// which engine ran which containers; one on a single engine says nothing.
func TestEngineLineGroupsRolesByEngine(t *testing.T) {
	s := result.Scenario{Engines: map[string]string{
		"primary": "unix:///var/run/docker.sock", "relay": "unix:///var/run/docker.sock",
		"minio": "tcp://10.0.0.5:2375", "backup-server": "tcp://10.0.0.5:2375",
	}}
	want := "engines: backup-server, minio on tcp://10.0.0.5:2375; primary, relay on unix:///var/run/docker.sock"
	if got := engineLine(s); got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	if got := engineLine(result.Scenario{}); got != "" {
		t.Fatalf("one engine: got %q, want nothing", got)
	}
}
