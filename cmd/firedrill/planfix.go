package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"firedrill/harness/drplan"
	"firedrill/harness/runner"
	"firedrill/steps"
)

// checkPlan is `firedrill plan check`: every plan step the features name
// is in the plan as they name it, and the plan's commands are those their
// corrected steps were written for. Exit 0 when the plan and the features
// agree, 1 when they drifted apart (one line per problem), 2 on bad input.
func checkPlan(args []string) (int, error) {
	fs := flag.NewFlagSet("plan check", flag.ContinueOnError)
	planPath := fs.String("plan", "docs/dr-plan.md", "DR plan whose runbook the features follow")
	features := fs.String("features", "features", "feature files folder")
	pos, err := parseAnywhere(fs, args)
	if err != nil {
		return exitHarness, err
	}
	if len(pos) > 0 {
		return exitHarness, fmt.Errorf("plan check: unexpected %q (use --plan PATH --features DIR)", pos[0])
	}
	p, err := drplan.Parse(*planPath)
	if err != nil {
		return exitHarness, err
	}
	problems, named, err := steps.PlanCheck([]string{*features}, p)
	if err != nil {
		return exitHarness, err
	}
	for _, pr := range problems {
		fmt.Println(pr)
	}
	if len(problems) > 0 {
		return exitFailed, fmt.Errorf("plan check: %d feature step(s) no longer match %s (each line names the feature line, the plan's lines and the fix)", len(problems), *planPath)
	}
	steps := 0
	for _, s := range p.Runbook().Steps {
		if s.Procedure > 0 {
			steps++
		}
	}
	fmt.Printf("plan check: %s: the features name %d of its %d numbered steps, each as the plan reads today\n", *planPath, named, steps)
	return exitPassed, nil
}

// fixPlan is `firedrill plan fix RUN [--plan PATH] [--apply]`: the run's
// findings (a plan step that failed as written, its corrected step that
// passed) as a unified diff of the plan's runbook; with --apply the plan
// is rewritten with it, atomically, touching nothing else.
func fixPlan(args []string) (int, error) {
	fs := flag.NewFlagSet("plan fix", flag.ContinueOnError)
	planPath := fs.String("plan", "docs/dr-plan.md", "DR plan to correct")
	reports := fs.String("reports", "reports", "reports folder")
	apply := fs.Bool("apply", false, "rewrite the plan with the patch (atomically); without it the patch is printed")
	pos, err := parseAnywhere(fs, args)
	if err != nil {
		return exitHarness, err
	}
	run, _, err := runner.LoadRun(*reports, first(pos))
	if err != nil {
		return exitHarness, err
	}
	fixes := drplan.FixesFromRun(run)
	if len(fixes) == 0 {
		fmt.Printf("plan fix: run %s proved no correction of the plan (no plan step failed as written and was corrected)\n", run.RunID)
		return exitPassed, nil
	}
	var diff string
	if *apply {
		diff, err = drplan.ApplyFix(context.Background(), *planPath, fixes)
	} else {
		var src []byte
		if src, err = os.ReadFile(*planPath); err == nil {
			_, diff, err = drplan.ProposeFix(*planPath, src, fixes)
		}
	}
	if err != nil {
		return exitHarness, fmt.Errorf("plan fix: %w", err)
	}
	fmt.Print(diff)
	var what []string
	for _, f := range fixes {
		what = append(what, fmt.Sprintf("scenario %d step %d", f.Procedure, f.Step))
	}
	if diff == "" {
		fmt.Printf("plan fix: %s already carries the corrections of run %s (%s)\n", *planPath, run.RunID, strings.Join(what, ", "))
		return exitPassed, nil
	}
	if *apply {
		fmt.Fprintf(os.Stderr, "plan fix: %s rewritten with the corrections of run %s (%s)\n", *planPath, run.RunID, strings.Join(what, ", "))
	} else {
		fmt.Fprintf(os.Stderr, "plan fix: the corrections of run %s (%s); --apply writes them into %s\n", run.RunID, strings.Join(what, ", "), *planPath)
	}
	return exitPassed, nil
}

var errPlanUsage = errors.New("plan: use 'firedrill plan diff [RUN]', 'plan update [RUN]', 'plan audit', 'plan check' or 'plan fix RUN [--apply]'")
