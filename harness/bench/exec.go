package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// childGrace is how long a child asked to stop (SIGTERM) gets to clean up
// before it is killed: a suite run removes its containers in that time.
const childGrace = 2 * time.Minute

// command prepares a child process that the benchmark owns: in a process
// group of its own, so a terminal's Ctrl-C reaches only the benchmark, which
// then sends the child exactly one SIGTERM (a second signal would force a
// suite run to skip its cleanup).
func command(ctx context.Context, dir string, env []string, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = childGrace
	return cmd
}

// output runs a short command and returns its standard output.
func output(ctx context.Context, dir, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cmd := command(ctx, dir, nil, name, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("run %s %s: %w: %s", name, strings.Join(args, " "), err, lastLine(errb.String()))
	}
	return out.String(), nil
}

// timed runs a command with its output appended to log and returns when
// it started and ended.
func timed(ctx context.Context, log io.Writer, dir string, env []string, name string, args ...string) (time.Time, time.Time, error) {
	cmd := command(ctx, dir, env, name, args...)
	var tail tailBuffer
	w := io.MultiWriter(log, &tail)
	cmd.Stdout, cmd.Stderr = w, w
	fmt.Fprintf(log, "$ %s %s\n", name, strings.Join(args, " "))
	start := time.Now()
	err := cmd.Run()
	end := time.Now()
	if err != nil {
		return start, end, fmt.Errorf("run %s %s: %w: %s", name, strings.Join(args, " "), err, tail.last())
	}
	return start, end, nil
}

// tailBuffer keeps the last few KB written to it, for error messages.
type tailBuffer struct{ b []byte }

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if len(t.b) > 4096 {
		t.b = t.b[len(t.b)-4096:]
	}
	return len(p), nil
}

func (t *tailBuffer) last() string { return lastLine(string(t.b)) }

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// memory is what a process's peak resident set was.
type memory struct {
	// HWM is the largest VmHWM read from /proc while it ran (its own
	// pages only), in bytes.
	HWM int64
	// Rusage is getrusage's ru_maxrss at its end, in bytes: the process or
	// the largest of the children it waited for, whichever was larger.
	Rusage int64
}

// Peak is the larger of the two readings.
func (m memory) Peak() int64 { return max(m.HWM, m.Rusage) }

// watchMemory reads a process's VmHWM every interval until stop is closed.
func watchMemory(pid int, interval time.Duration, stop <-chan struct{}) <-chan int64 {
	out := make(chan int64, 1)
	go func() {
		var hwm int64
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			if v, err := vmHWM(pid); err == nil && v > hwm {
				hwm = v
			}
			select {
			case <-stop:
				out <- hwm
				return
			case <-t.C:
			}
		}
	}()
	return out
}

func vmHWM(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return parseHWM(f)
}

// parseHWM reads the VmHWM line of a /proc/<pid>/status.
func parseHWM(r io.Reader) (int64, error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "VmHWM:") {
			continue
		}
		f := strings.Fields(strings.TrimPrefix(line, "VmHWM:"))
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("read VmHWM: unexpected line %q", line)
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("read VmHWM: %w", err)
		}
		return kb * 1024, nil
	}
	return 0, fmt.Errorf("read VmHWM: no VmHWM line")
}

// rusageMax is ru_maxrss of a finished command, in bytes (Linux counts KB).
func rusageMax(cmd *exec.Cmd) int64 {
	if cmd.ProcessState == nil {
		return 0
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		return ru.Maxrss * 1024
	}
	return 0
}
