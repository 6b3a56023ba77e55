package drill

import (
	"context"
	"fmt"
	"path"
	"time"

	"firedrill/harness/fault"
	"firedrill/harness/stack"
)

// DeleteDir deletes a directory of the deployment.
func (sc *Scenario) DeleteDir(ctx context.Context, dir string) error {
	sc.recordDataBefore(ctx, dir)
	return sc.inject(ctx, fault.DeleteDir(shell{sc}, dir))
}

// TruncateFile cuts a file of the deployment to n bytes.
func (sc *Scenario) TruncateFile(ctx context.Context, file string, n int64) error {
	sc.recordDataBefore(ctx, path.Dir(file))
	return sc.inject(ctx, fault.Truncate(shell{sc}, file, n))
}

// FlipBit flips one bit in the middle of a file of the deployment.
func (sc *Scenario) FlipBit(ctx context.Context, file string) error {
	sc.recordDataBefore(ctx, path.Dir(file))
	return sc.inject(ctx, fault.FlipBit(shell{sc}, file))
}

// Overwrite replaces a file's content.
func (sc *Scenario) Overwrite(ctx context.Context, file, what string, content []byte) error {
	return sc.inject(ctx, fault.Overwrite(shell{sc}, file, what, content))
}

// SetYAMLValue sets a key of a YAML file to a value that is valid YAML.
func (sc *Scenario) SetYAMLValue(ctx context.Context, file, key, value string) error {
	f, err := fault.SetYAMLValue(shell{sc}, file, key, value)
	if err != nil {
		return sc.fail(err)
	}
	return sc.inject(ctx, f)
}

// KillTrading kills the live trading process with SIGKILL, after waiting
// until the broker holds intents in flight for it, so the kill lands while
// orders are on their way.
func (sc *Scenario) KillTrading(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, deployLimit)
	defer cancel()
	if err := sc.awaitInFlight(ctx); err != nil {
		return sc.fail(err)
	}
	cmd := sc.suite.opts.System.Command("kill_trading")
	return sc.inject(ctx, fault.Kill(shell{sc}, "kill the live trading process ("+cmd+")", cmd))
}

// LoseServer destroys the primary server with its disks and the backups
// that lived beside it (the primary restic repository).
// The server goes whenever it goes: unlike Q3's kill, no wait for an order
// in flight (at the plan's cadences that wait can take minutes).
func (sc *Scenario) LoseServer(ctx context.Context) error {
	return sc.inject(ctx, fault.LoseServer(datacenter{sc}))
}

type datacenter struct{ sc *Scenario }

func (d datacenter) RemoveServer(ctx context.Context) error {
	return d.sc.stack.Remove(ctx, stack.RoleTraderunner)
}

func (d datacenter) WipeLocalBackups(ctx context.Context) (int, error) {
	cl, err := d.sc.stack.MinIO(ctx)
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
	end := sc.tl.Phase("provision backup server")
	err := sc.stack.StartBackupServer(ctx)
	end()
	if err != nil {
		return sc.fail(fmt.Errorf("start backup server: %w", err))
	}
	sc.server = stack.RoleBackupServer
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
	for _, f := range sys.InstallFrom {
		b, err := sc.stack.CopyOut(ctx, stack.RoleGitRemote, f)
		if err != nil {
			return sc.fail(fmt.Errorf("install dependencies: %w", err))
		}
		if err := sc.stack.CopyIn(ctx, sc.server, "/tmp/firedrill-install/"+path.Base(f), b, 0o755); err != nil {
			return sc.fail(fmt.Errorf("install dependencies: %w", err))
		}
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

// awaitInFlight waits until the broker holds at least one intent that is
// not yet filled or cancelled.
func (sc *Scenario) awaitInFlight(ctx context.Context) error {
	tick := time.NewTicker(sc.suite.opts.Profile.ProbeInterval)
	defer tick.Stop()
	for {
		gt, err := sc.groundTruth(ctx)
		if err == nil {
			for _, in := range gt.Intents {
				if in.Status != "filled" && in.Status != "cancelled" {
					sc.addEvidence("in flight", "intent %s %s at the broker when the fault was injected", in.ID, in.Status)
					return nil
				}
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for an order in flight: %w (the traderunner posted no intent)", ctx.Err())
		case <-tick.C:
		}
	}
}

// AppendLine appends a line to a file, as a bad merge or deploy leaves one.
func (sc *Scenario) AppendLine(ctx context.Context, file, line string) error {
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
