package drill

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"firedrill/harness/drplan"
	"firedrill/harness/fault"
	"firedrill/harness/probe"
	"firedrill/harness/result"
	"firedrill/harness/stack"
	"firedrill/harness/timeline"
)

// Scenario is one drill scenario in progress.
type Scenario struct {
	suite *Suite
	name  string
	drill string
	tags  []string

	planRow            string
	rtoTarget          time.Duration
	rpoTarget          time.Duration
	stack              *stack.Stack
	engine             string // the engine the stack (its primary) was placed on
	servicesEngine     string // split: the engine of the services and the backup server
	tl                 *timeline.Timeline
	server             string // role the runbook's commands run on
	mode               string
	faults             []fault.Fault
	recoveryDeadline   time.Time
	lastPlanStepFailed bool

	mu       sync.Mutex
	findings []result.Finding
	failures []string
	evidence []result.Evidence
	rpo      *result.RPO
	rpoWhat  string // what a lost event is: bar, fill, changed file
	rto      *result.RTO
	started  time.Time
	before   beforeFault
	// clocksChecked: the containers' clocks were compared with the
	// host's (checkClocks runs once, before the first fault).
	clocksChecked bool
	// notRun is why the scenario's steady state or precondition could not
	// be brought about ("" while it could).
	notRun string
	// cycle is the backup cycle the fault struck in (strikeLate).
	cycle *result.Cycle
	// planSteps: what the scenario did with the plan's runbook steps;
	// lastPlanRef the plan step a corrected step corrects; damaged the
	// file the fault damaged (a corrected step's <file>); prevStep the
	// Gherkin step before the current one.
	planSteps   []result.PlanStepOutcome
	lastPlanRef *drplan.Step
	damaged     string
	prevStep    string
}

// beforeFault is what existed when the fault struck, for the RPO.
type beforeFault struct {
	data map[string]dataFile // by symbol
	// git is HEAD before a code or config fault (recordGitBefore).
	git *gitHead
}

// Limits on waits that do not derive from a plan target.
const (
	deployLimit  = 3 * time.Minute
	detectLimit  = time.Minute
	minRecovery  = 2 * time.Minute
	recoveryMult = 3
	injectLimit  = time.Minute
)

// Begin starts a scenario. Tags such as @q1 name the drill.
func (s *Suite) Begin(name string, tags []string) *Scenario {
	sc := &Scenario{
		suite:   s,
		name:    name,
		tags:    tags,
		tl:      timeline.New(time.Now),
		server:  stack.RolePrimary,
		started: time.Now().UTC(),
	}
	for _, t := range tags {
		t = strings.TrimPrefix(strings.ToLower(t), "@")
		if len(t) == 2 && (t[0] == 'q' || t[0] == 's') && t[1] >= '1' && t[1] <= '4' {
			sc.drill = strings.ToUpper(t)
		}
	}
	return sc
}

func (sc *Scenario) logf(format string, args ...any) {
	msg := sc.redact(fmt.Sprintf(format, args...))
	elapsed := time.Since(sc.started).Round(100 * time.Millisecond)
	label := truncate(sc.name, 28)
	if sc.drill != "" {
		label = sc.drill + " " + truncate(sc.name, 25)
	}
	fmt.Fprintf(sc.suite.opts.Log, "%s %7s  %-28s %s\n", time.Now().UTC().Format("15:04:05.000"), "+"+elapsed.String(), label, msg)
	if p := sc.suite.opts.Progress; p != nil {
		p.Update(sc.name, msg)
	}
}

// fail records a failure that ends the scenario as failed, and returns it.
func (sc *Scenario) fail(err error) error {
	if err == nil {
		return nil
	}
	sc.mu.Lock()
	sc.failures = append(sc.failures, sc.redact(err.Error()))
	sc.mu.Unlock()
	return err
}

// notRunError ends a scenario that could not be run: its steady state or a
// precondition of its fault could not be brought about. It fails the
// Gherkin scenario (a drill that did not run must not pass a CI job), but
// the result says "not run", never "failed": nothing was recovered.
type notRunError struct{ reason string }

func (e notRunError) Error() string { return "not run: " + e.reason }

