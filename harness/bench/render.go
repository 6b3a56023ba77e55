package bench

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/jedib0t/go-pretty/v6/table"

	"firedrill/harness/images"
	"firedrill/harness/result"
)

// Goals the issue sets (ratios and medians, never one absolute run).
const (
	GoalSuite = 30 * time.Second
	// GoalSuiteConcurrency is the concurrency the suite goal is judged at.
	GoalSuiteConcurrency = 2
	GoalImagesCold       = 4 * time.Minute
	GoalImagesWarm       = 2 * time.Second
	GoalSpinupRatio      = 1.0
	GoalRTORatio         = 1.05
	GoalPeakRSSBytes     = 200e6
)

// Render writes the report as markdown, go-pretty tables with no colour.
func Render(w io.Writer, r *Report) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# firedrill bench, %s\n\n", r.Started.UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(&b, "Run `%s`: %d run(s) of each measurement, profile `%s`, %s in all. "+
		"Machine: %d cores, Docker %s, docker-compose %s, %s; load average %s before, %s after.\n\n",
		r.RunID, r.Runs, r.Profile, r.Ended.Sub(r.Started).Round(time.Second), r.Machine.Cores,
		orNA(r.Machine.Docker), orNA(r.Machine.Compose), r.Machine.Go, r.Machine.LoadAvgBefore, r.Machine.LoadAvgAfter)
	if len(r.Errors) > 0 {
		b.WriteString("**Sections that did not finish:**\n\n")
		for _, e := range r.Errors {
			fmt.Fprintf(&b, "- %s\n", e)
		}
		b.WriteString("\n")
	}
	renderGoals(&b, r)
	renderImages(&b, r.Images)
	renderSpinup(&b, r.Spinup)
	renderSuite(&b, r.Suite)
	renderRTO(&b, r.RTO)
	renderMemory(&b, r.Suite)
	renderAnalysis(&b, r)
	renderMethod(&b, r)
	_, err := io.WriteString(w, b.String())
	return err
}

// orText is s where ok, else the text saying why there is none.
func orText(s string, ok bool, text string) string {
	if ok {
		return s
	}
	return text
}

func orNA(s string) string {
	if s == "" {
		return "n/a"
	}
	return s
}

func newTable(header ...any) table.Writer {
	t := table.NewWriter()
	t.AppendHeader(table.Row(header))
	return t
}

func met(ok, measured bool) string {
	switch {
	case !measured:
		return "not measured"
	case ok:
		return "met"
	}
	return "**missed**"
}

