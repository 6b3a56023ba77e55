package drill

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"

	"firedrill/harness/fault"
	"firedrill/harness/profile"
	"firedrill/harness/stack"
)

// DeleteDir deletes a directory of the deployment.
func (sc *Scenario) DeleteDir(ctx context.Context, dir string) error {
	dir = sc.local(dir)
	sc.damaged = dir
	if err := sc.strikeLate(ctx, dataBackups, 0); err != nil {
		return sc.precondition(ctx, err)
	}
	sc.recordDataBefore(ctx, dir)
	return sc.inject(ctx, fault.DeleteDir(shell{sc}, dir))
}

// TruncateFile cuts a file of the deployment to n bytes.
func (sc *Scenario) TruncateFile(ctx context.Context, file string, n int64) error {
	file = sc.local(file)
	sc.damaged = file
	if err := sc.strikeLate(ctx, dataBackups, 0); err != nil {
		return sc.precondition(ctx, err)
	}
	sc.recordDataBefore(ctx, path.Dir(file))
	return sc.inject(ctx, fault.Truncate(shell{sc}, file, n))
}

// FlipBit flips one bit in the middle of a file of the deployment.
func (sc *Scenario) FlipBit(ctx context.Context, file string) error {
	file = sc.local(file)
	sc.damaged = file
	if err := sc.strikeLate(ctx, dataBackups, 0); err != nil {
		return sc.precondition(ctx, err)
	}
	sc.recordDataBefore(ctx, path.Dir(file))
	return sc.inject(ctx, fault.FlipBit(shell{sc}, file))
}

// Overwrite replaces a file's content.
func (sc *Scenario) Overwrite(ctx context.Context, file, what string, content []byte) error {
	file = sc.local(file)
	sc.damaged = file
	sc.recordGitBefore(ctx)
	return sc.inject(ctx, fault.Overwrite(shell{sc}, file, what, content))
}

// SetYAMLValue sets a key of a YAML file to a value that is valid YAML.
func (sc *Scenario) SetYAMLValue(ctx context.Context, file, key, value string) error {
	file = sc.local(file)
	sc.damaged = file
	sc.recordGitBefore(ctx)
	f, err := fault.SetYAMLValue(shell{sc}, file, key, value)
	if err != nil {
		return sc.fail(err)
	}
	return sc.inject(ctx, f)
}

// KillTrading kills the live trading process the way the system file says
// (its kill_trading action), at once.
func (sc *Scenario) KillTrading(ctx context.Context) error {
	cmd := sc.suite.opts.System.Command("kill_trading")
	return sc.inject(ctx, fault.Kill(shell{sc}, "kill the live trading process ("+cmd+")", cmd))
}

// KillTradingInFlight kills the live trading process while an order of
// its own is in flight at the broker, so that fills land after the crash.
// The drill brings the order about itself (orderInFlight): a drill that
// waited for the strategy to signal would fail whenever the market did not
// cross. When no order can be brought about, the scenario is not run.
func (sc *Scenario) KillTradingInFlight(ctx context.Context) error {
	// Its recovery restores the newest state snapshot: strike late in that
	// cycle, leaving time to place the order first.
	trade := sc.suite.opts.Profile.Cadences[profile.Trade]
	if err := sc.strikeLate(ctx, stateBackups, trade+time.Second); err != nil {
		return sc.precondition(ctx, err)
	}
	if err := sc.orderInFlight(ctx); err != nil {
		return sc.precondition(ctx, err)
	}
	return sc.KillTrading(ctx)
}

// LoseServer destroys the primary server with its disks and the backups
// that lived beside it (the primary restic repository).
// The server goes whenever it goes: unlike Q3's kill, no wait for an order
// in flight (at the plan's cadences that wait can take minutes).
func (sc *Scenario) LoseServer(ctx context.Context) error {
	// Its recovery restores from the cloud repository.
	if err := sc.strikeLate(ctx, cloudBackups, 0); err != nil {
		return sc.precondition(ctx, err)
	}
	return sc.inject(ctx, fault.LoseServer(datacenter{sc: sc, lostWithHost: new(int)}))
}

// datacenter is where the primary lives. Split over two engines, its host
// holds the primary's own repository too (a MinIO beside it), and both go
// at once; lostWithHost counts the backup objects that held.
type datacenter struct {
	sc           *Scenario
	lostWithHost *int
}

// RemoveServer takes the primary's host away: split over two engines,
// everything of the scenario on the primary's engine at once, its local
// repository with it.
func (d datacenter) RemoveServer(ctx context.Context) error {
	if d.sc.stack.Split() {
		objs, err := d.sc.objects(ctx, stack.BucketBackup, "")
		if err != nil {
			return fmt.Errorf("count the local backups on the primary's host: %w", err)
		}
		*d.lostWithHost = len(objs)
	}
	lost, err := d.sc.stack.LoseHost(ctx)
	if err == nil && d.sc.stack.Split() {
		d.sc.logf("host lost: engine %s, with %s (and the %d objects of its local repository)", stack.EngineName(d.sc.engine), strings.Join(lost, ", "), *d.lostWithHost)
	}
	return err
}

