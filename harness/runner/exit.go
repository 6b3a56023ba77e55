package runner

import (
	"fmt"
	"strings"

	"firedrill/harness/result"
)

// Exit codes of `firedrill run`.
const (
	ExitPassed  = 0 // every drill passed
	ExitFailed  = 1 // a drill failed
	ExitHarness = 2 // firedrill could not run the drills
	ExitNotRun  = 3 // no drill failed, but at least one was not run
)

// ExitCode is the code `firedrill run` ends with for a run that ran, and,
// for anything but a pass, the message that says why, naming the
// scenarios. It reads the scenarios' statuses, not only godog's: a
// scenario not run fails its godog scenario too (so that `go test` does
// not pass on a drill that never ran), yet it is no failed recovery, and
// a person reading the exit code must be able to tell the two apart. A
// godog failure no scenario explains (a hook, a step outside any drill)
// is a failure.
func ExitCode(out *Outcome) (int, string) {
	if out == nil {
		return ExitHarness, "no outcome: the drills did not run"
	}
	run, c := out.Run, out.Run.Count()
	where := ""
	if out.ReportDir != "" {
		where = " (report: " + out.ReportDir + ")"
	}
	switch {
	case out.Status == 2:
		return ExitHarness, fmt.Sprintf("run %s: godog rejected the features or options: see its output above%s", run.RunID, where)
	case c.Total == 0:
		return ExitHarness, fmt.Sprintf("run %s ran no scenario: check --tags and --features%s", run.RunID, where)
	case c.Failed+c.Other > 0:
		head := fmt.Sprintf("run %s: %d of %d scenarios failed", run.RunID, c.Failed+c.Other, c.Total)
		if c.NotRun > 0 {
			head += fmt.Sprintf(", %d not run", c.NotRun)
		}
		return ExitFailed, head + where + scenarioLines(run)
	case c.NotRun > 0:
		return ExitNotRun, fmt.Sprintf("run %s: no scenario failed, but %d of %d were not run, so their drills proved nothing: bring about what each needs and run it again%s%s",
			run.RunID, c.NotRun, c.Total, where, scenarioLines(run))
	case out.Status != 0:
		return ExitFailed, fmt.Sprintf("run %s: godog reported a failure although every scenario passed: see its output above (or godog.txt in the report folder)%s", run.RunID, where)
	}
	return ExitPassed, ""
}

// scenarioLines names each scenario that did not pass on a line of its
// own: "  failed: Q3 \"Live trading failure\"", "  not run: Q3 \"…\": why".
func scenarioLines(run result.Run) string {
	var b strings.Builder
	for _, s := range run.Scenarios {
		name := fmt.Sprintf("%q", s.Name)
		if s.Drill != "" {
			name = s.Drill + " " + name
		}
		switch s.Status {
		case result.Passed:
		case result.NotRun:
			reason := strings.Join(strings.Fields(s.NotRunReason), " ")
			if reason == "" {
				reason = "no reason was recorded"
			}
			fmt.Fprintf(&b, "\n  not run: %s: %s", name, reason)
		case result.Failed:
			fmt.Fprintf(&b, "\n  failed: %s", name)
		default:
			fmt.Fprintf(&b, "\n  failed: %s (status %q, which this firedrill does not know)", name, s.Status)
		}
	}
	return b.String()
}