func renderGoals(b *strings.Builder, r *Report) {
	b.WriteString("## Goals\n\n")
	t := newTable("goal", "target", "measured (median, min–max)", "")
	if im := r.Images; im != nil {
		cold := statOf(secondsOf(im.ColdTotal))
		t.AppendRow(table.Row{"images, cold (empty engine, no staged binaries, empty Go build cache)", fmt.Sprintf("≤ %.0f min", GoalImagesCold.Minutes()),
			orText(cold.Seconds(), cold.N > 0, "not asked (COLD=1)"), met(cold.Median <= GoalImagesCold.Seconds(), cold.N > 0)})
		warm := statOf(secondsOf(im.Warm))
		t.AppendRow(table.Row{"`make images`, nothing to build", fmt.Sprintf("≤ %.0f s", GoalImagesWarm.Seconds()), warm.Seconds(), met(warm.Median <= GoalImagesWarm.Seconds(), warm.N > 0)})
	}
	if s := r.Suite; s != nil {
		w := s.Wall(GoalSuiteConcurrency)
		t.AppendRow(table.Row{fmt.Sprintf("suite wall time, every feature, concurrency %d", GoalSuiteConcurrency), fmt.Sprintf("≤ %.0f s", GoalSuite.Seconds()), w.Seconds(), met(w.Median <= GoalSuite.Seconds(), w.N > 0)})
	} else {
		t.AppendRow(table.Row{"suite wall time", fmt.Sprintf("≤ %.0f s", GoalSuite.Seconds()), "n/a", met(false, false)})
	}
	if s := r.Spinup; s != nil && len(s.Pairs) > 0 {
		st := s.stat(SpinupPair.Ratio)
		t.AppendRow(table.Row{"spin-up vs `docker-compose up --wait` (emulated)", "≤ 1.00×", st.Ratio(), met(st.Median <= GoalSpinupRatio, st.N > 0)})
		se := s.stat(SpinupPair.RatioEngine)
		t.AppendRow(table.Row{"spin-up vs the engine's healthy moment (any --wait's floor)", "≤ 1.00×", se.Ratio(), met(se.Median <= GoalSpinupRatio, se.N > 0)})
	} else {
		t.AppendRow(table.Row{"spin-up vs `docker-compose up --wait`", "≤ 1.00×", "n/a", met(false, false)})
	}
	if rt := r.RTO; rt != nil {
		for _, d := range rt.Drills {
			st := d.Ratios()
			t.AppendRow(table.Row{"RTO overhead " + d.Drill.ID + " vs plain script", fmt.Sprintf("≤ %.2f×", GoalRTORatio), st.Ratio(), met(st.Median <= GoalRTORatio, st.N > 0)})
		}
	} else {
		t.AppendRow(table.Row{"RTO overhead vs plain script", fmt.Sprintf("≤ %.2f×", GoalRTORatio), "n/a", met(false, false)})
	}
	if s := r.Suite; s != nil {
		var all []float64
		for _, run := range s.Runs {
			all = append(all, float64(run.Memory.Peak()))
		}
		st := statOf(all)
		t.AppendRow(table.Row{"harness peak RSS during the suite (every run)", "≤ 200 MB", st.MB(), met(st.Max <= GoalPeakRSSBytes, st.N > 0)})
	} else {
		t.AppendRow(table.Row{"harness peak RSS", "≤ 200 MB", "n/a", met(false, false)})
	}
	b.WriteString(t.RenderMarkdown())
	b.WriteString("\n\n")
}

func renderImages(b *strings.Builder, r *ImagesResult) {
	if r == nil {
		return
	}
	b.WriteString("## Images\n\n")
	t := newTable("what", "runs", "median, min–max")
	t.AppendRow(table.Row{"`make images`, nothing changed", len(r.Warm), statOf(secondsOf(r.Warm)).Seconds()})
	if len(r.Cold) > 0 {
		for _, img := range images.All {
			var ds []time.Duration
			for _, run := range r.Cold {
				ds = append(ds, run[img])
			}
			t.AppendRow(table.Row{"cold build of " + img, len(ds), statOf(secondsOf(ds)).Seconds()})
		}
		t.AppendRow(table.Row{"cold build, every image (side by side)", len(r.ColdTotal), statOf(secondsOf(r.ColdTotal)).Seconds()})
	} else {
		t.AppendRow(table.Row{"cold builds", 0, "not asked (COLD=1)"})
	}
	b.WriteString(t.RenderMarkdown())
	b.WriteString("\n\n")
}

func renderSpinup(b *strings.Builder, r *SpinupResult) {
	if r == nil || len(r.Pairs) == 0 {
		return
	}
	b.WriteString("## Stack spin-up to steady state\n\n")
	b.WriteString("firedrill: `stack.Start` (network; MinIO, broker, git remote and traderunner containers, each ready; buckets made), " +
		"then the system's start command by exec and the health check polled until it answers ok in paper mode. " +
		"docker-compose: `up -d` of the same stack rendered by `stack.Compose` from the same definition, the traderunner starting its daemon " +
		"in its own entrypoint with the health check as its healthcheck; docker-compose 1.29 has no `--wait`, so it is emulated by polling " +
		"`docker-compose ps` until every service is up and healthy (the engine's own `health_status` event gives the floor any `--wait` could reach).\n\n")
	t := newTable("pair", "order", "firedrill s", "of which stack.Start s", "compose `up -d` s", "compose healthy (engine) s", "compose `--wait` (emulated) s", "`ps` calls", "ratio", "ratio vs engine")
	for i, p := range r.Pairs {
		order := "firedrill first"
		if p.ComposeFirst {
			order = "compose first"
		}
		t.AppendRow(table.Row{i + 1, order, sec(p.Firedrill), sec(p.FiredrillStack), sec(p.ComposeUp), sec(p.ComposeHealthy), sec(p.ComposeWait), p.Polls,
			fmt.Sprintf("%.2f×", p.Ratio()), fmt.Sprintf("%.2f×", p.RatioEngine())})
	}
	t.AppendRow(table.Row{"median", "", med(r.Pairs, func(p SpinupPair) time.Duration { return p.Firedrill }),
		med(r.Pairs, func(p SpinupPair) time.Duration { return p.FiredrillStack }),
		med(r.Pairs, func(p SpinupPair) time.Duration { return p.ComposeUp }),
		med(r.Pairs, func(p SpinupPair) time.Duration { return p.ComposeHealthy }),
		med(r.Pairs, func(p SpinupPair) time.Duration { return p.ComposeWait }), "",
		fmt.Sprintf("%.2f×", r.stat(SpinupPair.Ratio).Median), fmt.Sprintf("%.2f×", r.stat(SpinupPair.RatioEngine).Median)})
	b.WriteString(t.RenderMarkdown())
	fmt.Fprintf(b, "\n\nOne `docker-compose ps` took %s: the emulated wait cannot see readiness more finely than that.\n\n", statOf(secondsOf(r.PsCalls)).Seconds())
}