// WipeLocalBackups destroys the primary's own repository: gone with its
// host when split, removed object by object otherwise.
func (d datacenter) WipeLocalBackups(ctx context.Context) (int, error) {
	if d.sc.stack.Split() {
		return *d.lostWithHost, nil
	}
	cl, err := d.sc.stack.MinIOFor(ctx, stack.BucketBackup)
	if err != nil {
		return 0, err
	}
	objs, err := d.sc.objects(ctx, stack.BucketBackup, "")
	if err != nil {
		return 0, err
	}
	for _, o := range objs {
		if err := cl.RemoveObject(ctx, stack.BucketBackup, o.Key, minioRemoveOpts); err != nil {
			return 0, fmt.Errorf("remove %s: %w", o.Key, err)
		}
	}
	return len(objs), nil
}

// FailOverToBackupServer starts the backup server and makes it the server
// the runbook's commands run on.
func (sc *Scenario) FailOverToBackupServer(ctx context.Context) error {
	ctx, cancel := sc.bound(ctx)
	defer cancel()
	// Provisioning is the server started and the release the system's
	// install command installs put on it, as a release is before anyone
	// runs the plan's install step: one phase, as the plain script times it.
	end := sc.tl.Phase("provision backup server")
	defer end()
	if err := sc.stack.StartBackupServer(ctx); err != nil {
		return sc.fail(fmt.Errorf("start backup server: %w", err))
	}
	sc.server = stack.RoleBackupServer
	if err := sc.stageRelease(ctx); err != nil {
		return sc.fail(err)
	}
	return nil
}

// stageRelease copies the files install_from names from the system's image
// into /tmp/firedrill-install on the current server.
func (sc *Scenario) stageRelease(ctx context.Context) error {
	for _, f := range sc.suite.opts.System.InstallFrom {
		b, err := sc.stack.CopyOut(ctx, stack.RoleGitRemote, f)
		if err != nil {
			return fmt.Errorf("stage the release: %w", err)
		}
		if err := sc.stack.CopyIn(ctx, sc.server, "/tmp/firedrill-install/"+path.Base(f), b, 0o755); err != nil {
			return fmt.Errorf("stage the release: %w", err)
		}
	}
	return nil
}

// InstallSoftware installs the system's release on the current server: the
// files the system description names are copied from its image, then its
// install command runs (the plan's "install dependencies").
func (sc *Scenario) InstallSoftware(ctx context.Context) error {
	ctx, cancel := sc.bound(ctx)
	defer cancel()
	sys := sc.suite.opts.System
	end := sc.tl.Phase("install dependencies")
	defer end()
	if err := sc.stageRelease(ctx); err != nil {
		return sc.fail(err)
	}
	r, err := sc.exec(ctx, "set -eo pipefail\n"+sys.Command("install"), nil)
	if err != nil {
		return sc.fail(err)
	}
	if r.Code != 0 {
		return sc.fail(fmt.Errorf("install dependencies: exit %d: %s", r.Code, lastLines(r.Output, 6)))
	}
	return nil
}

// orderInFlight makes sure the broker holds an order of the deployment's
// that is not filled yet, and records how it came about. With the
// system's place_order action the drill places one itself and needs no
// luck: the action returns once the deployment posted the order, and the
// broker fills an order only on its fourth step, so it is still in flight
// when the kill follows. Without the action the drill can only wait for the
// deployment to trade on its own, at most strategyWaitTrades trade
// intervals.
func (sc *Scenario) orderInFlight(ctx context.Context) error {
	o := sc.suite.opts
	trade := o.Profile.Cadences[profile.Trade]
	cmd := o.System.Command("place_order")
	if cmd == "" {
		limit := max(strategyWaitTrades*trade, 10*time.Second)
		id, status, err := sc.awaitOpenIntent(ctx, limit, time.Time{})
		if err != nil {
			return fmt.Errorf("no order in flight within %s: the deployment sent none on its own, and the system file %s declares no commands.place_order to place one: add it (see systems/reference.yml): %w",
				limit, o.System.Path(), err)
		}
		sc.addEvidence("in flight", "intent %s %s at the broker when the fault was injected, sent by the deployment on its own (no place_order action)", id, status)
		return nil
	}
	limit := placeOrderLimit(trade)
	pctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	end := sc.tl.Phase("place an order (" + cmd + ")")
	r, err := sc.exec(pctx, "set -eo pipefail\n"+cmd, nil)
	end()
	if err != nil {
		return fmt.Errorf("the system's place_order action %q did not finish within %s: %w", cmd, limit, err)
	}
	if r.Code != 0 {
		return fmt.Errorf("the system's place_order action %q failed (exit %d): %s", cmd, r.Code, lastLines(r.Output, 4))
	}
	took := r.Finished.Sub(r.Started).Round(time.Millisecond)
	// One reading: the order is posted when the action returns.
	id, status, err := sc.awaitOpenIntent(ctx, 0, r.Started)
	if err != nil {
		return fmt.Errorf("the system's place_order action %q returned in %s but the broker holds no open order posted since it started: %w (output: %s)",
			cmd, took, err, lastLines(r.Output, 2))
	}
	sc.addEvidence("in flight", "intent %s %s at the broker when the fault was injected, placed by the drill through the system's place_order action (%s, %s): %s",
		id, status, cmd, took, lastLines(r.Output, 1))
	sc.logf("order in flight: intent %s %s (place_order took %s)", id, status, took)
	return nil
}

