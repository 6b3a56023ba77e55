// Package result is firedrill's result model: what one drill run measured.
//
// It is the single source every report is rendered from and the only thing
// harness/report and harness/drplan read. It does no I/O beyond JSON
// encoding, so a past run can always be re-rendered from its results.json.
package result

import (
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
// or is added.
const SchemaVersion = 2

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
	StartedAt time.Time          `json:"started_at"`
	EndedAt   time.Time          `json:"ended_at"`
	// PlanAudit is the plan's RPO promises against its own backups, read
	// before anything ran (drplan.Audit), one line per row of its table.
	PlanAudit []AuditLine `json:"plan_audit,omitempty"`
	Scenarios []Scenario  `json:"scenarios"`
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
	// Drill is "Q1".."Q4", or "S1" for the plan's code-corruption scenario.
	Drill string `json:"drill"`
	Name  string `json:"name"`
	// PlanRow is the row of the plan's RTO/RPO table this scenario measures.
	PlanRow   string     `json:"plan_row"`
	Status    Status     `json:"status"`
	StartedAt time.Time  `json:"started_at"`
	EndedAt   time.Time  `json:"ended_at"`
	RTO       *RTO       `json:"rto,omitempty"`
	RPO       *RPO       `json:"rpo,omitempty"`
	Phases    []Phase    `json:"phases"`
	Events    []Event    `json:"events,omitempty"`
	Findings  []Finding  `json:"findings"`
	Failures  []string   `json:"failures,omitempty"`
	Evidence  []Evidence `json:"evidence,omitempty"`
	// NotRunReason is set with Status NotRun: the precondition that could
	// not be met, and why.
	NotRunReason string `json:"not_run_reason,omitempty"`
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
	ManualAutomated bool      `json:"manual_automated,omitempty"`
	FaultAt         time.Time `json:"fault_at"`
	VerifiedAt      time.Time `json:"verified_at"`
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
	// recovery; FaultAt the moment the fault was injected.
	NewestRecovered time.Time `json:"newest_recovered,omitempty"`
	FaultAt         time.Time `json:"fault_at,omitempty"`
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
	NewestSnapshot time.Time `json:"newest_snapshot"`
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
	StartedAt time.Time `json:"started_at"`
	EndedAt   time.Time `json:"ended_at"`
	// Manual is true for a step the plan leaves to a person; Automated
	// tells that firedrill did it instead of a person.
	Manual    bool `json:"manual,omitempty"`
	Automated bool `json:"automated,omitempty"`
}

// Duration of the phase.
func (p Phase) Duration() time.Duration { return p.EndedAt.Sub(p.StartedAt) }

// Event is one timestamped thing that happened during a scenario.
type Event struct {
	At     time.Time `json:"at"`
	Kind   string    `json:"kind"`
	Detail string    `json:"detail,omitempty"`
}

// Finding is a line of the plan that did not work as written.
type Finding struct {
	At      time.Time `json:"at"`
	Step    string    `json:"step"`
	Command string    `json:"command"`
	Output  string    `json:"output"`
	// Resolution says what the drill did instead (a corrected step), if anything.
	Resolution string `json:"resolution,omitempty"`
}

// Evidence is a named observation that backs a measured value.
type Evidence struct {
	Name   string `json:"name"`
	Detail string `json:"detail"`
}
