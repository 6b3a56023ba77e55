package drill

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"firedrill/harness/fault"
	"firedrill/harness/probe"
	"firedrill/harness/result"
	"firedrill/harness/timeline"
)

var t0 = time.Date(2025, 12, 1, 22, 41, 3, 101e6, time.UTC)

func ms(n float64) time.Duration { return time.Duration(n * float64(time.Millisecond)) }

func TestClockOffset(t *testing.T) {
	cases := []struct {
		name       string
		r          clockReading
		off, bound time.Duration
	}{
		{"ahead, read in nanoseconds", clockReading{before: t0, after: t0.Add(ms(10)), remote: t0.Add(ms(5 + 30))}, ms(30), ms(5)},
		{"behind", clockReading{before: t0, after: t0.Add(ms(4)), remote: t0.Add(ms(2 - 200))}, ms(-200), ms(2)},
		{"asymmetric: read late in the round trip", clockReading{before: t0, after: t0.Add(ms(10)), remote: t0.Add(ms(10))}, ms(5), ms(5)},
		{"truncated to the millisecond", clockReading{before: t0, after: t0.Add(ms(6)), remote: t0.Add(ms(3)), resolution: time.Millisecond}, ms(0.5), ms(3.5)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			off, bound := c.r.offset()
			if off != c.off || bound != c.bound {
				t.Fatalf("offset() = %s ±%s, want %s ±%s", off, bound, c.off, c.bound)
			}
		})
	}
}

// TestClockOffsetBoundHolds: whenever in the host's bracket the remote
// clock was read, and however a coarse reading was truncated, the true
// offset lies within the stated bound of the computed one.
func TestClockOffsetBoundHolds(t *testing.T) {
	for _, res := range []time.Duration{0, time.Millisecond} {
		for _, truth := range []time.Duration{ms(-250), ms(-0.3), 0, ms(0.7), ms(42)} {
			for _, rtt := range []time.Duration{ms(0.2), ms(3), ms(80)} {
				for _, at := range []float64{0, 0.1, 0.5, 0.9, 1} {
					instant := t0.Add(time.Duration(at * float64(rtt)))
					remote := instant.Add(truth)
					if res > 0 {
						remote = remote.Truncate(res)
					}
					off, bound := clockReading{before: t0, after: t0.Add(rtt), remote: remote, resolution: res}.offset()
					if d := off - truth; d > bound || -d > bound {
						t.Fatalf("res %s, truth %s, rtt %s, read at %.1f: offset %s ±%s misses the truth", res, truth, rtt, at, off, bound)
					}
				}
			}
		}
	}
}

