package report

import (
	"fmt"
	"time"

	"firedrill/harness/result"
)

// t0 is the fixed clock every fixture is built from.
var t0 = time.Date(2026, 11, 27, 10, 15, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

func sec(d time.Duration) result.Seconds { return result.Sec(d) }

func phase(name string, fault time.Time, from, to time.Duration, manual, automated bool) result.Phase {
	return result.Phase{Name: name, StartedAt: fault.Add(from), EndedAt: fault.Add(to), Manual: manual, Automated: automated}
}

func events(fault time.Time, detected, verified time.Duration) []result.Event {
	evs := []result.Event{
		{At: fault.Add(-30 * time.Second), Kind: "steady", Detail: "trading, backups running"},
		{At: fault, Kind: "fault_injected"},
		{At: fault.Add(detected), Kind: "failure_observed"},
	}
	if verified > 0 {
		evs = append(evs, result.Event{At: fault.Add(verified), Kind: "verified"})
	}
	return evs
}

// notRunReason is why the fixture's fifth scenario did not run; it spans
// two lines, as a command's output can, and every report writes it as one.
const notRunReason = "no order was in flight: the system's place_order action failed: exit status 1\nbroker: order refused, market closed"

// fixtureRun is a quarterly run of five scenarios: two passed, one over
// its RTO target, one that never recovered, and one not run (its
// precondition, an order in flight, could not be brought about).
func fixtureRun() result.Run {
	q1Fault := at(71 * time.Second)
	q2Fault := at(9 * time.Minute)
	q3Fault := at(15 * time.Minute)
	q4Fault := at(35 * time.Minute)
	return result.Run{
		RunID:   "20261127T101500Z-ab12",
		Profile: "quarterly", Cadences: map[string]result.Seconds{"state_backup_interval": 60},
		System:    "traderunner-reference",
		Plan:      "docs/dr-plan.md",
		StartedAt: t0, EndedAt: at(47*time.Minute + 30*time.Second),
		PlanAudit: []result.AuditLine{
			{Row: "Data corruption", Verdict: "broken", Text: `RPO of "Data corruption" (line 73: 5 min) cannot be kept: its data backup of "Market data" (line 21) is daily: up to 24 h lost`},
			{Row: "Live system failure", Verdict: "kept", Text: `RPO of "Live system failure" (line 74: 1 min) is kept: its state backup runs every 60 s: up to 60 s lost, margin 0 s`},
		},
		Scenarios: []result.Scenario{
			{
				Drill: "Q1", Name: "Data corruption: restore from the latest backup (option A)", PlanRow: "Data corruption",
				Status: result.Passed, StartedAt: at(41 * time.Second), EndedAt: at(5 * time.Minute),
				RTO: &result.RTO{Actual: 192, Target: 600, ProbeInterval: 1, FaultAt: q1Fault, VerifiedAt: q1Fault.Add(192 * time.Second), Met: true, ManualAutomated: true},
				RPO: &result.RPO{Actual: 245, Target: 300, LostEvents: 12, Basis: "newest restored bar against the newest bar ingested before the fault",
					NewestRecovered: q1Fault.Add(-245 * time.Second), FaultAt: q1Fault, Met: true,
					WorstCase: 86400, WorstCaseBasis: result.BasisDeclared, WorstCaseMet: false,
					WorstCaseWhy: "the data of the primary repository is taken every 24 h (declared by the deployment): a failure just before the next backup loses that much, stated as declared, not measured"},
				Phases: []result.Phase{
					phase("detect", q1Fault, 0, 4*time.Second, false, false),
					phase("restore from the latest backup", q1Fault, 4*time.Second, 160*time.Second, false, false),
					phase("validate data", q1Fault, 160*time.Second, 192*time.Second, false, false),
				},
				Events: events(q1Fault, 4*time.Second, 192*time.Second),
				Findings: []result.Finding{{
					At: q1Fault.Add(161 * time.Second), Step: "Verify: Data SLAs pass", Command: "make data:validate",
					Output:     "make: *** No rule to make target 'data:validate'.  Stop.\n",
					Resolution: "ran `make data-validate`, the target's real name",
				}},
				Evidence: []result.Evidence{{Name: "restic snapshot", Detail: "4f2a9c1e taken 10:12:06Z"}},
			},
			{
				Drill: "Q2", Name: "Config corruption: broken YAML in configs/risk.yml", PlanRow: "Code corruption",
				Status: result.Passed, StartedAt: at(8*time.Minute + 30*time.Second), EndedAt: at(11 * time.Minute),
				RTO: &result.RTO{Actual: sec(48200 * time.Millisecond), Target: 300, ProbeInterval: 0.5, FaultAt: q2Fault, VerifiedAt: q2Fault.Add(48200 * time.Millisecond), Met: true},
				RPO: &result.RPO{Actual: 0, Target: 0, Basis: "files differing from git after recovery: none", FaultAt: q2Fault, Met: true},
				Phases: []result.Phase{
					phase("detect (restart fails)", q2Fault, 0, 6*time.Second, false, false),
					phase("git checkout configs/risk.yml", q2Fault, 6*time.Second, 7*time.Second, false, false),
					phase("restart", q2Fault, 7*time.Second, 19*time.Second, false, false),
					phase("make test and health-check", q2Fault, 19*time.Second, 48200*time.Millisecond, false, false),
				},
				Events:   events(q2Fault, 6*time.Second, 48200*time.Millisecond),
				Findings: []result.Finding{},
			},
			{
				Drill: "Q3", Name: "Live trading failure", PlanRow: "Live system failure",
				Status: result.Failed, StartedAt: at(14 * time.Minute), EndedAt: at(32 * time.Minute),
				RTO: &result.RTO{Actual: 965, Target: 900, ProbeInterval: 1, FaultAt: q3Fault, VerifiedAt: q3Fault.Add(965 * time.Second), Met: false},
				RPO: &result.RPO{Actual: 7, Target: 60, LostEvents: 3, Basis: "newest state change in the restored snapshot; fills from the broker's ledger",
					NewestRecovered: q3Fault.Add(-7 * time.Second), FaultAt: q3Fault, Met: true, Uncertain: 1,
					WorstCase: 7, WorstCaseBasis: result.BasisMeasured, WorstCaseMet: true,
					WorstCaseWhy: "fault 54.2 s after the newest state snapshot, late in a cycle observed every 60.1 s"},
				Phases: []result.Phase{
					phase("detect", q3Fault, 0, 3*time.Second, false, false),
					phase("restore the latest state snapshot", q3Fault, 3*time.Second, 95*time.Second, false, false),
					phase("log into the broker and note positions", q3Fault, 95*time.Second, 400*time.Second, true, true),
					phase("reconcile with the broker", q3Fault, 400*time.Second, 520*time.Second, false, false),
					phase("start in paper mode", q3Fault, 520*time.Second, 580*time.Second, false, false),
					phase("verify positions match", q3Fault, 580*time.Second, 640*time.Second, false, false),
					phase("manual approval before going live", q3Fault, 640*time.Second, 950*time.Second, true, false),
					phase("switch to live", q3Fault, 950*time.Second, 965*time.Second, false, false),
				},
				Events: events(q3Fault, 3*time.Second, 965*time.Second),
				Findings: []result.Finding{
					{At: q3Fault.Add(96 * time.Second), Step: "Restore latest + reconcile with broker", Command: "make verify:positions",
						Output: "positions differ: AAPL 100 (state) vs 130 (broker)\n", Resolution: "reconciled the three missing fills from the broker"},
					{At: q3Fault.Add(98 * time.Second), Step: "Restore latest", Command: "cp artifacts/state/backup/latest.json artifacts/state/",
						Output: "cp: cannot stat 'artifacts/state/backup/latest.json': No such file or directory\n", Resolution: "restored the newest timestamped snapshot"},
				},
				Failures: []string{"RTO 16m5s exceeded target 15m0s (fault 10:30:00Z, verified 10:46:05Z)"},
				Evidence: []result.Evidence{{Name: "broker fills", Detail: "F-1041, F-1042, F-1043 missing from the restored state"}},
			},
			{
				Drill: "Q4", Name: "Complete server failure", PlanRow: "Complete server failure",
				Status: result.Failed, StartedAt: at(34 * time.Minute), EndedAt: at(47 * time.Minute),
				Phases: []result.Phase{
					phase("detect", q4Fault, 0, 5*time.Second, false, false),
					phase("clone the repository on the backup server", q4Fault, 5*time.Second, 40*time.Second, false, false),
					phase("restore from the cloud", q4Fault, 40*time.Second, 12*time.Minute, false, false),
				},
				Events: events(q4Fault, 5*time.Second, 0),
				Findings: []result.Finding{{
					At: q4Fault.Add(41 * time.Second), Step: "Restore from cloud", Command: "restic -r s3:minio/backups restore latest --target / && echo `ok` | tee",
					Output: "open repository\nrepository 3fa2 opened\nlisting snapshots\n" +
						"Fatal: unable to open config file: <Key not found> & giving up | see the log\n",
				}},
				Failures: []string{"measure RTO: recovery was never verified after the fault at 10:50:00Z (no verified event)"},
			},
			{
				Drill: "Q3", Name: "Live trading failure with orders in flight", PlanRow: "Live system failure",
				Status: result.NotRun, StartedAt: at(32 * time.Minute), EndedAt: at(33*time.Minute + 40*time.Second),
				Events: []result.Event{
					{At: at(32*time.Minute + 50*time.Second), Kind: "steady", Detail: "trading, backups running"},
					{At: at(33*time.Minute + 30*time.Second), Kind: "precondition_failed", Detail: "no order in flight"},
				},
				Findings:     []result.Finding{},
				NotRunReason: notRunReason,
			},
		},
	}
}

// fixtureHistory is what earlier runs left in reports/history.jsonl.
func fixtureHistory() []Entry {
	s := func(v float64) *result.Seconds { x := result.Seconds(v); return &x }
	may := time.Date(2026, 5, 27, 9, 0, 0, 0, time.UTC)
	aug := time.Date(2026, 8, 27, 9, 0, 0, 0, time.UTC)
	entry := func(run string, when time.Time, profile, drill, name string, status result.Status, rto, rpo *result.Seconds) Entry {
		return Entry{RunID: run, Profile: profile, Drill: drill, Scenario: name, Status: status, RTO: rto, RPO: rpo, At: when}
	}
	q1 := "Data corruption: restore from the latest backup (option A)"
	return []Entry{
		entry("20260827T090000Z-0001", aug, "quarterly", "Q1", q1, result.Passed, s(180), s(240)),
		entry("20260527T090000Z-0001", may, "quarterly", "Q1", q1, result.Passed, s(140), s(200)),
		entry("20260901T120000Z-ci01", aug.AddDate(0, 0, 5), "ci", "Q1", q1, result.Passed, s(9), s(3)),
		entry("20260827T090000Z-0001", aug, "quarterly", "Q2", "Config corruption: broken YAML in configs/risk.yml", result.Passed, s(47), s(0)),
		entry("20260527T090000Z-0001", may, "quarterly", "Q3", "Live trading failure", result.Passed, s(560), s(4)),
		entry("20260827T090000Z-0001", aug, "quarterly", "Q3", "Live trading failure", result.Failed, s(600), s(5)),
		entry("20260827T090000Z-0001", aug, "quarterly", "Q3", "Live trading failure with orders in flight", result.Passed, s(500), s(3)),
		// a Q1 that did not run, holding numbers all the same: neither the
		// previous nor the best run of Q1
		entry("20260915T090000Z-0001", aug.AddDate(0, 0, 19), "quarterly", "Q1", q1, result.NotRun, s(100), s(100)),
		// the run being rendered, already appended: ignored
		entry("20261127T101500Z-ab12", t0, "quarterly", "Q3", "Live trading failure", result.Failed, s(965), s(7)),
	}
}

// phasesScenario is a scenario with n phases of uneven length, for the
// layout tests.
func phasesScenario(n int) result.Scenario {
	fault := at(time.Minute)
	var phases []result.Phase
	start := time.Duration(0)
	for i := range n {
		d := time.Duration(1+i*i*7) * time.Second
		phases = append(phases, phase(fmt.Sprintf("phase %d of the recovery with a long name", i+1), fault, start, start+d, i%3 == 1, i%3 == 1))
		start += d
	}
	return result.Scenario{
		Drill: "Q9", Name: fmt.Sprintf("%d phases", n), PlanRow: "Data corruption", Status: result.Passed,
		RTO:    &result.RTO{Actual: sec(start), Target: sec(start + 2*time.Second), ProbeInterval: 1, FaultAt: fault, VerifiedAt: fault.Add(start), Met: true},
		RPO:    &result.RPO{Actual: 1, Target: 1, FaultAt: fault, NewestRecovered: fault.Add(-time.Second), Met: true},
		Phases: phases, Events: events(fault, time.Second, start),
		Findings: []result.Finding{
			{At: fault.Add(time.Second), Step: "a", Command: "x"},
			{At: fault.Add(time.Second), Step: "b", Command: "y"},
		},
	}
}
