package drill

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"

	"firedrill/harness/profile"
	"firedrill/harness/result"
	"firedrill/harness/stack"
	"firedrill/harness/timeline"
)

var minioRemoveOpts = minio.RemoveObjectOptions{}

// groundTruth is the broker's record of every intent and fill.
type groundTruth struct {
	Now     time.Time `json:"now"`
	Intents []struct {
		ID        string    `json:"id"`
		Status    string    `json:"status"`
		CreatedAt time.Time `json:"created_at"`
	} `json:"intents"`
	Fills []struct {
		ID       string    `json:"id"`
		IntentID string    `json:"intent_id"`
		Symbol   string    `json:"symbol"`
		Side     string    `json:"side"`
		Quantity float64   `json:"quantity"`
		FilledAt time.Time `json:"filled_at"`
	} `json:"fills"`
	Positions map[string]float64 `json:"positions"`
}

func (sc *Scenario) groundTruth(ctx context.Context) (groundTruth, error) {
	var gt groundTruth
	_, err := sc.getJSON(ctx, stack.RoleBroker, stack.PortBroker, "/api/v1/groundtruth", &gt)
	return gt, err
}

// dataFile is what data_newest says of one file.
type dataFile struct {
	Rows   int       `json:"rows"`
	Newest time.Time `json:"newest"`
}

type dataNewest struct {
	Files  map[string]dataFile `json:"files"`
	Errors map[string]string   `json:"errors"`
}

func (sc *Scenario) dataNewest(ctx context.Context, dir string) (dataNewest, error) {
	var dn dataNewest
	r, err := sc.exec(ctx, sc.suite.opts.System.Command("data_newest"), map[string]string{"DIR": dir})
	if err != nil {
		return dn, err
	}
	if r.Code != 0 {
		return dn, fmt.Errorf("read newest data in %s: exit %d: %s", dir, r.Code, lastLines(r.Output, 3))
	}
	if err := json.Unmarshal([]byte(jsonPart(r.Output)), &dn); err != nil {
		return dn, fmt.Errorf("decode newest data in %s: %w", dir, err)
	}
	return dn, nil
}

// recordDataBefore keeps, just before a data fault, what the data folder
// held: the reference the data RPO is measured against.
func (sc *Scenario) recordDataBefore(ctx context.Context, dir string) {
	ctx, cancel := context.WithTimeout(ctx, detectLimit)
	defer cancel()
	dn, err := sc.dataNewest(ctx, dir)
	if err != nil {
		sc.logf("record data before fault: %v", err)
		return
	}
	sc.before.data = dn.Files
}

// publishedAt asks the broker when it published the M1 bar at ts.
func (sc *Scenario) publishedAt(ctx context.Context, symbol string, ts time.Time) (time.Time, error) {
	day := ts.Format("2006-01-02")
	var bars []struct {
		Timestamp   time.Time `json:"timestamp"`
		PublishedAt time.Time `json:"published_at"`
	}
	q := url.Values{"symbol": {symbol}, "start": {day}, "end": {day}}
	if _, err := sc.getJSON(ctx, stack.RoleBroker, stack.PortBroker, "/api/v1/bars?"+q.Encode(), &bars); err != nil {
		return time.Time{}, err
	}
	for _, b := range bars {
		if b.Timestamp.Equal(ts) {
			return b.PublishedAt, nil
		}
	}
	return time.Time{}, fmt.Errorf("broker has no %s bar at %s", symbol, ts.Format(time.RFC3339))
}

