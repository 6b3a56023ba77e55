package safety

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"firedrill/harness/stack"
)

// root is the module's root: the firedrill binary runs there, so its
// defaults (features/, systems/reference.yml, docs/dr-plan.md) resolve.
var root = func() string {
	abs, err := filepath.Abs("../..")
	if err != nil {
		panic(err)
	}
	return abs
}()

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// firedrill builds the command once per test binary.
func firedrill(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "firedrill-safety-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "firedrill")
		cmd := exec.Command("go", "build", "-o", binPath, "./cmd/firedrill")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("build firedrill: %w: %s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

func TestMain(m *testing.M) {
	go stopOnSignal()
	code := m.Run()
	if binPath != "" {
		_ = os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// children are the runs this binary has started and not yet seen end.
var children = struct {
	sync.Mutex
	m        map[*child]bool
	stopping bool // a signal came: no new run starts
}{m: map[*child]bool{}}

// stopOnSignal: Ctrl-C of `make test` reaches this binary and, through the
// process group, the runs it started. Those stop and clean up by
// themselves; a run the signal did not reach (this binary alone was
// signalled) is sent one. This binary outlives them all (their output
// goes into its pipes: exiting first would kill them with SIGPIPE halfway
// through their cleanup), then removes what is left of its own in-process
// suites and of its runs, and exits 130.
func stopOnSignal() {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	sig := <-sigs
	fmt.Fprintf(os.Stderr, "safety tests: %s: waiting for the runs they started to clean up\n", sig)
	children.Lock()
	children.stopping = true
	running := make([]*child, 0, len(children.m))
	for c := range children.m {
		running = append(running, c)
	}
	children.Unlock()
	// A run the signal reached says so at once; one that has not said so
	// within a second did not get it.
	grace, cancelGrace := context.WithTimeout(context.Background(), time.Second)
	defer cancelGrace()
	for _, c := range running {
		if !c.sees("stopping, cleaning up", grace.Done()) {
			_ = c.cmd.Process.Signal(sig)
		}
	}
	for _, c := range running {
		select {
		case <-c.done:
		case <-time.After(2 * time.Minute):
			_ = c.cmd.Process.Kill()
			<-c.done
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, c := range running {
		if id := c.runID(); id != "" {
			_ = stack.Sweep(ctx, id)
		}
	}
	if err := stack.SweepOwnedSettled(ctx, time.Second); err != nil {
		fmt.Fprintln(os.Stderr, "safety tests: sweep:", err)
	}
	os.Exit(130)
}

var (
	dockerOnce sync.Once
	dockerErr  error
)

// needDocker skips a test that runs drills under -short, or where Docker
// or the images are missing (in CI, where they must be, it fails).
func needDocker(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("skipping in -short mode: runs drills against real containers")
	}
	dockerOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, "docker", "image", "inspect", "-f", "{{.Id}}",
			"firedrill/base:latest", "firedrill/minio:latest", "firedrill/broker:latest", "firedrill/traderunner:latest").CombinedOutput()
		if err != nil {
			dockerErr = fmt.Errorf("needs Docker and the firedrill images (make images): %w: %s", err, bytes.TrimSpace(out))
		}
	})
	if dockerErr != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(dockerErr)
		}
		t.Skip(dockerErr.Error())
	}
}

// child is a running firedrill (or test binary) whose output is watched
// line by line.
type child struct {
	t     *testing.T
	cmd   *exec.Cmd
	mu    sync.Mutex
	out   bytes.Buffer
	lines []string
	seen  chan struct{} // closed and renewed at every new line
	done  chan struct{}
	code  int
}

var runLine = regexp.MustCompile(`firedrill: run (\d{8}T\d{6}Z-[0-9a-f]{4}),`)

// start runs bin with args in dir, with extra environment.
func start(t *testing.T, dir string, env []string, bin string, args ...string) *child {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	c := &child{t: t, cmd: cmd, seen: make(chan struct{}), done: make(chan struct{})}
	children.Lock()
	if children.stopping {
		children.Unlock()
		t.Fatal("interrupted: no new run starts")
	}
	if err := cmd.Start(); err != nil {
		children.Unlock()
		t.Fatal(err)
	}
	children.m[c] = true
	children.Unlock()
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			c.mu.Lock()
			c.out.WriteString(sc.Text() + "\n")
			c.lines = append(c.lines, sc.Text())
			close(c.seen)
			c.seen = make(chan struct{})
			c.mu.Unlock()
		}
	}()
	go func() {
		err := cmd.Wait()
		_ = pw.Close()
		var ee *exec.ExitError
		switch {
		case errors.As(err, &ee):
			c.code = ee.ExitCode()
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				c.code = 128 + int(ws.Signal())
			}
		case err != nil:
			c.code = -1
		}
		children.Lock()
		delete(children.m, c)
		children.Unlock()
		close(c.done)
	}()
	t.Cleanup(func() {
		select {
		case <-c.done:
		default:
			_ = cmd.Process.Kill()
			<-c.done
		}
		if id := c.runID(); id != "" {
			// A failed test must not leave its run behind either.
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			_ = stack.Sweep(ctx, id)
		}
		if t.Failed() {
			t.Logf("output of %s:\n%s", filepath.Base(bin), c.output())
		}
	})
	return c
}

