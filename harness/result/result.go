// Package result is firedrill's result model: what one drill run measured.
//
// It is the single source every report is rendered from and the only thing
// harness/report and harness/drplan read. It does no I/O beyond JSON
// encoding, so a past run can always be re-rendered from its results.json.
//
// Units in results.json: every duration (a Seconds field: actual, target,
// probe_interval, precision, worst_case, since_newest, observed, declared,
// the cadences) is a number of seconds, rounded to the millisecond; every
// time is RFC 3339 in UTC. A time that was not recorded is left out, and a
// measure that was not taken is null (rto, rpo, rpo.newest_recovered):
// never Go's zero time. docs/results.schema.json is the JSON Schema of the
// file; SchemaVersion names its version.
package result

import (
	"encoding/json"
	"time"
)

// Status of one scenario.
type Status string

// Scenario statuses.
const (
	Passed Status = "passed"
	Failed Status = "failed"
	// NotRun: the scenario's steady state or precondition could not be
	// brought about, so nothing was recovered and nothing measured. It is
	// neither a pass nor a failed recovery; NotRunReason says why.
	NotRun Status = "not run"
)

// SchemaVersion of results.json; raised whenever a field changes meaning
// or is added. 3: scenarios carry id, feature and line; rto and rpo are
// null when not measured, rpo.newest_recovered null when the measure has
// no such time; a time not recorded is left out (never 0001-01-01).
// 4: rto.actual leaves out firedrill's own time inside the recovery,
// stated as rto.harness_excluded.
const SchemaVersion = 4

// Run is one firedrill run: every scenario it executed.
type Run struct {
	SchemaVersion int    `json:"schema_version"`
	RunID         string `json:"run_id"`
	// Profile is the pace the run used (ci, quarterly); Cadences its
	// cadences in seconds (state_backup_interval, probe_interval, ...).
	Profile   string             `json:"profile"`
	Cadences  map[string]Seconds `json:"cadences"`
	System    string             `json:"system"`
	Plan      string             `json:"plan"`
	StartedAt time.Time          `json:"started_at,omitzero"`
	EndedAt   time.Time          `json:"ended_at,omitzero"`
	// PlanAudit is the plan's RPO promises against its own backups, read
	// before anything ran (drplan.Audit), one line per row of its table.
	PlanAudit []AuditLine `json:"plan_audit,omitempty"`
	// Runbook is every numbered step of the plan's procedures as the run
	// read them, for the coverage table; Substitutions how the plan's
	// words were mapped to the drilled deployment.
	Runbook []PlanRef `json:"runbook,omitempty"`
	// PlanPatch is the unified diff of the plan's runbook that the run's
	// findings propose (firedrill plan fix): each step that failed as
	// written replaced by its corrected commands; "" when none.
	PlanPatch     string         `json:"plan_patch,omitempty"`
	Substitutions []Substitution `json:"substitutions,omitempty"`
	Scenarios     []Scenario     `json:"scenarios"`
}

// AuditLine is one row of the plan audit.
type AuditLine struct {
	Row string `json:"row"`
	// Verdict: kept, broken, unknown or not audited.
	Verdict string `json:"verdict"`
	Text    string `json:"text"`
}

// Scenario is the result of one drill scenario.
type Scenario struct {
	// ID is the scenario's stable id (StableID), the same from run to run
	// while its drill and name stay; set when the run's results are written.
	ID string `json:"id,omitempty"`
	// Drill is "Q1".."Q4", or "S1" for the plan's code-corruption scenario.
	Drill string `json:"drill"`
	Name  string `json:"name"`
	// Feature is the feature file the scenario was read from (relative to
	// the repository when run inside one) and Line its line there (of an
	// outline's example row); both unknown when not recorded.
	Feature string `json:"feature,omitempty"`
	Line    int    `json:"line,omitempty"`
	// PlanRow is the row of the plan's RTO/RPO table this scenario measures.
	PlanRow   string    `json:"plan_row"`
	Status    Status    `json:"status"`
	StartedAt time.Time `json:"started_at,omitzero"`
	EndedAt   time.Time `json:"ended_at,omitzero"`
	// RTO and RPO are null when the scenario did not measure them.
	RTO      *RTO       `json:"rto"`
	RPO      *RPO       `json:"rpo"`
	Phases   []Phase    `json:"phases"`
	Events   []Event    `json:"events,omitempty"`
	Findings []Finding  `json:"findings"`
	Failures []string   `json:"failures,omitempty"`
	Evidence []Evidence `json:"evidence,omitempty"`
	// NotRunReason is set with Status NotRun: the precondition that could
	// not be met, and why.
	NotRunReason string `json:"not_run_reason,omitempty"`
	// PlanSteps are the plan's runbook steps the scenario touched, in the
	// order it did.
	PlanSteps []PlanStepOutcome `json:"plan_steps,omitempty"`
	// Engines are the Docker engines the scenario's containers ran on, by
	// role ("primary": "tcp://10.0.0.5:2375"); set when a run uses more
	// than one engine.
	Engines map[string]string `json:"engines,omitempty"`
}

