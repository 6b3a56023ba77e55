package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"firedrill/harness/result"
	"firedrill/harness/stack"
)

// suiteLimit bounds one suite run: go test's own -timeout, so the drills
// end themselves 45 s before it and clean up. A run takes 1-3 minutes; one
// that hangs (a recovery check that never passes is polled until its
// scenario's recovery limit, up to 30 minutes) is cut short and reported
// as failed rather than holding the benchmark.
const suiteLimit = 6 * time.Minute

// SuiteRun is one run of every feature.
type SuiteRun struct {
	Concurrency int
	RunID       string
	// Wall is the test binary's life, start to exit.
	Wall   time.Duration
	Memory memory
	// ExitCode is the test binary's (0: every drill passed).
	ExitCode int
	// Run is the run's results.json (nil when it wrote none).
	Run *result.Run
	Log string
}

// Passed counts the scenarios that passed, of all.
func (r SuiteRun) Passed() (passed, all int) {
	if r.Run == nil {
		return 0, 0
	}
	for _, s := range r.Run.Scenarios {
		if s.Status == result.Passed {
			passed++
		}
	}
	return passed, len(r.Run.Scenarios)
}

// SuiteResult is every suite run.
type SuiteResult struct {
	Concurrencies []int
	Runs          []SuiteRun
	// Tags selected the features ("" is every feature).
	Tags string
}

// At returns the runs at one concurrency.
func (r *SuiteResult) At(c int) []SuiteRun {
	var out []SuiteRun
	for _, run := range r.Runs {
		if run.Concurrency == c {
			out = append(out, run)
		}
	}
	return out
}

// Wall is the wall time at one concurrency, of the runs that exited 0.
func (r *SuiteResult) Wall(c int) Stat {
	var xs []float64
	for _, run := range r.At(c) {
		if run.ExitCode == 0 {
			xs = append(xs, run.Wall.Seconds())
		}
	}
	return statOf(xs)
}

// PeakRSS is the peak resident set at one concurrency, in bytes.
func (r *SuiteResult) PeakRSS(c int) Stat {
	var xs []float64
	for _, run := range r.At(c) {
		xs = append(xs, float64(run.Memory.Peak()))
	}
	return statOf(xs)
}

// Best is the concurrency with the lower median wall time.
func (r *SuiteResult) Best() int {
	best := 0
	for _, c := range r.Concurrencies {
		if w := r.Wall(c); w.N > 0 && (best == 0 || w.Median < r.Wall(best).Median) {
			best = c
		}
	}
	return best
}

func (b *bench) measureSuite(ctx context.Context) error {
	res, err := b.runSuites(ctx, []int{1, 2}, "")
	b.rep.Suite = res
	return err
}

// testBinary compiles the drills' test binary once (not timed).
func (b *bench) testBinary(ctx context.Context) (string, error) {
	bin := filepath.Join(b.o.Work, "steps.test")
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	b.logf("compiling the drills test binary (not timed)")
	if _, err := output(ctx, b.o.Root, "go", "test", "-c", "-o", bin, "./steps"); err != nil {
		return "", err
	}
	return bin, nil
}

// runSuites runs the features Runs times at each concurrency, interleaved
// (1, 2, 1, 2, ...) so that a slow spell of the machine hits both.
func (b *bench) runSuites(ctx context.Context, concs []int, tags string) (*SuiteResult, error) {
	res := &SuiteResult{Concurrencies: concs, Tags: tags}
	bin, err := b.testBinary(ctx)
	if err != nil {
		return res, err
	}
	for i := range b.o.Runs {
		for _, c := range concs {
			run, err := b.suiteRun(ctx, bin, c, tags, "", fmt.Sprintf("suite-c%d-%d", c, i+1))
			res.Runs = append(res.Runs, run)
			if err != nil {
				return res, err
			}
			passed, all := run.Passed()
			b.logf("suite %d/%d at concurrency %d: %.1f s, exit %d, %d/%d passed, peak RSS %.0f MB (run %s)",
				i+1, b.o.Runs, c, run.Wall.Seconds(), run.ExitCode, passed, all, float64(run.Memory.Peak())/1e6, run.RunID)
		}
	}
	return res, nil
}