// precondition ends the scenario as not run because err kept its steady
// state or precondition from being brought about; when ctx has ended (an
// interrupt, a deadline) the run was stopped, and that is a failure.
func (sc *Scenario) precondition(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return sc.fail(err)
	}
	reason := sc.redact(err.Error())
	sc.mu.Lock()
	if sc.notRun == "" {
		sc.notRun = reason
	}
	sc.mu.Unlock()
	sc.logf("NOT RUN: %s", reason)
	return notRunError{reason}
}

// local maps a text of the runbook (a command, a path) to the drilled
// deployment through its system file's substitutions.
func (sc *Scenario) local(text string) string {
	if sc.suite == nil || sc.suite.opts.System == nil {
		return text
	}
	return sc.suite.opts.System.Local(text)
}

func (sc *Scenario) redact(s string) string {
	if sc.stack == nil {
		return s
	}
	return sc.stack.Redact(s)
}

func (sc *Scenario) addEvidence(name, format string, args ...any) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	sc.evidence = append(sc.evidence, result.Evidence{Name: name, Detail: sc.redact(fmt.Sprintf(format, args...))})
}

// MeasuresRow names the plan row whose targets the scenario is held to.
func (sc *Scenario) MeasuresRow(row string) error {
	rto, rpo, err := sc.suite.plan.Target(row)
	if err != nil {
		return sc.fail(err)
	}
	sc.planRow, sc.rtoTarget, sc.rpoTarget = row, rto, rpo
	return nil
}

// bound limits a recovery step: after the fault, every step must end
// within the recovery limit derived from the RTO target.
func (sc *Scenario) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	if sc.recoveryDeadline.IsZero() {
		return context.WithTimeout(ctx, deployLimit)
	}
	return context.WithDeadline(ctx, sc.recoveryDeadline)
}

func (sc *Scenario) recoveryLimit() time.Duration {
	l := recoveryMult * sc.rtoTarget
	if l < minRecovery {
		l = minRecovery
	}
	if sc.suite == nil {
		return l
	}
	if c := sc.suite.opts.Profile.MaxRecovery; c > 0 && l > c {
		l = c
	}
	return l
}

// shell runs scripts on the current server, in the deployment's home.
type shell struct{ sc *Scenario }

func (sh shell) Run(ctx context.Context, script string) (int, string, error) {
	r, err := sh.sc.exec(ctx, script, nil)
	return r.Code, r.Output, err
}

func (sc *Scenario) exec(ctx context.Context, script string, env map[string]string) (stack.ExecResult, error) {
	r, err := sc.stack.Exec(ctx, sc.server, "", sc.suite.opts.System.InHome(script), env)
	r.Command = script
	r.Output = sc.redact(r.Output)
	if err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		err = fmt.Errorf("step hung: %q still running at its limit on %s: %w", firstLine(script), sc.server, err)
	}
	return r, err
}

// Deploy starts the scenario's stack and the traderunner in mode, and waits
// until it is healthy in that mode.
func (sc *Scenario) Deploy(ctx context.Context, mode string) error {
	o := sc.suite.opts
	ctx, cancel := context.WithTimeout(ctx, deployLimit)
	defer cancel()
	env := map[string]string{}
	for k, v := range o.Profile.SystemEnv(o.System.Variables) {
		env[k] = v
	}
	for k, v := range o.System.Env {
		env[k] = v
	}
	services := ""
	switch {
	case sc.losesHost() && sc.suite.engines.many():
		// The primary on a host of its own, the services and the backup
		// server on another: losing the host is losing an engine's share.
		// The services' engine is chosen first: it must publish where the
		// primary's engine's containers reach.
		if e, ok := sc.suite.engines.acquireReachable(); ok {
			services, sc.servicesEngine = e, e
			sc.engine = sc.suite.engines.acquireExcept(e)
			sc.logf("starting stack: primary on engine %s; MinIO, broker, git remote and backup server on engine %s", stack.EngineName(sc.engine), stack.EngineName(e))
		} else {
			sc.engine = sc.suite.engines.acquire()
			sc.logf("starting stack on engine %s (Q4 on one engine: no engine publishes on an address other engines' containers reach: %s)", stack.EngineName(sc.engine), e)
		}
	case sc.suite.engines.many():
		sc.engine = sc.suite.engines.acquire()
		sc.logf("starting stack on engine %s", stack.EngineName(sc.engine))
	default:
		sc.engine = sc.suite.engines.acquire()
		sc.logf("starting stack")
	}
	st, err := stack.Start(ctx, stack.Config{
		Engine:         sc.engine,
		ServicesEngine: services,
		RunID:          o.RunID,
		Scenario:       sc.name,
		Images:         sc.suite.images,
		SystemEnv:      env,
		Variables:      o.System.Variables,
		BrokerEnv:      o.Profile.BrokerEnv(),
		HealthPort:     o.System.HealthPort(),
		GitRemote:      o.System.GitRemote,
		Log:            o.Log,
	})
	sc.stack = st
	if err != nil {
		return sc.precondition(ctx, fmt.Errorf("start stack: %w", err))
	}
	sc.logf("stack up; starting traderunner in %s mode", mode)
	if err := sc.start(ctx, mode); err != nil {
		return sc.precondition(ctx, err)
	}
	return nil
}

