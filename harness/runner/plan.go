package runner

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"firedrill/harness/drplan"
	"firedrill/harness/profile"
	"firedrill/harness/result"
)

// UpdatePlan writes what a run found into the plan's RTO/RPO table and its
// Last Tested line (or, with dryRun, prints the diff): the numbers of each
// row whose scenarios all passed, "failed (run …)" or "untested (run …)"
// in the other rows the run drilled, so the plan never keeps an older
// run's numbers under a fresh date. Only a profile at the plan's own
// cadences may write: a ci run says so instead.
func UpdatePlan(ctx context.Context, run result.Run, prof profile.Profile, path string, dryRun bool, out io.Writer) error {
	if !prof.MayWritePlan {
		fmt.Fprintf(out, "firedrill: plan %s not updated: profile %s backs up every few seconds, so its RPO would overstate the plan; run --profile quarterly --update-plan to write actuals\n", path, prof.Name)
		return nil
	}
	actuals, err := drplan.ActualsFromRun(run)
	if err != nil {
		return err
	}
	if len(actuals) == 0 {
		fmt.Fprintf(out, "firedrill: plan %s not updated: no scenario of run %s drills a row of its table\n", path, run.RunID)
		return nil
	}
	// The plan is read here only to name the rows on the Last Tested line
	// in its table's order; Update reads it again under its lock.
	plan, err := drplan.Parse(path)
	if err != nil {
		return err
	}
	last := drplan.LastTested(run.StartedAt.UTC(), run.RunID, prof.Name, plan.TestedRows(actuals)...)
	if dryRun {
		d, err := drplan.Diff(path, actuals, last, drplan.Options{})
		if err != nil {
			return err
		}
		if d == "" {
			d = "(no change)\n"
		}
		fmt.Fprintf(out, "firedrill: --dry-run: what --update-plan would change in %s:\n%s", path, d)
		return nil
	}
	c, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer cancel()
	if err := drplan.Update(c, path, actuals, last, drplan.Options{}); err != nil {
		return err
	}
	fmt.Fprintf(out, "firedrill: plan %s updated with the actuals of run %s%s\n", path, run.RunID, withoutNumbers(actuals))
	return nil
}

// withoutNumbers names the rows the plan now marks failed or untested, so
// whoever updated it is not surprised by what it says.
func withoutNumbers(actuals map[string]drplan.Actual) string {
	var rows []string
	for _, a := range actuals {
		if a.Verdict != drplan.Passed {
			rows = append(rows, a.Row+" "+a.Verdict.String())
		}
	}
	if len(rows) == 0 {
		return ""
	}
	sort.Strings(rows)
	return " (without numbers: " + strings.Join(rows, ", ") + ")"
}