func mean[T any](xs []T, f func(T) time.Duration) float64 {
	if len(xs) == 0 {
		return 0
	}
	var sum time.Duration
	for _, x := range xs {
		sum += f(x)
	}
	return sum.Seconds() / float64(len(xs))
}

func sec(d time.Duration) string { return fmt.Sprintf("%.2f", d.Seconds()) }

func med[T any](xs []T, f func(T) time.Duration) string {
	var ds []time.Duration
	for _, x := range xs {
		ds = append(ds, f(x))
	}
	return fmt.Sprintf("%.2f", statOf(secondsOf(ds)).Median)
}

func renderSuite(b *strings.Builder, r *SuiteResult) {
	if r == nil {
		return
	}
	b.WriteString("## Suite wall time\n\n")
	what := "every feature"
	if r.Tags != "" {
		what = "features " + r.Tags
	}
	fmt.Fprintf(b, "%s, profile ci, warm images, the compiled test binary from start to exit (compilation not counted).\n\n", strings.ToUpper(what[:1])+what[1:])
	t := newTable("concurrency", "runs", "wall (median, min–max)", "scenarios passed", "exit codes", "run ids")
	for _, c := range r.Concurrencies {
		runs := r.At(c)
		var passed []string
		var codes []string
		var ids []string
		for _, run := range runs {
			p, all := run.Passed()
			passed = append(passed, fmt.Sprintf("%d/%d", p, all))
			codes = append(codes, fmt.Sprint(run.ExitCode))
			ids = append(ids, "`"+run.RunID+"`")
		}
		t.AppendRow(table.Row{c, len(runs), r.Wall(c).Seconds(), strings.Join(passed, ", "), strings.Join(codes, ", "), strings.Join(ids, ", ")})
	}
	b.WriteString(t.RenderMarkdown())
	b.WriteString("\n\n")
	renderScenarioTimes(b, r)
}

// scenarioSplit is where one scenario's time went, by its timeline.
type scenarioSplit struct {
	Setup, PreFault, Recovery, After, Total time.Duration
}

func splitScenario(s result.Scenario) scenarioSplit {
	first := func(kind string) (time.Time, bool) {
		for _, e := range s.Events {
			if e.Kind == kind {
				return e.At, true
			}
		}
		return time.Time{}, false
	}
	sp := scenarioSplit{Total: s.EndedAt.Sub(s.StartedAt)}
	steady, hasSteady := first("steady")
	fault, hasFault := first("fault_injected")
	verified, hasVerified := first("verified")
	mark := s.EndedAt
	switch {
	case hasSteady:
		mark = steady
	case hasFault:
		mark = fault
	}
	sp.Setup = mark.Sub(s.StartedAt)
	if hasFault {
		sp.PreFault = fault.Sub(mark)
		end := s.EndedAt
		if hasVerified {
			end = verified
		}
		sp.Recovery = end.Sub(fault)
		sp.After = s.EndedAt.Sub(end)
	} else {
		sp.After = s.EndedAt.Sub(mark)
	}
	return sp
}

