package bench

import (
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"firedrill/harness/result"
)

// scenarioTimes are one scenario's splits over the runs at a concurrency.
type scenarioTimes struct {
	name   string
	splits []scenarioSplit
	runs   []string // run id of each split
	scens  []result.Scenario
}

func (s scenarioTimes) median(f func(scenarioSplit) time.Duration) float64 {
	return medianOf(s.splits, f)
}

func collectScenarios(runs []SuiteRun) []scenarioTimes {
	idx := map[string]int{}
	var out []scenarioTimes
	for _, run := range runs {
		if run.Run == nil {
			continue
		}
		for _, s := range run.Run.Scenarios {
			i, ok := idx[s.Name]
			if !ok {
				i = len(out)
				idx[s.Name] = i
				out = append(out, scenarioTimes{name: s.Name})
			}
			out[i].splits = append(out[i].splits, splitScenario(s))
			out[i].runs = append(out[i].runs, run.RunID)
			out[i].scens = append(out[i].scens, s)
		}
	}
	return out
}

// renderAnalysis says what the time went to, measured, and for each goal
// missed what would close it.
func renderAnalysis(b *strings.Builder, r *Report) {
	var notes []string
	notes = append(notes, loadNote(r)...)
	notes = append(notes, suiteNotes(r)...)
	notes = append(notes, spinupNotes(r)...)
	notes = append(notes, rtoNotes(r)...)
	if len(notes) == 0 {
		return
	}
	b.WriteString("## Where the time goes, and what would close a missed goal\n\n")
	for _, n := range notes {
		fmt.Fprintf(b, "- %s\n", n)
	}
	b.WriteString("\n")
}

func loadNote(r *Report) []string {
	f := strings.Fields(r.Machine.LoadAvgBefore)
	if len(f) == 0 {
		return nil
	}
	load, err := strconv.ParseFloat(f[0], 64)
	if err != nil || r.Machine.Cores == 0 || load <= float64(r.Machine.Cores) {
		return nil
	}
	return []string{fmt.Sprintf("**The machine was busy.** Load average %s before the benchmark and %s after, on %d cores: other work shared the CPU and the Docker engine with every figure here.",
		r.Machine.LoadAvgBefore, r.Machine.LoadAvgAfter, r.Machine.Cores)}
}

func suiteNotes(r *Report) []string {
	s := r.Suite
	if s == nil {
		return nil
	}
	c := GoalSuiteConcurrency
	if s.Wall(c).N == 0 {
		c = s.Best()
	}
	if c == 0 {
		return []string{"**Suite:** no run exited 0, so there is no wall time to judge; see the suite logs."}
	}
	w := s.Wall(c)
	sc := collectScenarios(s.At(c))
	var sum, setup, pre, rec, after, longest float64
	var longestName string
	for _, x := range sc {
		t := x.median(func(s scenarioSplit) time.Duration { return s.Total })
		sum += t
		setup += x.median(func(s scenarioSplit) time.Duration { return s.Setup })
		pre += x.median(func(s scenarioSplit) time.Duration { return s.PreFault })
		rec += x.median(func(s scenarioSplit) time.Duration { return s.Recovery })
		after += x.median(func(s scenarioSplit) time.Duration { return s.After })
		if t > longest {
			longest, longestName = t, x.name
		}
	}
	floor := max(sum/float64(c), longest)
	var notes []string
	notes = append(notes, fmt.Sprintf("**Suite, concurrency %d: %.1f s median.** The scenarios' own time adds up to %.1f s (medians): "+
		"%.1f s to steady state (stack, traderunner start, first backups), %.1f s before the faults, %.1f s of recovery, %.1f s after "+
		"(RPO checks, undo, logs, stack removal). %d side by side cannot beat %.1f s (the sum over %d, or the longest scenario, %q at %.1f s); "+
		"the remaining %.1f s are the test binary's start, sweeps, reports and the uneven finish of the last scenarios.",
		c, w.Median, sum, setup, pre, rec, after, c, floor, c, truncate(longestName, 50), longest, w.Median-floor))
	stalls := outliers(sc)
	notes = append(notes, stalls...)
	notes = append(notes, failedRuns(s)...)
	if w.Median > GoalSuite.Seconds() {
		share := setup / sum * 100
		text := fmt.Sprintf("**What would close the suite goal.** %.0f s at concurrency %d leaves %.0f s of scenario time once the %.0f s around the scenarios are paid (now %.0f s). "+
			"The biggest share (%.0f%%) is each scenario building its own steady state: a stack, and the deployment's first restic backups to two repositories. "+
			"The suite is CPU-bound on few cores, and restic takes most of that CPU: every restic call derives its key "+
			"(scrypt, calibrated by `restic init`), and at the ci cadences each running deployment starts about one restic a second. "+
			"Starting scenarios from a frozen steady state, initialising the repositories once per run and slower ci backups were tried "+
			"(README, Speed): none is a lever that changes the picture; one warm stack started while the "+
			"previous scenario recovers (~%s each alone) does not either while the CPU is full",
			GoalSuite.Seconds(), c, max(0, (GoalSuite.Seconds()-(w.Median-floor))*float64(c)), w.Median-floor, sum, share, spinupMedian(r))
		if len(stalls) > 0 {
			text += "; a quieter machine, or a ci feed slower than one bar a second, for the stalls above (the stand-in's ingest falls behind the feed when starved of CPU, " +
				"its data then fail validation as LATE and data backups wait until it catches up)"
		}
		notes = append(notes, text+".")
	}
	return notes
}

