package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"firedrill/harness/drplan"
	"firedrill/harness/profile"
	"firedrill/harness/runner"
)

// report re-renders a past run from its results.json.
func report(args []string) (int, error) {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	format := fs.String("format", "terminal", "terminal, markdown, html, csv or json")
	reports := fs.String("reports", "reports", "reports folder")
	pos, err := parseAnywhere(fs, args)
	if err != nil {
		return exitHarness, err
	}
	run, _, err := runner.LoadRun(*reports, first(pos))
	if err != nil {
		return exitHarness, err
	}
	color := os.Getenv("NO_COLOR") == "" && isTerminal(os.Stdout)
	if err := runner.Render(os.Stdout, *reports, run, *format, color); err != nil {
		return exitHarness, err
	}
	return exitPassed, nil
}

// plan shows (diff) or writes (update) a past run's actuals in the plan, or
// audits the plan's RPO promises against its own backups (audit).
func plan(args []string) (int, error) {
	if len(args) == 0 {
		return exitHarness, errPlanUsage
	}
	switch args[0] {
	case "audit":
		return auditPlan(args[1:])
	case "check":
		return checkPlan(args[1:])
	case "fix":
		return fixPlan(args[1:])
	case "diff", "update":
	default:
		return exitHarness, errPlanUsage
	}
	fs := flag.NewFlagSet("plan "+args[0], flag.ContinueOnError)
	planPath := fs.String("plan", "docs/dr-plan.md", "DR plan with the RTO/RPO Summary table")
	reports := fs.String("reports", "reports", "reports folder")
	pos, err := parseAnywhere(fs, args[1:])
	if err != nil {
		return exitHarness, err
	}
	run, _, err := runner.LoadRun(*reports, first(pos))
	if err != nil {
		return exitHarness, err
	}
	prof, err := profile.Get(run.Profile)
	if err != nil {
		return exitHarness, fmt.Errorf("plan: run %s: %w", run.RunID, err)
	}
	if err := runner.UpdatePlan(context.Background(), run, prof, *planPath, args[0] == "diff", os.Stdout); err != nil {
		return exitHarness, err
	}
	return exitPassed, nil
}

// auditPlan prints, one line per row of the plan's "RTO/RPO Summary" table,
// whether the plan's own backups can keep the row's RPO target. Exit 0 when
// none is broken (kept, unknown or not audited), 1 when one is, 2 on bad
// input.
func auditPlan(args []string) (int, error) {
	fs := flag.NewFlagSet("plan audit", flag.ContinueOnError)
	planPath := fs.String("plan", "docs/dr-plan.md", "DR plan with the RTO/RPO Summary table")
	pos, err := parseAnywhere(fs, args)
	if err != nil {
		return exitHarness, err
	}
	if len(pos) > 0 {
		return exitHarness, fmt.Errorf("plan audit: unexpected %q: it reads the plan only (use --plan PATH)", pos[0])
	}
	p, err := drplan.Parse(*planPath)
	if err != nil {
		return exitHarness, err
	}
	rep, err := drplan.Audit(p)
	if err != nil {
		return exitHarness, err
	}
	for _, f := range rep.Findings {
		fmt.Println(f)
	}
	if broken := rep.Broken(); len(broken) > 0 {
		return exitFailed, fmt.Errorf("plan audit: %s: %d of %d RPO targets cannot be kept by the plan's own backups", *planPath, len(broken), len(rep.Findings))
	}
	return exitPassed, nil
}

// parseAnywhere parses flags that may come before or after the positional
// arguments ("plan diff latest --plan P" as well as "plan diff --plan P latest").
func parseAnywhere(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func first(pos []string) string {
	if len(pos) == 0 {
		return ""
	}
	return pos[0]
}
