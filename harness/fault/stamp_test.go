package fault

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakeDateShell runs scripts with bash like localShell, with a `date`
// first on the PATH that stands for the server's clock: asked for
// +%s.%N it evaluates probe (a bash condition) to record what the
// server looked like at the instant it was read, and prints reading.
type fakeDateShell struct {
	dir, bin, log string
	probe         string
	reading       string
}

func newFakeDateShell(t *testing.T, dir string) *fakeDateShell {
	t.Helper()
	bin := t.TempDir()
	script := `#!/usr/bin/env bash
if [ "$1" = "+%s.%N" ]; then
  if eval "$FAKE_DATE_PROBE"; then echo damaged >> "$FAKE_DATE_LOG"; else echo intact >> "$FAKE_DATE_LOG"; fi
  echo "$FAKE_DATE_READING"
  exit 0
fi
command -p date "$@"
`
	if err := os.WriteFile(filepath.Join(bin, "date"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return &fakeDateShell{dir: dir, bin: bin, log: filepath.Join(bin, "stamped.log"), reading: "1764628800.123456789"}
}

func (f *fakeDateShell) Run(ctx context.Context, script string) (int, string, error) {
	path := f.bin + string(os.PathListSeparator) + os.Getenv("PATH")
	cmd := exec.CommandContext(ctx, "bash", "-c", script)
	cmd.Dir = f.dir
	cmd.Env = append(os.Environ(), "PATH="+path, "FAKE_DATE_PROBE="+f.probe, "FAKE_DATE_LOG="+f.log, "FAKE_DATE_READING="+f.reading)
	out, err := cmd.CombinedOutput()
	if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
		return ee.ExitCode(), string(out), nil
	}
	return 0, string(out), err
}

// stamped returns what the fake date saw each time it was read.
func (f *fakeDateShell) stamped(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(f.log)
	if os.IsNotExist(err) {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// TestStampIsTheDamage: every script fault reads the server's clock once,
// after its undo copy exists and its damage is done, and returns that
// reading as its stamp.
func TestStampIsTheDamage(t *testing.T) {
	want := time.Date(2025, 12, 1, 22, 40, 0, 123456789, time.UTC) // 1764628800.123456789
	cases := []struct {
		name  string
		path  string // the fault's path, whose stale undo copy is removed first
		fault func(Shell) Fault
		// probe holds once the damage is done and the undo copy saved.
		probe string
	}{
		{"delete dir", "data", func(sh Shell) Fault { return DeleteDir(sh, "data") },
			`! test -e data && test -e /tmp/firedrill-undo/data/f.bin`},
		{"truncate", "data/f.bin", func(sh Shell) Fault { return Truncate(sh, "data/f.bin", 10) },
			`test "$(stat -c %s data/f.bin)" = 10 && test "$(stat -c %s /tmp/firedrill-undo/data_f.bin)" = 100`},
		{"flip bit", "data/f.bin", func(sh Shell) Fault { return FlipBit(sh, "data/f.bin") },
			`! cmp -s data/f.bin /tmp/firedrill-undo/data_f.bin`},
		{"overwrite", "risk.yml", func(sh Shell) Fault { return Overwrite(sh, "risk.yml", "broken YAML", []byte("a: [1\n")) },
			`test "$(cat risk.yml)" = "a: [1" && grep -q guards /tmp/firedrill-undo/risk.yml`},
		{"set yaml value", "risk.yml", func(sh Shell) Fault {
			f, err := SetYAMLValue(sh, "risk.yml", "guards.max_daily_loss", "-1000")
			if err != nil {
				panic(err)
			}
			return f
		}, `grep -q 'max_daily_loss: -1000' risk.yml && grep -q 'max_daily_loss: 1000' /tmp/firedrill-undo/risk.yml`},
		{"append", "risk.yml", func(sh Shell) Fault { return Append(sh, "risk.yml", "stray") },
			`test "$(tail -n1 risk.yml)" = stray && ! grep -q stray /tmp/firedrill-undo/risk.yml`},
		// exit in the system's command must not skip the stamp.
		{"kill", "", func(sh Shell) Fault { return Kill(sh, "kill", "touch killed; exit 0") },
			`test -e killed`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, dir := setup(t)
			if c.path != "" {
				// A copy left by an earlier test would pass for this one's.
				if err := os.RemoveAll(saved(c.path)); err != nil {
					t.Fatal(err)
				}
			}
			sh := newFakeDateShell(t, dir)
			sh.probe = c.probe
			f := c.fault(sh)
			st, err := f.Inject(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if got := sh.stamped(t); got != "damaged" {
				t.Fatalf("the server's clock was read %q, want once after the damage and the undo copy (\"damaged\")", got)
			}
			if !st.At.Equal(want) || st.Clock != ContainerClock || st.Moment == "" {
				t.Fatalf("stamp %+v, want %s from the container's clock", st, want)
			}
			if err := f.Undo(context.Background()); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestStampFailures: a fault that fails is not stamped; a stamp that
// cannot be read fails the injection and says why.
func TestStampFailures(t *testing.T) {
	ctx := context.Background()
	t.Run("failed damage is not stamped", func(t *testing.T) {
		_, dir := setup(t)
		sh := newFakeDateShell(t, dir)
		sh.probe = "true"
		if _, err := Kill(sh, "kill", "echo no such process; exit 3").Inject(ctx); err == nil || !strings.Contains(err.Error(), "exit 3") {
			t.Fatalf("err = %v, want the kill command's exit 3", err)
		}
		if _, err := Truncate(sh, "data", 10).Inject(ctx); err == nil {
			t.Fatal("a truncate that fails was not an error")
		}
		if got := sh.stamped(t); got != "" {
			t.Fatalf("the clock was read (%q) for faults whose damage failed", got)
		}
	})
	t.Run("date without nanoseconds", func(t *testing.T) {
		_, dir := setup(t)
		sh := newFakeDateShell(t, dir)
		sh.probe, sh.reading = "true", "1764628800.%N" // busybox date
		_, err := DeleteDir(sh, "data").Inject(ctx)
		if err == nil || !strings.Contains(err.Error(), "nanoseconds") || !strings.Contains(err.Error(), "damage is done") {
			t.Fatalf("err = %v, want the damage done and a date without nanoseconds named", err)
		}
	})
}

func TestParseStamp(t *testing.T) {
	cases := []struct {
		name, out string
		want      time.Time
		err       string
	}{
		{"alone", "FIREDRILL_FAULT_AT=1764628800.123456789\n", time.Unix(1764628800, 123456789), ""},
		{"after other output, CRLF", "killed 4711\r\nFIREDRILL_FAULT_AT=1764628800.000000001\r\n", time.Unix(1764628800, 1), ""},
		{"the last marker wins", "FIREDRILL_FAULT_AT=1.000000000\nFIREDRILL_FAULT_AT=1764628800.5\n", time.Unix(1764628800, 5e8), ""},
		{"no marker", "done\n", time.Time{}, "no FIREDRILL_FAULT_AT= line"},
		{"no nanoseconds", "FIREDRILL_FAULT_AT=1764628800.%N\n", time.Time{}, "nanoseconds"},
		{"garbage", "FIREDRILL_FAULT_AT=soon\n", time.Time{}, "seconds.nanoseconds"},
		{"marker not at line start", "echo FIREDRILL_FAULT_AT=1764628800.1\n", time.Time{}, "no FIREDRILL_FAULT_AT= line"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := parseStamp(c.out)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err = %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equal(c.want) {
				t.Fatalf("got %s, want %s", got, c.want)
			}
		})
	}
}