// start runs the system's start action and waits for health in mode.
func (sc *Scenario) start(ctx context.Context, mode string) error {
	r, err := sc.exec(ctx, sc.suite.opts.System.Command("start"), map[string]string{"MODE": mode})
	if err != nil {
		return fmt.Errorf("start traderunner in %s mode: %w", mode, err)
	}
	if r.Code != 0 {
		return fmt.Errorf("start traderunner in %s mode: exit %d: %s", mode, r.Code, lastLines(r.Output, 5))
	}
	if _, err := sc.awaitHealth(ctx, mode, deployLimit); err != nil {
		return err
	}
	sc.mode = mode
	return nil
}

// awaitHealth polls the health endpoint until it is ok in mode.
func (sc *Scenario) awaitHealth(ctx context.Context, mode string, limit time.Duration) (probe.Outcome, error) {
	o, _, err := sc.awaitHealthTimed(ctx, mode, limit)
	return o, err
}

// awaitHealthTimed is awaitHealth that also returns how long the deciding
// health request took.
func (sc *Scenario) awaitHealthTimed(ctx context.Context, mode string, limit time.Duration) (probe.Outcome, time.Duration, error) {
	var took time.Duration
	o, err := sc.until(ctx, sc.suite.opts.Profile.ProbeInterval, limit, func(ctx context.Context) (bool, string, error) {
		start := time.Now()
		h, err := sc.health(ctx)
		took = time.Since(start)
		if err != nil {
			return false, err.Error(), nil
		}
		ok := h.OK && strings.EqualFold(h.Mode, mode)
		return ok, fmt.Sprintf("ok=%v mode=%s %s", h.OK, h.Mode, h.Reason), nil
	})
	return o, took, err
}

// AwaitBackups waits until the primary's first state and data backups are
// in MinIO (seen through MinIO itself, and by tag through restic), and
// marks the steady state.
func (sc *Scenario) AwaitBackups(ctx context.Context) error {
	repos := []struct{ bucket, repo string }{
		{stack.BucketBackup, stack.BucketBackup},
		{stack.BucketCloud, stack.BucketCloud},
	}
	// A restic call costs about a second of CPU (its key derivation), which
	// the backups being waited for need: restic reads a repository only
	// once MinIO itself shows both repositories holding two snapshots, and
	// a repository whose tags it has seen is not read again.
	seen := map[string]string{}
	o, err := sc.until(ctx, sc.suite.opts.Profile.ProbeInterval, deployLimit, func(ctx context.Context) (bool, string, error) {
		for _, r := range repos {
			n, err := sc.snapshotObjects(ctx, r.bucket)
			if err != nil || n < 2 {
				return false, fmt.Sprintf("%d snapshot objects in %s", n, r.bucket), err
			}
		}
		var details []string
		for _, r := range repos {
			if d, ok := seen[r.bucket]; ok {
				details = append(details, d)
				continue
			}
			snaps, err := sc.resticSnapshots(ctx, r.repo)
			if err != nil {
				return false, err.Error(), nil
			}
			tags := map[string]int{}
			for _, s := range snaps {
				for _, t := range s.Tags {
					tags[t]++
				}
			}
			if tags["state"] == 0 || tags["data"] == 0 {
				return false, fmt.Sprintf("%s snapshots by tag %v", r.bucket, tags), nil
			}
			seen[r.bucket] = fmt.Sprintf("%s: %d state, %d data", r.bucket, tags["state"], tags["data"])
			details = append(details, seen[r.bucket])
		}
		return true, strings.Join(details, "; "), nil
	})
	if err != nil {
		return sc.precondition(ctx, fmt.Errorf("wait for first backups in MinIO: %w", err))
	}
	// Clocks are compared once the backups are in, well before a fault
	// whose moment (an order in flight) leaves no room for it; the steady
	// state is declared after them.
	if err := sc.checkClocks(ctx); err != nil {
		return sc.fail(err)
	}
	sc.tl.MarkAt(timeline.Steady, "trading in "+sc.mode+" mode, backups in MinIO ("+o.Detail+")", o.At)
	sc.logf("steady state: %s", o.Detail)
	return nil
}