// MeasureDataRPO measures the data RPO from a folder of recovered data
// against what the folder held at the fault: bars lost per file, and the
// time's worth of the feed they were (the broker's publication times of
// the newest bar before the fault and the newest bar recovered).
func (sc *Scenario) MeasureDataRPO(ctx context.Context, dir string) error {
	ctx, cancel := sc.bound(ctx)
	defer cancel()
	faultAt, err := sc.tl.FaultAt()
	if err != nil {
		return sc.fail(err)
	}
	if len(sc.before.data) == 0 {
		return sc.fail(fmt.Errorf("measure data RPO: nothing was recorded of the data before the fault"))
	}
	after, err := sc.dataNewest(ctx, dir)
	if err != nil {
		return sc.fail(err)
	}
	lost := 0
	var worst time.Duration
	var newestRecovered, newestPublished time.Time
	var notes []string
	names := make([]string, 0, len(sc.before.data))
	for n := range sc.before.data {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		b := sc.before.data[name]
		a, ok := after.Files[name]
		if !ok {
			lost += b.Rows
			notes = append(notes, fmt.Sprintf("%s: not recovered (%s)", name, after.Errors[name]))
			continue
		}
		if a.Newest.After(newestRecovered) {
			newestRecovered = a.Newest
		}
		if d := b.Rows - a.Rows; d > 0 {
			lost += d
		}
		notes = append(notes, fmt.Sprintf("%s: %d bars to %s before, %d to %s recovered", name, b.Rows, b.Newest.Format(time.RFC3339), a.Rows, a.Newest.Format(time.RFC3339)))
		if !a.Newest.Before(b.Newest) {
			continue
		}
		symbol := strings.TrimSuffix(name, ".parquet")
		pa, err := sc.publishedAt(ctx, symbol, a.Newest)
		if err != nil {
			return sc.fail(fmt.Errorf("measure data RPO: %w", err))
		}
		// Bars were lost for this file: the recovery point is when the
		// broker published the newest bar it brought back.
		if d := faultAt.Sub(pa); d > worst {
			worst = d
			newestPublished = pa
		}
	}
	rpo := &result.RPO{
		Actual: result.Sec(worst), Target: result.Sec(sc.rpoTarget), LostEvents: lost,
		Basis: "bars in " + dir + " against the bars at the fault; for a file that lost bars, the age at the fault of its newest recovered bar " +
			"(by the broker's publication time); 0 when every bar was recovered",
		FaultAt: faultAt.UTC(), NewestRecovered: newestRecovered.UTC(),
	}
	sc.rpoWhat = "bar"
	ev := timeline.RPOEvidence{FaultAt: faultAt, Lost: lost, LostWhat: "bar"}
	if !newestPublished.IsZero() {
		// Evidence in wall-clock time: when the broker published the newest
		// bar the recovery brought back (bar timestamps are market time).
		rpo.NewestRecovered = newestPublished.UTC()
		ev.NewestRecovered = newestPublished
	}
	sc.setRPO(rpo, ev)
	sc.addEvidence("data RPO", "%s", strings.Join(notes, "; "))
	return nil
}

// MeasureStateRPO measures the state RPO from a folder of restored state:
// the age at the fault of its newest change, and the broker fills made
// before the fault that it does not hold (before any reconciliation).
func (sc *Scenario) MeasureStateRPO(ctx context.Context, dir string) error {
	ctx, cancel := sc.bound(ctx)
	defer cancel()
	faultAt, err := sc.tl.FaultAt()
	if err != nil {
		return sc.fail(err)
	}
	r, err := sc.exec(ctx, sc.suite.opts.System.Command("state_newest"), map[string]string{"DIR": dir})
	if err != nil {
		return sc.fail(err)
	}
	if r.Code != 0 {
		return sc.fail(fmt.Errorf("read restored state in %s: exit %d: %s", dir, r.Code, lastLines(r.Output, 3)))
	}
	var st struct {
		Seq          int64     `json:"seq"`
		UpdatedAt    time.Time `json:"updated_at"`
		AppliedFills []string  `json:"applied_fills"`
	}
	if err := json.Unmarshal([]byte(jsonPart(r.Output)), &st); err != nil {
		return sc.fail(fmt.Errorf("decode restored state: %w", err))
	}
	gt, err := sc.groundTruth(ctx)
	if err != nil {
		return sc.fail(err)
	}
	var before []string
	for _, f := range gt.Fills {
		if !f.FilledAt.After(faultAt) {
			before = append(before, f.ID)
		}
	}
	lost := timeline.Lost(before, st.AppliedFills)
	age, err := timeline.RPOFromNewest(faultAt, st.UpdatedAt)
	if err != nil {
		return sc.fail(err)
	}
	rpo := &result.RPO{
		Actual: result.Sec(age), Target: result.Sec(sc.rpoTarget), LostEvents: len(lost),
		Basis:   "age at the fault of the newest change in the restored state; broker fills before the fault missing from it",
		FaultAt: faultAt.UTC(), NewestRecovered: st.UpdatedAt.UTC(),
	}
	sc.rpoWhat = "fill"
	sc.setRPO(rpo, timeline.RPOEvidence{NewestRecovered: st.UpdatedAt, FaultAt: faultAt, Lost: len(lost), LostWhat: "fill"})
	sc.addEvidence("state RPO", "restored state seq %d of %s holds %d of the broker's %d fills before the fault; missing: %s",
		st.Seq, st.UpdatedAt.Format(time.RFC3339Nano), len(before)-len(lost), len(before), strings.Join(lost, " "))
	return nil
}

