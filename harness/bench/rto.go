package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"firedrill/harness/result"
	"firedrill/harness/stack"
)

// scriptLimit bounds one run of the plain recovery script, steady state
// included.
const scriptLimit = 5 * time.Minute

// Drill is one drill the RTO overhead is measured on: the scenario of it
// whose RTO firedrill measured, and the argument the script takes for it.
type Drill struct {
	ID       string
	Scenario string
	Script   string
}

// Drills are measured by their first scenario: the one the plan's step
// list is written for.
var Drills = []Drill{
	{"Q1", "the M5 bars are deleted and recovered by option A", "q1"},
	{"Q2", `"configs/risk.yml" is overwritten with broken YAML is recovered from git`, "q2"},
	{"Q3", "the live trading process is killed mid-trading", "q3"},
	{"Q4", "the primary server is lost and the backup server takes over", "q4"},
}

// Breakdown splits one RTO: from the fault to the failure seen
// (injection and detection), the runbook's steps, the final check's
// polling, and the rest (what the measuring side did in between).
type Breakdown struct {
	RTO, Detect, Steps, Verify, Other time.Duration
}

// ScriptRun is one run of the plain recovery script.
type ScriptRun struct {
	Breakdown
	Log string
	// Err is why the run measured nothing (it is then left out).
	Err string
}

// DrillRTO is one drill's RTOs both ways.
type DrillRTO struct {
	Drill     Drill
	Firedrill []Breakdown
	// FiredrillFailed says why a firedrill run measured nothing.
	FiredrillFailed []string
	Script          []ScriptRun
}

// Scripted is the script's runs that measured an RTO.
func (d DrillRTO) Scripted() []Breakdown {
	var out []Breakdown
	for _, r := range d.Script {
		if r.Err == "" {
			out = append(out, r.Breakdown)
		}
	}
	return out
}

// Ratios pairs firedrill's i-th measured run with the script's i-th (run
// back to back).
func (d DrillRTO) Ratios() Stat {
	sc := d.Scripted()
	var xs []float64
	for i := range min(len(d.Firedrill), len(sc)) {
		xs = append(xs, d.Firedrill[i].RTO.Seconds()/sc[i].RTO.Seconds())
	}
	return statOf(xs)
}

// RTOResult is every drill's.
type RTOResult struct {
	Drills []DrillRTO
	// Source says where firedrill's RTOs came from.
	Source string
}