// RTO is a measured recovery time against its target.
type RTO struct {
	Actual        Seconds `json:"actual"`
	Target        Seconds `json:"target"`
	ProbeInterval Seconds `json:"probe_interval"`
	// Precision is how far Actual may be from the truth: the probe
	// interval plus the final check's own measured duration.
	Precision Seconds `json:"precision,omitempty"`
	// ManualAutomated: the plan's manual steps were done by firedrill in
	// about no time, so Actual leaves out the human time a real recovery
	// spends on them.
	ManualAutomated bool `json:"manual_automated,omitempty"`
	// HarnessExcluded is firedrill's own time between the fault and the
	// verified moment (reading what the RPO and the checks need), left out
	// of Actual: Actual is verified_at - fault_at - harness_excluded.
	HarnessExcluded Seconds   `json:"harness_excluded,omitempty"`
	FaultAt         time.Time `json:"fault_at,omitzero"`
	VerifiedAt      time.Time `json:"verified_at,omitzero"`
	Met             bool      `json:"met"`
}

// RPO is a measured data loss against its target.
type RPO struct {
	Actual Seconds `json:"actual"`
	Target Seconds `json:"target"`
	// LostEvents counts what the recovery could not bring back (broker fills
	// missing from restored state, bars missing from restored data, ...).
	LostEvents int `json:"lost_events"`
	// Basis says what the actual was measured from, in words.
	Basis string `json:"basis"`
	// NewestRecovered is the timestamp of the newest change present after
	// recovery (in the data's own time: of market data, the bar's time),
	// zero when the measure has none (a git RPO), and then null in JSON;
	// FaultAt the moment the fault was injected.
	NewestRecovered time.Time `json:"newest_recovered"`
	FaultAt         time.Time `json:"fault_at,omitzero"`
	Met             bool      `json:"met"`
	// Uncertain counts orders whose outcome was unknown at the fault (sent,
	// not yet filled): neither lost nor kept.
	Uncertain int `json:"uncertain,omitempty"`

	// The objective is judged on the worst case the deployment allows.
	// WorstCaseBasis "measured": the fault struck late in the cycle of the
	// backup the recovery restored from, so Actual is that worst case.
	// "declared cadence": that cycle is longer than a drill can wait (a
	// daily backup), so the worst case is the cadence the plan documents
	// and the deployment runs, stated as declared, not measured.
	WorstCase      Seconds `json:"worst_case"`
	WorstCaseBasis string  `json:"worst_case_basis,omitempty"`
	// WorstCaseWhy names the cadence and where it is declared.
	WorstCaseWhy string `json:"worst_case_why,omitempty"`
	WorstCaseMet bool   `json:"worst_case_met"`
	// Cycle is where the fault fell in the backup cycle of the repository
	// the recovery restored from.
	Cycle *Cycle `json:"cycle,omitempty"`
}

// Worst-case bases.
const (
	BasisMeasured = "measured"
	BasisDeclared = "declared cadence"
)

