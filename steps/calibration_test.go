package steps_test

import (
	"os"
	"testing"
	"time"

	"firedrill/harness/runner"
)

// knownOutage is the outage systems/calibration.yml injects
// (`calibrated-outage 3`): the recovery time known in advance.
const knownOutage = 3 * time.Second

// TestCalibration runs a drill against the calibration system, whose
// recovery takes a known 3 s, and checks the RTO firedrill measures is that
// time within one probe interval (plus the time the fault command itself
// took to run, which the result states as evidence).
func TestCalibration(t *testing.T) {
	if err := dockerReachable(); err != nil {
		if testing.Short() && os.Getenv("CI") != "true" {
			t.Skip("skipping calibration in -short mode without Docker")
		}
		t.Fatal("Docker is not reachable: " + err.Error())
	}
	if *tags != "" && *tags != "@calibration" {
		t.Skip("drills selected by tag: calibration runs only with no tag selection")
	}
	ctx := runContext(t)
	out, err := runner.Run(ctx, runner.Options{
		Features:    []string{"../features/calibration.feature"},
		Tags:        "@calibration",
		Profile:     "ci",
		SystemPath:  "../systems/calibration.yml",
		PlanPath:    *plan,
		ReportsRoot: *reports,
		TestingT:    t,
		Output:      os.Stdout,
		NoColor:     true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Run.Scenarios) != 1 || out.Run.Scenarios[0].RTO == nil {
		t.Fatalf("want one scenario with a measured RTO, got %+v", out.Run.Scenarios)
	}
	rto := out.Run.Scenarios[0].RTO
	probe := rto.ProbeInterval.Duration()
	got := rto.Actual.Duration()
	// The outage starts while the fault command runs, and ends at a
	// moment the next probe sees; so the measured RTO lies in
	// [outage, outage + fault command + one probe interval].
	tolerance := probe + 300*time.Millisecond
	if got < knownOutage-50*time.Millisecond || got > knownOutage+tolerance {
		t.Fatalf("measured RTO %s for a known %s outage: off by more than one probe interval (%s) plus the fault command", got, knownOutage, probe)
	}
	t.Logf("known outage %s, measured RTO %s (probe interval %s)", knownOutage, got, probe)
}
