package steps_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"firedrill/harness/drill"
	"firedrill/harness/result"
	"firedrill/harness/runner"
	"firedrill/steps"
)

// stampLag bounds how late a fault stamp taken when the kill action
// returns may be after the damage itself (measured here: 10-30 ms).
const stampLag = 50 * time.Millisecond

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
	needCalibration(t)
	for _, prof := range []string{"ci", "quarterly"} {
		t.Run(prof, func(t *testing.T) {
			out := runCalibration(t, prof, "calibration.feature", "@calibration && ~@loss", "calibration.yml")
			if len(out.Run.Scenarios) != 2 {
				t.Fatalf("want the calibration's two scenarios, got %d", len(out.Run.Scenarios))
			}
			for _, sc := range out.Run.Scenarios {
				checkCalibrated(t, out.ReportDir, sc)
			}
		})
	}
}

// needCalibration skips or fails a calibration test that cannot run: no
// Docker (a failure in CI), or drills selected by another tag.
func needCalibration(t *testing.T) {
	t.Helper()
	if err := dockerReachable(); err != nil {
		if testing.Short() && os.Getenv("CI") != "true" {
			t.Skip("skipping calibration in -short mode without Docker")
		}
		t.Fatal("Docker is not reachable: " + err.Error())
	}
	if *tags != "" && *tags != "@calibration" {
		t.Skip("drills selected by tag: calibration runs only with no tag selection")
	}
}

