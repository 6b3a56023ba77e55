// Package bench measures firedrill against the plain Docker tools a user
// would otherwise reach for, and renders what it measured.
//
// Five measurements, each over several runs, each read off timestamps taken
// as things happened (never a constant, never a sleep):
//
//   - images: `make images` with nothing to build, and (when asked) a cold
//     build of each image;
//   - spin-up: a stack started by stack.Start with the traderunner started
//     and healthy, against docker-compose up of the same stack rendered by
//     stack.Compose from the same definition, in pairs, order alternating;
//   - suite: every feature, profile ci, warm images, at concurrency 1 and 2,
//     run as the compiled steps test binary;
//   - RTO overhead: each drill's RTO as firedrill measured it, its scenario
//     run alone, against bench/plain_recovery.sh doing the same recovery
//     with docker exec on an identical stack, back to back in pairs;
//   - memory: the test binary's peak resident set during each suite run.
//
// Every container and network the benchmark makes is labelled with its run
// id and removed however the benchmark ends; the suite runs carry their own
// run ids, which the benchmark records and sweeps after each run. Timings
// are reported, never asserted: the goals are shown as met or missed, with
// what the time went to.
package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"firedrill/harness/images"
	"firedrill/harness/profile"
	"firedrill/harness/stack"
	"firedrill/harness/system"
)

// Section names, in the order they run.
const (
	SectionImages = "images"
	SectionSpinup = "spinup"
	SectionSuite  = "suite"
	SectionRTO    = "rto"
)

// Sections lists every section in run order.
var Sections = []string{SectionImages, SectionSpinup, SectionSuite, SectionRTO}

// Options configure a benchmark.
type Options struct {
	// Root is the firedrill checkout.
	Root string
	// Runs is how many times each measurement is taken (default 3).
	Runs int
	// Cold also builds every image from nothing (removing firedrill's own
	// images first), Runs times.
	Cold bool
	// Only runs these sections (all when empty).
	Only []string
	// Profile paces the drills (default ci).
	Profile string
	// SystemPath is the system description (default systems/reference.yml).
	SystemPath string
	// Samples is the traderunner samples folder, for image builds.
	Samples string
	// Work holds the benchmark's own files: compose files, logs, suite
	// reports (default reports/bench/work/<run id>).
	Work string
	// Log receives progress lines.
	Log io.Writer
}

// Report is everything one benchmark measured.
type Report struct {
	RunID   string
	Started time.Time
	Ended   time.Time
	Runs    int
	Profile string
	Machine Machine
	Images  *ImagesResult
	Spinup  *SpinupResult
	Suite   *SuiteResult
	RTO     *RTOResult
	// Errors are the sections that could not finish, with why.
	Errors []string
	// Swept lists the run ids whose objects the benchmark removed.
	Swept []string
	// Work is the folder of the benchmark's own files.
	Work string
}

// Machine is what the numbers were measured on.
type Machine struct {
	Cores         int
	Docker        string
	Compose       string
	Go            string
	LoadAvgBefore string
	LoadAvgAfter  string
}

type bench struct {
	o      Options
	runID  string
	prof   profile.Profile
	sys    *system.System
	images stack.Images
	rep    *Report
}