func renderScenarioTimes(b *strings.Builder, r *SuiteResult) {
	for _, c := range r.Concurrencies {
		by := map[string][]scenarioSplit{}
		var order []string
		for _, run := range r.At(c) {
			if run.Run == nil {
				continue
			}
			for _, s := range run.Run.Scenarios {
				if _, ok := by[s.Name]; !ok {
					order = append(order, s.Name)
				}
				by[s.Name] = append(by[s.Name], splitScenario(s))
			}
		}
		if len(order) == 0 {
			continue
		}
		fmt.Fprintf(b, "Where each scenario's time went at concurrency %d (medians over the runs, seconds; by the scenario's own timeline: "+
			"to steady state = stack, traderunner start and first backups; before fault = e.g. waiting for an order in flight; "+
			"recovery = fault to verified; after = RPO checks, undo, logs, stack removal):\n\n", c)
		t := newTable("scenario", "to steady state", "before fault", "recovery", "after", "total", "slowest run")
		var sum [5]float64
		sort.SliceStable(order, func(i, j int) bool {
			return medianOf(by[order[i]], func(s scenarioSplit) time.Duration { return s.Total }) >
				medianOf(by[order[j]], func(s scenarioSplit) time.Duration { return s.Total })
		})
		for _, name := range order {
			sp := by[name]
			vals := []float64{
				medianOf(sp, func(s scenarioSplit) time.Duration { return s.Setup }),
				medianOf(sp, func(s scenarioSplit) time.Duration { return s.PreFault }),
				medianOf(sp, func(s scenarioSplit) time.Duration { return s.Recovery }),
				medianOf(sp, func(s scenarioSplit) time.Duration { return s.After }),
				medianOf(sp, func(s scenarioSplit) time.Duration { return s.Total }),
			}
			row := table.Row{truncate(name, 60)}
			for i, v := range vals {
				sum[i] += v
				row = append(row, fmt.Sprintf("%.1f", v))
			}
			var slowest time.Duration
			for _, x := range sp {
				slowest = max(slowest, x.Total)
			}
			t.AppendRow(append(row, fmt.Sprintf("%.1f", slowest.Seconds())))
		}
		t.AppendRow(table.Row{"sum", fmt.Sprintf("%.1f", sum[0]), fmt.Sprintf("%.1f", sum[1]), fmt.Sprintf("%.1f", sum[2]), fmt.Sprintf("%.1f", sum[3]), fmt.Sprintf("%.1f", sum[4]), ""})
		b.WriteString(t.RenderMarkdown())
		fmt.Fprintf(b, "\n\nWall %s against %.1f s of scenario time: the rest is the test binary's own start, checks, sweeps and reports.\n\n",
			r.Wall(c).Seconds(), sum[4])
	}
}

func medianOf(xs []scenarioSplit, f func(scenarioSplit) time.Duration) float64 {
	var ds []time.Duration
	for _, x := range xs {
		ds = append(ds, f(x))
	}
	return statOf(secondsOf(ds)).Median
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}