// runCalibration runs one calibration feature against its system.
func runCalibration(t *testing.T, prof, feature, tags, system string) *runner.Outcome {
	t.Helper()
	out, err := runner.Run(runContext(t), runner.Options{
		Glue:        steps.Glue,
		Features:    []string{"../features/" + feature},
		Tags:        tags,
		Profile:     prof,
		SystemPath:  "../systems/" + system,
		PlanPath:    *plan,
		ReportsRoot: *reports,
		TestingT:    t,
		Output:      os.Stdout,
		NoColor:     true,
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// checkCalibrated holds one scenario's measured RTO to the outage's true
// length, read from the log the system kept of it.
func checkCalibrated(t *testing.T, reportDir string, sc result.Scenario) {
	t.Helper()
	if sc.RTO == nil {
		t.Fatalf("%s: no RTO measured: %v", sc.Name, sc.Failures)
	}
	truth, err := trueOutage(filepath.Join(drill.LogDir(reportDir, sc.Name), "app.log"))
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
	// The recovery is verified by the first check that passes after the
	// thaw, and the fault is stamped when the system's kill action returns:
	// after the freeze, the action's own last lines and the stamp's read of
	// the clock, 10-30 ms here and more on a loaded machine. So the measured
	// RTO lies in [truth - that lag, truth + precision]; 50 ms bounds the lag.
	if got < truth-stampLag || got > truth+precision+stampLag {
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

// TestCalibrationLoss runs a drill against the loss calibration system
// (systems/calibration-loss.yml) at both profiles: its crash follows a
// backup of a frozen state by a few seconds in which an order of its own
// fills, and it logs the frozen state, the moment of the kill and the
// broker's fills. The measured RPO must equal what a restore of that backup
// loses by firedrill's own rules (the age of the restored state's newest
// change, or of the earliest lost fill if older) within 100 ms, and the
// lost fills must be the broker's fills up to the kill that the frozen
// state lacks.
func TestCalibrationLoss(t *testing.T) {
	needCalibration(t)
	for _, prof := range []string{"ci", "quarterly"} {
		t.Run(prof, func(t *testing.T) {
			out := runCalibration(t, prof, "calibration_loss.feature", "@calibration && @loss", "calibration-loss.yml")
			if len(out.Run.Scenarios) != 1 || out.Run.Scenarios[0].RPO == nil {
				t.Fatalf("want one scenario with a measured RPO, got %+v", out.Run.Scenarios)
			}
			sc := out.Run.Scenarios[0]
			truth, err := knownLoss(filepath.Join(drill.LogDir(out.ReportDir, sc.Name), "app.log"))
			if err != nil {
				t.Fatal(err)
			}
			if truth.lostMin == 0 {
				t.Fatalf("the calibration lost no fill (frozen state %d fills; broker %d up to the kill): it proves nothing of lost fills", truth.frozenFills, truth.brokerFills)
			}
			got := sc.RPO.Actual.Duration()
			if d := got - truth.rpo; d < -100*time.Millisecond || d > 100*time.Millisecond {
				t.Fatalf("measured RPO %s, a restore of the backup loses %s (%s): off by %s, more than 100 ms", got, truth.rpo, truth.why, d)
			}
			if n := sc.RPO.LostEvents; n < truth.lostMin || n > truth.lostMax {
				t.Fatalf("measured %d lost fills, the broker's record says %d (%d counting fills within 100 ms after the kill)", n, truth.lostMin, truth.lostMax)
			}
			t.Logf("known loss %s (%s), %d lost fill(s); measured RPO %s, %d lost", truth.rpo, truth.why, truth.lostMin, got, sc.RPO.LostEvents)
		})
	}
}

// loss is what a restore of the loss calibration's backup must lose.
type loss struct {
	rpo              time.Duration
	why              string
	lostMin, lostMax int
	frozenFills      int
	brokerFills      int
}

var lossLine = regexp.MustCompile(`firedrill-calibration: (frozen state|killed at|broker fills) (.*)`)

// knownLoss reads the loss calibration's log and works out, from the
// frozen state, the kill and the broker's fills, what a restore loses.
func knownLoss(path string) (loss, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return loss{}, fmt.Errorf("read the loss's own log: %w", err)
	}
	var (
		frozen struct {
			UpdatedAt    time.Time `json:"updated_at"`
			AppliedFills []string  `json:"applied_fills"`
		}
		fills []struct {
			ID       string    `json:"id"`
			FilledAt time.Time `json:"filled_at"`
		}
		killed time.Time
		seen   = map[string]bool{}
	)
	for _, m := range lossLine.FindAllStringSubmatch(string(b), -1) {
		seen[m[1]] = true
		switch m[1] {
		case "frozen state":
			err = json.Unmarshal([]byte(m[2]), &frozen)
		case "broker fills":
			err = json.Unmarshal([]byte(m[2]), &fills)
		case "killed at":
			var v float64
			v, err = strconv.ParseFloat(strings.TrimSpace(m[2]), 64)
			killed = time.Unix(0, int64(v*1e9))
		}
		if err != nil {
			return loss{}, fmt.Errorf("%s: read %q: %w", path, m[0], err)
		}
	}
	for _, want := range []string{"frozen state", "killed at", "broker fills"} {
		if !seen[want] {
			return loss{}, fmt.Errorf("%s holds no %q line: the calibration system did not log it", path, want)
		}
	}
	have := map[string]bool{}
	for _, id := range frozen.AppliedFills {
		have[id] = true
	}
	l := loss{rpo: killed.Sub(frozen.UpdatedAt), why: "the frozen state's newest change, " + frozen.UpdatedAt.UTC().Format("15:04:05.000Z"), frozenFills: len(frozen.AppliedFills)}
	for _, f := range fills {
		if f.FilledAt.After(killed.Add(100 * time.Millisecond)) {
			continue
		}
		if !f.FilledAt.After(killed) {
			l.brokerFills++
		}
		if have[f.ID] {
			continue
		}
		l.lostMax++
		if f.FilledAt.After(killed) {
			continue
		}
		l.lostMin++
		if age := killed.Sub(f.FilledAt); age > l.rpo {
			l.rpo, l.why = age, "lost fill "+f.ID+", filled "+f.FilledAt.UTC().Format("15:04:05.000Z")
		}
	}
	return l, nil
}
