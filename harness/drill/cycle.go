package drill

import (
	"context"
	"fmt"
	"sort"
	"time"

	"firedrill/harness/drplan"
	"firedrill/harness/profile"
	"firedrill/harness/result"
	"firedrill/harness/stack"
)

// An RPO target is a worst case: the most a failure may lose. A fault
// seconds after a fresh backup loses next to nothing and proves nothing of
// the promise, so where the plan's own cadences run (a profile with
// LateFault), each drill strikes late in the backup cycle of the
// repository its recovery restores from: just before the next snapshot is
// due, the cycle read from the repository's own snapshot times, not from a
// configured interval. Where that cycle is longer than a drill can wait (a
// daily backup), the drill measures what it measures, and the objective is
// judged on the worst case the deployment allows: the cadence the plan
// documents and the deployment runs, stated as declared, not measured.

// backupRef names the backups a recovery restores from.
type backupRef struct {
	// bucket holds the repository; label is how reports name it.
	bucket, label string
	tag           string
	// cadence is the profile's name for its interval.
	cadence string
}

// The backups the drills' recoveries restore from.
var (
	stateBackups = backupRef{bucket: stack.BucketBackup, label: "primary repository", tag: "state", cadence: profile.StateBackup}
	dataBackups  = backupRef{bucket: stack.BucketBackup, label: "primary repository", tag: "data", cadence: profile.DataBackup}
	cloudBackups = backupRef{bucket: stack.BucketCloud, label: "cloud repository", tag: "state", cadence: profile.CloudBackup}
)

// maxCycleWait is the longest backup cycle a drill waits through to strike
// late in it; a longer one is judged on its declared cadence.
const maxCycleWait = 10 * time.Minute

// cycleLead is how long before the next snapshot is due the fault is
// aimed: a tenth of the cycle, at most 5 s, plus what the fault itself
// needs first (placing an order).
func cycleLead(observed, needs time.Duration) time.Duration {
	return min(observed/10, 5*time.Second) + needs
}

// strikeLate reads the cycle of b's snapshots and, where the profile runs
// the plan's cadences and the cycle is short enough to wait through, waits
// until lead before the next snapshot is due. It records the cycle for the
// RPO (sc.cycle); the fault's distance from the newest snapshot is filled
// in once the fault is stamped (noteCycle). With a profile that does not
// strike late it does nothing.
func (sc *Scenario) strikeLate(ctx context.Context, b backupRef, needs time.Duration) error {
	prof := sc.suite.opts.Profile
	if !prof.LateFault {
		return nil
	}
	declared := prof.Cadences[b.cadence]
	c := &result.Cycle{Repository: b.label, Tag: b.tag, Declared: result.Sec(declared)}
	times, err := sc.snapshotTimes(ctx, b)
	if err != nil {
		return fmt.Errorf("read the %s snapshots of the %s: %w", b.tag, b.label, err)
	}
	if declared > maxCycleWait {
		// Too long to wait for: note where the fault falls, judge on the cadence.
		if n := len(times); n > 0 {
			c.NewestSnapshot = times[n-1]
		}
		if n := len(times); n > 1 {
			c.Observed = result.Sec(times[n-1].Sub(times[n-2]))
		}
		sc.cycle = c
		return nil
	}
	limit := time.Now().Add(3*declared + 30*time.Second)
	for {
		if n := len(times); n >= 2 {
			newest := times[n-1]
			observed := newest.Sub(times[n-2])
			at := newest.Add(observed - cycleLead(observed, needs))
			if wait := time.Until(at); wait >= 0 {
				c.NewestSnapshot, c.Observed = newest, result.Sec(observed)
				sc.cycle = c
				sc.logf("striking late in the %s backup cycle: %s after the newest snapshot (every %s observed), in %s",
					b.tag, result.Human(at.Sub(newest)), result.Human(observed), result.Human(wait))
				return sleepCtx(ctx, wait)
			}
		}
		// Too few snapshots to see the cycle, or too late in this one: wait
		// for the next snapshot and look again.
		next := time.Now().Add(declared / 2)
		if n := len(times); n > 0 {
			next = times[n-1].Add(declared + 2*time.Second)
		}
		if next.After(limit) {
			return fmt.Errorf("the %s snapshots of the %s show no cycle of about %s within %s (%d snapshots seen)",
				b.tag, b.label, result.Human(declared), result.Human(3*declared+30*time.Second), len(times))
		}
		if err := sleepCtx(ctx, time.Until(next)); err != nil {
			return err
		}
		if times, err = sc.snapshotTimes(ctx, b); err != nil {
			return fmt.Errorf("read the %s snapshots of the %s: %w", b.tag, b.label, err)
		}
	}
}