// failedRuns says which suite runs did not pass, and why, by their results.
func failedRuns(s *SuiteResult) []string {
	var out []string
	for _, run := range s.Runs {
		if run.ExitCode == 0 {
			continue
		}
		var why []string
		if run.Run != nil {
			for _, sc := range run.Run.Scenarios {
				if sc.Status != result.Passed && len(sc.Failures) > 0 {
					why = append(why, fmt.Sprintf("%q: %s", truncate(sc.Name, 60), truncate(firstLine(sc.Failures[0]), 300)))
				}
			}
		}
		if len(why) == 0 {
			why = append(why, "no scenario result; see "+filepath.Base(run.Log)+" in the benchmark's work folder")
		}
		out = append(out, fmt.Sprintf("**Failed suite run** `%s` (concurrency %d, exit %d, %.0f s, left out of the wall times): %s.",
			run.RunID, run.Concurrency, run.ExitCode, run.Wall.Seconds(), strings.Join(why, "; ")))
	}
	return out
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func spinupMedian(r *Report) string {
	if r.Spinup == nil || len(r.Spinup.Pairs) == 0 {
		return "2 s"
	}
	return fmt.Sprintf("%s s", med(r.Spinup.Pairs, func(p SpinupPair) time.Duration { return p.Firedrill }))
}

// outliers names the scenario runs that took far longer than their median,
// and where their time went.
func outliers(sc []scenarioTimes) []string {
	var out []string
	for _, x := range sc {
		m := x.median(func(s scenarioSplit) time.Duration { return s.Total })
		for i, sp := range x.splits {
			t := sp.Total.Seconds()
			if t < 2*m || t-m < 15 {
				continue
			}
			parts := map[string]time.Duration{"to steady state": sp.Setup, "before the fault": sp.PreFault, "recovery": sp.Recovery, "after": sp.After}
			names := []string{"to steady state", "before the fault", "recovery", "after"}
			sort.SliceStable(names, func(a, b int) bool { return parts[names[a]] > parts[names[b]] })
			where := fmt.Sprintf("%.1f s %s", parts[names[0]].Seconds(), names[0])
			if p, ok := longestPhase(x.scens[i]); ok && names[0] == "recovery" {
				where += fmt.Sprintf(" (the step %q took %.1f s)", p.Name, p.Duration().Seconds())
			}
			if names[0] == "to steady state" {
				if d := steadyDetail(x.scens[i]); d != "" {
					where += " (steady state: " + d + ")"
				}
			}
			out = append(out, fmt.Sprintf("**Stall:** %q took %.1f s in run `%s` against a median of %.1f s: %s.", truncate(x.name, 60), t, x.runs[i], m, where))
		}
	}
	return out
}

func longestPhase(s result.Scenario) (result.Phase, bool) {
	var best result.Phase
	for _, p := range s.Phases {
		if p.Duration() > best.Duration() {
			best = p
		}
	}
	return best, best.Name != ""
}

func steadyDetail(s result.Scenario) string {
	for _, e := range s.Events {
		if e.Kind == "steady" {
			return e.Detail
		}
	}
	return ""
}

func spinupNotes(r *Report) []string {
	s := r.Spinup
	if s == nil || len(s.Pairs) == 0 {
		return nil
	}
	st := s.stat(SpinupPair.Ratio)
	se := s.stat(SpinupPair.RatioEngine)
	fdStack := med(s.Pairs, func(p SpinupPair) time.Duration { return p.FiredrillStack })
	fd := med(s.Pairs, func(p SpinupPair) time.Duration { return p.Firedrill })
	note := fmt.Sprintf("**Spin-up:** firedrill %s s median, of which `stack.Start` %s s and the traderunner's start and first healthy answer the rest; "+
		"compose's `up -d` alone took %s s (Python start-up and sequential container creation by dependency level).",
		fd, fdStack, med(s.Pairs, func(p SpinupPair) time.Duration { return p.ComposeUp }))
	if st.Median > GoalSpinupRatio || se.Median > GoalSpinupRatio {
		note += " What would close it: start the traderunner's daemon as soon as the broker answers instead of after every service is ready and the buckets are made " +
			"(compose starts it in parallel), and create the buckets while the traderunner starts."
	}
	return []string{note}
}

// measuringWork is what firedrill does inside each drill's RTO window
// besides the runbook, by drill.
// stillInside says, per drill, what firedrill still does inside the window
// that it does not time and leave out of its RTO (its reads for the RPO and
// its comparisons are: harness_excluded in results.json).
var stillInside = map[string]string{
	"Q1": "the undo copy of the directory, taken in the fault's own exec before the damage",
	"Q2": "the undo copy of the file, taken in the fault's own exec before the damage",
	"Q3": "nothing known",
	"Q4": "nothing known beyond what the script does too (wiping the local backups through MinIO's API is part of the fault on both sides)",
}

// kdfNote explains a difference in the runbook's steps where they run restic.
const kdfNote = "Both sides run the same commands; where they run restic, the two stacks of a pair may differ by how costly each repository's key derivation is: " +
	"a deployment initialises its repositories itself, and `restic init` calibrates scrypt to the load of that moment, which every later restic call pays once. " +
	"Medians over more pairs (RUNS=5) narrow it"

func rtoNotes(r *Report) []string {
	if r.RTO == nil {
		return nil
	}
	var notes []string
	for _, d := range r.RTO.Drills {
		st := d.Ratios()
		if st.N == 0 || st.Median <= GoalRTORatio {
			continue
		}
		sc := d.Scripted()
		parts := []struct {
			name, says string
			f          func(Breakdown) time.Duration
		}{
			{"fault → failure seen", "injecting the fault (firedrill first saves an undo copy in the same exec) and seeing it bite", func(x Breakdown) time.Duration { return x.Detect }},
			{"runbook steps", "the runbook's own commands, one exec each on both sides: mostly the system's own time and the machine's noise", func(x Breakdown) time.Duration { return x.Steps }},
			{"final check", "polling the final check until the system passes it (both sides poll at the same interval; the system catching up, e.g. ingest after a restore, decides it)", func(x Breakdown) time.Duration { return x.Verify }},
			{"the rest", "work between the steps that neither side times as a step", func(x Breakdown) time.Duration { return x.Other }},
		}
		var deltas []string
		var big string
		var bigDelta float64
		for _, p := range parts {
			delta := mean(d.Firedrill, p.f) - mean(sc, p.f)
			deltas = append(deltas, fmt.Sprintf("%s %+.2f s", p.name, delta))
			if delta > bigDelta {
				big, bigDelta = p.name+": "+p.says, delta
			}
		}
		rto := func(x Breakdown) time.Duration { return x.RTO }
		text := fmt.Sprintf("**RTO overhead %s: %.2f× (median of pairs).** firedrill %.2f s against the script's %.2f s on average; by part (firedrill minus script, means): %s.",
			d.Drill.ID, st.Median, mean(d.Firedrill, rto), mean(sc, rto), strings.Join(deltas, ", "))
		if big != "" {
			text += fmt.Sprintf(" The largest difference is %s.", big)
		}
		if strings.HasPrefix(big, "runbook steps") {
			text += " " + kdfNote + "."
		}
		text += fmt.Sprintf(" firedrill's own reads inside the window (for the RPO, the comparisons with git) are timed and left out of its RTO; what it still does there untimed: %s.",
			stillInside[d.Drill.ID])
		notes = append(notes, text)
	}
	return notes
}
