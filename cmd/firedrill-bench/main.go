// Command firedrill-bench measures firedrill against the plain Docker tools
// a user would otherwise reach for (`make bench` runs it): image builds,
// stack spin-up against docker-compose, the suite's wall time at
// concurrency 1 and 2, each drill's RTO against a plain shell script, and
// the harness's peak memory. It writes reports/bench/<date>.md and prints
// it. The work is done by harness/bench.
//
//	firedrill-bench [--runs N] [--cold] [--only images,spinup,suite,rto] [--out DIR]
//
// The first SIGINT or SIGTERM stops the benchmark and removes what it
// started; a second one forces.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"firedrill/harness/bench"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "firedrill-bench:", err)
		os.Exit(1)
	}
}

func run() error {
	runs := flag.Int("runs", envInt("RUNS", 3), "runs of each measurement (also RUNS)")
	cold := flag.Bool("cold", os.Getenv("COLD") == "1", "also build every image from nothing, removing firedrill's own images first (also COLD=1)")
	only := flag.String("only", os.Getenv("ONLY"), "comma-separated sections to run: "+strings.Join(bench.Sections, ",")+" (also ONLY; default all)")
	out := flag.String("out", "reports/bench", "folder for the report")
	root := flag.String("root", ".", "the firedrill checkout")
	samples := flag.String("samples", os.Getenv("FIREDRILL_SAMPLES"), "traderunner samples folder, for cold image builds (also FIREDRILL_SAMPLES)")
	from := flag.String("from", "", "render the report.json of an earlier benchmark instead of measuring")
	flag.Parse()
	if *from != "" {
		return rerender(*from)
	}
	if *runs < 1 {
		return fmt.Errorf("read --runs: %d: want at least 1", *runs)
	}
	absRoot, err := filepath.Abs(*root)
	if err != nil {
		return fmt.Errorf("find checkout: %w", err)
	}
	if *samples == "" {
		*samples = filepath.Join(absRoot, "fixtures", "samples")
	}
	var sections []string
	if *only != "" {
		sections = strings.Split(*only, ",")
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		// From now on a second signal ends the process at once.
		stop()
	}()

	rep, runErr := bench.Run(ctx, bench.Options{
		Root: absRoot, Runs: *runs, Cold: *cold, Only: sections,
		Samples: *samples, Log: os.Stderr,
	})
	if rep == nil {
		return runErr
	}
	if err := saveJSON(rep); err != nil {
		return errors.Join(runErr, err)
	}
	path, err := write(*out, rep)
	if err != nil {
		return errors.Join(runErr, err)
	}
	if err := bench.Render(os.Stdout, rep); err != nil {
		return errors.Join(runErr, err)
	}
	fmt.Fprintf(os.Stderr, "firedrill-bench: report in %s\n", path)
	return runErr
}

// write saves the report as <out>/<date>.md, or <date>-2.md and so on when
// the day already has one: no run's figures are overwritten.
func write(out string, rep *bench.Report) (string, error) {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return "", fmt.Errorf("create report folder: %w", err)
	}
	day := rep.Started.UTC().Format(time.DateOnly)
	for n := 1; ; n++ {
		name := day + ".md"
		if n > 1 {
			name = fmt.Sprintf("%s-%d.md", day, n)
		}
		path := filepath.Join(out, name)
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, os.ErrExist) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("write report: %w", err)
		}
		if err := bench.Render(f, rep); err != nil {
			f.Close()
			return "", fmt.Errorf("write report %s: %w", path, err)
		}
		if err := f.Close(); err != nil {
			return "", fmt.Errorf("write report %s: %w", path, err)
		}
		return path, nil
	}
}

// saveJSON keeps what was measured beside the benchmark's files, so the
// report can be rendered again (--from) without measuring again.
func saveJSON(rep *bench.Report) error {
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return fmt.Errorf("encode report: %w", err)
	}
	if err := os.WriteFile(filepath.Join(rep.Work, "report.json"), append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("save report: %w", err)
	}
	return nil
}

func rerender(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read report: %w", err)
	}
	var rep bench.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		return fmt.Errorf("decode report %s: %w", path, err)
	}
	return bench.Render(os.Stdout, &rep)
}

func envInt(k string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(k)); err == nil {
		return v
	}
	return def
}