// strategyWaitTrades bounds the wait for an order the deployment sends on
// its own, in trade intervals.
const strategyWaitTrades = 10

// placeOrderLimit bounds the place_order action: the deployment takes an
// order at its next trading step, and the broker answers within seconds.
func placeOrderLimit(trade time.Duration) time.Duration {
	return 3*trade + 30*time.Second
}

// awaitOpenIntent waits up to limit (one reading when 0) for an intent at
// the broker that is neither filled nor cancelled, created at or after
// since (any when zero), and returns the newest such.
func (sc *Scenario) awaitOpenIntent(ctx context.Context, limit time.Duration, since time.Time) (string, string, error) {
	tick := time.NewTicker(sc.suite.opts.Profile.ProbeInterval)
	defer tick.Stop()
	deadline := time.Now().Add(limit)
	var last string
	for {
		gt, err := sc.groundTruth(ctx)
		if err != nil {
			last = err.Error()
		} else {
			last = fmt.Sprintf("%d intents, none open", len(gt.Intents))
			// The newest open one: the action's own, when it placed one.
			for i := len(gt.Intents) - 1; i >= 0; i-- {
				in := gt.Intents[i]
				if in.Status != "filled" && in.Status != "cancelled" && (since.IsZero() || !in.CreatedAt.Before(since.Add(-clockSlack))) {
					return in.ID, in.Status, nil
				}
			}
		}
		if !time.Now().Before(deadline) {
			return "", "", errors.New(last)
		}
		select {
		case <-ctx.Done():
			return "", "", fmt.Errorf("%w (%s)", ctx.Err(), last)
		case <-tick.C:
		}
	}
}

// clockSlack is how far the broker's clock may trail the host's before an
// intent it stamps looks older than the action that placed it.
const clockSlack = time.Second

// AppendLine appends a line to a file, as a bad merge or deploy leaves one.
func (sc *Scenario) AppendLine(ctx context.Context, file, line string) error {
	file = sc.local(file)
	sc.damaged = file
	sc.recordGitBefore(ctx)
	return sc.inject(ctx, fault.Append(shell{sc}, file, line))
}

// NoteBrokerPositions is the plan's "log into the broker, check positions,
// note pending orders": manual, done by firedrill from the broker's ground
// truth unless an operator does it.
func (sc *Scenario) NoteBrokerPositions(ctx context.Context) error {
	return sc.Manual(ctx, "log into the broker, note positions and pending orders",
		"Open the broker's account view. Write down every position and every pending order.",
		func(ctx context.Context) error {
			gt, err := sc.groundTruth(ctx)
			if err != nil {
				return sc.fail(err)
			}
			pending := 0
			for _, in := range gt.Intents {
				if in.Status != "filled" && in.Status != "cancelled" {
					pending++
				}
			}
			sc.addEvidence("broker at recovery", "positions %v, %d pending intents, %d fills", gt.Positions, pending, len(gt.Fills))
			return nil
		})
}

// ApproveLive is the plan's manual approval before going live.
func (sc *Scenario) ApproveLive(ctx context.Context) error {
	return sc.Manual(ctx, "approve the switch to live",
		"Check the paper-mode health check and positions. Approve going live.", nil)
}

// SnapshotCadenceOf measures the cadence of a snapshot tag against the
// profile's configured interval for it.
func (sc *Scenario) SnapshotCadenceOf(ctx context.Context, tag string, n int) error {
	want, ok := map[string]time.Duration{
		"state": sc.suite.opts.Profile.Cadences["state_backup_interval"],
		"data":  sc.suite.opts.Profile.Cadences["data_backup_interval"],
	}[tag]
	if !ok {
		return sc.fail(fmt.Errorf("snapshot cadence: unknown tag %q: use state or data", tag))
	}
	return sc.SnapshotCadence(ctx, tag, n, want)
}
