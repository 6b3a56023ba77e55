// Package runner runs a set of drill features end to end: it prepares a
// run (id, report folder, a sweep of what killed runs left), runs the
// features with godog, writes results.json and the reports, appends the
// history, and (for a profile at the plan's cadences, when asked) writes
// the measured actuals into the DR plan. `go test` and the firedrill
// command both run drills through here.
package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cucumber/godog"

	"firedrill/harness/drill"
	"firedrill/harness/drplan"
	"firedrill/harness/profile"
	"firedrill/harness/result"
	"firedrill/harness/stack"
	"firedrill/harness/syscheck"
	"firedrill/harness/system"
)

// Options of a run.
type Options struct {
	Features   []string
	Tags       string
	Profile    string
	SystemPath string
	PlanPath   string
	// ReportsRoot holds one folder per run and the history.
	ReportsRoot string
	UpdatePlan  bool
	DryRun      bool
	Operator    drill.Operator
	Concurrency int
	// Engines are the Docker engines the run spreads its scenarios over
	// (stack.ParseEngines); none: the one DOCKER_HOST names.
	Engines []string
	// Glue binds the features' Gherkin to the drills (package steps,
	// steps.Glue); the harness itself never imports the steps.
	Glue Glue
	// TestingT makes every scenario a Go subtest.
	TestingT *testing.T
	// Output receives godog's pretty output and the progress lines.
	Output  io.Writer
	NoColor bool
	// Live shows a live display of each scenario on a terminal instead of
	// godog's and the event log's lines (those then go to the report folder).
	Live bool
}

// Outcome of a run.
type Outcome struct {
	Run       result.Run
	ReportDir string
	// Status is godog's: 0 all passed, 1 a scenario failed, 2 bad options.
	Status int
	// Secrets the run generated, for checks that none leaked.
	Secrets []string
}

// Glue is what a run needs of the step definitions: the check of the
// features against the plan before anything starts, and godog's scenario
// initializer for a suite.
type Glue struct {
	Preflight  func(features []string, tags string, plan *drplan.Plan) error
	Initialize func(*drill.Suite) func(*godog.ScenarioContext)
}

// DefaultTags select every drill but the calibration one.
const DefaultTags = "~@calibration"

// ErrHarness marks a run that could not run its drills (as opposed to a
// drill that failed).
var ErrHarness = errors.New("harness error")

