package drill

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"firedrill/harness/drplan"
	"firedrill/harness/result"
	"firedrill/harness/timeline"
)

// The runbook's steps come from the plan: a feature names a step by its
// scenario and number (and its title, to catch a renumbered plan), and the
// drill reads its commands from the plan as the plan says them today,
// maps the plan's host-specific words to the drilled deployment (the
// system file's substitutions), and runs them. A step's operator lines
// (a broker login, a placeholder to fill in, an ssh hop) are not shell:
// the drill does them its own way and says so in the coverage.

// planStep finds a step the feature names, or fails the scenario with what
// changed in the plan.
func (sc *Scenario) planStep(proc, num int, title string) (drplan.Step, error) {
	s, err := sc.suite.runbook.Resolve(drplan.StepRef{Procedure: proc, Step: num, Title: title})
	if err != nil {
		return s, sc.fail(fmt.Errorf("plan step: %w", err))
	}
	return s, nil
}

func planRef(s drplan.Step) result.PlanRef {
	return result.PlanRef{
		Procedure: s.Procedure, Step: s.Number, Title: s.Title,
		Line: s.Line, EndLine: s.End, Fingerprint: s.Fingerprint(),
	}
}

// cover records what the scenario did with a plan step.
func (sc *Scenario) cover(s drplan.Step, outcome, detail string) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	sc.planSteps = append(sc.planSteps, result.PlanStepOutcome{PlanRef: planRef(s), Outcome: outcome, Detail: sc.redact(detail)})
}

// stepScript is what a plan step runs on the drilled deployment: its
// commands, mapped, with the placeholders the drill can fill filled in
// (<file>: the file the fault damaged); and its operator lines (a hop, a
// bullet, a placeholder only a person can fill), for the record.
func (sc *Scenario) stepScript(s drplan.Step) (script string, operator, open []string) {
	var cmds []string
	for _, l := range s.Lines {
		switch l.Kind {
		case drplan.Command:
			cmds = append(cmds, l.Text)
		case drplan.Operator:
			if len(l.Placeholders) > 0 {
				if filled := sc.fillPlaceholders(l.Text); !anyOf(filled, l.Placeholders) {
					cmds = append(cmds, l.Text)
					continue
				}
				open = append(open, l.Placeholders...)
			}
			operator = append(operator, l.Text)
		}
	}
	return sc.fillPlaceholders(sc.local(strings.Join(cmds, "\n"))), operator, open
}

func anyOf(s string, subs []string) bool {
	for _, x := range subs {
		if strings.Contains(s, x) {
			return true
		}
	}
	return false
}

// RunPlanStep runs step num of the plan's scenario proc as the plan writes
// it today. A step that fails, or that asks the operator to fill in a
// placeholder, is a finding; the scenario goes on, and the feature's
// corrected step (if any) follows.
func (sc *Scenario) RunPlanStep(ctx context.Context, proc, num int, title string) error {
	return sc.RunPlanStepExpecting(ctx, proc, num, title, "")
}

// RunPlanStepExpecting is RunPlanStep where the feature states what the
// step promises (a check run right after its commands): a step whose
// commands pass but leave the promise unkept failed as written too.
func (sc *Scenario) RunPlanStepExpecting(ctx context.Context, proc, num int, title, expect string) error {
	s, err := sc.planStep(proc, num, title)
	if err != nil {
		return err
	}
	script, operator, placeholders := sc.stepScript(s)
	name := fmt.Sprintf("plan scenario %d step %d: %s", proc, num, s.Title)
	sc.lastPlanRef = &s
	if strings.TrimSpace(script) == "" {
		return sc.fail(fmt.Errorf("plan step %s holds no command to run (only %q): refer to it with \"that carries out step %d of scenario %d in the plan, …\" after the firedrill step that does it", drplan.StepRef{Procedure: proc, Step: num, Title: title}, strings.Join(operator, "; "), num, proc))
	}
	run := script
	if expect = strings.TrimSpace(expect); expect != "" {
		run += "\n# what the step promises (the feature's check)\n" + sc.local(expect)
	}
	r, err := sc.runStep(ctx, name, run)
	if err != nil {
		return err
	}
	failed := r.Code != 0 || len(placeholders) > 0
	sc.lastPlanStepFailed = failed
	if !failed {
		sc.cover(s, result.OutcomePassed, fmt.Sprintf("%s in %s", firstLine(script), r.Finished.Sub(r.Started).Round(1e6)))
		sc.logf("plan step %d of scenario %d %q passed as written", num, proc, s.Title)
		return nil
	}
	out := fmt.Sprintf("exit %d: %s", r.Code, lastLines(r.Output, 12))
	if r.Code == 0 {
		out = fmt.Sprintf("it asks the operator to fill in %s (%q): the drill cannot run it as written", strings.Join(placeholders, ", "), strings.Join(operator, "; "))
	}
	ref := planRef(s)
	sc.mu.Lock()
	sc.findings = append(sc.findings, result.Finding{
		At: r.Finished.UTC(), Step: name, Command: strings.TrimSpace(script), Output: out, PlanStep: &ref,
	})
	sc.mu.Unlock()
	sc.cover(s, result.OutcomeFailed, out)
	sc.logf("FINDING: plan step %d of scenario %d %q failed as written: %s", num, proc, s.Title, firstLine(out))
	return nil
}

