package bench

import (
	"strings"
	"testing"
	"time"

	"firedrill/harness/result"
)

func TestStatOf(t *testing.T) {
	for _, tc := range []struct {
		name          string
		in            []float64
		med, min, max float64
	}{
		{"odd", []float64{3, 1, 2}, 2, 1, 3},
		{"even: mean of the middle two", []float64{4, 1, 3, 2}, 2.5, 1, 4},
		{"one", []float64{7}, 7, 7, 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := statOf(tc.in)
			if s.Median != tc.med || s.Min != tc.min || s.Max != tc.max || s.N != len(tc.in) {
				t.Errorf("statOf(%v) = %+v", tc.in, s)
			}
		})
	}
	if s := statOf(nil); s.N != 0 || s.Seconds() != "n/a" {
		t.Errorf("statOf(nil) = %+v", s)
	}
}

func TestParseHWM(t *testing.T) {
	status := "Name:\tsteps.test\nVmPeak:\t 2000000 kB\nVmHWM:\t   80696 kB\nVmRSS:\t   70000 kB\n"
	got, err := parseHWM(strings.NewReader(status))
	if err != nil || got != 80696*1024 {
		t.Errorf("parseHWM = %d, %v", got, err)
	}
	if _, err := parseHWM(strings.NewReader("Name:\tx\n")); err == nil {
		t.Error("want an error without a VmHWM line")
	}
}

func TestParseScript(t *testing.T) {
	out := `phase start_in_paper_mode 1795772045.345005 1795772045.653917
event fault_injected 1795772048.761722
event failure_observed 1795772048.927302
phase restore_from_backup_(option_A) 1795772048.934409 1795772049.443187
phase restore_artifacts/data_m5 1795772049.444897 1795772049.994726
phase check 1795772049.998600 1795772050.122405
event verified 1795772050.122405
rto 1.360683
`
	bd, err := parseScript([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	ms := func(d time.Duration) int64 { return d.Round(time.Millisecond).Milliseconds() }
	if ms(bd.RTO) != 1361 || ms(bd.Detect) != 166 || ms(bd.Steps) != 1059 || ms(bd.Verify) != 124 {
		t.Errorf("breakdown = %+v (the steady-state phase before the fault must not count)", bd)
	}
	if bd.RTO != bd.Detect+bd.Steps+bd.Verify+bd.Other {
		t.Errorf("parts do not add up: %+v", bd)
	}
	if _, err := parseScript([]byte("phase x 1.0 2.0\n")); err == nil {
		t.Error("want an error when the script printed no RTO")
	}
}

func TestFiredrillBreakdown(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	s := result.Scenario{
		RTO: &result.RTO{Actual: result.Sec(3 * time.Second), FaultAt: at(0), VerifiedAt: at(3000)},
		Events: []result.Event{
			{At: at(-5000), Kind: "steady"}, {At: at(0), Kind: "fault_injected"},
			{At: at(600), Kind: "failure_observed"}, {At: at(3000), Kind: "verified"},
		},
		Phases: []result.Phase{
			{Name: "restart", StartedAt: at(100), EndedAt: at(600)},
			{Name: "roll back", StartedAt: at(600), EndedAt: at(1600)},
			{Name: "start in paper mode", StartedAt: at(1600), EndedAt: at(2500)},
			{Name: "check: make health-check", StartedAt: at(2800), EndedAt: at(3000)},
		},
	}
	bd := firedrillBreakdown(s)
	want := Breakdown{RTO: 3 * time.Second, Detect: 600 * time.Millisecond, Steps: 1900 * time.Millisecond, Verify: 200 * time.Millisecond, Other: 300 * time.Millisecond}
	if bd != want {
		t.Errorf("breakdown = %+v, want %+v (a phase before the failure showed is detection)", bd, want)
	}
}

func TestComposeReady(t *testing.T) {
	names := []string{"fd-minio", "fd-broker", "fd-gitremote", "fd-traderunner"}
	health := map[string]bool{"fd-gitremote": true, "fd-traderunner": true}
	ps := func(tr string) string {
		return `     Name                  Command               State                  Ports
-----------------------------------------------------------------------------------
fd-broker        /broker                          Up                      0.0.0.0:33154->8080/tcp
fd-gitremote     git daemon --verbose --reu ...   Up (healthy)            8090/tcp
fd-minio         /minio server /data --addr ...   Up                      0.0.0.0:33153->9000/tcp
fd-traderunner   bash -c export MODE=paper; ...   ` + tr + `   0.0.0.0:33155->8090/tcp
`
	}
	for _, tc := range []struct {
		state   string
		ready   bool
		wantErr bool
	}{
		{"Up (health: starting)", false, false},
		{"Up (healthy)", true, false},
		{"Up (unhealthy)", false, true},
		{"Exit 1", false, true},
	} {
		t.Run(tc.state, func(t *testing.T) {
			ok, detail, err := composeReady(ps(tc.state), names, health)
			if ok != tc.ready || (err != nil) != tc.wantErr {
				t.Errorf("composeReady = %v, %q, %v", ok, detail, err)
			}
		})
	}
	if ok, detail, _ := composeReady("", names, health); ok || !strings.Contains(detail, "not listed") {
		t.Errorf("empty ps: %v %q", ok, detail)
	}
}

func TestEpoch(t *testing.T) {
	got, err := epoch("1795772050.122405")
	if err != nil || got.UnixNano() != 1795772050122405000 {
		t.Errorf("epoch = %v, %v", got.UnixNano(), err)
	}
	if _, err := epoch("soon"); err == nil {
		t.Error("want an error")
	}
}

func TestRunRejectsUnknownSection(t *testing.T) {
	_, err := Run(t.Context(), Options{Root: t.TempDir(), Only: []string{"everything"}})
	if err == nil || !strings.Contains(err.Error(), "unknown section") {
		t.Errorf("Run = %v", err)
	}
}

func TestSubtestPattern(t *testing.T) {
	for in, want := range map[string]string{
		"":                             "^TestDrills$",
		"the live trading process (x)": `^TestDrills$/^reference$/^the_live_trading_process_\(x\)$`,
		`"configs/risk.yml" is broken`: `^TestDrills$/^reference$/^"configs$/^risk\.yml"_is_broken$`,
	} {
		if got := subtestPattern("systems/reference.yml", in); got != want {
			t.Errorf("subtestPattern(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestStatRendering(t *testing.T) {
	three := Stat{N: 3, Median: 0.91, Min: 0.85, Max: 0.97}
	one := Stat{N: 1, Median: 70e6, Min: 70e6, Max: 70e6}
	for got, want := range map[string]string{
		Stat{N: 3, Median: 12.3, Min: 11.9, Max: 13}.Seconds(): "12.30 s (11.90–13.00)",
		Stat{N: 1, Median: 12.3}.Seconds():                     "12.30 s (1 run)",
		three.Ratio():                                          "0.91× (0.85–0.97)",
		Stat{N: 1, Median: 0.91}.Ratio():                       "0.91× (1 pair)",
		Stat{N: 2, Median: 70e6, Min: 69e6, Max: 71e6}.MB():    "70 MB (69–71)",
		one.MB():       "70 MB (1 run)",
		Stat{}.Ratio(): "n/a",
	} {
		if got != want {
			t.Errorf("rendered %q, want %q", got, want)
		}
	}
}