// MeasureGitRPO measures what the recovery of code and config lost: the
// files under paths that differ from the commit checked out. Git holds
// every committed change, so the RPO is zero unless something differs.
func (sc *Scenario) MeasureGitRPO(ctx context.Context, paths ...string) error {
	ctx, cancel := sc.bound(ctx)
	defer cancel()
	faultAt, err := sc.tl.FaultAt()
	if err != nil {
		return sc.fail(err)
	}
	r, err := sc.exec(ctx, "git status --porcelain --untracked-files=no -- "+strings.Join(paths, " ")+" && git log -1 --format=%cI", nil)
	if err != nil {
		return sc.fail(err)
	}
	if r.Code != 0 {
		return sc.fail(fmt.Errorf("measure git RPO: exit %d: %s", r.Code, lastLines(r.Output, 3)))
	}
	lines := strings.Split(strings.TrimSpace(r.Output), "\n")
	changed := lines[:len(lines)-1]
	commitAt, _ := time.Parse(time.RFC3339, lines[len(lines)-1])
	var age time.Duration
	if len(changed) > 0 {
		age = faultAt.Sub(commitAt)
	}
	rpo := &result.RPO{
		Actual: result.Sec(age), Target: result.Sec(sc.rpoTarget), LostEvents: len(changed),
		Basis:   "files under " + strings.Join(paths, ", ") + " that differ from the checked-out commit after recovery",
		FaultAt: faultAt.UTC(),
	}
	sc.rpoWhat = "changed file"
	sc.setRPO(rpo, timeline.RPOEvidence{FaultAt: faultAt, Lost: len(changed), LostWhat: "changed file"})
	if len(changed) > 0 {
		return sc.fail(fmt.Errorf("measure git RPO: %d file(s) differ from git after recovery: %s", len(changed), strings.Join(changed, "; ")))
	}
	sc.addEvidence("git RPO", "nothing under %s differs from %s", strings.Join(paths, ", "), "the checked-out commit")
	return nil
}

// FileMatchesCommit checks a file equals the committed one byte for byte.
func (sc *Scenario) FileMatchesCommit(ctx context.Context, file, rev string) error {
	ctx, cancel := sc.bound(ctx)
	defer cancel()
	r, err := sc.exec(ctx, fmt.Sprintf("git cat-file -e %s:%s && git cat-file -p %s:%s | cmp - %s && sha256sum %s", rev, file, rev, file, file, file), nil)
	if err != nil {
		return sc.fail(err)
	}
	if r.Code != 0 {
		return sc.fail(fmt.Errorf("compare %s with %s: differs or missing: %s", file, rev, lastLines(r.Output, 3)))
	}
	sc.addEvidence("byte for byte", "%s equals %s:%s (%s)", file, rev, file, strings.Fields(r.Output)[0])
	return nil
}

func (sc *Scenario) setRPO(rpo *result.RPO, ev timeline.RPOEvidence) {
	err := timeline.CheckRPO(rpo.Actual.Duration(), sc.rpoTarget, ev)
	rpo.Met = err == nil
	sc.mu.Lock()
	sc.rpo = rpo
	sc.mu.Unlock()
	sc.logf("RPO %s (target %s), %d lost", result.Human(rpo.Actual.Duration()), result.Human(sc.rpoTarget), rpo.LostEvents)
}

// CheckRTO measures the RTO and holds it to the plan's target.
func (sc *Scenario) CheckRTO() error {
	rto, err := sc.tl.RTOResult(sc.rtoTarget, sc.suite.opts.Profile.ProbeInterval)
	if err != nil {
		return sc.fail(err)
	}
	sc.mu.Lock()
	sc.rto = rto
	sc.mu.Unlock()
	sc.logf("RTO %s (target %s)", result.Human(rto.Actual.Duration()), result.Human(sc.rtoTarget))
	return sc.fail(timeline.CheckRTO(rto.Actual.Duration(), sc.rtoTarget, rto.FaultAt, rto.VerifiedAt))
}

// CheckObjectives holds both the RTO and the RPO to the plan's targets and
// names every one exceeded.
func (sc *Scenario) CheckObjectives() error {
	return errors.Join(sc.CheckRTO(), sc.CheckRPO())
}

// CheckRPO holds the measured RPO to the plan's target.
func (sc *Scenario) CheckRPO() error {
	sc.mu.Lock()
	rpo := sc.rpo
	sc.mu.Unlock()
	if rpo == nil {
		return sc.fail(fmt.Errorf("check RPO: the scenario measured no RPO: add a step that measures it"))
	}
	return sc.fail(timeline.CheckRPO(rpo.Actual.Duration(), sc.rpoTarget, timeline.RPOEvidence{
		NewestRecovered: rpo.NewestRecovered, FaultAt: rpo.FaultAt, Lost: rpo.LostEvents, LostWhat: sc.rpoWhat,
	}))
}