// CorrectPlanStep runs, where the plan step before it failed, the
// corrected commands (in the plan's own words, mapped like the plan's),
// written for the plan's commands of the given fingerprint. It must pass;
// the finding records it, for `firedrill plan fix`.
func (sc *Scenario) CorrectPlanStep(ctx context.Context, name, fingerprint, script string) error {
	s := sc.lastPlanRef
	if s == nil {
		return sc.fail(errors.New("corrected step: no plan step before it: put it right after \"the operator runs step N of scenario M in the plan, …\""))
	}
	if now := s.Fingerprint(); now != fingerprint && !s.Corrects(script) {
		return sc.fail(fmt.Errorf("corrected step %q: written for plan commands %s, but step %d of scenario %d now reads %s (fingerprint %s): run firedrill plan check", name, fingerprint, s.Number, s.Procedure, s.Script(), now))
	}
	if !sc.lastPlanStepFailed {
		sc.tl.Mark("step_skipped", name+": the plan's step worked as written")
		return nil
	}
	local := sc.fillPlaceholders(sc.local(script))
	r, err := sc.runStep(ctx, name, local)
	if err != nil {
		return err
	}
	if r.Code != 0 {
		return sc.fail(fmt.Errorf("corrected step %q failed (exit %d): %s", name, r.Code, lastLines(r.Output, 8)))
	}
	sc.logf("corrected step %q done in %s", name, r.Finished.Sub(r.Started).Round(1e6))
	sc.mu.Lock()
	if n := len(sc.findings); n > 0 && sc.findings[n-1].PlanStep != nil {
		f := &sc.findings[n-1]
		f.Resolution = "continued with the corrected step " + quote(name) + ": " + strings.TrimSpace(local)
		f.Corrected = strings.TrimSpace(script)
		f.CorrectedName = name
	}
	for i := len(sc.planSteps) - 1; i >= 0; i-- {
		if sc.planSteps[i].Procedure == s.Procedure && sc.planSteps[i].Step == s.Number {
			sc.planSteps[i].Outcome = result.OutcomeCorrected
			sc.planSteps[i].Detail = "corrected step " + quote(name)
			break
		}
	}
	sc.mu.Unlock()
	sc.lastPlanStepFailed = false
	return nil
}

// fillPlaceholders puts what the drill knows in place of a corrected
// step's placeholders: <file> is the file the fault damaged.
func (sc *Scenario) fillPlaceholders(script string) string {
	if sc.damaged != "" {
		script = strings.ReplaceAll(script, "<file>", sc.damaged)
	}
	return script
}

// ObservePlanStepFails waits until a plan step's commands fail: the fault
// has bitten, seen the way the plan says to see it.
func (sc *Scenario) ObservePlanStepFails(ctx context.Context, proc, num int, title string) error {
	s, err := sc.planStep(proc, num, title)
	if err != nil {
		return err
	}
	script, _, _ := sc.stepScript(s)
	err = sc.observeFailing(ctx, script)
	if err == nil {
		sc.cover(s, result.OutcomeFaultShown, firstLine(script))
	}
	return err
}

// VerifiedByPlanStep is the plan's verification step as the recovery's
// final check: when its commands pass, the recovery is verified.
func (sc *Scenario) VerifiedByPlanStep(ctx context.Context, proc, num int, title string) error {
	s, err := sc.planStep(proc, num, title)
	if err != nil {
		return err
	}
	script, _, _ := sc.stepScript(s)
	if err := sc.verifiedBy(ctx, script); err != nil {
		sc.cover(s, result.OutcomeFailed, err.Error())
		return err
	}
	sc.cover(s, result.OutcomePassed, "the recovery's final check")
	return nil
}

// CarriedOut records that the firedrill step before it did an operator
// step of the plan (logging into the broker, restoring the environment):
// the coverage names how.
func (sc *Scenario) CarriedOut(proc, num int, title string) error {
	s, err := sc.planStep(proc, num, title)
	if err != nil {
		return err
	}
	how := sc.prevStep
	if how == "" {
		how = "(no step before it)"
	}
	what := result.OperatorAutomated
	if sc.suite.opts.Operator != nil {
		what = result.OperatorByOperator
	}
	sc.cover(s, result.OutcomeOperator+", "+what, fmt.Sprintf("by the step %q", how))
	return nil
}

// NotDrilled records a plan step the scenario does not run, and why.
func (sc *Scenario) NotDrilled(proc, num int, title, why string) error {
	s, err := sc.planStep(proc, num, title)
	if err != nil {
		return err
	}
	sc.cover(s, result.OutcomeNotDrilled, why)
	return nil
}

// StepStarting is told the text of each Gherkin step before it runs, so a
// later "that carries out …" can name it.
func (sc *Scenario) StepStarting(text string) {
	if _, ok := drplan.ParseRef(text); ok && strings.HasPrefix(text, "that carries out") {
		return
	}
	sc.prevStep = text
}

// AwaitMode waits until the deployment is healthy in mode, after a plan
// step started it: the service is up again.
func (sc *Scenario) AwaitMode(ctx context.Context, mode string) error {
	ctx, cancel := sc.bound(ctx)
	defer cancel()
	o, err := sc.awaitHealth(ctx, mode, deployLimit)
	if err != nil {
		return sc.fail(fmt.Errorf("wait for the deployment healthy in %s mode: %w", mode, err))
	}
	sc.mode = mode
	sc.tl.MarkAt(timeline.ServiceUp, "healthy in "+mode+" mode", o.At)
	return nil
}
