package runner

import (
	"context"
	"fmt"
	"io"
	"time"

	"firedrill/harness/drplan"
	"firedrill/harness/profile"
	"firedrill/harness/result"
)

// UpdatePlan writes a run's measured actuals into the plan's RTO/RPO table
// and its Last Tested line (or, with dryRun, prints the diff). Only a
// profile at the plan's own cadences may write: a ci run says so instead.
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
		fmt.Fprintf(out, "firedrill: plan %s not updated: no scenario of run %s measured both RTO and RPO\n", path, run.RunID)
		return nil
	}
	last := drplan.LastTested(run.StartedAt.UTC(), run.RunID, prof.Name)
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
	fmt.Fprintf(out, "firedrill: plan %s updated with the actuals of run %s\n", path, run.RunID)
	return nil
}