// Run measures what o asks and returns the report, with an error when a
// section could not finish (the report then holds what was measured).
func Run(ctx context.Context, o Options) (*Report, error) {
	if o.Runs <= 0 {
		o.Runs = 3
	}
	if o.Profile == "" {
		o.Profile = "ci"
	}
	if o.SystemPath == "" {
		o.SystemPath = filepath.Join(o.Root, "systems", "reference.yml")
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	for _, s := range o.Only {
		if !slices.Contains(Sections, s) {
			return nil, fmt.Errorf("run benchmark: unknown section %q: use %s", s, strings.Join(Sections, ", "))
		}
	}
	prof, err := profile.Get(o.Profile)
	if err != nil {
		return nil, fmt.Errorf("run benchmark: %w", err)
	}
	sys, err := system.Load(o.SystemPath)
	if err != nil {
		return nil, fmt.Errorf("run benchmark: %w", err)
	}
	runID := stack.NewRunID(time.Now())
	if o.Work == "" {
		o.Work = filepath.Join(o.Root, "reports", "bench", "work", runID)
	}
	if err := os.MkdirAll(o.Work, 0o755); err != nil {
		return nil, fmt.Errorf("create benchmark folder: %w", err)
	}
	b := &bench{
		o: o, runID: runID, prof: prof, sys: sys,
		images: stack.Images{MinIO: images.MinIO, Broker: images.Broker, Traderunner: sys.Image, Base: images.Base},
		rep:    &Report{RunID: runID, Started: time.Now(), Runs: o.Runs, Profile: prof.Name, Work: o.Work},
	}
	b.rep.Machine = machine(ctx)
	b.rep.Machine.LoadAvgBefore = loadAvg()
	// Whatever happens below, this run's objects go.
	defer func() {
		c, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
		defer cancel()
		if err := stack.Sweep(c, runID); err != nil {
			b.logf("clean up run %s: %v", runID, err)
		}
		b.rep.Swept = append(b.rep.Swept, runID)
	}()
	b.logf("run %s: %d runs each, profile %s, work in %s", runID, o.Runs, prof.Name, o.Work)

	var errs []error
	do := func(name string, fn func(context.Context) error) {
		if len(o.Only) > 0 && !slices.Contains(o.Only, name) {
			return
		}
		if ctx.Err() != nil {
			return
		}
		b.logf("== %s", name)
		if err := fn(ctx); err != nil {
			err = fmt.Errorf("measure %s: %w", name, err)
			b.logf("%v", err)
			b.rep.Errors = append(b.rep.Errors, err.Error())
			errs = append(errs, err)
		}
	}
	do(SectionImages, b.measureImages)
	do(SectionSpinup, b.measureSpinup)
	do(SectionSuite, b.measureSuite)
	do(SectionRTO, b.measureRTO)
	if ctx.Err() != nil {
		errs = append(errs, fmt.Errorf("run benchmark: %w", ctx.Err()))
	}
	b.rep.Machine.LoadAvgAfter = loadAvg()
	b.rep.Ended = time.Now()
	return b.rep, errors.Join(errs...)
}

func (b *bench) logf(format string, args ...any) {
	fmt.Fprintf(b.o.Log, "%s  bench  %s\n", time.Now().UTC().Format("15:04:05.000"), fmt.Sprintf(format, args...))
}

// stackConfig is the stack a drill scenario of this profile and system
// gets (what drill.Scenario.Deploy passes to stack.Start).
func (b *bench) stackConfig(scenario string) stack.Config {
	env := map[string]string{}
	for k, v := range b.prof.SystemEnv(b.sys.Variables) {
		env[k] = v
	}
	for k, v := range b.sys.Env {
		env[k] = v
	}
	return stack.Config{
		RunID:      b.runID,
		Scenario:   scenario,
		Images:     b.images,
		SystemEnv:  env,
		Variables:  b.sys.Variables,
		BrokerEnv:  b.prof.BrokerEnv(),
		HealthPort: b.sys.HealthPort(),
		GitRemote:  b.sys.GitRemote,
	}
}

// newSecrets makes a stack's secrets the way stack.Start does.
func newSecrets() stack.Secrets {
	return stack.Secrets{
		MinIOUser:      "fd" + stack.RandomSecret(6),
		MinIOPassword:  stack.RandomSecret(16),
		ResticPassword: stack.RandomSecret(16),
	}
}

func machine(ctx context.Context) Machine {
	m := Machine{Cores: runtime.NumCPU(), Go: runtime.Version()}
	if out, err := output(ctx, "", "docker", "version", "--format", "{{.Server.Version}} (API {{.Server.APIVersion}})"); err == nil {
		m.Docker = strings.TrimSpace(out)
	}
	if out, err := output(ctx, "", "docker-compose", "version", "--short"); err == nil {
		m.Compose = strings.TrimSpace(out)
	}
	return m
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "n/a"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "n/a"
	}
	return strings.Join(f[:3], " ")
}

// rel is a path as the report shows it: relative to the checkout, so a
// report names no folder of the machine it was made on.
func (b *bench) rel(path string) string {
	if r, err := filepath.Rel(b.o.Root, path); err == nil && !strings.HasPrefix(r, "..") {
		return r
	}
	return path
}
