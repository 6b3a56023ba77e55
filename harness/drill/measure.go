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

	"firedrill/harness/drplan"
	"firedrill/harness/profile"
	"firedrill/harness/result"
	"firedrill/harness/stack"
	"firedrill/harness/timeline"
)

var minioRemoveOpts = minio.RemoveObjectOptions{}

// groundTruth is the broker's record of every intent and fill (its
// /api/v1/groundtruth, fixtures/broker/README.md "Ground truth").
type groundTruth struct {
	Now       time.Time          `json:"now"`
	Intents   []brokerIntent     `json:"intents"`
	Fills     []brokerFill       `json:"fills"`
	Positions map[string]float64 `json:"positions"`
}

// brokerIntent is one order intent at the broker. History dates each of
// its statuses: what it was at the fault instant.
type brokerIntent struct {
	ID        string         `json:"id"`
	Status    string         `json:"status"`
	CreatedAt time.Time      `json:"created_at"`
	UpdatedAt time.Time      `json:"updated_at"`
	History   []statusChange `json:"history"`
}

// statusChange is one entry of an intent's history.
type statusChange struct {
	Status string    `json:"status"`
	At     time.Time `json:"at"`
}

// brokerFill is one fill at the broker.
type brokerFill struct {
	ID       string    `json:"id"`
	IntentID string    `json:"intent_id"`
	Symbol   string    `json:"symbol"`
	Side     string    `json:"side"`
	Quantity float64   `json:"quantity"`
	FilledAt time.Time `json:"filled_at"`
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
	// NewestM1 is the newest M1 minute the file covers (of an M5 file, the
	// last M1 bar folded into its newest bar); zero when data_newest does
	// not say, and the file is then compared at its own grain.
	NewestM1 time.Time `json:"newest_m1"`
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

// brokerBars returns a reader of the broker's M1 bars of a symbol (the
// history it was seeded with and every bar its feed published so far, with
// their publication times), asking the broker once per symbol.
func (sc *Scenario) brokerBars(ctx context.Context) func(symbol string) ([]brokerBar, error) {
	return func(symbol string) ([]brokerBar, error) {
		var bars []brokerBar
		q := url.Values{"symbol": {symbol}}
		if _, err := sc.getJSON(ctx, stack.RoleBroker, stack.PortBroker, "/api/v1/bars?"+q.Encode(), &bars); err != nil {
			return nil, err
		}
		return bars, nil
	}
}

// MeasureDataRPO measures the data RPO from a folder of recovered data
// against what the folder held at the fault (see dataRPO): bars lost per
// file, and the time's worth of the feed they were by the broker's
// publication times, at the grain the system's data_newest evidence holds.
func (sc *Scenario) MeasureDataRPO(ctx context.Context, dir string) error {
	defer sc.ownSince("measure the data RPO", time.Now())
	dir = sc.local(dir)
	ctx, cancel := sc.bound(ctx)
	defer cancel()
	faultAt, err := sc.tl.FaultAt()
	if err != nil {
		return sc.fail(err)
	}
	after, err := sc.dataNewest(ctx, dir)
	if err != nil {
		return sc.fail(err)
	}
	m, err := dataRPO(dataCompare{
		Dir: dir, FaultAt: faultAt, Target: sc.rpoTarget,
		Before: sc.before.data, After: after, Bars: sc.brokerBars(ctx),
	})
	if err != nil {
		return sc.fail(err)
	}
	sc.keepRPO(m)
	return nil
}

// keepRPO keeps a measured RPO and its evidence.
func (sc *Scenario) keepRPO(m measured) {
	sc.rpoWhat = m.what
	sc.setRPO(m.rpo, timeline.RPOEvidence{
		NewestRecovered: m.rpo.NewestRecovered, FaultAt: m.rpo.FaultAt, Lost: m.rpo.LostEvents, LostWhat: m.what,
	})
	for _, e := range m.evidence {
		sc.addEvidence(e.Name, "%s", e.Detail)
	}
}

// MeasureStateRPO measures the state RPO from a folder of restored state
// (see stateRPO): the age at the fault of its newest change, at least that
// of the earliest broker fill made before the fault that it lacks (before
// any reconciliation), and the orders whose outcome was unknown at the
// fault, counted apart.
func (sc *Scenario) MeasureStateRPO(ctx context.Context, dir string) error {
	defer sc.ownSince("measure the state RPO", time.Now())
	dir = sc.local(dir)
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
	var st restoredState
	if err := json.Unmarshal([]byte(jsonPart(r.Output)), &st); err != nil {
		return sc.fail(fmt.Errorf("decode restored state: %w", err))
	}
	gt, err := sc.groundTruth(ctx)
	if err != nil {
		return sc.fail(err)
	}
	if sc.cycle != nil {
		st.CapturedAt = sc.cycle.NewestSnapshot
	}
	m, err := stateRPO(faultAt, sc.rpoTarget, st, gt)
	if err != nil {
		return sc.fail(fmt.Errorf("measure state RPO of %s: %w", dir, err))
	}
	sc.keepRPO(m)
	return nil
}

// gitHeadScript prints HEAD's commit, commit time and tags, one tagged
// line each (see parseGit).
const gitHeadScript = `set -eo pipefail
echo "head $(git rev-parse --verify HEAD)"
git log -1 --format='time %cI' HEAD
git tag --points-at HEAD --format='tag %(refname:strip=2)'
`

// recordGitBefore keeps, just before a code or config fault, the commit
// HEAD is at, its commit time and its tags: what was committed before the
// fault, the reference the git RPO is measured against.
func (sc *Scenario) recordGitBefore(ctx context.Context) {
	if sc.stack == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, detectLimit)
	defer cancel()
	r, err := sc.exec(ctx, gitHeadScript, nil)
	if err == nil && r.Code != 0 {
		err = fmt.Errorf("exit %d: %s", r.Code, lastLines(r.Output, 3))
	}
	var g gitAfter
	if err == nil {
		g, err = parseGit(r.Output)
	}
	if err != nil {
		sc.logf("record git before fault: %v", err)
		return
	}
	// A second fault keeps the first one's record: the RPO is measured
	// from the first fault.
	if sc.before.git == nil {
		head := g.Head
		sc.before.git = &head
		sc.addEvidence("git before the fault", "HEAD %s", g.Head)
	}
}