// suiteRun runs the test binary once: the features tags selects, or the
// one scenario named (empty: all), at a concurrency; logged as name.log.
func (b *bench) suiteRun(ctx context.Context, bin string, conc int, tags, scenario, name string) (SuiteRun, error) {
	run := SuiteRun{Concurrency: conc}
	reports := filepath.Join(b.o.Work, "suite")
	if err := os.MkdirAll(reports, 0o755); err != nil {
		return run, fmt.Errorf("create suite reports folder: %w", err)
	}
	before := runDirs(reports)
	run.Log = filepath.Join(b.o.Work, name+".log")
	log, err := os.Create(run.Log)
	if err != nil {
		return run, fmt.Errorf("create log: %w", err)
	}
	defer log.Close()
	ctx, cancel := context.WithTimeout(ctx, suiteLimit+time.Minute)
	defer cancel()
	cmd := command(ctx, filepath.Join(b.o.Root, "steps"),
		[]string{"FIREDRILL_PROFILE=" + b.prof.Name, "FIREDRILL_TAGS=" + tags, "FIREDRILL_SYSTEMS=" + b.o.SystemPath},
		bin, "-test.run", subtestPattern(b.o.SystemPath, scenario), "-test.v", "-test.count=1", "-test.timeout", suiteLimit.String(),
		"-firedrill.concurrency", strconv.Itoa(conc), "-firedrill.reports", reports)
	cmd.Stdout, cmd.Stderr = log, log
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return run, fmt.Errorf("start suite: %w", err)
	}
	stop := make(chan struct{})
	hwm := watchMemory(cmd.Process.Pid, 100*time.Millisecond, stop)
	werr := cmd.Wait()
	run.Wall = time.Since(start)
	close(stop)
	run.Memory = memory{HWM: <-hwm, Rusage: rusageMax(cmd)}
	run.ExitCode = cmd.ProcessState.ExitCode()
	// The run's id is the report folder it made; whatever it left goes.
	for _, id := range runDirs(reports) {
		if slices.Contains(before, id) {
			continue
		}
		run.RunID = id
		c, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		if err := stack.Sweep(c, id); err != nil {
			b.logf("clean up suite run %s: %v", id, err)
		}
		cancel()
		b.rep.Swept = append(b.rep.Swept, id)
		if r, err := readResults(filepath.Join(reports, id, "results.json")); err == nil {
			run.Run = r
		}
	}
	if ctx.Err() != nil {
		return run, fmt.Errorf("run suite at concurrency %d: %w", conc, ctx.Err())
	}
	if werr != nil && run.ExitCode < 0 {
		return run, fmt.Errorf("run suite at concurrency %d: %w (log %s)", conc, werr, b.rel(run.Log))
	}
	return run, nil
}

// subtestPattern is the -test.run pattern of TestDrills, or of one of its
// scenarios against the system file system (TestDrills makes a subtest per
// system, godog one per scenario in it): the names as go test rewrites
// them, each level matched exactly (a scenario name may hold a slash).
func subtestPattern(system, scenario string) string {
	if scenario == "" {
		return "^TestDrills$"
	}
	sys := strings.TrimSuffix(filepath.Base(system), ".yml")
	parts := strings.Split(strings.ReplaceAll(scenario, " ", "_"), "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	return "^TestDrills$/^" + regexp.QuoteMeta(sys) + "$/" + strings.Join(parts, "/")
}

// runDirs lists the run folders (named by run id) under a reports root.
func runDirs(root string) []string {
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() && e.Type()&os.ModeSymlink == 0 {
			out = append(out, e.Name())
		}
	}
	return out
}

func readResults(path string) (*result.Run, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read results: %w", err)
	}
	var r result.Run
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("decode %s: %w", path, err)
	}
	return &r, nil
}