// Cycle is the backup cycle of the repository a recovery restored from, as
// its snapshots showed it before the fault.
type Cycle struct {
	Repository string `json:"repository"`
	Tag        string `json:"tag"`
	// NewestSnapshot is the newest snapshot's time before the fault;
	// SinceNewest the fault's distance from it.
	NewestSnapshot time.Time `json:"newest_snapshot,omitzero"`
	SinceNewest    Seconds   `json:"since_newest"`
	// Observed is the interval between the two newest snapshots (0 when
	// fewer than two were seen); Declared the cadence the deployment was
	// given.
	Observed Seconds `json:"observed,omitempty"`
	Declared Seconds `json:"declared,omitempty"`
}

// Phase is one timed part of a scenario (fault, detect, restore, ...).
type Phase struct {
	Name      string    `json:"name"`
	StartedAt time.Time `json:"started_at,omitzero"`
	EndedAt   time.Time `json:"ended_at,omitzero"`
	// Manual is true for a step the plan leaves to a person; Automated
	// tells that firedrill did it instead of a person.
	Manual    bool `json:"manual,omitempty"`
	Automated bool `json:"automated,omitempty"`
}

// Duration of the phase.
func (p Phase) Duration() time.Duration { return p.EndedAt.Sub(p.StartedAt) }

// Event is one timestamped thing that happened during a scenario.
type Event struct {
	At     time.Time `json:"at,omitzero"`
	Kind   string    `json:"kind"`
	Detail string    `json:"detail,omitempty"`
}

// Finding is a line of the plan that did not work as written.
type Finding struct {
	At      time.Time `json:"at,omitzero"`
	Step    string    `json:"step"`
	Command string    `json:"command"`
	Output  string    `json:"output"`
	// Resolution says what the drill did instead (a corrected step), if anything.
	Resolution string `json:"resolution,omitempty"`
	// PlanStep is the step of the plan's runbook that failed as written,
	// when the feature named one; Corrected the corrected commands that
	// passed, in the plan's own words, and CorrectedName the corrected
	// step's name: what `firedrill plan fix` proposes for the plan.
	PlanStep      *PlanRef `json:"plan_step,omitempty"`
	Corrected     string   `json:"corrected,omitempty"`
	CorrectedName string   `json:"corrected_name,omitempty"`
}

// PlanRef names a numbered step of the plan's runbook: its scenario
// (procedure) and number, its title, its lines in the plan, and the
// fingerprint of its commands as the run read them.
type PlanRef struct {
	Procedure   int    `json:"procedure"`
	Step        int    `json:"step"`
	Title       string `json:"title"`
	Line        int    `json:"line"`
	EndLine     int    `json:"end_line"`
	Fingerprint string `json:"fingerprint"`
}

// PlanStepOutcome is what a scenario did with a step of the plan: ran it
// as written (passed or failed), corrected it, did an operator step its
// own way, or left it out (and why).
type PlanStepOutcome struct {
	PlanRef
	Outcome string `json:"outcome"`
	Detail  string `json:"detail,omitempty"`
}

// Outcomes of a plan step (PlanStepOutcome.Outcome). The drill records
// them and the reports read them; an operator step's outcome says who
// did it after the prefix (OutcomeOperator + ", automated by firedrill").
const (
	OutcomePassed      = "ran as written, passed"
	OutcomeFailed      = "ran as written, failed"
	OutcomeCorrected   = "failed as written; the corrected step passed"
	OutcomeFaultShown  = "ran as written, failed as the fault predicts"
	OutcomeOperator    = "operator step"
	OutcomeNotDrilled  = "not drilled"
	OperatorAutomated  = "automated by firedrill"
	OperatorByOperator = "done by the operator at firedrill's prompt"
)

// Substitution is one of the system file's mappings of the plan's words
// to the drilled deployment's.
type Substitution struct {
	Plan string `json:"plan"`
	Here string `json:"here"`
}

// Evidence is a named observation that backs a measured value.
type Evidence struct {
	Name   string `json:"name"`
	Detail string `json:"detail"`
}

// MarshalJSON writes newest_recovered as null when the measure has no such
// time (a git RPO), never as Go's zero time.
func (r RPO) MarshalJSON() ([]byte, error) {
	type plain RPO // without this method
	var newest *time.Time
	if !r.NewestRecovered.IsZero() {
		newest = &r.NewestRecovered
	}
	return json.Marshal(struct {
		plain
		NewestRecovered *time.Time `json:"newest_recovered"`
	}{plain(r), newest})
}