func TestClockVerdict(t *testing.T) {
	check := func(role string, off, rtt time.Duration) clockCheck {
		return clockCheck{role: role, how: "test", samples: 3,
			reading: clockReading{before: t0, after: t0.Add(rtt), remote: t0.Add(rtt / 2).Add(off)}}
	}
	for _, c := range []struct {
		name string
		c    clockCheck
		want []string // in the error; none: no error
	}{
		{"same clock", check("traderunner", ms(0.4), ms(2)), nil},
		{"within 100 ms beyond the bound", check("broker", ms(130), ms(80)), nil},
		{"ahead by more", check("broker", ms(150), ms(80)), []string{"the broker container's clock is 150 ms ahead of the host's (measured ±40 ms)", "more than 100 ms beyond the bound", "Sync the clock of the Docker host"}},
		{"behind by seconds", check("minio", -2345*time.Millisecond, ms(2)), []string{"the minio container's clock is 2345 ms behind the host's", "DOCKER_HOST"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := clockVerdict(c.c)
			if len(c.want) == 0 {
				if err != nil {
					t.Fatalf("clockVerdict() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatal("clockVerdict() = nil, want an error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Fatalf("clockVerdict() = %v\nwant it to contain %q", err, w)
				}
			}
		})
	}
}

func TestClockEvidence(t *testing.T) {
	c := clockCheck{role: "traderunner", how: "half the round trip of date +%s%N run by docker exec", samples: 3,
		reading: clockReading{before: t0, after: t0.Add(ms(1.8)), remote: t0.Add(ms(0.9 + 3.2))}}
	want := "traderunner clock +3.2 ms from the host's (±0.9 ms: half the round trip of date +%s%N run by docker exec; best of 3)"
	if got := clockEvidence(c); got != want {
		t.Fatalf("clockEvidence() =\n %s\nwant\n %s", got, want)
	}
}

// TestSampleClockKeepsTheBest: the reading with the shortest round trip is
// kept; failed readings are tolerated while one succeeds.
func TestSampleClockKeepsTheBest(t *testing.T) {
	rtts := []time.Duration{ms(40), 0, ms(3)} // 0: this reading fails
	i := 0
	c := sampleClock(context.Background(), "broker", "test", func(context.Context) (clockReading, error) {
		rtt := rtts[i]
		i++
		if rtt == 0 {
			return clockReading{}, errors.New("connection reset")
		}
		return clockReading{before: t0, after: t0.Add(rtt), remote: t0.Add(rtt / 2)}, nil
	})
	if c.err != nil || c.samples != 2 {
		t.Fatalf("err %v, samples %d; want 2 good readings", c.err, c.samples)
	}
	if _, bound := c.reading.offset(); bound != ms(1.5) {
		t.Fatalf("kept the reading with bound %s, want the 3 ms round trip's 1.5ms", bound)
	}
	c = sampleClock(context.Background(), "broker", "test", func(context.Context) (clockReading, error) {
		return clockReading{}, errors.New("connection refused")
	})
	if c.err == nil || !strings.Contains(c.err.Error(), "connection refused") {
		t.Fatalf("err %v, want the reading's error when none succeeds", c.err)
	}
}

func TestParseEpochNanos(t *testing.T) {
	got, err := parseEpochNanos("1764628863101000000\n")
	if err != nil || !got.Equal(t0) {
		t.Fatalf("parseEpochNanos() = %s, %v; want %s", got, err, t0)
	}
	for _, bad := range []string{"1764628863%N", "1764628863N", "1764628863", ""} {
		if _, err := parseEpochNanos(bad); err == nil || !strings.Contains(err.Error(), "nanoseconds") {
			t.Fatalf("parseEpochNanos(%q) = %v, want an error naming nanoseconds", bad, err)
		}
	}
}

// TestStampVerdict: a container's stamp must fall in the host's bracket of
// the injection, give or take the clock tolerance.
func TestStampVerdict(t *testing.T) {
	before, after := t0, t0.Add(ms(80))
	st := func(at time.Time) fault.Stamp { return fault.Stamp{At: at, Clock: fault.ContainerClock} }
	for _, ok := range []time.Time{t0.Add(ms(22)), after, after.Add(ms(90)), before.Add(-ms(90))} {
		if err := stampVerdict("traderunner", st(ok), before, after); err != nil {
			t.Fatalf("stamp %s in the bracket %s..%s: %v", clockStamp(ok), clockStamp(before), clockStamp(after), err)
		}
	}
	for _, bad := range []time.Time{before.Add(-ms(300)), after.Add(2 * time.Second)} {
		err := stampVerdict("traderunner", st(bad), before, after)
		if err == nil || !strings.Contains(err.Error(), "the traderunner container stamped the fault at") || !strings.Contains(err.Error(), "outside the host's bracket") {
			t.Fatalf("stamp %s outside the bracket %s..%s: %v", clockStamp(bad), clockStamp(before), clockStamp(after), err)
		}
	}
}

func TestFaultEvidence(t *testing.T) {
	before, after := t0, t0.Add(ms(79))
	got := faultEvidence("delete data", "traderunner", fault.Stamp{At: t0.Add(ms(22)), Clock: fault.ContainerClock, Moment: "right after the damaging command, after the undo copy"}, before, after)
	want := "delete data: stamped in the traderunner container at 22:41:03.123Z, right after the damaging command, after the undo copy; host 22:41:03.101Z before the call, 22:41:03.180Z after it (the call took 79 ms); difference +22 ms"
	if got != want {
		t.Fatalf("faultEvidence() =\n %s\nwant\n %s", got, want)
	}
	got = faultEvidence("lose the primary server", "traderunner", fault.Stamp{At: t0.Add(ms(250)), Clock: fault.HostClock, Moment: "when the container engine confirmed the removal of the server (a removed container has no clock to read)"}, before, t0.Add(ms(900)))
	if !strings.Contains(got, "stamped on the host at 22:41:03.351Z, when the container engine confirmed the removal") || !strings.Contains(got, "difference +250 ms") {
		t.Fatalf("faultEvidence() for a host stamp = %s", got)
	}
}

// TestVerifiedStatesPrecision: the final check's run is carried into the
// timeline, so the RTO's precision is the probe interval plus that run.
func TestVerifiedStatesPrecision(t *testing.T) {
	s, _ := testSuite(t, nil)
	sc := s.Begin("a verified recovery", []string{"@q3"})
	sc.tl.MarkAt(timeline.FaultInjected, "kill", t0)
	sc.verified("make health-check", probe.Outcome{At: t0.Add(30 * time.Second), Attempts: 4}, ms(85))
	rto, err := sc.tl.RTOResult(time.Minute, s.opts.Profile.ProbeInterval)
	if err != nil {
		t.Fatal(err)
	}
	sc.tl.QualifyRTO(rto)
	if want := result.Sec(s.opts.Profile.ProbeInterval + ms(85)); rto.Precision != want {
		t.Fatalf("precision %v, want %v (probe interval %s + the check's 85 ms)", rto.Precision, want, s.opts.Profile.ProbeInterval)
	}
	ev := sc.Result().Evidence
	if len(ev) != 1 || !strings.Contains(ev[0].Detail, "that run took 85 ms, so the RTO is precise to 335 ms (probe interval 250 ms + 85 ms)") {
		t.Fatalf("evidence %+v", ev)
	}
}

func TestSignedMs(t *testing.T) {
	for d, want := range map[time.Duration]string{
		ms(22): "+22 ms", -ms(0.4): "-0.4 ms", ms(335): "+335 ms", -2345 * time.Millisecond: "-2345 ms", 12500 * time.Millisecond: "+12.500 s",
	} {
		if got := signed(d); got != want {
			t.Errorf("signed(%s) = %q, want %q", d, got, want)
		}
	}
}
