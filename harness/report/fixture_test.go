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

// q1bDataRPO is the evidence of Q1 option B's data RPO: one line per file,
// as the drill writes it.
const q1bDataRPO = "AAPL.parquet: 2 M5 bars lost (10:47:55Z, 10:48:00Z), published 10:48:02Z and 10:48:07Z\n" +
	"MSFT.parquet: none lost\n" +
	"NVDA.parquet: 1 M5 bar lost (10:48:00Z), published 10:48:07Z"

// q1aCommand is the corrected step of Q1 option A, as long as the real one.
const q1aCommand = `rm -rf /tmp/restore; for id in $(restic -r "$RESTIC_REPOSITORY" snapshots --tag data --compact | grep -oE '^[0-9a-f]{8}' | tac); do restic -r "$RESTIC_REPOSITORY" restore "$id" --target /tmp/restore --include /opt/trading/traderunner/artifacts/data_m5 && break; done`

// fixtureRun is a quarterly run of six scenarios: three passed (one, Q1
// option B, re-fetched its data, so its newest recovered change is dated in
// the data's own time, 2024), one over its RTO target, one that never
// recovered, and one not run (its precondition, an order in flight, could
// not be brought about).
func fixtureRun() result.Run {
	q1Fault := at(71 * time.Second)
	q2Fault := at(9 * time.Minute)
	q3Fault := at(15 * time.Minute)
	q4Fault := at(35 * time.Minute)
	q1bFault := at(49 * time.Minute)
	return result.Run{
		SchemaVersion: result.SchemaVersion,
		RunID:         "20261127T101500Z-ab12",
		Profile:       "quarterly", Cadences: map[string]result.Seconds{"state_backup_interval": 60, "probe_interval": 1},
		System:    "traderunner-reference",
		Plan:      "docs/dr-plan.md",
		StartedAt: t0, EndedAt: at(52*time.Minute + 30*time.Second),
		PlanAudit: []result.AuditLine{
			{Row: "Data corruption", Verdict: "broken", Text: `RPO of "Data corruption" (line 73: 5 min) cannot be kept: its data backup of "Market data" (line 21) is daily: up to 24 h lost`},
			{Row: "Live system failure", Verdict: "kept", Text: `RPO of "Live system failure" (line 74: 1 min) is kept: its state backup runs every 60 s: up to 60 s lost, margin 0 s`},
		},
		Runbook: []result.PlanRef{
			{Procedure: 2, Step: 1, Title: "Identify corrupted files", Line: 128, EndLine: 130, Fingerprint: "caae54ed"},
			{Procedure: 2, Step: 2, Title: "Option A: Restore from backup", Line: 131, EndLine: 137, Fingerprint: "261541a3"},
			{Procedure: 2, Step: 3, Title: "Option B: Re-fetch from source", Line: 138, EndLine: 140, Fingerprint: "38acd40e"},
			{Procedure: 2, Step: 4, Title: "Verify", Line: 141, EndLine: 142, Fingerprint: "caae54ed"},
		},
		Substitutions: []result.Substitution{
			{Plan: "/home/mirko/data/workspace/droid/traderunner", Here: "/opt/trading/traderunner"},
			{Plan: "/backup/traderunner", Here: `"$RESTIC_REPOSITORY"`},
		},
		PlanPatch: "--- a/docs/dr-plan.md\n+++ b/docs/dr-plan.md\n@@ -129,9 +129,10 @@\n make data:validate\n \n # 2. Option A: Restore from backup\n-restic -r /backup/traderunner restore latest \\\n-    --target /tmp/restore \\\n-    --path /home/mirko/data/workspace/droid/traderunner/data\n-\n-cp -r /tmp/restore/data/* data/\n+# Corrected by firedrill: as written this step failed in drill Q1 (run 20261127T101500Z-ab12).\n+rm -rf /tmp/restore\n+restic -r /backup/traderunner restore latest --tag data --target /tmp/restore\n+cp -a /tmp/restore/home/mirko/data/workspace/droid/traderunner/artifacts/data_m5 artifacts/\n \n # 3. Option B: Re-fetch from source\n make data:fetch START_DATE=2024-01-01 END_DATE=2024-12-31\n",
		Scenarios: []result.Scenario{
			{
				Drill: "Q1", Name: "Data corruption: restore from the latest backup (option A)", PlanRow: "Data corruption",
				Feature: "features/q1_data_corruption.feature", Line: 30,
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
				PlanSteps: []result.PlanStepOutcome{
					{PlanRef: result.PlanRef{Procedure: 2, Step: 1, Title: "Identify corrupted files", Line: 128, EndLine: 130, Fingerprint: "caae54ed"}, Outcome: "ran as written, failed as the fault predicts"},
					{PlanRef: result.PlanRef{Procedure: 2, Step: 2, Title: "Option A: Restore from backup", Line: 131, EndLine: 137, Fingerprint: "261541a3"}, Outcome: "failed as written; the corrected step passed"},
					{PlanRef: result.PlanRef{Procedure: 2, Step: 4, Title: "Verify", Line: 141, EndLine: 142, Fingerprint: "caae54ed"}, Outcome: "ran as written, passed"},
				},
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
				Feature: "features/q3_live_trading_failure.feature", Line: 13,
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
			{
				Drill: "Q1", Name: "the M5 bars are deleted and recovered by option B", PlanRow: "Data corruption",
				Feature: "features/q1_data_corruption.feature", Line: 31,
				Status: result.Passed, StartedAt: at(48 * time.Minute), EndedAt: at(51 * time.Minute),
				RTO: &result.RTO{Actual: 95.4, Target: 600, ProbeInterval: 1, FaultAt: q1bFault, VerifiedAt: q1bFault.Add(95400 * time.Millisecond), Met: true},
				RPO: &result.RPO{Actual: 45, Target: 300, LostEvents: 3, Basis: "compared at M5 grain: the bars of each file in artifacts/data_m5 against those it held at the fault, dated by the broker's publication times",
					NewestRecovered: time.Date(2024, 12, 31, 21, 0, 0, 0, time.UTC), FaultAt: q1bFault, Met: true,
					WorstCase: 45, WorstCaseBasis: result.BasisMeasured, WorstCaseMet: true},
				Phases: []result.Phase{
					phase("detect", q1bFault, 0, 2500*time.Millisecond, false, false),
					phase("re-fetch from source (option B), as written", q1bFault, 2500*time.Millisecond, 3100*time.Millisecond, false, false),
					phase("re-fetch everything the broker has", q1bFault, 3100*time.Millisecond, 81*time.Second, false, false),
					phase("make data:validate", q1bFault, 81*time.Second, 95400*time.Millisecond, false, false),
				},
				Events: events(q1bFault, 2500*time.Millisecond, 95400*time.Millisecond),
				Findings: []result.Finding{
					{At: q1bFault.Add(3 * time.Second), Step: "re-fetch from source (option B)", Command: "make data:fetch START_DATE=2024-01-01 END_DATE=2024-12-31",
						Output: "exit 2: fetch: END_DATE 2024-12-31 is before the newest bar the broker has (2026-11-27): nothing to fetch", Resolution: "re-fetched everything the broker has: " + q1aCommand},
				},
				Evidence: []result.Evidence{{Name: "data RPO", Detail: q1bDataRPO}},
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

// fixtureFeatures is what godog ran of the fixture run, as the runner
// records it: Q1's feature (option A, whose finding was found during the
// plan's step, and option B) and Q3's (over its RTO target, and the
// scenario not run). Q2 and Q4 were not recorded.
func fixtureFeatures() []Feature {
	run := fixtureRun()
	q1a, q3, notRun, q1b := run.Scenarios[0], run.Scenarios[2], run.Scenarios[4], run.Scenarios[5]
	step := func(kw, text string, line int, from, to time.Time, status, err string) Step {
		return Step{Keyword: kw, Text: text, Line: line, Status: status, Error: err, Match: "steps.go:40", StartedAt: from, EndedAt: to}
	}
	q1aFault, q3Fault := q1a.RTO.FaultAt, q3.RTO.FaultAt
	background := func(start time.Time) []Step {
		return []Step{
			step("Given ", "a traderunner deployment trading in paper mode against the mock broker", 10, start, start.Add(20*time.Second), StepPassed, ""),
			step("And ", `the drill measures the "Data corruption" row of the DR plan`, 12, start.Add(20*time.Second), start.Add(21*time.Second), StepPassed, ""),
		}
	}
	tags := []Tag{{Name: "@q1"}, {Name: "@quarterly"}}
	return []Feature{
		{
			URI: "features/q1_data_corruption.feature", Keyword: "Feature", Name: `Q1 drill: data corruption (plan scenario 2, row "Data corruption")`,
			Description: "  Market data under artifacts/ is lost or damaged while the traderunner trades.", Line: 2,
			Tags: []Tag{{Name: "@q1", Line: 1, Column: 1}, {Name: "@quarterly", Line: 1, Column: 5}},
			Scenarios: []FeatureScenario{
				{
					Keyword: "Scenario Outline", Name: q1a.Name, Line: 30, Tags: tags, StartedAt: q1a.StartedAt,
					Steps: append(background(q1a.StartedAt),
						step("When ", `the "artifacts/data_m5" directory is deleted`, 15, q1aFault.Add(-time.Second), q1aFault, StepPassed, ""),
						Step{Keyword: "When ", Text: `the operator runs the plan's step "Verify: Data SLAs pass":`, Line: 17, Status: StepPassed,
							DocString: &DocString{Line: 18, Content: "make data:validate"}, StartedAt: q1aFault.Add(150 * time.Second), EndedAt: q1aFault.Add(170 * time.Second)},
						step("Then ", "the RTO and RPO are within the plan's targets", 27, q1aFault.Add(192*time.Second), q1aFault.Add(193*time.Second), StepPassed, ""),
					),
				},
				{
					Keyword: "Scenario Outline", Name: q1b.Name, Line: 31, Tags: tags, StartedAt: q1b.StartedAt,
					Steps: append(background(q1b.StartedAt),
						step("When ", `the operator runs the plan's step "re-fetch from source (option B)":`, 17, q1b.RTO.FaultAt.Add(2*time.Second), q1b.RTO.FaultAt.Add(4*time.Second), StepPassed, ""),
						step("Then ", "the RTO and RPO are within the plan's targets", 27, q1b.RTO.FaultAt.Add(96*time.Second), q1b.RTO.FaultAt.Add(97*time.Second), StepPassed, ""),
					),
				},
			},
		},
		{
			URI: "features/q3_live_trading_failure.feature", Keyword: "Feature", Name: "Q3 drill: live trading failure", Line: 2,
			Tags: []Tag{{Name: "@q3", Line: 1, Column: 1}},
			Scenarios: []FeatureScenario{
				{
					Keyword: "Scenario", Name: q3.Name, Line: 13, Tags: []Tag{{Name: "@q3"}}, StartedAt: q3.StartedAt,
					Steps: []Step{
						step("When ", "the live trading process is killed", 14, q3Fault.Add(-time.Second), q3Fault, StepPassed, ""),
						step("Then ", "the RTO and RPO are within the plan's targets", 20, q3Fault.Add(965*time.Second), q3Fault.Add(966*time.Second), StepFailed, q3.Failures[0]),
					},
				},
				{
					Keyword: "Scenario", Name: notRun.Name, Line: 24, Tags: []Tag{{Name: "@q3"}}, StartedAt: notRun.StartedAt,
					Steps: []Step{
						step("Given ", "an order is in flight", 25, notRun.StartedAt, notRun.EndedAt, StepFailed, "not run: "+notRunReason),
						{Keyword: "When ", Text: "the live trading process is killed", Line: 26, Status: StepSkipped},
					},
				},
			},
		},
	}
}
