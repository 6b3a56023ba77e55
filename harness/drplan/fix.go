package drplan

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"firedrill/harness/result"
)

// Fix is a correction of one plan step that a drill proved: the step
// failed as written, the corrected commands passed.
type Fix struct {
	Procedure, Step int
	Title           string
	// Fingerprint is of the commands the correction was written for; a
	// plan whose step reads otherwise now is not patched.
	Fingerprint string
	// Commands are the corrected commands in the plan's own words.
	Commands string
	// Note names the drill and the run, for the comment above the new
	// commands.
	Note string
}

// FixesFromRun collects the corrections a run proved: each plan step that
// failed as written and whose corrected step passed, once per step (the
// first scenario's correction), in plan order.
func FixesFromRun(run result.Run) []Fix {
	var out []Fix
	seen := map[[2]int]bool{}
	for _, sc := range run.Scenarios {
		for _, f := range sc.Findings {
			if f.PlanStep == nil || f.Corrected == "" {
				continue
			}
			key := [2]int{f.PlanStep.Procedure, f.PlanStep.Step}
			if seen[key] {
				continue
			}
			seen[key] = true
			drill := sc.Drill
			if drill == "" {
				drill = "drill"
			}
			out = append(out, Fix{
				Procedure: f.PlanStep.Procedure, Step: f.PlanStep.Step, Title: f.PlanStep.Title,
				Fingerprint: f.PlanStep.Fingerprint, Commands: f.Corrected,
				Note: fmt.Sprintf("Corrected by firedrill run %s (drill %s): this step failed as written; %q passed.", run.RunID, drill, f.CorrectedName),
			})
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Procedure != out[j].Procedure {
			return out[i].Procedure < out[j].Procedure
		}
		return out[i].Step < out[j].Step
	})
	return out
}

// ProposeFix rewrites the runbook steps of a plan that fixes correct: the
// step's command lines (from its first to its last command) are replaced
// by a comment naming the drill and the run, and the corrected commands;
// its numbered title, its other comments and every other line of the plan
// stay as they are. It returns the new plan and a unified diff; a fix whose
// step is gone or changed is an error, and nothing is rewritten.
func ProposeFix(name string, src []byte, fixes []Fix) ([]byte, string, error) {
	p, err := ParseBytes(name, src)
	if err != nil {
		return nil, "", err
	}
	rb := p.Runbook()
	type edit struct {
		from, to int // 0-based, inclusive: the lines replaced
		with     []line
	}
	var edits []edit
	done := map[[2]int]bool{}
	eol := "\n"
	if len(p.lines) > 0 && p.lines[0].eol != "" {
		eol = p.lines[0].eol
	}
	for _, f := range fixes {
		key := [2]int{f.Procedure, f.Step}
		if done[key] {
			continue
		}
		s, err := rb.Resolve(StepRef{f.Procedure, f.Step, f.Title})
		if err != nil {
			return nil, "", fmt.Errorf("propose a fix of %s: %w", name, err)
		}
		if now := s.Fingerprint(); now != f.Fingerprint {
			if s.Corrects(f.Commands) {
				continue // the plan already says it
			}
			return nil, "", fmt.Errorf("propose a fix of %s: %s (%s:%d) changed since the run (commands %s, the run's %s): run the drills on the plan as it is now", name, StepRef{f.Procedure, f.Step, f.Title}, name, s.Line, now, f.Fingerprint)
		}
		done[key] = true
		first, last := 0, 0
		for _, l := range s.Lines {
			// The step's commands go; its comments, bullets and hops stay.
			if l.Kind != Command && len(l.Placeholders) == 0 {
				continue
			}
			if first == 0 {
				first = l.Line
			}
			last = l.End
		}
		if first == 0 { // a step of comments only: insert after its title
			first, last = s.Line+1, s.Line
		}
		with := []line{{text: "# " + f.Note, eol: eol}}
		for _, c := range strings.Split(strings.TrimRight(f.Commands, "\n"), "\n") {
			with = append(with, line{text: c, eol: eol})
		}
		edits = append(edits, edit{from: first - 1, to: last - 1, with: with})
	}
	sort.Slice(edits, func(i, j int) bool { return edits[i].from < edits[j].from })
	out := make([]line, 0, len(p.lines)+8)
	next := 0
	for _, e := range edits {
		out = append(out, p.lines[next:e.from]...)
		out = append(out, e.with...)
		next = e.to + 1
	}
	out = append(out, p.lines[next:]...)
	if len(edits) == 0 {
		return joinLines(out), "", nil
	}
	// Hunks: edits whose contexts touch are shown together.
	var diff strings.Builder
	rel := strings.TrimPrefix(filepath.ToSlash(filepath.Clean(name)), "/")
	fmt.Fprintf(&diff, "--- a/%s\n+++ b/%s\n", rel, rel)
	shift := 0 // new line index minus old, before the hunk
	for h := 0; h < len(edits); {
		g := h
		for g+1 < len(edits) && edits[g+1].from-edits[g].to <= 2*diffContext+1 {
			g++
		}
		from := max(edits[h].from-diffContext, 0)
		to := min(edits[g].to+diffContext, len(p.lines)-1)
		var body strings.Builder
		oldN, newN := 0, 0
		i := from
		grew := 0
		for _, e := range edits[h : g+1] {
			for ; i < e.from; i++ {
				writeDiffLine(&body, ' ', p.lines[i])
				oldN++
				newN++
			}
			for ; i <= e.to; i++ {
				writeDiffLine(&body, '-', p.lines[i])
				oldN++
			}
			for _, l := range e.with {
				writeDiffLine(&body, '+', l)
				newN++
			}
			grew += len(e.with) - (e.to - e.from + 1)
		}
		for ; i <= to; i++ {
			writeDiffLine(&body, ' ', p.lines[i])
			oldN++
			newN++
		}
		fmt.Fprintf(&diff, "@@ -%s +%s @@\n", hunkRange(from, from+oldN), hunkRange(from+shift, from+shift+newN))
		diff.WriteString(body.String())
		shift += grew
		h = g + 1
	}
	return joinLines(out), diff.String(), nil
}

// ApplyFix rewrites the plan file with ProposeFix's result, atomically and
// under the plan's lock, and returns the diff; on any error the plan is
// untouched.
func ApplyFix(ctx context.Context, path string, fixes []Fix) (string, error) {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return "", fmt.Errorf("fix plan: %w", err)
	}
	unlock, err := lockPlan(ctx, path, real, DefaultLockTimeout)
	if err != nil {
		return "", err
	}
	defer unlock()
	fi, err := os.Stat(real)
	if err != nil {
		return "", fmt.Errorf("fix plan: %w", err)
	}
	src, err := os.ReadFile(real)
	if err != nil {
		return "", fmt.Errorf("fix plan: %w", err)
	}
	out, diff, err := ProposeFix(path, src, fixes)
	if err != nil || diff == "" {
		return diff, err
	}
	if err := writeAtomic(real, out, fi); err != nil {
		return "", fmt.Errorf("fix plan %s: %w", path, err)
	}
	return diff, nil
}