// inject injects a fault, recording it for undo, and marks it at the
// moment of its damage as the fault stamped it where it happened (in the
// container, or on the host for a removed one); the host's time around
// the call is kept beside it as evidence. Before the first fault the
// containers' clocks are compared with the host's (checkClocks).
func (sc *Scenario) inject(ctx context.Context, f fault.Fault) error {
	if sc.stack == nil {
		return sc.fail(errors.New("inject fault: no stack: the Background must deploy first"))
	}
	if sc.planRow == "" {
		return sc.fail(errors.New("inject fault: the scenario names no plan row: add 'the drill measures the \"…\" row of the DR plan'"))
	}
	ctx, cancel := context.WithTimeout(ctx, injectLimit)
	defer cancel()
	_, seen := sc.tl.First(timeline.FaultInjected)
	if !seen {
		if err := sc.checkClocks(ctx); err != nil {
			return sc.fail(err)
		}
	}
	role := sc.server
	before := time.Now()
	st, err := f.Inject(ctx)
	after := time.Now()
	// Undone whatever Inject returned: it may have failed after its undo
	// copy or its damage, and undo is safe either way.
	sc.faults = append(sc.faults, f)
	if err != nil {
		return sc.fail(err)
	}
	host := ""
	if e := sc.engineNames(); e != nil {
		// Several engines are several hosts: say whose clock stamped it.
		switch {
		case st.Clock == fault.HostClock:
			host = " (firedrill's host)"
		case e[role] != "":
			host = " (engine " + e[role] + ")"
		}
	}
	sc.addEvidence("fault", "%s%s", faultEvidence(f.Name(), role, st, before, after), host)
	if !seen {
		sc.tl.MarkAt(timeline.FaultInjected, f.Name(), st.At)
		sc.recoveryDeadline = st.At.Add(sc.recoveryLimit())
		sc.noteCycle()
	} else {
		sc.tl.MarkAt("fault_added", f.Name(), st.At)
	}
	if st.Clock == fault.ContainerClock {
		if err := stampVerdict(role, st, before, after); err != nil {
			return sc.fail(err)
		}
	}
	sc.logf("fault injected: %s", f.Name())
	return nil
}

// ObserveFailing waits until a command fails: the fault has bitten.
func (sc *Scenario) ObserveFailing(ctx context.Context, command string) error {
	return sc.observeFailing(ctx, sc.local(command))
}

// observeFailing is ObserveFailing of a command already mapped.
func (sc *Scenario) observeFailing(ctx context.Context, command string) error {
	o, err := sc.until(ctx, sc.suite.opts.Profile.ProbeInterval, detectLimit, func(ctx context.Context) (bool, string, error) {
		r, err := sc.exec(ctx, command, nil)
		if err != nil {
			return false, "", err
		}
		return r.Code != 0, lastLines(r.Output, 3), nil
	})
	return sc.observed(o, err, fmt.Sprintf("%q never failed", command), command)
}