func (b *bench) measureRTO(ctx context.Context) error {
	res := &RTOResult{Source: "each drill's scenario run alone by the drills test binary (concurrency 1), back to back with the script, the order alternating"}
	b.rep.RTO = res
	bin, err := b.testBinary(ctx)
	if err != nil {
		return err
	}
	for _, d := range Drills {
		res.Drills = append(res.Drills, DrillRTO{Drill: d})
	}
	for i := range b.o.Runs {
		for j := range res.Drills {
			d := &res.Drills[j]
			fd := func() error { return b.firedrillRTO(ctx, bin, d, i+1) }
			sc := func() error { return b.scriptRTO(ctx, d, i+1) }
			order := []func() error{fd, sc}
			if i%2 == 1 {
				order = []func() error{sc, fd}
			}
			for _, f := range order {
				if err := f(); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// firedrillRTO runs a drill's scenario alone and keeps the RTO it measured.
func (b *bench) firedrillRTO(ctx context.Context, bin string, d *DrillRTO, n int) error {
	run, err := b.suiteRun(ctx, bin, 1, "", d.Drill.Scenario, fmt.Sprintf("rto-%s-firedrill-%d", d.Drill.Script, n))
	if err != nil {
		return err
	}
	if run.Run != nil {
		for _, s := range run.Run.Scenarios {
			if s.Name == d.Drill.Scenario && s.Status == result.Passed && s.RTO != nil {
				bd := firedrillBreakdown(s)
				d.Firedrill = append(d.Firedrill, bd)
				b.logf("rto %s %d/%d: firedrill %.2f s (detect %.2f, steps %.2f, check %.2f, other %.2f)",
					d.Drill.ID, n, b.o.Runs, bd.RTO.Seconds(), bd.Detect.Seconds(), bd.Steps.Seconds(), bd.Verify.Seconds(), bd.Other.Seconds())
				return nil
			}
		}
	}
	d.FiredrillFailed = append(d.FiredrillFailed, fmt.Sprintf("run %s exited %d without a passing %q (log %s)", run.RunID, run.ExitCode, d.Drill.Scenario, b.rel(run.Log)))
	b.logf("rto %s %d/%d: firedrill run failed (log %s)", d.Drill.ID, n, b.o.Runs, b.rel(run.Log))
	return nil
}

// scriptRTO runs the plain script once; a recovery that failed is a
// finding, not a reason to stop.
func (b *bench) scriptRTO(ctx context.Context, d *DrillRTO, n int) error {
	sr, err := b.scriptRun(ctx, d.Drill, n)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		sr.Err = err.Error()
		d.Script = append(d.Script, sr)
		b.logf("rto %s %d/%d: plain script failed: %v", d.Drill.ID, n, b.o.Runs, err)
		return nil
	}
	d.Script = append(d.Script, sr)
	b.logf("rto %s %d/%d: plain script %.2f s (detect %.2f, steps %.2f, check %.2f, other %.2f)",
		d.Drill.ID, n, b.o.Runs, sr.RTO.Seconds(), sr.Detect.Seconds(), sr.Steps.Seconds(), sr.Verify.Seconds(), sr.Other.Seconds())
	return nil
}

// firedrillBreakdown splits a scenario's measured RTO by its timeline.
func firedrillBreakdown(s result.Scenario) Breakdown {
	bd := Breakdown{RTO: s.RTO.Actual.Duration()}
	from, to := s.RTO.FaultAt, s.RTO.VerifiedAt
	observed := from
	for _, e := range s.Events {
		if e.Kind == "failure_observed" {
			observed = e.At
			bd.Detect = e.At.Sub(from)
			break
		}
	}
	for _, p := range s.Phases {
		// Phases before the failure showed (a restart that proves the
		// fault) are detection, already counted.
		if p.StartedAt.Before(observed) || p.EndedAt.After(to.Add(time.Millisecond)) {
			continue
		}
		if strings.HasPrefix(p.Name, "check: ") {
			bd.Verify += p.Duration()
			continue
		}
		bd.Steps += p.Duration()
	}
	bd.Other = bd.RTO - bd.Detect - bd.Steps - bd.Verify
	return bd
}

// scriptRun starts an identical stack with docker-compose (no
// healthchecks: nothing runs in it that firedrill's stack does not run)
// and times bench/plain_recovery.sh on it.
func (b *bench) scriptRun(ctx context.Context, d Drill, n int) (ScriptRun, error) {
	ctx, cancel := context.WithTimeout(ctx, scriptLimit)
	defer cancel()
	name := fmt.Sprintf("rto %s plain %d", d.Script, n)
	cfg := b.stackConfig(name)
	sec := newSecrets()
	file, err := b.writeCompose(cfg, sec, stack.ComposeOptions{NoHealthchecks: true})
	if err != nil {
		return ScriptRun{}, err
	}
	defer os.Remove(file)
	defer b.remove(ctx, name)
	envFile := filepath.Join(b.o.Work, stack.Slug(name)+".backup-server.env")
	var backupImage string
	var env bytes.Buffer
	for _, v := range stack.Services(cfg, sec) {
		if v.Role != stack.RoleBackupServer {
			continue
		}
		backupImage = v.Image
		keys := make([]string, 0, len(v.Env))
		for k := range v.Env {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(&env, "%s=%s\n", k, v.Env[k])
		}
	}
	if err := os.WriteFile(envFile, env.Bytes(), 0o600); err != nil {
		return ScriptRun{}, fmt.Errorf("write backup server environment: %w", err)
	}
	defer os.Remove(envFile)

	run := ScriptRun{Log: filepath.Join(b.o.Work, stack.Slug(name)+".log")}
	log, err := os.Create(run.Log)
	if err != nil {
		return run, fmt.Errorf("create log: %w", err)
	}
	defer log.Close()
	if _, _, err := timed(ctx, log, b.o.Root, nil, "docker-compose", "-p", composeProject(cfg), "-f", file, "up", "-d"); err != nil {
		return run, err
	}
	labels := []string{
		stack.LabelRun + "=" + cfg.RunID,
		stack.LabelScenario + "=" + stack.Slug(cfg.Scenario),
		stack.LabelRole + "=" + stack.RoleBackupServer,
		stack.LabelOwner + "=" + stack.Owner(),
	}
	prefix := strings.TrimSuffix(stack.ContainerName(cfg, "x"), "x")
	var out bytes.Buffer
	cmd := command(ctx, b.o.Root, []string{
		"FD_PREFIX=" + prefix,
		"FD_NETWORK=" + stack.NetworkName(cfg),
		"FD_LABELS=" + strings.Join(labels, " "),
		"FD_BACKUP_IMAGE=" + backupImage,
		"FD_BACKUP_ENV_FILE=" + envFile,
		"FD_HOME=" + b.sys.Home,
		"FD_PROBE_INTERVAL_MS=" + strconv.FormatInt(b.prof.ProbeInterval.Milliseconds(), 10),
	}, "bash", filepath.Join(b.o.Root, "bench", "plain_recovery.sh"), d.Script)
	cmd.Stdout = &out
	cmd.Stderr = log
	err = cmd.Run()
	fmt.Fprintf(log, "--- stdout\n%s", out.String())
	if err != nil {
		return run, fmt.Errorf("run plain recovery of %s: %w (log %s)", d.ID, err, b.rel(run.Log))
	}
	bd, err := parseScript(out.Bytes())
	if err != nil {
		return run, fmt.Errorf("read plain recovery of %s: %w (log %s)", d.ID, err, b.rel(run.Log))
	}
	run.Breakdown = bd
	return run, nil
}

// parseScript reads plain_recovery.sh's output: event, phase and rto lines.
func parseScript(out []byte) (Breakdown, error) {
	var bd Breakdown
	var fault, observed, verified time.Time
	var rto bool
	type phase struct {
		name       string
		start, end time.Time
	}
	var phases []phase
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 3 && f[0] == "event":
			at, err := epoch(f[2])
			if err != nil {
				return bd, err
			}
			switch f[1] {
			case "fault_injected":
				fault = at
			case "failure_observed":
				observed = at
			case "verified":
				verified = at
			}
		case len(f) == 4 && f[0] == "phase":
			s, err1 := epoch(f[2])
			e, err2 := epoch(f[3])
			if err1 != nil || err2 != nil {
				return bd, fmt.Errorf("read phase line %q", sc.Text())
			}
			phases = append(phases, phase{f[1], s, e})
		case len(f) == 2 && f[0] == "rto":
			rto = true
		}
	}
	if !rto || fault.IsZero() || verified.IsZero() {
		return bd, fmt.Errorf("no RTO in the output: want event fault_injected, event verified and rto lines")
	}
	bd.RTO = verified.Sub(fault)
	if observed.IsZero() {
		observed = fault
	}
	bd.Detect = observed.Sub(fault)
	// Phases before the failure showed (steady state) are not the RTO's.
	for _, p := range phases {
		switch {
		case p.start.Before(observed):
		case p.name == "check":
			bd.Verify += p.end.Sub(p.start)
		default:
			bd.Steps += p.end.Sub(p.start)
		}
	}
	bd.Other = bd.RTO - bd.Detect - bd.Steps - bd.Verify
	return bd, nil
}

// epoch reads seconds since 1970 with a fraction ("1764236400.123456").
func epoch(s string) (time.Time, error) {
	sec, frac, _ := strings.Cut(s, ".")
	si, err := strconv.ParseInt(sec, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("read time %q: %w", s, err)
	}
	var ns int64
	if frac != "" {
		frac = (frac + "000000000")[:9]
		if ns, err = strconv.ParseInt(frac, 10, 64); err != nil {
			return time.Time{}, fmt.Errorf("read time %q: %w", s, err)
		}
	}
	return time.Unix(si, ns), nil
}
