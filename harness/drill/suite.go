package drill

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"firedrill/harness/drplan"
	"firedrill/harness/images"
	"firedrill/harness/profile"
	"firedrill/harness/result"
	"firedrill/harness/stack"
	"firedrill/harness/system"
)

// Options configure a run.
type Options struct {
	RunID     string
	Profile   profile.Profile
	System    *system.System
	PlanPath  string
	ReportDir string
	// Operator, when set, asks a person to do the plan's manual steps and
	// times them; when nil, firedrill does them and marks them automated.
	Operator Operator
	// Log receives one line per event of every scenario.
	Log io.Writer
	// Progress, when set, is told where each scenario is (a live display).
	Progress Progress
	// Engines are the Docker engines the run spreads its scenarios over
	// (stack.ParseEngines); none: the default engine alone.
	Engines []string
}

// Progress follows scenarios as they run.
type Progress interface {
	// Update says what a scenario is doing now; "PASSED", "FAILED" or "NOT RUN" ends it.
	Update(scenario, what string)
}

// Suite is one run of drills.
type Suite struct {
	opts    Options
	plan    *drplan.Plan
	runbook drplan.Runbook
	audit   drplan.AuditReport
	images  stack.Images
	engines *enginePool
	started time.Time

	mu        sync.Mutex
	scenarios []result.Scenario
	secrets   []string
}

// NewSuite checks what a run needs before any container starts: the plan
// and its table, and the images.
func NewSuite(ctx context.Context, o Options) (*Suite, error) {
	if o.Log == nil {
		o.Log = io.Discard
	}
	if o.System == nil {
		return nil, fmt.Errorf("start run: no system description (pass --system or use systems/reference.yml)")
	}
	plan, err := drplan.Parse(o.PlanPath)
	if err != nil {
		return nil, err
	}
	imgs := stack.Images{MinIO: images.MinIO, Broker: images.Broker, Traderunner: o.System.Image, Base: images.Base}
	if len(o.Engines) == 0 {
		o.Engines = []string{stack.DefaultEngine}
	}
	if err := stack.UseEngines(o.Engines); err != nil {
		return nil, fmt.Errorf("start run: %w", err)
	}
	pool, err := newEnginePool(ctx, o.Engines)
	if err != nil {
		return nil, err
	}
	if pool.many() {
		// Every engine gets every image, by its content hash: copied from
		// an engine that has it where it is missing.
		if err := images.Spread(ctx, o.Engines, []string{imgs.MinIO, imgs.Broker, imgs.Traderunner, imgs.Base}, o.Log); err != nil {
			return nil, fmt.Errorf("start run: %w", err)
		}
	} else {
		var missing []string
		for _, img := range []string{imgs.MinIO, imgs.Broker, imgs.Traderunner, imgs.Base} {
			if _, err := images.Label(ctx, img); err != nil {
				missing = append(missing, img)
			}
		}
		if len(missing) > 0 {
			return nil, fmt.Errorf("start run: image(s) %s not found in the Docker engine: run 'make images' first", strings.Join(missing, ", "))
		}
	}
	if err := os.MkdirAll(o.ReportDir, 0o755); err != nil {
		return nil, fmt.Errorf("create report folder %s: %w (pass --reports with a writable folder)", o.ReportDir, err)
	}
	audit, err := drplan.Audit(plan)
	if err != nil {
		return nil, err
	}
	return &Suite{opts: o, plan: plan, runbook: plan.Runbook(), audit: audit, images: imgs, engines: pool, started: time.Now().UTC()}, nil
}

// Audit is the plan's promises against its own backups (drplan.Audit).
func (s *Suite) Audit() drplan.AuditReport { return s.audit }

// Plan is the DR plan the run measures against.
func (s *Suite) Plan() *drplan.Plan { return s.plan }

// RunID of the suite.
func (s *Suite) RunID() string { return s.opts.RunID }

func (s *Suite) record(r result.Scenario, secrets []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.scenarios = append(s.scenarios, r)
	s.secrets = append(s.secrets, secrets...)
}

// Result is the run so far.
func (s *Suite) Result() result.Run {
	s.mu.Lock()
	defer s.mu.Unlock()
	sc := append([]result.Scenario(nil), s.scenarios...)
	sort.SliceStable(sc, func(i, j int) bool { return sc[i].StartedAt.Before(sc[j].StartedAt) })
	return result.Run{
		SchemaVersion: result.SchemaVersion,
		PlanAudit:     auditLines(s.audit),
		Runbook:       runbookRefs(s.runbook),
		Substitutions: substitutions(s.opts.System),
		RunID:         s.opts.RunID,
		Profile:       s.opts.Profile.Name,
		Cadences:      s.opts.Profile.ResultCadences(),
		System:        s.opts.System.Name,
		Plan:          s.opts.PlanPath,
		StartedAt:     s.started,
		EndedAt:       time.Now().UTC(),
		Scenarios:     sc,
	}
}

// Secrets are every secret the run generated, for a final check that none
// reached an output.
func (s *Suite) Secrets() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.secrets...)
}

// auditLines are the plan audit's findings as the result model keeps them.
func auditLines(a drplan.AuditReport) []result.AuditLine {
	var out []result.AuditLine
	for _, f := range a.Findings {
		out = append(out, result.AuditLine{Row: f.Row, Verdict: f.Verdict.String(), Text: f.String()})
	}
	return out
}

// runbookRefs lists every numbered step of the plan's procedures.
func runbookRefs(rb drplan.Runbook) []result.PlanRef {
	var out []result.PlanRef
	for _, s := range rb.Steps {
		if s.Procedure > 0 {
			out = append(out, planRef(s))
		}
	}
	return out
}

func substitutions(sys *system.System) []result.Substitution {
	var out []result.Substitution
	for _, s := range sys.Substitutions {
		out = append(out, result.Substitution{Plan: s.Plan, Here: s.Here})
	}
	return out
}