// noteCycle fills in the fault's distance from the newest snapshot and
// states it as evidence, once the fault is stamped.
func (sc *Scenario) noteCycle() {
	c := sc.cycle
	if c == nil || c.NewestSnapshot.IsZero() {
		return
	}
	faultAt, err := sc.tl.FaultAt()
	if err != nil {
		return
	}
	c.SinceNewest = result.Sec(faultAt.Sub(c.NewestSnapshot))
	seen := "one snapshot seen, no cycle observed"
	if c.Observed > 0 {
		seen = "snapshots observed every " + result.Human(c.Observed.Duration())
	}
	sc.addEvidence("fault in the backup cycle", "fault %s after the newest %s snapshot of the %s (%s); %s; declared every %s",
		result.Human(c.SinceNewest.Duration()), c.Tag, c.Repository, c.NewestSnapshot.UTC().Format("15:04:05.000Z"), seen,
		result.Human(c.Declared.Duration()))
}

// snapshotTimes lists the times of b's snapshots, oldest first.
func (sc *Scenario) snapshotTimes(ctx context.Context, b backupRef) ([]time.Time, error) {
	snaps, err := sc.resticSnapshots(ctx, b.bucket)
	if err != nil {
		return nil, err
	}
	var out []time.Time
	for _, s := range snaps {
		for _, t := range s.Tags {
			if t == b.tag {
				out = append(out, s.Time)
				break
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Before(out[j]) })
	return out, nil
}

// judgeWorstCase settles the worst case an RPO is judged on: the measured
// value where the fault struck late in an observed cycle it could wait
// through; the cadence the plan documents (its audit) and the deployment
// runs, where the cycle is longer than a drill can wait.
func judgeWorstCase(rpo *result.RPO, c *result.Cycle, planCadence *drplan.AuditFinding) {
	rpo.Cycle = c
	rpo.WorstCase, rpo.WorstCaseBasis, rpo.WorstCaseWhy = rpo.Actual, result.BasisMeasured, ""
	switch {
	case c == nil && planCadence != nil && planCadence.Kind == "code":
		rpo.WorstCaseWhy = "the recovery restores from git, which keeps every commit: what was committed before the fault is the recovery point"
	case c == nil:
		rpo.WorstCaseWhy = "the fault's place in the backup cycle was not chosen (a profile at its own cadences, not the plan's)"
	case c.Declared.Duration() <= maxCycleWait && c.Observed > 0:
		rpo.WorstCaseWhy = fmt.Sprintf("fault %s after the newest %s snapshot, late in a cycle observed every %s",
			result.Human(c.SinceNewest.Duration()), c.Tag, result.Human(c.Observed.Duration()))
	default:
		declared := c.Declared.Duration()
		why := fmt.Sprintf("the %s of the %s is taken every %s (declared by the deployment)", c.Tag, c.Repository, result.Human(declared))
		if planCadence != nil && planCadence.WorstCaseKnown {
			if planCadence.WorstCase > declared {
				declared = planCadence.WorstCase
			}
			line := 0
			if planCadence.Backup != nil {
				line = planCadence.Backup.Line
			}
			why += fmt.Sprintf("; the plan allows up to %s (line %d)", result.Human(planCadence.WorstCase), line)
		}
		why += ": a failure just before the next backup loses that much, stated as declared, not measured"
		rpo.WorstCase = result.Sec(max(rpo.Actual.Duration(), declared))
		rpo.WorstCaseBasis, rpo.WorstCaseWhy = result.BasisDeclared, why
	}
	rpo.WorstCaseMet = rpo.WorstCase <= rpo.Target
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