func (c *child) output() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.out.String()
}

// waitFor waits until a line containing s appears and returns it.
func (c *child) waitFor(s string, limit time.Duration) string {
	c.t.Helper()
	deadline := time.NewTimer(limit)
	defer deadline.Stop()
	next := 0
	for {
		c.mu.Lock()
		for ; next < len(c.lines); next++ {
			if strings.Contains(c.lines[next], s) {
				l := c.lines[next]
				c.mu.Unlock()
				return l
			}
		}
		seen := c.seen
		c.mu.Unlock()
		select {
		case <-seen:
		case <-c.done:
			// Drain what the scanner has still to deliver.
			select {
			case <-seen:
				continue
			case <-time.After(200 * time.Millisecond):
			}
			c.mu.Lock()
			found := strings.Contains(c.out.String(), s)
			c.mu.Unlock()
			if found {
				continue
			}
			c.t.Fatalf("the process ended (exit %d) before printing %q", c.code, s)
		case <-deadline.C:
			c.t.Fatalf("no line with %q within %s", s, limit)
		}
	}
}

// sees reports whether a line containing s has appeared or appears
// before limit is closed or the process ends.
func (c *child) sees(s string, limit <-chan struct{}) bool {
	for {
		c.mu.Lock()
		found, seen := strings.Contains(c.out.String(), s), c.seen
		c.mu.Unlock()
		if found {
			return true
		}
		select {
		case <-seen:
		case <-c.done:
			return false
		case <-limit:
			return false
		}
	}
}

// wait waits for the process to end and returns its exit code.
func (c *child) wait(limit time.Duration) int {
	c.t.Helper()
	select {
	case <-c.done:
		// Let the scanner finish the last lines.
		time.Sleep(100 * time.Millisecond)
		return c.code
	case <-time.After(limit):
		c.t.Fatalf("the process did not end within %s", limit)
		return 0
	}
}

func (c *child) signal(sig os.Signal) {
	c.t.Helper()
	if err := c.cmd.Process.Signal(sig); err != nil {
		c.t.Fatalf("send %s: %v", sig, err)
	}
}

// runID is the run id from the first line a run prints, or "".
func (c *child) runID() string {
	if m := runLine.FindStringSubmatch(c.output()); m != nil {
		return m[1]
	}
	return ""
}

// leftovers counts what is labelled with a run id.
func leftovers(t *testing.T, runID string) stack.Leftovers {
	t.Helper()
	if runID == "" {
		t.Fatal("no run id: the run never printed its first line")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	l, err := stack.Count(ctx, runID)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// features writes feature files into a new folder and returns it.
func features(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// planCopy copies the shipped plan (or writes text) into a temporary file
// and returns its path and bytes.
func planCopy(t *testing.T, text string) (string, []byte) {
	t.Helper()
	b := []byte(text)
	if text == "" {
		var err error
		if b, err = os.ReadFile(filepath.Join(root, "docs/dr-plan.md")); err != nil {
			t.Fatal(err)
		}
	}
	p := filepath.Join(t.TempDir(), "dr-plan.md")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p, b
}

func assertUnchanged(t *testing.T, path string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("the plan %s changed", path)
	}
}

// Features used by several tests. The recovery step waits far longer
// than any test: whatever ends the run, it is not the step finishing.
const (
	deployPaper = "    Given a traderunner deployment trading in paper mode against the mock broker\n"

	hangingRecovery = `@safety
Feature: a recovery that takes its time
  Background:
` + deployPaper + `    And the drill measures the "Code corruption" row of the DR plan

  Scenario: config broken, restore takes long
    When "configs/risk.yml" is overwritten with broken YAML
    Then the failure shows: a restart fails
    When the operator runs "restore slowly":
      """
      sleep 600
      """
    Then the recovery is verified by "make health-check"
`
)

// syncWriter serialises writes from scenario goroutines.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
