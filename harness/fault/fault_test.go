package fault

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// localShell runs scripts with bash in a folder, as a server's shell would.
type localShell struct{ dir string }

func (l localShell) Run(ctx context.Context, script string) (int, string, error) {
	cmd := exec.CommandContext(ctx, "bash", "-c", script)
	cmd.Dir = l.dir
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), string(out), nil
	}
	return 0, string(out), err
}

func setup(t *testing.T) (localShell, string) {
	t.Helper()
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash not installed")
	}
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "data", "f.bin"), bytes.Repeat([]byte{0xAA}, 100), 0o644); err != nil {
		t.Fatal(err)
	}
	yml := "guards:\n  enabled: true\n  max_daily_loss: 1000\n  max_drawdown: 1500\nbroker:\n  max_retries: 3\n"
	if err := os.WriteFile(filepath.Join(dir, "risk.yml"), []byte(yml), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOME", dir)
	return localShell{dir}, dir
}

func read(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestFileFaults(t *testing.T) {
	ctx := context.Background()
	sh, dir := setup(t)
	orig := read(t, filepath.Join(dir, "data", "f.bin"))

	t.Run("flip bit keeps size, changes one bit, undo restores", func(t *testing.T) {
		f := FlipBit(sh, "data/f.bin")
		if _, err := f.Inject(ctx); err != nil {
			t.Fatal(err)
		}
		got := read(t, filepath.Join(dir, "data", "f.bin"))
		if len(got) != len(orig) {
			t.Fatalf("size %d, want %d", len(got), len(orig))
		}
		diff := 0
		for i := range got {
			diff += bitsSet(got[i] ^ orig[i])
		}
		if diff != 1 {
			t.Fatalf("%d bits differ, want 1", diff)
		}
		// Recovery did nothing: undo leaves the damaged file (it exists),
		// and removes its saved copy.
		if err := f.Undo(ctx); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("truncate", func(t *testing.T) {
		f := Truncate(sh, "data/f.bin", 10)
		if _, err := f.Inject(ctx); err != nil {
			t.Fatal(err)
		}
		if n := len(read(t, filepath.Join(dir, "data", "f.bin"))); n != 10 {
			t.Fatalf("size %d, want 10", n)
		}
	})

	t.Run("delete dir and undo puts it back", func(t *testing.T) {
		f := DeleteDir(sh, "data")
		if _, err := f.Inject(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(dir, "data")); !os.IsNotExist(err) {
			t.Fatalf("data still there: %v", err)
		}
		if err := f.Undo(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(dir, "data", "f.bin")); err != nil {
			t.Fatalf("undo did not restore: %v", err)
		}
	})

	t.Run("missing path is an error naming it", func(t *testing.T) {
		_, err := DeleteDir(sh, "nope").Inject(ctx)
		if err == nil || !strings.Contains(err.Error(), "nope does not exist") {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestSetYAMLValue(t *testing.T) {
	ctx := context.Background()
	sh, dir := setup(t)
	f, err := SetYAMLValue(sh, "risk.yml", "guards.max_daily_loss", "-1000")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Inject(ctx); err != nil {
		t.Fatal(err)
	}
	got := string(read(t, filepath.Join(dir, "risk.yml")))
	want := "guards:\n  enabled: true\n  max_daily_loss: -1000\n  max_drawdown: 1500\nbroker:\n  max_retries: 3\n"
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	if _, err := SetYAMLValue(sh, "risk.yml", "guards;rm -rf /", "1"); err == nil {
		t.Fatal("a key that is not a dotted name must be refused")
	}
	missing, _ := SetYAMLValue(sh, "risk.yml", "guards.no_such_key", "1")
	if _, err := missing.Inject(ctx); err == nil {
		t.Fatal("setting a key the file lacks must fail, not silently pass")
	}
}

func TestOverwriteAndAppend(t *testing.T) {
	ctx := context.Background()
	sh, dir := setup(t)
	if _, err := Overwrite(sh, "risk.yml", "broken YAML", []byte("a: [1\n")).Inject(ctx); err != nil {
		t.Fatal(err)
	}
	if got := string(read(t, filepath.Join(dir, "risk.yml"))); got != "a: [1\n" {
		t.Fatalf("got %q", got)
	}
	if _, err := Append(sh, "risk.yml", "it's @@ broken").Inject(ctx); err != nil {
		t.Fatal(err)
	}
	if got := string(read(t, filepath.Join(dir, "risk.yml"))); got != "a: [1\nit's @@ broken\n" {
		t.Fatalf("got %q", got)
	}
}

type fakeDC struct {
	calls []string
}

func (f *fakeDC) RemoveServer(context.Context) error {
	f.calls = append(f.calls, "remove")
	return nil
}

func (f *fakeDC) WipeLocalBackups(context.Context) (int, error) {
	f.calls = append(f.calls, "wipe")
	return 7, nil
}

func TestLoseServerAndUndoOrder(t *testing.T) {
	dc := &fakeDC{}
	f := LoseServer(dc)
	// The host's clock is read once the engine confirmed the removal, and
	// before the backups are wiped: the server is what the fault loses.
	removed := time.Date(2026, 12, 1, 22, 41, 3, 123e6, time.UTC)
	f.(*loseServer).now = func() time.Time {
		dc.calls = append(dc.calls, "stamp")
		return removed
	}
	st, err := f.Inject(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(dc.calls, ",") != "remove,stamp,wipe" || f.(*loseServer).Wiped() != 7 {
		t.Fatalf("calls %v wiped %d", dc.calls, f.(*loseServer).Wiped())
	}
	if !st.At.Equal(removed) || st.Clock != HostClock || !strings.Contains(st.Moment, "confirmed the removal") {
		t.Fatalf("stamp %+v, want the host's time when the engine confirmed the removal", st)
	}
	var order []string
	faults := []Fault{rec{"a", &order}, rec{"b", &order}, rec{"c", &order}}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // undo must survive a cancelled scenario
	if errs := UndoAll(ctx, faults); len(errs) != 0 {
		t.Fatal(errs)
	}
	if strings.Join(order, "") != "cba" {
		t.Fatalf("undo order %v, want last-in first-out", order)
	}
}

type rec struct {
	name  string
	order *[]string
}

func (r rec) Name() string                          { return r.name }
func (r rec) Inject(context.Context) (Stamp, error) { return Stamp{}, nil }
func (r rec) Undo(ctx context.Context) error        { *r.order = append(*r.order, r.name); return ctx.Err() }

func bitsSet(b byte) int {
	n := 0
	for ; b != 0; b &= b - 1 {
		n++
	}
	return n
}

// A system that rewrites a file on a cycle (read it, then write it back
// whole a moment later) puts right damage that lands between its read and
// its write, and a fault that never bites proves nothing. In-place damage
// therefore lands just after a write: struck inside the writer's window, it
// still outlasts that window.
func TestInPlaceDamageLandsAfterAWrite(t *testing.T) {
	sh, dir := setup(t)
	file := filepath.Join(dir, "data", "f.bin")
	good := read(t, file)
	const cycle, window = 400 * time.Millisecond, 200 * time.Millisecond
	for name, damage := range map[string]func() Fault{
		"flip bit": func() Fault { return FlipBit(sh, "data/f.bin") },
		"truncate": func() Fault { return Truncate(sh, "data/f.bin", 10) },
	} {
		t.Run(name, func(t *testing.T) {
			if err := os.WriteFile(file, good, 0o644); err != nil {
				t.Fatal(err)
			}
			readAt := make(chan time.Time, 1)
			stop := make(chan struct{})
			done := make(chan struct{})
			go func() { // the system's writer
				defer close(done)
				for {
					select {
					case <-stop:
						return
					default:
					}
					select {
					case readAt <- time.Now():
					default:
					}
					time.Sleep(window)
					_ = os.WriteFile(file, good, 0o644)
					time.Sleep(cycle - window)
				}
			}()
			defer func() { close(stop); <-done }()
			<-readAt // drop a stale one
			at := <-readAt
			f := damage()
			if _, err := f.Inject(context.Background()); err != nil {
				t.Fatal(err)
			}
			// Past the writer's window in which the fault was started, before
			// its next write.
			time.Sleep(time.Until(at.Add(window + (cycle-window)/2)))
			if bytes.Equal(read(t, file), good) {
				t.Fatal("the writer put the damage right: the fault landed inside its read-to-write window")
			}
		})
	}
}