// ObserveHealthRed waits until the health endpoint stops answering ok.
func (sc *Scenario) ObserveHealthRed(ctx context.Context) error {
	o, err := sc.until(ctx, sc.suite.opts.Profile.ProbeInterval, detectLimit, func(ctx context.Context) (bool, string, error) {
		h, err := sc.health(ctx)
		if err != nil {
			return true, err.Error(), nil
		}
		return !h.OK, h.Reason, nil
	})
	return sc.observed(o, err, "the health check never went red", "health check")
}

// ObserveRestartFails restarts the traderunner in its mode and expects the
// start to fail: how a corrupted config or code shows itself.
func (sc *Scenario) ObserveRestartFails(ctx context.Context) error {
	ctx, cancel := sc.bound(ctx)
	defer cancel()
	end := sc.tl.Phase("restart")
	_, _ = sc.exec(ctx, sc.suite.opts.System.Command("stop"), nil)
	r, err := sc.exec(ctx, sc.suite.opts.System.Command("start"), map[string]string{"MODE": sc.mode})
	end()
	if err != nil {
		return sc.fail(err)
	}
	if r.Code == 0 && len(sc.faults) == 0 {
		return sc.fail(errors.New("prove fault: the traderunner restarted cleanly and no fault was injected: put a When step that breaks something before \"the failure shows\""))
	}
	if r.Code == 0 {
		return sc.fail(fmt.Errorf("prove fault: the traderunner restarted cleanly after %q: the fault never bit, so a recovery would prove nothing", sc.faults[len(sc.faults)-1].Name()))
	}
	sc.tl.MarkAt(timeline.FailureObserved, "restart failed: "+lastLines(r.Output, 2), r.Finished)
	sc.addEvidence("failure", "restart failed with exit %d: %s", r.Code, lastLines(r.Output, 3))
	sc.logf("failure observed: restart failed: %s", lastLines(r.Output, 1))
	return sc.fail(sc.tl.ProofOfFault())
}

func (sc *Scenario) observed(o probe.Outcome, err error, never, what string) error {
	if err != nil {
		return sc.fail(fmt.Errorf("prove fault: %s within %s: the fault never bit, so a recovery would prove nothing: %w", never, detectLimit, err))
	}
	sc.tl.MarkAt(timeline.FailureObserved, what+": "+o.Detail, o.At)
	sc.addEvidence("failure", "%s failed: %s", what, o.Detail)
	sc.logf("failure observed: %s", firstLine(o.Detail))
	return sc.fail(sc.tl.ProofOfFault())
}

// Step runs a runbook step that must succeed.
func (sc *Scenario) Step(ctx context.Context, name, script string) error {
	script = sc.local(script)
	r, err := sc.runStep(ctx, name, script)
	if err != nil {
		return err
	}
	if r.Code != 0 {
		return sc.fail(fmt.Errorf("step %q failed (exit %d): %s", name, r.Code, lastLines(r.Output, 8)))
	}
	sc.logf("step %q done in %s", name, r.Finished.Sub(r.Started).Round(time.Millisecond))
	return nil
}

// runStep runs a runbook script as a timed phase on the current server,
// within the recovery limit, once the fault (if any) has been seen to bite.
// A script that exits non-zero is not an error here; one that cannot run
// or hangs is, and is recorded.
func (sc *Scenario) runStep(ctx context.Context, name, script string) (stack.ExecResult, error) {
	ctx, cancel := sc.bound(ctx)
	defer cancel()
	if err := sc.tl.ProofOfFault(); err != nil && sc.hasFault() {
		return stack.ExecResult{}, sc.fail(err)
	}
	end := sc.tl.Phase(name)
	r, err := sc.exec(ctx, "set -eo pipefail\n"+script, nil)
	end()
	if err != nil {
		return r, sc.fail(err)
	}
	return r, nil
}

// StartIn starts the traderunner in a mode as a recovery step, and waits
// for it to be healthy in that mode.
func (sc *Scenario) StartIn(ctx context.Context, mode string) error {
	ctx, cancel := sc.bound(ctx)
	defer cancel()
	end := sc.tl.Phase("start in " + mode + " mode")
	err := sc.start(ctx, mode)
	end()
	if err != nil {
		return sc.fail(err)
	}
	sc.tl.Mark(timeline.ServiceUp, "healthy in "+mode+" mode")
	return nil
}

