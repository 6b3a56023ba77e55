package steps_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"firedrill/harness/drill"
	"firedrill/harness/result"
	"firedrill/harness/runner"
)

// knownOutage is the outage systems/calibration.yml injects
// (`calibrated-outage 3`): the recovery time known in advance.
const knownOutage = 3 * time.Second

// TestCalibration runs the calibration feature against the calibration
// system at both profiles' probe intervals (ci 250 ms, quarterly 1 s). Its
// outage is a known 3 s, and the system logs the outage's true start and
// end by the container's own clock; each scenario's measured RTO must be
// that true length within the precision firedrill states for it (the probe
// interval plus the final check's own measured duration), whether the
// recovery is verified over HTTP or by a command run in the container.
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
	for _, prof := range []string{"ci", "quarterly"} {
		t.Run(prof, func(t *testing.T) {
			ctx := runContext(t)
			out, err := runner.Run(ctx, runner.Options{
				Features:    []string{"../features/calibration.feature"},
				Tags:        "@calibration",
				Profile:     prof,
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
			if len(out.Run.Scenarios) != 2 {
				t.Fatalf("want the calibration's two scenarios, got %d", len(out.Run.Scenarios))
			}
			for _, sc := range out.Run.Scenarios {
				checkCalibrated(t, out.ReportDir, sc)
			}
		})
	}
}

// checkCalibrated holds one scenario's measured RTO to the outage's true
// length, read from the log the system kept of it.
func checkCalibrated(t *testing.T, reportDir string, sc result.Scenario) {
	t.Helper()
	if sc.RTO == nil {
		t.Fatalf("%s: no RTO measured: %v", sc.Name, sc.Failures)
	}
	truth, err := trueOutage(filepath.Join(drill.LogDir(reportDir, sc.Name), "traderunner-app.log"))
	if err != nil {
		t.Fatalf("%s: %v", sc.Name, err)
	}
	if d := truth - knownOutage; d < -100*time.Millisecond || d > 500*time.Millisecond {
		t.Fatalf("%s: the system logged an outage of %s, not the known %s: the calibration system itself is off", sc.Name, truth, knownOutage)
	}
	got, precision := sc.RTO.Actual.Duration(), sc.RTO.Precision.Duration()
	if precision < sc.RTO.ProbeInterval.Duration() {
		t.Fatalf("%s: stated precision %s is less than the probe interval %s", sc.Name, precision, sc.RTO.ProbeInterval.Duration())
	}
	// The fault is stamped right after the freeze and the recovery is
	// verified by the first check that passes after the thaw: the measured
	// RTO lies in [truth, truth + precision], give or take the 25 ms the
	// stamps of two clocks and two commands may differ by.
	if got < truth-25*time.Millisecond || got > truth+precision+25*time.Millisecond {
		t.Fatalf("%s: measured RTO %s for a true outage of %s: outside the stated precision %s", sc.Name, got, truth, precision)
	}
	t.Logf("%s: true outage %s (by the container's clock), measured RTO %s, stated precision %s", sc.Name, truth, got, precision)
}

var outageLine = regexp.MustCompile(`firedrill-calibration: outage (start|end) (\d+\.\d+)`)

// trueOutage reads the outage's start and end from the deployment's log.
func trueOutage(path string) (time.Duration, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("read the outage's own log: %w", err)
	}
	at := map[string]float64{}
	for _, m := range outageLine.FindAllStringSubmatch(string(b), -1) {
		v, err := strconv.ParseFloat(m[2], 64)
		if err != nil {
			return 0, err
		}
		at[m[1]] = v
	}
	start, ok1 := at["start"]
	end, ok2 := at["end"]
	if !ok1 || !ok2 {
		return 0, fmt.Errorf("%s holds no outage start and end: the calibration system did not log them", path)
	}
	return time.Duration((end - start) * float64(time.Second)), nil
}