func renderRTO(b *strings.Builder, r *RTOResult) {
	if r == nil {
		return
	}
	b.WriteString("## RTO overhead\n\n")
	fmt.Fprintf(b, "firedrill's RTO (fault injected → the final check passed) as it measured it, %s, against `bench/plain_recovery.sh` "+
		"running the same fault, the same recovery commands and the same final check with `docker exec` on an identical stack "+
		"(docker-compose, same definition, no healthchecks), measured the same way at the same probe interval. Ratio per pair of runs (run i with run i).\n\n", r.Source)
	t := newTable("drill", "scenario", "firedrill RTO", "plain script RTO", "ratio", "runs failed (firedrill / script)")
	var scriptFailures []string
	for _, d := range r.Drills {
		var fd, sc []time.Duration
		for _, x := range d.Firedrill {
			fd = append(fd, x.RTO)
		}
		var failed []string
		for _, x := range d.Scripted() {
			sc = append(sc, x.RTO)
		}
		for _, x := range d.Script {
			if x.Err != "" {
				failed = append(failed, x.Err)
			}
		}
		t.AppendRow(table.Row{d.Drill.ID, truncate(d.Drill.Scenario, 50), statOf(secondsOf(fd)).Seconds(), statOf(secondsOf(sc)).Seconds(), d.Ratios().Ratio(),
			fmt.Sprintf("%d / %d", len(d.FiredrillFailed), len(failed))})
		for _, f := range d.FiredrillFailed {
			scriptFailures = append(scriptFailures, d.Drill.ID+", firedrill: "+f)
		}
		for _, f := range failed {
			scriptFailures = append(scriptFailures, d.Drill.ID+", plain script: "+f)
		}
	}
	b.WriteString(t.RenderMarkdown())
	b.WriteString("\n\n")
	if len(scriptFailures) > 0 {
		b.WriteString("Runs that failed (left out of the figures; the log says why):\n\n")
		for _, f := range scriptFailures {
			fmt.Fprintf(b, "- %s\n", f)
		}
		b.WriteString("\n")
	}
	b.WriteString("Where the RTO went (means over the runs, seconds, so that the parts add up): fault to failure seen (injection and detection), the runbook's steps, " +
		"the final check's polling, and the rest (the gaps between the steps; firedrill's own reads for the RPO and its comparisons are timed and already left out of its RTO):\n\n")
	t = newTable("drill", "side", "RTO", "fault → failure seen", "runbook steps", "final check", "rest")
	for _, d := range r.Drills {
		sc := d.Scripted()
		for _, side := range []struct {
			name string
			bds  []Breakdown
		}{{"firedrill", d.Firedrill}, {"plain script", sc}} {
			if len(side.bds) == 0 {
				continue
			}
			row := table.Row{d.Drill.ID, side.name}
			for _, f := range []func(Breakdown) time.Duration{
				func(x Breakdown) time.Duration { return x.RTO },
				func(x Breakdown) time.Duration { return x.Detect },
				func(x Breakdown) time.Duration { return x.Steps },
				func(x Breakdown) time.Duration { return x.Verify },
				func(x Breakdown) time.Duration { return x.Other },
			} {
				row = append(row, fmt.Sprintf("%.2f", mean(side.bds, f)))
			}
			t.AppendRow(row)
		}
	}
	b.WriteString(t.RenderMarkdown())
	b.WriteString("\n\n")
}

func renderMemory(b *strings.Builder, r *SuiteResult) {
	if r == nil || len(r.Runs) == 0 {
		return
	}
	b.WriteString("## Memory\n\n")
	b.WriteString("Peak resident set of the harness (the drills test binary) during each suite run: the larger of its VmHWM, read from /proc every 100 ms, " +
		"and getrusage's ru_maxrss at its exit (which also covers the `docker` commands it waited for).\n\n")
	t := newTable("concurrency", "runs", "peak RSS (median, min–max)", "VmHWM per run (MB)")
	for _, c := range r.Concurrencies {
		var hwm []string
		for _, run := range r.At(c) {
			hwm = append(hwm, fmt.Sprintf("%.0f", float64(run.Memory.HWM)/1e6))
		}
		t.AppendRow(table.Row{c, len(r.At(c)), r.PeakRSS(c).MB(), strings.Join(hwm, ", ")})
	}
	b.WriteString(t.RenderMarkdown())
	b.WriteString("\n\n")
}

func renderMethod(b *strings.Builder, r *Report) {
	b.WriteString("## How it was measured\n\n")
	notes := []string{
		"Every figure is the difference of two timestamps taken when the things happened (Go's monotonic clock in the benchmark, the engine's event times, `$EPOCHREALTIME` in the script); no figure comes from a constant or a sleep.",
		"Probes poll at a fixed interval (the profile's, 250 ms for ci) on both sides, so both RTOs carry the same ±1 interval of precision.",
		"The machine is shared and noisy: read medians and ratios, not single runs. Pairs alternate their order to spread drift over both sides.",
		"Every container and network the benchmark made carries `firedrill.run=" + r.RunID + "` and was removed at its end; each suite run carries its own run id, swept after it: " + strings.Join(uniq(r.Swept), ", ") + ".",
	}
	for _, n := range notes {
		fmt.Fprintf(b, "- %s\n", n)
	}
	b.WriteString("\n")
}

func uniq(xs []string) []string {
	var seen, out []string
	for _, x := range xs {
		if !slices.Contains(seen, x) {
			seen = append(seen, x)
			out = append(out, "`"+x+"`")
		}
	}
	return out
}