// Check runs a runbook check that must pass, polling at the probe interval
// until it does or the recovery limit passes.
func (sc *Scenario) Check(ctx context.Context, command string) (probe.Outcome, error) {
	o, _, err := sc.check(ctx, sc.local(command))
	return o, err
}

// check is Check that also returns how long the run of the command that
// passed took: part of the precision of an RTO it ends.
func (sc *Scenario) check(ctx context.Context, command string) (probe.Outcome, time.Duration, error) {
	ctx, cancel := sc.bound(ctx)
	defer cancel()
	limit := time.Until(sc.recoveryDeadline)
	if sc.recoveryDeadline.IsZero() {
		limit = deployLimit
	}
	end := sc.tl.Phase("check: " + command)
	var took time.Duration
	o, err := sc.until(ctx, sc.suite.opts.Profile.ProbeInterval, limit, func(ctx context.Context) (bool, string, error) {
		start := time.Now()
		r, err := sc.exec(ctx, command, nil)
		took = time.Since(start)
		if err != nil {
			return false, "", err
		}
		return r.Code == 0, lastLines(r.Output, 6), nil
	})
	end()
	if err != nil {
		return o, took, sc.fail(fmt.Errorf("check %q: %w", command, err))
	}
	sc.addEvidence("check", "%s passed: %s", command, lastLines(o.Detail, 3))
	return o, took, nil
}

// VerifiedBy is the runbook's final check: when it passes the recovery is
// verified, and the RTO ends.
func (sc *Scenario) VerifiedBy(ctx context.Context, command string) error {
	return sc.verifiedBy(ctx, sc.local(command))
}

// verifiedBy is VerifiedBy of a command already mapped.
func (sc *Scenario) verifiedBy(ctx context.Context, command string) error {
	o, took, err := sc.check(ctx, command)
	if err != nil {
		return err
	}
	sc.verified(command, o, took)
	sc.logf("verified by %q", command)
	return nil
}

// verified marks the end of the recovery at the finish of the final
// check's deciding run, with that run's duration, and states the RTO's
// precision that follows from it.
func (sc *Scenario) verified(what string, o probe.Outcome, took time.Duration) {
	sc.tl.MarkVerified(what, o.At, took)
	interval := sc.suite.opts.Profile.ProbeInterval
	sc.addEvidence("verified", "%s passed at %s (attempt %d); that run took %s, so the RTO is precise to %s (probe interval %s + %s)",
		what, clockStamp(o.At), o.Attempts, unsigned(took), unsigned(interval+took), unsigned(interval), unsigned(took))
}

// VerifiedByHealth ends the recovery when the health endpoint answers ok
// in the scenario's mode again.
func (sc *Scenario) VerifiedByHealth(ctx context.Context) error {
	ctx, cancel := sc.bound(ctx)
	defer cancel()
	limit := time.Until(sc.recoveryDeadline)
	if sc.recoveryDeadline.IsZero() {
		limit = deployLimit
	}
	o, took, err := sc.awaitHealthTimed(ctx, sc.mode, limit)
	if err != nil {
		return sc.fail(fmt.Errorf("verify health: %w", err))
	}
	sc.verified("health check ok in "+sc.mode+" mode", o, took)
	sc.logf("verified by the health check")
	return nil
}

func (sc *Scenario) hasFault() bool {
	_, ok := sc.tl.First(timeline.FaultInjected)
	return ok
}

// ShowsMode checks the health check prints the mode line.
func (sc *Scenario) HealthShows(ctx context.Context, text string) error {
	ctx, cancel := sc.bound(ctx)
	defer cancel()
	r, err := sc.exec(ctx, sc.suite.opts.System.Command("health_check"), nil)
	if err != nil {
		return sc.fail(err)
	}
	if r.Code != 0 || !strings.Contains(r.Output, text) {
		return sc.fail(fmt.Errorf("health check: want %q, got exit %d: %s", text, r.Code, lastLines(r.Output, 6)))
	}
	sc.addEvidence("health check", "%s", strings.TrimSpace(r.Output))
	return nil
}

