package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

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

// plan shows (diff) or writes (update) a past run's actuals in the plan.
func plan(args []string) (int, error) {
	if len(args) == 0 || (args[0] != "diff" && args[0] != "update") {
		return exitHarness, errors.New("plan: use 'firedrill plan diff [RUN]' or 'firedrill plan update [RUN]'")
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
