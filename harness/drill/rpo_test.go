package drill

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"firedrill/harness/result"
	"firedrill/harness/timeline"
)

// The fault instant of the state and git tables.
var rpoFault = time.Date(2026, 11, 27, 10, 2, 11, 0, time.UTC)

// sec is a time s seconds from the fault (negative: before it).
func rpoSec(s float64) time.Time { return rpoFault.Add(time.Duration(s * float64(time.Second))) }

// rpoEvidenceText joins a measure's evidence for substring checks.
func rpoEvidenceText(m measured) string {
	var b strings.Builder
	for _, e := range m.evidence {
		fmt.Fprintf(&b, "%s: %s\n", e.Name, e.Detail)
	}
	return b.String()
}

func rpoContains(t *testing.T, what, got string, wants []string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, got)
		}
	}
}

// intent builds a broker intent from its history: status, seconds from the
// fault, status, seconds, ...
func rpoIntent(id string, history ...any) brokerIntent {
	in := brokerIntent{ID: id}
	for i := 0; i+1 < len(history); i += 2 {
		at := rpoSec(history[i+1].(float64))
		in.History = append(in.History, statusChange{Status: history[i].(string), At: at})
		in.Status, in.UpdatedAt = history[i].(string), at
	}
	in.CreatedAt = in.History[0].At
	return in
}

func rpoFill(id, intentID string, s float64) brokerFill {
	return brokerFill{ID: id, IntentID: intentID, Symbol: "AAPL", Side: "BUY", Quantity: 1, FilledAt: rpoSec(s)}
}

