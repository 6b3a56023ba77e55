package drplan

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// A feature refers to a step of the plan's runbook by its scenario and its
// number, with the step's title as the plan writes it:
//
//	When the operator runs step 2 of scenario 2 in the plan, "Option A: Restore from backup"
//
// and a corrected step that follows it names the version of the plan's
// commands it corrects by their fingerprint:
//
//	And where that step failed, the operator runs the corrected step "…", written for plan commands 261541a3:
//
// These are the patterns of those steps; package steps binds them.
const (
	// RefPattern is the reference inside a step: step N of scenario M in
	// the plan, "Title".
	RefPattern = `step (\d+) of scenario (\d+) in the plan, "([^"]+)"`
	// CorrectedPattern ends a corrected step: the fingerprint of the
	// plan's commands it was written for.
	CorrectedPattern = `written for plan commands ([0-9a-f]{8})`
)

var (
	refRe       = regexp.MustCompile(RefPattern)
	correctedRe = regexp.MustCompile(`corrected step "[^"]+", ` + CorrectedPattern)
)

// StepRef is a feature's reference to a plan step.
type StepRef struct {
	Procedure, Step int
	Title           string
}

func (r StepRef) String() string {
	return fmt.Sprintf("step %d of scenario %d in the plan, %q", r.Step, r.Procedure, r.Title)
}

// ParseRef reads the reference a step text holds, if any.
func ParseRef(text string) (StepRef, bool) {
	m := refRe.FindStringSubmatch(text)
	if m == nil {
		return StepRef{}, false
	}
	proc, _ := strconv.Atoi(m[2])
	num, _ := strconv.Atoi(m[1])
	return StepRef{Procedure: proc, Step: num, Title: m[3]}, true
}

// FeatureStep is one step of a feature scenario as Check reads it.
type FeatureStep struct {
	At   string // file:line
	Text string // without its keyword
	Doc  string // its doc string, if any
}

// Resolve finds the step a reference names and says what is wrong with the
// reference: the step is gone, or the number now holds another title.
func (rb Runbook) Resolve(r StepRef) (Step, error) {
	s, ok := rb.Step(r.Procedure, r.Step)
	if ok && normalize(s.Title) == normalize(r.Title) {
		return s, nil
	}
	// Where did the title go?
	var moved []string
	for _, o := range rb.Steps {
		if o.Procedure > 0 && normalize(o.Title) == normalize(r.Title) {
			moved = append(moved, fmt.Sprintf("it is now step %d of scenario %d (%s:%d)", o.Number, o.Procedure, rb.File, o.Line))
		}
	}
	hint := "point the feature at the step that does this now"
	if len(moved) > 0 {
		hint = strings.Join(moved, "; ") + ": renumber the feature's reference"
	}
	if !ok {
		have := len(rb.Procedure(r.Procedure))
		return Step{}, fmt.Errorf("%s: the plan has no such step (scenario %d has %d numbered steps in %s): %s", r, r.Procedure, have, rb.File, hint)
	}
	return Step{}, fmt.Errorf("%s: %s:%d now reads step %d %q: the step was renumbered or renamed: %s", r, rb.File, s.Line, s.Number, s.Title, hint)
}

// Check reads a scenario's steps in order and returns one problem a line
// for each reference to a plan step that no longer holds: the step is gone
// or renumbered, or the plan's commands changed since a corrected step for
// them was written (unless the plan now says what the correction says).
func (rb Runbook) Check(steps []FeatureStep) []string {
	var problems []string
	var last *Step
	unresolved := false // the step before could not be found: said once
	for _, fs := range steps {
		if m := correctedRe.FindStringSubmatch(fs.Text); m != nil {
			if unresolved {
				continue
			}
			if last == nil {
				problems = append(problems, fmt.Sprintf("%s: a corrected step follows no step of the plan: put it right after \"the operator runs step N of scenario M in the plan, …\"", fs.At))
				continue
			}
			now := last.Fingerprint()
			if m[1] != now && !last.Corrects(fs.Doc) {
				problems = append(problems, fmt.Sprintf("%s: the corrected step was written for plan commands %s, but %s (%s:%d-%d) now reads %s: review the correction against the plan's commands, then write \"written for plan commands %s\"",
					fs.At, m[1], StepRef{last.Procedure, last.Number, last.Title}, rb.File, last.Line, last.End, quoteScript(last.CommandLines()), now))
			}
			continue
		}
		r, ok := ParseRef(fs.Text)
		if !ok {
			continue
		}
		s, err := rb.Resolve(r)
		if err != nil {
			problems = append(problems, fs.At+": "+err.Error())
			last, unresolved = nil, true
			continue
		}
		last, unresolved = &s, false
	}
	return problems
}

// CommandsOf drops the comments and blank lines of a script.
func CommandsOf(script string) string {
	var out []string
	for _, l := range strings.Split(script, "\n") {
		t := strings.TrimSpace(l)
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		out = append(out, t)
	}
	return strings.Join(out, "\n")
}

func quoteScript(s string) string {
	return strconv.Quote(strings.ReplaceAll(s, "\n", "; "))
}