// Run runs the drills.
func Run(ctx context.Context, o Options) (*Outcome, error) {
	if o.Output == nil {
		o.Output = os.Stdout
	}
	if o.Tags == "" {
		// The calibration feature needs its own system (systems/calibration.yml).
		o.Tags = DefaultTags
	}
	prof, err := profile.Get(o.Profile)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrHarness, err)
	}
	sys, err := system.Load(o.SystemPath)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrHarness, err)
	}
	if err := checkFeatures(o.Features); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrHarness, err)
	}
	// Bad features, tags or plan rows stop the run before anything starts.
	plan, err := drplan.Parse(o.PlanPath)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrHarness, err)
	}
	if o.Glue.Preflight == nil || o.Glue.Initialize == nil {
		return nil, fmt.Errorf("%w: no step definitions: pass Options.Glue (steps.Glue)", ErrHarness)
	}
	if err := o.Glue.Preflight(o.Features, o.Tags, plan); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrHarness, err)
	}
	runID := stack.NewRunID(time.Now())
	reportDir := filepath.Join(o.ReportsRoot, runID)
	if err := stack.UseEngines(o.Engines); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrHarness, err)
	}
	// What a killed run left is removed before anything starts, on every
	// engine of the run.
	if err := stack.SweepOrphans(ctx); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrHarness, err)
	}
	// On a terminal a live display shows each scenario's phase; godog's
	// and the event log's lines go to files in the report folder.
	logOut, godogOut := o.Output, o.Output
	var display *live
	if o.Live && o.Operator == nil {
		g, lg, err := liveOutputs(reportDir)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrHarness, err)
		}
		defer g.Close()
		defer lg.Close()
		godogOut, logOut = g, lg
		display = newLive(o.Output)
	}
	dopts := drill.Options{
		RunID: runID, Profile: prof, System: sys, PlanPath: o.PlanPath,
		ReportDir: reportDir, Operator: o.Operator, Log: logOut, Engines: o.Engines,
	}
	if display != nil {
		dopts.Progress = display
	}
	suite, err := drill.NewSuite(ctx, dopts)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrHarness, err)
	}
	// The system file against its image (firedrill system check --static):
	// one throwaway container, about a second.
	if ps := syscheck.Static(ctx, sys); len(ps) > 0 {
		return nil, fmt.Errorf("%w: %w", ErrHarness, &system.Error{File: o.SystemPath, Problems: ps})
	}
	// Whatever happens below, this run's objects go.
	defer func() {
		c, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		if err := stack.Sweep(c, runID); err != nil {
			fmt.Fprintf(o.Output, "firedrill: clean up run %s: %v\n", runID, err)
		}
	}()
	fmt.Fprintf(o.Output, "firedrill: run %s, profile %s, system %q, plan %s\n", runID, prof.Name, sys.Name, o.PlanPath)
	// The plan's promises against its own backups, before anything runs.
	if a := suite.Audit(); len(a.Broken()) > 0 {
		fmt.Fprintf(o.Output, "firedrill: plan audit: %d of %d RPO targets cannot be kept by the plan's own backups:\n", len(a.Broken()), len(a.Findings))
		for _, f := range a.Broken() {
			fmt.Fprintf(o.Output, "  %s\n", f.String())
		}
	}
	// junit.xml and cucumber.json are written from what rec records and
	// the run's results, with the other reports (Publish).
	rec, recName := newRecorder(max(o.Concurrency, 1))
	format := "pretty," + recName
	status := godog.TestSuite{
		Name:                "firedrill",
		ScenarioInitializer: o.Glue.Initialize(suite),
		Options: &godog.Options{
			Format:         format,
			Paths:          o.Features,
			Tags:           o.Tags,
			Strict:         true,
			Concurrency:    max(o.Concurrency, 1),
			TestingT:       o.TestingT,
			Output:         godogOut,
			NoColors:       o.NoColor || display != nil,
			DefaultContext: ctx,
		},
	}.Run()
	if display != nil {
		display.stop()
	}
	out := &Outcome{Run: suite.Result(), ReportDir: reportDir, Status: status, Secrets: suite.Secrets()}
	features := rec.Features()
	annotate(&out.Run, features)
	if status == 2 {
		return out, fmt.Errorf("%w: godog rejected the features or options (see above)", ErrHarness)
	}
	if len(out.Run.Scenarios) == 0 {
		return out, fmt.Errorf("%w: no scenario matched tags %q in %s", ErrHarness, o.Tags, strings.Join(o.Features, ", "))
	}
	// The plan patch the findings propose, carried in the reports.
	if fixes := drplan.FixesFromRun(out.Run); len(fixes) > 0 {
		if src, err := os.ReadFile(o.PlanPath); err == nil {
			if _, diff, err := drplan.ProposeFix(o.PlanPath, src, fixes); err == nil {
				out.Run.PlanPatch = diff
			} else {
				fmt.Fprintf(o.Output, "firedrill: propose a plan patch: %v\n", err)
			}
		}
	}
	// Results that cannot be written are still printed.
	werr := WriteResults(out.Run, reportDir)
	if err := errors.Join(werr, Publish(out.Run, features, o.ReportsRoot, reportDir, o.Output, !o.NoColor)); err != nil {
		return out, fmt.Errorf("%w: %w", ErrHarness, err)
	}
	if o.UpdatePlan || o.DryRun {
		if err := UpdatePlan(ctx, out.Run, prof, o.PlanPath, o.DryRun, o.Output); err != nil {
			return out, fmt.Errorf("%w: %w", ErrHarness, err)
		}
	}
	return out, nil
}

func checkFeatures(paths []string) error {
	if len(paths) == 0 {
		return errors.New("no feature paths: pass the features folder")
	}
	for _, p := range paths {
		if _, err := os.Stat(p); err != nil {
			return fmt.Errorf("read features %s: %w", p, err)
		}
	}
	return nil
}

// Leftovers counts the Docker objects a run left behind.
func Leftovers(ctx context.Context, runID string) (stack.Leftovers, error) {
	return stack.Count(ctx, runID)
}
