package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"time"

	"firedrill/harness/result"
)

// DefaultThreshold is the worsening against the previous run that counts
// as a regression: 20%.
const DefaultThreshold = 0.20

// Entry is one line of reports/history.jsonl: one scenario of one run.
type Entry struct {
	RunID    string          `json:"run_id"`
	Profile  string          `json:"profile"`
	Drill    string          `json:"drill"`
	Scenario string          `json:"scenario"`
	PlanRow  string          `json:"plan_row"`
	Status   result.Status   `json:"status"`
	RTO      *result.Seconds `json:"rto"` // null when the scenario did not measure it
	RPO      *result.Seconds `json:"rpo"`
	At       time.Time       `json:"at"` // when the scenario started
	// NotRunReason says why a scenario with status "not run" was not.
	NotRunReason string `json:"not_run_reason,omitempty"`
}

// HistoryLine returns the lines to append to reports/history.jsonl for a
// run: one JSON object per scenario, each ending in a newline.
func HistoryLine(run result.Run) []byte {
	var b bytes.Buffer
	for _, e := range entries(run) {
		line, err := json.Marshal(e)
		if err != nil { // an Entry always encodes; keep the file well formed if not
			continue
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

func entries(run result.Run) []Entry {
	out := make([]Entry, 0, len(run.Scenarios))
	for _, s := range run.Scenarios {
		e := Entry{
			RunID: run.RunID, Profile: run.Profile, Drill: s.Drill, Scenario: s.Name,
			PlanRow: s.PlanRow, Status: s.Status, At: s.StartedAt, NotRunReason: s.NotRunReason,
		}
		if e.At.IsZero() {
			e.At = run.StartedAt
		}
		if s.RTO != nil {
			v := s.RTO.Actual
			e.RTO = &v
		}
		if s.RPO != nil {
			v := s.RPO.Actual
			e.RPO = &v
		}
		out = append(out, e)
	}
	return out
}

// ReadHistory reads history lines (reports/history.jsonl). Blank lines are
// skipped; a line that is not an entry fails, naming its number.
func ReadHistory(r io.Reader) ([]Entry, error) {
	var out []Entry
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var e Entry
		if err := json.Unmarshal(line, &e); err != nil {
			return nil, fmt.Errorf("read history line %d: %w", n, err)
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read history: %w", err)
	}
	return out, nil
}

// Comparison sets one scenario of a run against its history: the
// previous and the best earlier run of the same drill, scenario and
// profile.
type Comparison struct {
	Current Entry
	// Previous is the latest earlier run that ran; nil on a first run. A
	// run whose scenario was not run measured nothing: taken as the
	// previous, it would hide a regression against the last one that did.
	Previous *Entry
	// Best is the earlier passed run with the lowest RTO (then RPO); nil if
	// none passed. A scenario not run is never a best, whatever it holds.
	Best *Entry
	// RTOChange and RPOChange are the relative change against Previous
	// (0.35: 35% worse, -0.1: 10% better); NaN when either side was not
	// measured or the previous was 0.
	RTOChange, RPOChange float64
	// RTORegressed and RPORegressed flag a worsening beyond the threshold.
	// An RTO must also be worse by more than one probe interval, the
	// precision it was measured to; an RPO that was 0 regresses on any loss.
	RTORegressed, RPORegressed bool
}

// Regressed reports whether RTO or RPO regressed.
func (c Comparison) Regressed() bool { return c.RTORegressed || c.RPORegressed }

// Trend compares each scenario of run with history. threshold is the
// relative worsening that counts as a regression (DefaultThreshold when 0
// or less). Entries of run itself and entries not earlier than the
// scenario are ignored, so an old run renders against its own past.
func Trend(history []Entry, run result.Run, threshold float64) []Comparison {
	if threshold <= 0 {
		threshold = DefaultThreshold
	}
	past := make([]Entry, 0, len(history))
	for _, e := range history {
		if e.RunID != run.RunID {
			past = append(past, e)
		}
	}
	sort.SliceStable(past, func(i, j int) bool { return past[i].At.Before(past[j].At) })

	out := make([]Comparison, 0, len(run.Scenarios))
	for i, cur := range entries(run) {
		c := Comparison{Current: cur, RTOChange: math.NaN(), RPOChange: math.NaN()}
		for j := range past {
			e := &past[j]
			if !sameDrill(*e, cur) || !e.At.Before(cur.At) || e.Status == result.NotRun {
				continue
			}
			c.Previous = e
			if e.Status == result.Passed && e.RTO != nil && better(*e, c.Best) {
				c.Best = e
			}
		}
		// A scenario not run is compared with nothing: what it may hold
		// was not measured by a recovery.
		if p := c.Previous; p != nil && cur.Status != result.NotRun {
			var probe time.Duration
			if s := run.Scenarios[i]; s.RTO != nil {
				probe = s.RTO.ProbeInterval.Duration()
			}
			c.RTOChange, c.RTORegressed = change(p.RTO, cur.RTO, threshold, probe)
			c.RPOChange, c.RPORegressed = change(p.RPO, cur.RPO, threshold, 0)
		}
		out = append(out, c)
	}
	return out
}

func sameDrill(a, b Entry) bool {
	return a.Profile == b.Profile && a.Drill == b.Drill &&
		strings.EqualFold(strings.TrimSpace(a.Scenario), strings.TrimSpace(b.Scenario))
}

// better reports whether e beats best: lower RTO, then lower RPO; the
// earlier run keeps a tie.
func better(e Entry, best *Entry) bool {
	if best == nil {
		return true
	}
	if *e.RTO != *best.RTO {
		return *e.RTO < *best.RTO
	}
	return e.RPO != nil && (best.RPO == nil || *e.RPO < *best.RPO)
}

// change is the relative change from prev to cur, and whether it is a
// regression: worse than prev by more than threshold and by more than
// floor.
func change(prev, cur *result.Seconds, threshold float64, floor time.Duration) (float64, bool) {
	if prev == nil || cur == nil {
		return math.NaN(), false
	}
	p, c := float64(*prev), float64(*cur)
	regressed := c > p*(1+threshold) && c-p > floor.Seconds()
	if p == 0 {
		return math.NaN(), regressed
	}
	return (c - p) / p, regressed
}

// trendText words a comparison for a table cell.
func trendText(c Comparison) string {
	if c.Current.Status == result.NotRun {
		// Nothing measured: neither "ok" nor a regression.
		return string(result.NotRun)
	}
	if c.Previous == nil {
		return "first run"
	}
	var parts []string
	for _, o := range []struct {
		name      string
		rel       float64
		prev, cur *result.Seconds
		regressed bool
	}{
		{"RTO", c.RTOChange, c.Previous.RTO, c.Current.RTO, c.RTORegressed},
		{"RPO", c.RPOChange, c.Previous.RPO, c.Current.RPO, c.RPORegressed},
	} {
		switch {
		case o.prev == nil || o.cur == nil:
			continue
		case !math.IsNaN(o.rel):
			parts = append(parts, fmt.Sprintf("%s %+.0f%%", o.name, math.Round(o.rel*100)))
		case *o.cur == *o.prev:
			parts = append(parts, o.name+" same")
		default:
			parts = append(parts, fmt.Sprintf("%s %s → %s", o.name, human(*o.prev), human(*o.cur)))
		}
	}
	verdict := "ok"
	if c.Regressed() {
		verdict = "regression"
	}
	if len(parts) == 0 {
		return verdict
	}
	return verdict + ": " + strings.Join(parts, ", ")
}

// optHuman writes a history value, or none.
func optHuman(s *result.Seconds) string {
	if s == nil {
		return none
	}
	return human(*s)
}