// PositionsMatchBroker checks the traderunner's positions equal the
// broker's ground truth, read by firedrill from the broker itself. A
// running traderunner learns of a fill on its next sync with the broker
// (every trade interval), and the broker keeps filling: one reading of
// each side can catch a fill the traderunner has not synced yet. So it
// reads the broker before and after positions.json, and compares only a
// reading during which the broker did not change; it reads again every
// probe interval until the two agree, for at most five trade intervals
// (10 s at least), and fails with the last difference when they never do.
func (sc *Scenario) PositionsMatchBroker(ctx context.Context) error {
	ctx, cancel := sc.bound(ctx)
	defer cancel()
	settle := max(10*time.Second, 5*sc.suite.opts.Profile.Cadences[profile.Trade])
	began := time.Now()
	deadline := began.Add(settle)
	tick := time.NewTicker(sc.suite.opts.Profile.ProbeInterval)
	defer tick.Stop()
	readings := 0
	for {
		readings++
		gt, diffs, err := sc.comparePositions(ctx)
		if err != nil {
			return sc.fail(err)
		}
		if diffs == nil {
			waited := ""
			if readings > 1 {
				waited = fmt.Sprintf(", after %s and %d readings (the traderunner had not yet synced the broker's newest fills)", time.Since(began).Round(10*time.Millisecond), readings)
			}
			sc.addEvidence("positions", "traderunner positions equal the broker's ground truth %v (%d fills)%s", gt.Positions, len(gt.Fills), waited)
			return nil
		}
		if time.Now().After(deadline) {
			return sc.fail(fmt.Errorf("positions differ from the broker's ground truth: %s (still after %s and %d readings)", strings.Join(diffs, "; "), settle, readings))
		}
		select {
		case <-ctx.Done():
			return sc.fail(fmt.Errorf("positions differ from the broker's ground truth: %s: %w", strings.Join(diffs, "; "), ctx.Err()))
		case <-tick.C:
		}
	}
}

// comparePositions takes one reading: the broker, positions.json, the
// broker again. It returns the differences (nil when equal), or a
// difference saying the broker changed meanwhile.
func (sc *Scenario) comparePositions(ctx context.Context) (groundTruth, []string, error) {
	before, err := sc.groundTruth(ctx)
	if err != nil {
		return before, nil, err
	}
	r, err := sc.exec(ctx, "cat artifacts/state/positions.json", nil)
	if err != nil {
		return before, nil, fmt.Errorf("read positions.json: %w", err)
	}
	if r.Code != 0 {
		return before, nil, fmt.Errorf("read positions.json: exit %d: %s", r.Code, lastLines(r.Output, 2))
	}
	var pos struct {
		Positions map[string]float64 `json:"positions"`
	}
	if err := json.Unmarshal([]byte(jsonPart(r.Output)), &pos); err != nil {
		return before, nil, fmt.Errorf("decode positions.json: %w", err)
	}
	after, err := sc.groundTruth(ctx)
	if err != nil {
		return before, nil, err
	}
	if len(after.Fills) != len(before.Fills) {
		return after, []string{fmt.Sprintf("the broker filled %d more while positions.json was read", len(after.Fills)-len(before.Fills))}, nil
	}
	var diffs []string
	keys := map[string]bool{}
	for k := range after.Positions {
		keys[k] = true
	}
	for k := range pos.Positions {
		keys[k] = true
	}
	for k := range keys {
		if after.Positions[k] != pos.Positions[k] {
			diffs = append(diffs, k+": broker "+strconv.FormatFloat(after.Positions[k], 'f', -1, 64)+", traderunner "+strconv.FormatFloat(pos.Positions[k], 'f', -1, 64))
		}
	}
	sort.Strings(diffs)
	return after, diffs, nil
}

// OrdersFlow waits until the broker has filled n intents of this run.
func (sc *Scenario) OrdersFlow(ctx context.Context, n int) error {
	tick := time.NewTicker(sc.suite.opts.Profile.ProbeInterval)
	defer tick.Stop()
	ctx, cancel := context.WithTimeout(ctx, deployLimit)
	defer cancel()
	for {
		gt, err := sc.groundTruth(ctx)
		if err == nil && len(gt.Fills) >= n {
			sc.addEvidence("orders", "%d intents posted, %d filled by the broker", len(gt.Intents), len(gt.Fills))
			return nil
		}
		select {
		case <-ctx.Done():
			return sc.fail(fmt.Errorf("wait for %d fills at the broker: %w (got %d)", n, ctx.Err(), len(gt.Fills)))
		case <-tick.C:
		}
	}
}