// Close ends the scenario: faults undone last-in first-out, objectives
// settled, logs kept, the stack removed, the result recorded. It runs on a
// context of its own so it completes after cancellation.
func (sc *Scenario) Close(ctx context.Context, stepErr error) result.Scenario {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer cancel()
	if sc.stack != nil {
		for _, err := range fault.UndoAll(ctx, sc.faults) {
			sc.logf("undo: %v", err)
		}
		sc.keepLogs(ctx)
	}
	if nr := (notRunError{}); errors.As(stepErr, &nr) {
		stepErr = nil // recorded as the reason, not as a failure
	}
	if stepErr != nil {
		// A step's error may join failures already recorded: keep each once.
		sc.mu.Lock()
		known := map[string]bool{}
		for _, f := range sc.failures {
			known[f] = true
		}
		var fresh []string
		for _, line := range strings.Split(sc.redact(stepErr.Error()), "\n") {
			if line = strings.TrimSpace(line); line != "" && !known[line] {
				fresh = append(fresh, line)
			}
		}
		sc.mu.Unlock()
		if len(fresh) > 0 && !known[sc.redact(stepErr.Error())] {
			_ = sc.fail(errors.New(strings.Join(fresh, "\n")))
		}
	}
	if err := sc.tl.Err(); err != nil {
		_ = sc.fail(err)
	}
	var secrets []string
	if sc.stack != nil {
		secrets = sc.stack.Secrets.List()
		if err := sc.stack.Close(ctx); err != nil {
			sc.logf("remove stack: %v", err)
			_ = sc.fail(fmt.Errorf("remove stack: %w", err))
		}
	}
	// An engine lost mid-scenario is the reason, whatever step (or the
	// removal of the stack) tripped on it: a failed scenario asks its
	// engines whether they still answer.
	sc.mu.Lock()
	failed := len(sc.failures) > 0
	sc.mu.Unlock()
	if stepErr != nil || failed {
		sc.checkEngines(ctx)
	}
	if err := sc.engineLost(); err != nil {
		_ = sc.fail(err)
	}
	if sc.engine != "" || sc.stack != nil {
		sc.suite.engines.release(sc.engine)
	}
	if sc.servicesEngine != "" {
		sc.suite.engines.release(sc.servicesEngine)
	}
	r := sc.Result()
	sc.suite.record(r, secrets)
	sc.logf("%s", strings.ToUpper(string(r.Status)))
	return r
}

// Result is the scenario as the result model holds it.
func (sc *Scenario) Result() result.Scenario {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	status := result.Passed
	switch {
	case len(sc.failures) > 0:
		status = result.Failed
	case sc.notRun != "":
		status = result.NotRun
	}
	return result.Scenario{
		Drill:        sc.drill,
		Name:         sc.name,
		PlanRow:      sc.planRow,
		Status:       status,
		StartedAt:    sc.started,
		EndedAt:      time.Now().UTC(),
		RTO:          sc.rto,
		RPO:          sc.rpo,
		Phases:       sc.tl.Phases(),
		Events:       sc.tl.Events(),
		Findings:     append([]result.Finding{}, sc.findings...),
		Failures:     append([]string(nil), sc.failures...),
		Evidence:     append([]result.Evidence(nil), sc.evidence...),
		NotRunReason: sc.notRun,
		PlanSteps:    append([]result.PlanStepOutcome(nil), sc.planSteps...),
		Engines:      sc.engineNames(),
	}
}

// engineNames is where each role of the stack ran, when the run spreads
// over several engines (nil otherwise).
func (sc *Scenario) engineNames() map[string]string {
	if sc.suite == nil || sc.suite.engines == nil || !sc.suite.engines.many() || sc.stack == nil {
		return nil
	}
	out := map[string]string{}
	for role, host := range sc.stack.RoleEngines() {
		out[role] = stack.EngineName(host)
	}
	if out[stack.RolePrimary] == "" {
		// Placed there, though its engine created nothing.
		out[stack.RolePrimary] = stack.EngineName(sc.engine)
	}
	return out
}

func quote(s string) string { return "\"" + s + "\"" }

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}