// Rules 1 and 2 for state: a lost fill makes the RPO at least its age even
// when updated_at is newer; an order open at the fault is uncertain, not
// lost and not kept; a change dated after the fault is an error.
func TestStateRPO(t *testing.T) {
	rpoFilled := func(id string, created, f float64) brokerIntent {
		return rpoIntent(id, "pending", created, "planned", created+1, "ready_to_send", created+2, "sent", created+3, "filled", f)
	}
	gt := groundTruth{
		Intents: []brokerIntent{
			rpoFilled("I-1", -20, -16), rpoFilled("I-2", -12, -8), rpoFilled("I-3", -9, -5),
			// open at the fault (sent since -0.5), filled after it
			rpoIntent("I-4", "pending", -3.5, "planned", -2.5, "ready_to_send", -1.5, "sent", -0.5, "filled", 0.5),
			// cancelled before the fault: settled
			rpoIntent("I-5", "pending", -6.0, "cancelled", -4.0),
			// pending at the fault, still pending when read
			rpoIntent("I-6", "pending", -0.2),
			// created after the fault: did not exist at it
			rpoIntent("I-7", "pending", 0.3),
		},
		Fills: []brokerFill{rpoFill("F-1", "I-1", -16), rpoFill("F-2", "I-2", -8), rpoFill("F-3", "I-3", -5), rpoFill("F-4", "I-4", 0.5)},
	}
	tests := []struct {
		name          string
		st            restoredState
		gt            groundTruth
		want          time.Duration
		lost          int
		uncertain     int
		wantEvidence  []string
		wantErr       []string
		wantAfterErr  bool
		wantNewestRec time.Time
	}{
		{
			name: "nothing lost: the age of updated_at",
			st:   restoredState{Seq: 9, UpdatedAt: rpoSec(-2), AppliedFills: []string{"F-1", "F-2", "F-3"}},
			gt:   gt, want: 2 * time.Second, uncertain: 2,
			wantEvidence:  []string{"holds 3 of the broker's 3 fills made by the fault; missing: none"},
			wantNewestRec: rpoSec(-2),
		},
		{
			name: "a quiet state: the recovery point is its snapshot's time, not its last change",
			st:   restoredState{Seq: 9, UpdatedAt: rpoSec(-110), CapturedAt: rpoSec(-54), AppliedFills: []string{"F-1", "F-2", "F-3"}},
			gt:   gt, want: 54 * time.Second, uncertain: 2,
			wantEvidence:  []string{"recovery point the snapshot it was restored from"},
			wantNewestRec: rpoSec(-54),
		},
		{
			name: "a snapshot time older than the restored state's change is not the recovery point",
			st:   restoredState{Seq: 9, UpdatedAt: rpoSec(-2), CapturedAt: rpoSec(-54), AppliedFills: []string{"F-1", "F-2", "F-3"}},
			gt:   gt, want: 2 * time.Second, uncertain: 2,
			wantNewestRec: rpoSec(-2),
		},
		{
			name: "a lost fill older than updated_at sets the RPO",
			st:   restoredState{Seq: 9, UpdatedAt: rpoSec(-1), AppliedFills: []string{"F-1", "F-3"}},
			gt:   gt, want: 8 * time.Second, lost: 1, uncertain: 2,
			wantEvidence: []string{"missing: F-2 (the earliest, F-2, filled 10:02:03.000Z, 8 s before the fault)"},
		},
		{
			name: "the earliest of several lost fills counts",
			st:   restoredState{Seq: 9, UpdatedAt: rpoSec(-1), AppliedFills: []string{"F-3"}},
			gt:   gt, want: 16 * time.Second, lost: 2, uncertain: 2,
			wantEvidence: []string{"missing: F-1 F-2 (the earliest, F-1,"},
		},
		{
			name: "a lost fill newer than updated_at leaves the age of updated_at",
			st:   restoredState{Seq: 3, UpdatedAt: rpoSec(-10), AppliedFills: []string{"F-1", "F-2"}},
			gt:   gt, want: 10 * time.Second, lost: 1, uncertain: 2,
		},
		{
			name: "an order open at the fault is uncertain: neither lost nor kept",
			st:   restoredState{Seq: 9, UpdatedAt: rpoSec(-2), AppliedFills: []string{"F-1", "F-2", "F-3"}},
			gt:   gt, want: 2 * time.Second, uncertain: 2,
			wantEvidence: []string{
				"2 order(s) open at the fault, neither lost nor kept",
				"I-4 sent since 10:02:10.500Z, filled 10:02:11.500Z (F-4) 500ms after the fault",
				"I-6 pending since 10:02:10.800Z, still pending when the ground truth was read",
			},
		},
		{
			name: "an intent without history is judged from created_at, status and updated_at",
			st:   restoredState{Seq: 1, UpdatedAt: rpoSec(-1)},
			gt: groundTruth{Intents: []brokerIntent{
				{ID: "I-8", Status: "sent", CreatedAt: rpoSec(-3), UpdatedAt: rpoSec(-1)},
				{ID: "I-9", Status: "cancelled", CreatedAt: rpoSec(-3), UpdatedAt: rpoSec(-2)},
				{ID: "I-10", Status: "cancelled", CreatedAt: rpoSec(-3), UpdatedAt: rpoSec(2)},
			}},
			want: time.Second, uncertain: 2,
			wantEvidence: []string{"I-8 open since", "I-10 open since 10:02:08.000Z, cancelled after the fault"},
		},
		{
			name: "a fill at the fault settles an intent whose history lags it",
			st:   restoredState{Seq: 1, UpdatedAt: rpoSec(-1), AppliedFills: []string{"F-11"}},
			gt: groundTruth{
				Intents: []brokerIntent{rpoIntent("I-11", "pending", -4.0, "sent", -1.0, "filled", 0.001)},
				Fills:   []brokerFill{rpoFill("F-11", "I-11", 0)},
			},
			want: time.Second,
		},
		{
			name:    "a restored state with no updated_at cannot be dated",
			st:      restoredState{Seq: 0, AppliedFills: []string{"F-1"}},
			gt:      gt,
			wantErr: []string{"the restored state has no updated_at"},
		},
		{
			name:         "updated_at after the fault is an error naming both times",
			st:           restoredState{Seq: 9, UpdatedAt: rpoSec(1.5), AppliedFills: []string{"F-1"}},
			gt:           gt,
			wantErr:      []string{"the newest change in the restored state (its updated_at) is dated after the fault", "2026-11-27T10:02:12.500Z, 1.5s after the fault at 2026-11-27T10:02:11.000Z", "clock skew"},
			wantAfterErr: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := stateRPO(rpoFault, time.Minute, tt.st, tt.gt)
			if tt.wantErr != nil {
				if err == nil {
					t.Fatalf("stateRPO() = %+v, want an error", m.rpo)
				}
				rpoContains(t, "error", err.Error(), tt.wantErr)
				if errors.Is(err, timeline.ErrAfterFault) != tt.wantAfterErr {
					t.Errorf("errors.Is(ErrAfterFault) = %v", !tt.wantAfterErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			r := m.rpo
			if r.Actual != result.Sec(tt.want) || r.LostEvents != tt.lost || r.Uncertain != tt.uncertain {
				t.Errorf("RPO %v, lost %d, uncertain %d; want %v, %d, %d", r.Actual.Duration(), r.LostEvents, r.Uncertain, tt.want, tt.lost, tt.uncertain)
			}
			if r.Target != result.Sec(time.Minute) || !r.FaultAt.Equal(rpoFault) || m.what != "fill" {
				t.Errorf("target %v, fault %v, what %q", r.Target, r.FaultAt, m.what)
			}
			if !tt.wantNewestRec.IsZero() && !r.NewestRecovered.Equal(tt.wantNewestRec) {
				t.Errorf("NewestRecovered = %v, want %v", r.NewestRecovered, tt.wantNewestRec)
			}
			rpoContains(t, "evidence", rpoEvidenceText(m), tt.wantEvidence)
			if !strings.Contains(r.Basis, "earliest broker fill made before the fault that it lacks") || strings.Contains(r.Basis, "\n") {
				t.Errorf("Basis = %q", r.Basis)
			}
		})
	}
}

// The broker of the data tables: ten history bars of 2024-11-27, published
// when it started (rpoBrokerStart), then its feed from 2024-11-29 09:30, one
// M1 bar a second.
var (
	rpoNYZone      = time.FixedZone("EST", -5*3600)
	rpoBrokerStart = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
)

func rpoNY(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, rpoNYZone)
	if err != nil {
		panic(err)
	}
	return t
}

func rpoBars() []brokerBar {
	var bars []brokerBar
	for i := range 10 {
		bars = append(bars, brokerBar{Timestamp: rpoNY("2024-11-27 15:50").Add(time.Duration(i) * time.Minute), PublishedAt: rpoBrokerStart})
	}
	for i := range 20 { // 09:30 published at +1 s ... 09:49 at +20 s
		bars = append(bars, brokerBar{Timestamp: rpoNY("2024-11-29 09:30").Add(time.Duration(i) * time.Minute), PublishedAt: rpoBrokerStart.Add(time.Duration(i+1) * time.Second)})
	}
	return bars
}

// at is a fault time s seconds after rpoBrokerStart.
func rpoAt(s float64) time.Time { return rpoBrokerStart.Add(time.Duration(s * float64(time.Second))) }

func rpoFiles(kv ...any) map[string]dataFile {
	out := map[string]dataFile{}
	for i := 0; i+2 < len(kv)+1; i += 3 {
		out[kv[i].(string)] = dataFile{Rows: kv[i+1].(int), Newest: rpoNY(kv[i+2].(string))}
	}
	return out
}

const (
	rpoM1Dir = "artifacts/data_m1"
	rpoM5Dir = "/tmp/restore/opt/trading/traderunner/artifacts/data_m5"
)

// Rules 1 and 4 for market data: lost bars count from the broker's
// publication times, a file gone or unreadable loses every bar it held
// (never "0 s"), a negative age is an error, and M5 bars are compared at
// the grain the evidence holds, with the grain in Basis.
func TestDataRPO(t *testing.T) {
	m1At := rpoFiles("AAPL.parquet", 28, "2024-11-29 09:47") // 10 history + 09:30..09:47
	m5At := rpoFiles("AAPL.parquet", 6, "2024-11-29 09:45")  // 15:50, 15:55, 09:30, 09:35, 09:40, 09:45
	tests := []struct {
		name         string
		dir          string
		fault        time.Time
		before       map[string]dataFile
		after        dataNewest
		want         time.Duration
		lost         int
		what         string
		newestRec    time.Time
		wantBasis    []string
		notBasis     []string
		wantEvidence []string
		wantErr      []string
	}{
		{
			name: "every bar came back: 0", dir: rpoM1Dir, fault: rpoAt(18.5), before: m1At,
			after: dataNewest{Files: rpoFiles("AAPL.parquet", 28, "2024-11-29 09:47")},
			want:  0, what: "bar",
			wantBasis:    []string{"compared at M1 grain: the bars of each file in artifacts/data_m1"},
			notBasis:     []string{"allows"},
			wantEvidence: []string{"AAPL.parquet: 28 M1 bars to 2024-11-29T09:47:00-05:00 at the fault, 28 to 2024-11-29T09:47:00-05:00 recovered: nothing lost"},
		},
		{
			name: "newer bars re-fetched: nothing lost", dir: rpoM1Dir, fault: rpoAt(18.5), before: m1At,
			after: dataNewest{Files: rpoFiles("AAPL.parquet", 30, "2024-11-29 09:49")},
			want:  0, what: "bar",
		},
		{
			name: "recovered file ends earlier: the age of its newest bar", dir: rpoM1Dir, fault: rpoAt(18.5), before: m1At,
			after: dataNewest{Files: rpoFiles("AAPL.parquet", 25, "2024-11-29 09:44")},
			want:  3500 * time.Millisecond, lost: 3, what: "bar", newestRec: rpoAt(15),
			wantEvidence: []string{"3 M1 bar(s) lost; its newest recovered bar was published 10:00:15.000Z: 3.5 s before the fault"},
		},
		{
			name: "a file gone is all lost, dated by its oldest bar's publication", dir: rpoM1Dir, fault: rpoAt(18.5), before: m1At,
			after: dataNewest{Files: map[string]dataFile{}},
			want:  18500 * time.Millisecond, lost: 28, what: "bar",
			wantEvidence: []string{"AAPL.parquet: not recovered (not in the recovered folder)", "all lost; the oldest, 2024-11-27T15:50:00-05:00, was published 10:00:00.000Z: 19 s before the fault"},
		},
		{
			name: "a file unreadable is all lost too, never 0 s", dir: rpoM1Dir, fault: rpoAt(18.5), before: m1At,
			after: dataNewest{Files: map[string]dataFile{}, Errors: map[string]string{"AAPL.parquet": "parquet: bad magic"}},
			want:  18500 * time.Millisecond, lost: 28, what: "bar",
			wantEvidence: []string{"not recovered (parquet: bad magic)"},
		},
		{
			name: "a file gone is dated by the oldest bar it held, not the broker's", dir: rpoM1Dir, fault: rpoAt(18.5),
			before: rpoFiles("AAPL.parquet", 5, "2024-11-29 09:47"), // 09:43..09:47
			after:  dataNewest{Files: map[string]dataFile{}},
			want:   4500 * time.Millisecond, lost: 5, what: "bar",
			wantEvidence: []string{"the oldest, 2024-11-29T09:43:00-05:00, was published 10:00:14.000Z"},
		},
		{
			name: "a file that held more than the broker has is dated by the broker's oldest", dir: rpoM1Dir, fault: rpoAt(18.5),
			before: rpoFiles("AAPL.parquet", 40, "2024-11-29 09:47"),
			after:  dataNewest{Files: rpoFiles("AAPL.parquet", 0, "2024-11-29 09:47")},
			want:   18500 * time.Millisecond, lost: 40, what: "bar",
			wantEvidence: []string{"not recovered (it holds no bars)", "(the broker's oldest: the file held more bars than the broker has up to its newest)"},
		},
		{
			name: "bars missing that data_newest does not place: dated as if the oldest were one", dir: rpoM1Dir, fault: rpoAt(18.5), before: m1At,
			after: dataNewest{Files: rpoFiles("AAPL.parquet", 20, "2024-11-29 09:47")},
			want:  18500 * time.Millisecond, lost: 8, what: "bar",
			wantBasis:    []string{"it allows between 0 s and 19 s"},
			wantEvidence: []string{"8 M1 bar(s) missing that data_newest does not place"},
		},
		{
			name: "the worst file sets the RPO, every file's losses count", dir: rpoM1Dir, fault: rpoAt(18.5),
			before: rpoFiles("AAPL.parquet", 28, "2024-11-29 09:47", "MSFT.parquet", 28, "2024-11-29 09:47"),
			after:  dataNewest{Files: rpoFiles("AAPL.parquet", 25, "2024-11-29 09:44", "MSFT.parquet", 27, "2024-11-29 09:46")},
			want:   3500 * time.Millisecond, lost: 4, what: "bar", newestRec: rpoAt(15),
		},
		{
			name: "a recovered bar published after the fault is clock skew, not 0", dir: rpoM1Dir, fault: rpoAt(14.5), before: m1At,
			after:   dataNewest{Files: rpoFiles("AAPL.parquet", 25, "2024-11-29 09:44")},
			wantErr: []string{"the newest recovered bar of AAPL.parquet 2024-11-29T09:44:00-05:00 is dated after the fault", "2026-11-27T10:00:15.000Z, 500ms after the fault at 2026-11-27T10:00:14.500Z", "clock skew"},
		},
		// Rule 4: M5 bars, compared at the grain the evidence holds.
		{
			name: "M5: a partly built newest bar does not read nothing lost", dir: rpoM5Dir, fault: rpoAt(18.5), before: m5At,
			after: dataNewest{Files: rpoFiles("AAPL.parquet", 6, "2024-11-29 09:45")},
			want:  2500 * time.Millisecond, lost: 0, what: "M5 bar", newestRec: rpoAt(16),
			wantBasis: []string{"compared at M5 grain, as data_newest gives each file's rows and newest M5 bar, not the M1 bars it was built from: ",
				"the bars of each file in " + rpoM5Dir, "(it allows between 0 s and 2.5 s)"},
			wantEvidence: []string{"the same newest M5 bar, which at M5 grain may hold fewer of its M1 bars than at the fault: up to 2 of the M1 bars 09:46 to 09:47 (published 10:00:17.000Z to 10:00:18.000Z) may be lost: between 0 s and 2.5 s"},
		},
		{
			name: "M5: one M1 bar of the newest M5 bar published by the fault: nothing lost", dir: rpoM5Dir, fault: rpoAt(16.5), before: m5At,
			after: dataNewest{Files: rpoFiles("AAPL.parquet", 6, "2024-11-29 09:45")},
			want:  0, what: "M5 bar",
			wantBasis:    []string{"compared at M5 grain"},
			notBasis:     []string{"allows"},
			wantEvidence: []string{"nothing lost (by the fault the broker had published one M1 bar of the newest M5 bar, which both hold)"},
		},
		{
			name: "M5: a relabelled bar is not read as its label alone: the range is stated", dir: rpoM5Dir, fault: rpoAt(18.5), before: m5At,
			after: dataNewest{Files: rpoFiles("AAPL.parquet", 5, "2024-11-29 09:40")},
			want:  7500 * time.Millisecond, lost: 1, what: "M5 bar", newestRec: rpoAt(11),
			wantBasis:    []string{"compared at M5 grain", "(it allows between 3.5 s and 7.5 s)"},
			wantEvidence: []string{"1 M5 bar(s) lost; its newest recovered M5 bar may hold any of the M1 bars from 09:40 to 09:44, published 10:00:11.000Z to 10:00:15.000Z: between 3.5 s and 7.5 s before the fault"},
		},
		{
			name: "M5: a file unreadable loses every M5 bar", dir: rpoM5Dir, fault: rpoAt(18.5), before: m5At,
			after: dataNewest{Files: map[string]dataFile{}, Errors: map[string]string{"AAPL.parquet": "truncated"}},
			want:  18500 * time.Millisecond, lost: 6, what: "M5 bar",
			wantEvidence: []string{"not recovered (truncated): 6 M5 bars to 2024-11-29T09:45:00-05:00 at the fault, all lost"},
		},
		{
			name: "M5: a newer M5 bar recovered: nothing lost", dir: rpoM5Dir, fault: rpoAt(18.5), before: m5At,
			after: dataNewest{Files: rpoFiles("AAPL.parquet", 7, "2024-11-29 09:50")},
			want:  0, what: "M5 bar",
		},
		{
			name: "a folder that names no grain is taken as M1 and says so", dir: "/tmp/restore/bars", fault: rpoAt(18.5), before: m1At,
			after: dataNewest{Files: rpoFiles("AAPL.parquet", 25, "2024-11-29 09:44")},
			want:  3500 * time.Millisecond, lost: 3, what: "bar", newestRec: rpoAt(15),
			wantBasis: []string{"compared at M1 grain (assumed: the folder's name states no bar width)"},
		},
		{
			name: "nothing recorded before the fault", dir: rpoM1Dir, fault: rpoAt(18.5),
			after:   dataNewest{Files: rpoFiles("AAPL.parquet", 25, "2024-11-29 09:44")},
			wantErr: []string{"nothing was recorded of the data before the fault"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			asked := map[string]int{}
			m, err := dataRPO(dataCompare{
				Dir: tt.dir, FaultAt: tt.fault, Target: 5 * time.Minute, Before: tt.before, After: tt.after,
				Bars: func(symbol string) ([]brokerBar, error) {
					asked[symbol]++
					return rpoBars(), nil
				},
			})
			if tt.wantErr != nil {
				if err == nil {
					t.Fatalf("dataRPO() = %+v, want an error", m.rpo)
				}
				rpoContains(t, "error", err.Error(), tt.wantErr)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			r := m.rpo
			if r.Actual != result.Sec(tt.want) || r.LostEvents != tt.lost || m.what != tt.what {
				t.Errorf("RPO %v, lost %d %q; want %v, %d %q", r.Actual.Duration(), r.LostEvents, m.what, tt.want, tt.lost, tt.what)
			}
			if !r.NewestRecovered.Equal(tt.newestRec) {
				t.Errorf("NewestRecovered = %v, want %v", r.NewestRecovered, tt.newestRec)
			}
			if r.Uncertain != 0 || r.WorstCase != 0 || r.Cycle != nil {
				t.Errorf("data RPO set fields it does not own: %+v", r)
			}
			rpoContains(t, "Basis", r.Basis, tt.wantBasis)
			for _, n := range tt.notBasis {
				if strings.Contains(r.Basis, n) {
					t.Errorf("Basis %q holds %q", r.Basis, n)
				}
			}
			rpoContains(t, "evidence", rpoEvidenceText(m), tt.wantEvidence)
			for s, n := range asked {
				if n > 1 {
					t.Errorf("asked the broker for %s bars %d times", s, n)
				}
			}
		})
	}
}

func TestGrainOf(t *testing.T) {
	tests := []struct {
		path string
		want time.Duration
		ok   bool
	}{
		{"artifacts/data_m5/AAPL.parquet", 5 * time.Minute, true},
		{"/tmp/restore/opt/trading/traderunner/artifacts/data_m1/MSFT.parquet", time.Minute, true},
		{"bars/AAPL_M15.parquet", 15 * time.Minute, true},
		{"data_m5/sub/m1/AAPL.parquet", time.Minute, true}, // the nearest name counts
		{"m1_candles/AAPL.parquet", time.Minute, true},
		{"/tmp/restore/bars/AAPL.parquet", 0, false},
		{"artifacts/data_m7/AAPL.parquet", 0, false}, // not a width an hour divides into
		{"artifacts/data_m60/AAPL.parquet", time.Hour, true},
		{"artifacts/data_m1440/AAPL.parquet", 0, false},
		{"team/m5x/AAPL.parquet", 0, false},
	}
	for _, tt := range tests {
		if got, ok := grainOf(tt.path); got != tt.want || ok != tt.ok {
			t.Errorf("grainOf(%q) = %v, %v; want %v, %v", tt.path, got, ok, tt.want, tt.ok)
		}
	}
}

// Rule 3: git against what was committed before the fault.
func TestGitRPO(t *testing.T) {
	c1 := gitHead{Commit: "1111111111111111111111111111111111111111", CommitAt: time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC), Tags: []string{"v1.0-stable"}}
	c2 := gitHead{Commit: "2222222222222222222222222222222222222222", CommitAt: time.Date(2025, 9, 15, 14, 0, 0, 0, time.UTC)}
	c3 := gitHead{Commit: "3333333333333333333333333333333333333333", CommitAt: time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)}
	future := gitHead{Commit: "4444444444444444444444444444444444444444", CommitAt: rpoFault.Add(time.Hour)}
	lost := func(hs ...gitHead) []gitCommit {
		var out []gitCommit
		for _, h := range hs {
			out = append(out, gitCommit{Commit: h.Commit, At: h.CommitAt})
		}
		return out
	}
	tests := []struct {
		name         string
		before       gitHead
		after        gitAfter
		want         time.Duration
		lost         int
		what         string
		wantEvidence []string
		wantErr      []string
	}{
		{
			name: "HEAD unchanged and nothing differs: 0", before: c2,
			after: gitAfter{Head: c2, BeforeKnown: true},
			want:  0, what: "changed file",
			wantEvidence: []string{"HEAD before the fault 222222222222 (committed 2025-09-15T14:00:00Z, no tag), after recovery 222222222222",
				"no commit lost: HEAD is the commit it was before the fault; nothing under configs, src differs from the checked-out commit"},
		},
		{
			name: "HEAD left at the stable tag loses the commit after it", before: c2,
			after: gitAfter{Head: c1, BeforeKnown: true, LostCount: 1, Lost: lost(c2)},
			want:  rpoFault.Sub(c2.CommitAt), lost: 1, what: "commit",
			wantEvidence: []string{"after recovery 111111111111 (committed 2025-06-02T09:00:00Z, tag v1.0-stable)",
				"1 commit(s) lost (git rev-list --count 111111111111..222222222222), the oldest 222222222222 committed 2025-09-15T14:00:00Z"},
		},
		{
			name: "of several lost commits the oldest dates the loss", before: c3,
			after: gitAfter{Head: c1, BeforeKnown: true, LostCount: 2, Lost: lost(c3, c2)},
			want:  rpoFault.Sub(c2.CommitAt), lost: 2, what: "commit",
		},
		{
			name: "HEAD moved on past the commit before the fault: nothing lost", before: c2,
			after: gitAfter{Head: c3, BeforeKnown: true, LostCount: 0},
			want:  0, what: "changed file",
			wantEvidence: []string{"no commit lost: HEAD after recovery holds every commit HEAD held before the fault"},
		},
		{
			name: "the commit before the fault is not in the recovered repository: at least it is lost", before: c3,
			after: gitAfter{Head: c1, BeforeKnown: false},
			want:  rpoFault.Sub(c3.CommitAt), lost: 1, what: "commit",
			wantEvidence: []string{"at least 1 commit lost: 333333333333, HEAD before the fault, is not in the recovered repository"},
		},
		{
			name: "a file that differs is aged from the checked-out commit, as before", before: c2,
			after: gitAfter{Head: c2, BeforeKnown: true, Changed: []string{" M configs/risk.yml"}},
			want:  rpoFault.Sub(c2.CommitAt), lost: 1, what: "changed file",
			wantEvidence: []string{"1 file(s) under configs, src differ from the checked-out commit:  M configs/risk.yml"},
		},
		{
			name: "lost commits and a differing file both count", before: c2,
			after: gitAfter{Head: c1, BeforeKnown: true, LostCount: 1, Lost: lost(c2), Changed: []string{" M src/a.yml"}},
			want:  rpoFault.Sub(c1.CommitAt), lost: 2, what: "git change",
		},
		{
			name: "a lost commit dated after the fault is an error, not 0", before: future,
			after:   gitAfter{Head: c2, BeforeKnown: true, LostCount: 1, Lost: lost(future)},
			wantErr: []string{"lost commit 444444444444 is dated after the fault", "2026-11-27T11:02:11.000Z, 1h0m0s after the fault at 2026-11-27T10:02:11.000Z", "clock skew"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := gitRPO(rpoFault, 0, []string{"configs", "src"}, tt.before, tt.after)
			if tt.wantErr != nil {
				if err == nil {
					t.Fatalf("gitRPO() = %+v, want an error", m.rpo)
				}
				rpoContains(t, "error", err.Error(), tt.wantErr)
				if !errors.Is(err, timeline.ErrAfterFault) {
					t.Errorf("error does not wrap ErrAfterFault: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			r := m.rpo
			if r.Actual != result.Sec(tt.want) || r.LostEvents != tt.lost || m.what != tt.what {
				t.Errorf("RPO %v, lost %d %q; want %v, %d %q", r.Actual.Duration(), r.LostEvents, m.what, tt.want, tt.lost, tt.what)
			}
			rpoContains(t, "Basis", r.Basis, []string{"the commits HEAD held before the fault that HEAD after recovery lacks (git rev-list --count after..before)", "files under configs, src"})
			rpoContains(t, "evidence", rpoEvidenceText(m), tt.wantEvidence)
		})
	}
}

func TestParseGit(t *testing.T) {
	head := "head 2222222222222222222222222222222222222222\ntime 2025-09-15T14:00:00+00:00\n"
	tests := []struct {
		name    string
		out     string
		check   func(gitAfter) bool
		wantErr string
	}{
		{
			name: "HEAD before the fault, with a tag",
			out:  head + "tag v1.0-stable\n",
			check: func(g gitAfter) bool {
				return len(g.Head.Tags) == 1 && g.Head.Tags[0] == "v1.0-stable" && g.Head.CommitAt.Equal(time.Date(2025, 9, 15, 14, 0, 0, 0, time.UTC))
			},
		},
		{
			name: "after recovery: changed files, lost commits, git's warnings ignored",
			out: "warning: something git says\n" + head + "changed  M configs/risk.yml\ncount 2\n" +
				"lost 3333333333333333333333333333333333333333 2026-11-01T08:00:00+00:00\nlost 2222222222222222222222222222222222222222 2025-09-15T14:00:00+00:00\n",
			check: func(g gitAfter) bool {
				return g.BeforeKnown && g.LostCount == 2 && len(g.Lost) == 2 && len(g.Changed) == 1 && g.Changed[0] == " M configs/risk.yml"
			},
		},
		{
			name:  "the commit before the fault unknown to the recovered repository",
			out:   head + "before-missing\n",
			check: func(g gitAfter) bool { return !g.BeforeKnown && g.LostCount == 0 },
		},
		{name: "no HEAD", out: "fatal: not a git repository\n", wantErr: "read HEAD: no commit id"},
		{name: "no commit time", out: "head 2222222222222222222222222222222222222222\n", wantErr: "read HEAD: no commit time"},
		{name: "bad count", out: head + "count many\n", wantErr: "read the count of lost commits"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := parseGit(tt.out)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseGit() error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !tt.check(g) {
				t.Fatalf("parseGit() = %+v, %v", g, err)
			}
		})
	}
}

// rpoFilesM1 is rpoFiles with each file's newest M1 minute: name, rows,
// newest, newest_m1, ...
func rpoFilesM1(kv ...any) map[string]dataFile {
	out := map[string]dataFile{}
	for i := 0; i+3 < len(kv)+1; i += 4 {
		out[kv[i].(string)] = dataFile{Rows: kv[i+1].(int), Newest: rpoNY(kv[i+2].(string)), NewestM1: rpoNY(kv[i+3].(string))}
	}
	return out
}

// Market data at M1 grain: where data_newest gives each file's newest M1
// minute (newest_m1), the M1 bars covered at the fault and missing after
// recovery are lost, the RPO is the age at the fault of the earliest of
// them by the broker's publication time, 0 only when none was lost; the
// M5-grain range stays the fallback where newest_m1 is not given.
func TestDataRPOAtM1Grain(t *testing.T) {
	// 15:50, 15:55, 09:30, 09:35, 09:40, 09:45; the newest built from 09:45 to 09:47
	m5At := rpoFilesM1("AAPL.parquet", 6, "2024-11-29 09:45", "2024-11-29 09:47")
	m1At := rpoFilesM1("AAPL.parquet", 28, "2024-11-29 09:47", "2024-11-29 09:47")
	tests := []struct {
		name         string
		dir          string
		fault        time.Time
		before       map[string]dataFile
		after        dataNewest
		want         time.Duration
		lost         int
		what         string
		wantBasis    []string
		notBasis     []string
		wantEvidence []string
		wantErr      []string
	}{
		{
			name: "a partly built M5 bar that gained minutes after the backup: its later minutes are lost", dir: rpoM5Dir, fault: rpoAt(18.5), before: m5At,
			after: dataNewest{Files: rpoFilesM1("AAPL.parquet", 6, "2024-11-29 09:45", "2024-11-29 09:45")},
			want:  1500 * time.Millisecond, lost: 2, what: "M1 bar",
			wantBasis: []string{"compared at M1 grain, as data_newest gives the newest M1 minute each file covers (newest_m1): ",
				"the M1 bars each file in " + rpoM5Dir + " covered at the fault", "the earliest M1 bar lost", "0 only when no M1 minute was lost"},
			notBasis: []string{"allows", "M5 grain"},
			wantEvidence: []string{"AAPL.parquet: 6 M5 bars to 2024-11-29T09:45:00-05:00 covering M1 to 2024-11-29T09:47:00-05:00 at the fault, " +
				"6 to 2024-11-29T09:45:00-05:00 covering M1 to 2024-11-29T09:45:00-05:00 recovered: " +
				"2 M1 bar(s) lost, 2024-11-29T09:46:00-05:00 to 2024-11-29T09:47:00-05:00 (published 10:00:17.000Z to 10:00:18.000Z); the earliest was published 1.5 s before the fault"},
		},
		{
			name: "a relabelled M5 bar: the one M1 minute of the newer bar is lost, not a range", dir: rpoM5Dir, fault: rpoAt(16.5),
			before: rpoFilesM1("AAPL.parquet", 6, "2024-11-29 09:45", "2024-11-29 09:45"),
			after:  dataNewest{Files: rpoFilesM1("AAPL.parquet", 5, "2024-11-29 09:40", "2024-11-29 09:44")},
			want:   500 * time.Millisecond, lost: 1, what: "M1 bar",
			notBasis:     []string{"allows"},
			wantEvidence: []string{"1 M1 bar(s) lost, 2024-11-29T09:45:00-05:00 (published 10:00:16.000Z); it was published 0.5 s before the fault"},
		},
		{
			name: "a relabelled M5 bar whose older bar came back part built: its missing minutes count too", dir: rpoM5Dir, fault: rpoAt(18.5), before: m5At,
			after: dataNewest{Files: rpoFilesM1("AAPL.parquet", 5, "2024-11-29 09:40", "2024-11-29 09:41")},
			want:  5500 * time.Millisecond, lost: 6, what: "M1 bar",
			wantEvidence: []string{"6 M1 bar(s) lost, 2024-11-29T09:42:00-05:00 to 2024-11-29T09:47:00-05:00"},
		},
		{
			name: "nothing lost: 0", dir: rpoM5Dir, fault: rpoAt(18.5), before: m5At,
			after: dataNewest{Files: rpoFilesM1("AAPL.parquet", 6, "2024-11-29 09:45", "2024-11-29 09:47")},
			want:  0, what: "M1 bar",
			wantBasis:    []string{"compared at M1 grain"},
			notBasis:     []string{"allows"},
			wantEvidence: []string{"recovered: no M1 bar lost"},
		},
		{
			name: "newer M1 minutes re-fetched: nothing lost", dir: rpoM5Dir, fault: rpoAt(18.5), before: m5At,
			after: dataNewest{Files: rpoFilesM1("AAPL.parquet", 6, "2024-11-29 09:45", "2024-11-29 09:49")},
			want:  0, what: "M1 bar",
		},
		{
			name: "an M5 file lost whole: every M1 bar it covered, dated by its oldest", dir: rpoM5Dir, fault: rpoAt(18.5), before: m5At,
			after: dataNewest{Files: map[string]dataFile{}},
			want:  18500 * time.Millisecond, lost: 28, what: "M1 bar",
			wantEvidence: []string{"AAPL.parquet: not recovered (not in the recovered folder): 6 M5 bars to 2024-11-29T09:45:00-05:00 covering M1 to 2024-11-29T09:47:00-05:00 at the fault, " +
				"all lost: 28 M1 bar(s), 2024-11-27T15:50:00-05:00 to 2024-11-29T09:47:00-05:00; the oldest, 2024-11-27T15:50:00-05:00, was published 10:00:00.000Z: 19 s before the fault"},
		},
		{
			name: "an M5 file unreadable: lost whole too", dir: rpoM5Dir, fault: rpoAt(18.5),
			before: rpoFilesM1("AAPL.parquet", 2, "2024-11-29 09:45", "2024-11-29 09:46"), // 09:40 and 09:45
			after:  dataNewest{Files: map[string]dataFile{}, Errors: map[string]string{"AAPL.parquet": "truncated"}},
			want:   7500 * time.Millisecond, lost: 7, what: "M1 bar",
			wantBasis:    []string{"(it allows between 3.5 s and 7.5 s)"},
			wantEvidence: []string{"not recovered (truncated)", "all lost: 7 M1 bar(s), 2024-11-29T09:40:00-05:00 to 2024-11-29T09:46:00-05:00; the oldest, 2024-11-29T09:40:00-05:00, was published 10:00:11.000Z to 10:00:15.000Z: between 3.5 s and 7.5 s"},
		},
		{
			name: "an M1 file that ends earlier: the earliest lost bar, not the newest recovered", dir: rpoM1Dir, fault: rpoAt(18.5), before: m1At,
			after: dataNewest{Files: rpoFilesM1("AAPL.parquet", 25, "2024-11-29 09:44", "2024-11-29 09:44")},
			want:  2500 * time.Millisecond, lost: 3, what: "M1 bar",
			wantEvidence: []string{"AAPL.parquet: 28 M1 bars to 2024-11-29T09:47:00-05:00 at the fault, 25 to 2024-11-29T09:44:00-05:00 recovered: 3 M1 bar(s) lost"},
		},
		{
			name: "bars missing that newest_m1 does not place: up to the oldest held", dir: rpoM1Dir, fault: rpoAt(18.5), before: m1At,
			after: dataNewest{Files: rpoFilesM1("AAPL.parquet", 20, "2024-11-29 09:44", "2024-11-29 09:44")},
			want:  18500 * time.Millisecond, lost: 8, what: "M1 bar",
			wantBasis:    []string{"(it allows between 2.5 s and 19 s)"},
			wantEvidence: []string{"3 M1 bar(s) lost", "5 M1 bar(s) missing that data_newest does not place; dated as if the oldest the file held, 2024-11-27T15:50:00-05:00"},
		},
		{
			name: "M5 bars missing that newest_m1 does not place: each at least one M1 bar", dir: rpoM5Dir, fault: rpoAt(18.5), before: m5At,
			after: dataNewest{Files: rpoFilesM1("AAPL.parquet", 4, "2024-11-29 09:45", "2024-11-29 09:47")},
			want:  18500 * time.Millisecond, lost: 2, what: "M1 bar",
			wantBasis:    []string{"(it allows between 0 s and 19 s)"},
			wantEvidence: []string{"recovered: 2 M5 bar(s) missing that data_newest does not place (at least 2 M1 bar(s)); dated as if the oldest the file held, 2024-11-27T15:50:00-05:00"},
		},
		{
			name: "fallback: a file restored without newest_m1 is compared at M5 grain, and Basis says so", dir: rpoM5Dir, fault: rpoAt(18.5), before: m5At,
			after: dataNewest{Files: rpoFiles("AAPL.parquet", 6, "2024-11-29 09:45")},
			want:  2500 * time.Millisecond, what: "M5 bar",
			wantBasis: []string{"compared at M5 grain, as data_newest gives the recovered files' rows and newest M5 bar, not the newest M1 minute they cover (no newest_m1): ",
				"(it allows between 0 s and 2.5 s)"},
			notBasis:     []string{"M1 grain"},
			wantEvidence: []string{"may be lost: between 0 s and 2.5 s before the fault (compared at M5 grain: data_newest gives no newest_m1 of the recovered file)"},
		},
		{
			name: "mixed: each file at the finest grain its evidence holds, named in Basis", dir: rpoM5Dir, fault: rpoAt(18.5),
			before: map[string]dataFile{"AAPL.parquet": m5At["AAPL.parquet"], "MSFT.parquet": rpoFiles("x", 6, "2024-11-29 09:45")["x"]},
			after: dataNewest{Files: map[string]dataFile{
				"AAPL.parquet": rpoFilesM1("x", 6, "2024-11-29 09:45", "2024-11-29 09:45")["x"],
				"MSFT.parquet": rpoFiles("x", 5, "2024-11-29 09:40")["x"],
			}},
			want: 7500 * time.Millisecond, lost: 3, what: "bar",
			wantBasis: []string{"compared at M1 grain for AAPL.parquet (data_newest gives the newest M1 minute they cover, newest_m1) and at M5 grain for MSFT.parquet (data_newest gives no newest_m1 of them: their rows and newest M5 bar only)",
				"(it allows between 3.5 s and 7.5 s)"},
		},
		{
			name: "a lost M1 bar published after the fault is clock skew, not 0", dir: rpoM5Dir, fault: rpoAt(18.5),
			before:  rpoFilesM1("AAPL.parquet", 6, "2024-11-29 09:45", "2024-11-29 09:48"),
			after:   dataNewest{Files: rpoFilesM1("AAPL.parquet", 6, "2024-11-29 09:45", "2024-11-29 09:45")},
			wantErr: []string{"a lost M1 bar of AAPL.parquet 2024-11-29T09:48:00-05:00 is dated after the fault", "clock skew"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := dataRPO(dataCompare{
				Dir: tt.dir, FaultAt: tt.fault, Target: 5 * time.Minute, Before: tt.before, After: tt.after,
				Bars: func(string) ([]brokerBar, error) { return rpoBars(), nil },
			})
			if tt.wantErr != nil {
				if err == nil {
					t.Fatalf("dataRPO() = %+v, want an error", m.rpo)
				}
				rpoContains(t, "error", err.Error(), tt.wantErr)
				if !errors.Is(err, timeline.ErrAfterFault) {
					t.Errorf("error does not wrap ErrAfterFault: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			r := m.rpo
			if r.Actual != result.Sec(tt.want) || r.LostEvents != tt.lost || m.what != tt.what {
				t.Errorf("RPO %v, lost %d %q; want %v, %d %q", r.Actual.Duration(), r.LostEvents, m.what, tt.want, tt.lost, tt.what)
			}
			if tt.what == "M1 bar" && !r.NewestRecovered.IsZero() {
				t.Errorf("NewestRecovered = %v: at M1 grain the RPO counts from a lost bar", r.NewestRecovered)
			}
			rpoContains(t, "Basis", r.Basis, tt.wantBasis)
			for _, n := range tt.notBasis {
				if strings.Contains(r.Basis, n) {
					t.Errorf("Basis %q holds %q", r.Basis, n)
				}
			}
			rpoContains(t, "evidence", rpoEvidenceText(m), tt.wantEvidence)
		})
	}
}

// data_newest's newest_m1 is decoded; its absence leaves it zero.
func TestDataNewestDecodesNewestM1(t *testing.T) {
	var dn dataNewest
	out := `{"files": {"data_m5/AAPL.parquet": {"rows": 78, "newest": "2024-11-27T15:55:00-05:00", "newest_m1": "2024-11-27T15:57:00-05:00"},
		"data_m5/MSFT.parquet": {"rows": 78, "newest": "2024-11-27T15:55:00-05:00"}}}`
	if err := json.Unmarshal([]byte(out), &dn); err != nil {
		t.Fatal(err)
	}
	if got := dn.Files["data_m5/AAPL.parquet"].NewestM1; !got.Equal(time.Date(2024, 11, 27, 20, 57, 0, 0, time.UTC)) {
		t.Errorf("AAPL newest_m1 = %v", got)
	}
	if got := dn.Files["data_m5/MSFT.parquet"].NewestM1; !got.IsZero() {
		t.Errorf("MSFT newest_m1 = %v, want zero", got)
	}
}