// MeasureGitRPO measures what the recovery of code and config lost (see
// gitRPO): the commits HEAD held before the fault that HEAD lacks after
// recovery, and the files under paths that differ from the commit checked
// out. The scenario fails when a file differs, as git holds every
// committed change.
func (sc *Scenario) MeasureGitRPO(ctx context.Context, paths ...string) error {
	defer sc.ownSince("measure the RPO from git", time.Now())
	for i := range paths {
		paths[i] = sc.local(paths[i])
	}
	ctx, cancel := sc.bound(ctx)
	defer cancel()
	faultAt, err := sc.tl.FaultAt()
	if err != nil {
		return sc.fail(err)
	}
	if sc.before.git == nil {
		return sc.fail(fmt.Errorf("measure git RPO: HEAD was not recorded before the fault, so the commits the recovery lost cannot be counted"))
	}
	before := *sc.before.git
	if !commitID.MatchString(before.Commit) {
		return sc.fail(fmt.Errorf("measure git RPO: HEAD before the fault %q is not a commit id", before.Commit))
	}
	quoted := make([]string, len(paths))
	for i, p := range paths {
		quoted[i] = shellQuote(p)
	}
	script := gitHeadScript +
		"git status --porcelain --untracked-files=no -- " + strings.Join(quoted, " ") + " | while IFS= read -r l; do printf 'changed %s\\n' \"$l\"; done\n" +
		"if git cat-file -e " + before.Commit + "^{commit} 2>/dev/null; then\n" +
		"  echo \"count $(git rev-list --count HEAD.." + before.Commit + ")\"\n" +
		"  git log --format='lost %H %cI' HEAD.." + before.Commit + "\n" +
		"else\n  echo before-missing\nfi\n"
	r, err := sc.exec(ctx, script, nil)
	if err != nil {
		return sc.fail(err)
	}
	if r.Code != 0 {
		return sc.fail(fmt.Errorf("measure git RPO: exit %d: %s", r.Code, lastLines(r.Output, 3)))
	}
	after, err := parseGit(r.Output)
	if err != nil {
		return sc.fail(fmt.Errorf("measure git RPO: %w", err))
	}
	m, err := gitRPO(faultAt, sc.rpoTarget, paths, before, after)
	if err != nil {
		return sc.fail(fmt.Errorf("measure git RPO: %w", err))
	}
	sc.keepRPO(m)
	if len(after.Changed) > 0 {
		return sc.fail(fmt.Errorf("measure git RPO: %d file(s) differ from git after recovery: %s", len(after.Changed), strings.Join(after.Changed, "; ")))
	}
	return nil
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// FileMatchesCommit checks a file equals the committed one byte for byte.
func (sc *Scenario) FileMatchesCommit(ctx context.Context, file, rev string) error {
	defer sc.ownSince("compare "+file+" with the commit", time.Now())
	file = sc.local(file)
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
	var plan *drplan.AuditFinding
	if f, ok := sc.suite.audit.FindingFor(sc.planRow); ok {
		plan = &f
	}
	judgeWorstCase(rpo, sc.cycle, plan)
	sc.mu.Lock()
	sc.rpo = rpo
	sc.mu.Unlock()
	sc.logf("RPO %s (target %s), %d lost", result.Human(rpo.Actual.Duration()), result.Human(sc.rpoTarget), rpo.LostEvents)
}

// ownSince records firedrill's own work from from until now (Timeline.Own):
// what a measurement reads inside the recovery is left out of the RTO.
func (sc *Scenario) ownSince(what string, from time.Time) {
	sc.tl.Own(what, from, time.Now())
}

// CheckRTO measures the RTO and holds it to the plan's target.
func (sc *Scenario) CheckRTO() error {
	rto, err := sc.tl.RTOResult(sc.rtoTarget, sc.suite.opts.Profile.ProbeInterval)
	if err != nil {
		return sc.fail(err)
	}
	sc.tl.QualifyRTO(rto)
	sc.mu.Lock()
	first := sc.rto == nil
	sc.rto = rto
	sc.mu.Unlock()
	if own, spans := sc.tl.OwnWithin(rto.FaultAt, rto.VerifiedAt); first && own > 0 {
		var parts []string
		for _, sp := range spans {
			parts = append(parts, fmt.Sprintf("%s %s-%s (%s)", sp.What, clockStamp(sp.From), clockStamp(sp.To), unsigned(sp.To.Sub(sp.From))))
		}
		sc.addEvidence("rto", "fault to verified %s, less firedrill's own work inside it, %s, which held the runbook's next step back by as long: %s",
			unsigned(rto.VerifiedAt.Sub(rto.FaultAt)), unsigned(own), strings.Join(parts, "; "))
	}
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
	r, err := sc.exec(ctx, sc.suite.opts.System.Command("positions"), nil)
	if err != nil {
		return before, nil, fmt.Errorf("read the positions: %w", err)
	}
	if r.Code != 0 {
		return before, nil, fmt.Errorf("read the positions (%q): exit %d: %s", sc.suite.opts.System.Command("positions"), r.Code, lastLines(r.Output, 2))
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
