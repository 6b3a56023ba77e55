// Command firedrill runs disaster-recovery drills for real and measures the
// RTO and RPO each recovery achieved.
//
//	firedrill run [--tags T] [--profile ci|quarterly] [--plan PATH] [--system PATH]
//	              [--update-plan] [--dry-run] [--reports DIR] [--operator | --automate-manual]
//	firedrill report [RUN|latest] [--format terminal|markdown|html|csv|json]
//	firedrill plan diff|update [RUN|latest] [--plan PATH]
//	firedrill images [--cold]
//	firedrill clean [--run ID | --all]
//	firedrill system check [--system PATH] [--static]
//
// Exit codes of run: 0 every drill passed, 1 a drill failed, 2 the harness
// could not run the drills (bad input, Docker, images), 3 no drill failed
// but at least one was not run (its steady state or precondition could not
// be brought about).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"firedrill/harness/drill"
	"firedrill/harness/images"
	"firedrill/harness/runner"
	"firedrill/harness/stack"
	"firedrill/harness/syscheck"
	"firedrill/steps"
)

const (
	exitPassed  = 0
	exitFailed  = 1
	exitHarness = 2
)

func main() {
	code, err := run(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "firedrill:", err)
	}
	os.Exit(code)
}

func run(args []string) (int, error) {
	if len(args) == 0 {
		usage()
		return exitHarness, errors.New("no command: use run, report, plan, images, clean or system")
	}
	switch args[0] {
	case "run":
		return runDrills(args[1:])
	case "images":
		return buildImages(args[1:])
	case "clean":
		return clean(args[1:])
	case "report":
		return report(args[1:])
	case "plan":
		return plan(args[1:])
	case "system":
		return systemCommand(args[1:])
	case "-h", "--help", "help":
		usage()
		return exitPassed, nil
	}
	usage()
	return exitHarness, fmt.Errorf("unknown command %q: use run, report, plan, images, clean or system", args[0])
}

func usage() {
	fmt.Fprint(os.Stderr, `usage:
  firedrill run [--tags T] [--profile ci|quarterly] [--plan PATH] [--system PATH]
                [--update-plan] [--dry-run] [--reports DIR] [--operator | --automate-manual] [--concurrency N]
  firedrill report [RUN|latest] [--format terminal|markdown|html|csv|json]
  firedrill plan diff|update [RUN|latest] [--plan PATH]
  firedrill plan audit [--plan PATH]   (the RPO targets the plan's own backups cannot keep)
  firedrill plan check [--plan PATH] [--features DIR]   (the features' plan steps against the plan as it reads)
  firedrill plan fix [RUN|latest] [--plan PATH] [--apply]   (the run's corrections as a patch of the plan)
  firedrill images [--cold]
  firedrill clean [--run ID | --all]   (default: what killed runs left)
  firedrill system check [--system PATH] [--static]
                      (checks a system file against its image before a first drill:
                      one line per problem naming the key and the fix, exit 2;
                      --static: no stack, only the file, the image and its commands)
exit codes of run: 0 every drill passed, 1 a drill failed, 2 firedrill could not
  run the drills, 3 no drill failed but at least one was not run
`)
}

func runDrills(args []string) (int, error) {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	tags := fs.String("tags", "", "godog tag expression, e.g. @q1 or '@quarterly && ~@q4'")
	prof := fs.String("profile", "ci", "pace: ci (seconds) or quarterly (the plan's cadences)")
	plan := fs.String("plan", "docs/dr-plan.md", "DR plan with the RTO/RPO Summary table")
	sys := fs.String("system", "systems/reference.yml", "system description")
	reports := fs.String("reports", "reports", "reports folder")
	features := fs.String("features", "features", "feature files folder")
	update := fs.Bool("update-plan", false, "write the measured actuals into the plan (quarterly profile only)")
	dry := fs.Bool("dry-run", false, "print the plan diff instead of writing it")
	operator := fs.Bool("operator", false, "a person does the plan's manual steps at the terminal, timed into the RTO")
	automate := fs.Bool("automate-manual", false, "firedrill does the plan's manual steps without asking (the plan's cells say so)")
	conc := fs.Int("concurrency", 1, "scenarios run side by side (default with --engines: one per engine)")
	engines := fs.String("engines", os.Getenv("FIREDRILL_ENGINES"), "Docker engines to spread the scenarios over, comma-separated (unix:///var/run/docker.sock,tcp://10.0.0.5:2375); default $FIREDRILL_ENGINES, else the one DOCKER_HOST names")
	if err := fs.Parse(args); err != nil {
		return exitHarness, err
	}
	hosts, err := stack.ParseEngines(*engines)
	if err != nil {
		return exitHarness, err
	}
	if !flagSet(fs, "concurrency") && len(hosts) > 1 {
		*conc = len(hosts)
	}
	o := runner.Options{
		Glue:     steps.Glue,
		Features: strings.Split(*features, ","), Tags: *tags, Profile: *prof,
		SystemPath: *sys, PlanPath: *plan, ReportsRoot: *reports,
		UpdatePlan: *update, DryRun: *dry, Concurrency: *conc, Engines: hosts, Output: os.Stdout,
		NoColor: os.Getenv("NO_COLOR") != "" || !isTerminal(os.Stdout),
		Live:    isTerminal(os.Stdout),
	}
	// A run that writes the plan asks, on a terminal, whether a person will
	// do the manual steps: their time belongs in the RTO the plan shows.
	// Where nobody answers yes, firedrill does them and the cells say so.
	if !*operator && !*automate && *update && !*dry && *prof == "quarterly" && isTerminal(os.Stdin) {
		*operator = askOperator(os.Stdin, os.Stdout)
	}
	if *operator {
		o.Operator = &drill.Terminal{In: os.Stdin, Out: os.Stdout}
	}
	ctx, stop := runner.WithSignals(context.Background(), os.Stdout)
	defer stop()
	out, err := runner.Run(ctx, o)
	if err != nil {
		return exitHarness, err
	}
	// From the scenarios' statuses: a drill not run is neither a pass nor
	// a failed drill, though godog fails it.
	if code, msg := runner.ExitCode(out); code != runner.ExitPassed {
		return code, errors.New(msg)
	}
	return exitPassed, nil
}

// systemCommand is `firedrill system check`: the system file against its
// image (syscheck.Run). Exit 0 when every check passed, 2 on any problem.
func systemCommand(args []string) (int, error) {
	if len(args) == 0 || args[0] != "check" {
		return exitHarness, errors.New("system: use 'firedrill system check --system FILE'")
	}
	fs := flag.NewFlagSet("system check", flag.ContinueOnError)
	sys := fs.String("system", "systems/reference.yml", "system file to check")
	static := fs.Bool("static", false, "check the file, the image and its commands only (one throwaway container, no stack)")
	if err := fs.Parse(args[1:]); err != nil {
		return exitHarness, err
	}
	if fs.NArg() > 0 {
		return exitHarness, fmt.Errorf("system check: unexpected %q: pass the file with --system FILE", fs.Arg(0))
	}
	ctx, stop := runner.WithSignals(context.Background(), os.Stderr)
	defer stop()
	rep := syscheck.Run(ctx, *sys, syscheck.Options{Static: *static, Log: os.Stderr})
	rep.Write(os.Stdout)
	if code := rep.ExitCode(); code != syscheck.ExitOK {
		return code, errors.New(rep.Summary())
	}
	fmt.Println("firedrill: " + rep.Summary())
	return exitPassed, nil
}

func buildImages(args []string) (int, error) {
	fs := flag.NewFlagSet("images", flag.ContinueOnError)
	cold := fs.Bool("cold", false, "remove firedrill's own images first and rebuild all")
	samples := fs.String("samples", envOr("FIREDRILL_SAMPLES", "fixtures/samples"), "traderunner sample Parquet folder")
	if err := fs.Parse(args); err != nil {
		return exitHarness, err
	}
	root, err := os.Getwd()
	if err != nil {
		return exitHarness, err
	}
	_, err = images.Ensure(context.Background(), images.Options{Root: root, Samples: *samples, Cold: *cold, Log: os.Stdout})
	if err != nil {
		return exitHarness, err
	}
	return exitPassed, nil
}

// clean removes what killed runs left (their owner process is gone), the
// same sweep every run makes when it starts; runs still going on this
// engine keep their containers unless --run names one or --all is given.
func clean(args []string) (int, error) {
	fs := flag.NewFlagSet("clean", flag.ContinueOnError)
	runID := fs.String("run", "", "remove every object of this run id, even if the run is still going")
	all := fs.Bool("all", false, "remove every object labelled "+stack.LabelRun+", live runs' too")
	engines := fs.String("engines", os.Getenv("FIREDRILL_ENGINES"), "Docker engines to clean, comma-separated; default $FIREDRILL_ENGINES, else the one DOCKER_HOST names")
	if err := fs.Parse(args); err != nil {
		return exitHarness, err
	}
	hosts, err := stack.ParseEngines(*engines)
	if err != nil {
		return exitHarness, err
	}
	if err := stack.UseEngines(hosts); err != nil {
		return exitHarness, err
	}
	ctx := context.Background()
	switch {
	case *all:
		err = stack.Sweep(ctx, "")
	case *runID != "":
		err = stack.Sweep(ctx, *runID)
	default:
		err = stack.SweepOrphans(ctx)
	}
	if err != nil {
		return exitHarness, err
	}
	left, err := stack.Count(ctx, *runID)
	if err != nil {
		return exitHarness, err
	}
	if *runID != "" {
		fmt.Printf("firedrill: clean: %s of run %s left\n", left, *runID)
		return exitPassed, nil
	}
	fmt.Printf("firedrill: clean: %s labelled %s left", left, stack.LabelRun)
	if !*all && !left.Zero() {
		fmt.Print(" (runs still going keep theirs; --run ID or --all removes them)")
	}
	fmt.Println()
	return exitPassed, nil
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// askOperator asks whether a person at the terminal will do the plan's
// manual steps; anything but yes is no.
func askOperator(in *os.File, out *os.File) bool {
	fmt.Fprint(out, "firedrill: the plan has manual steps (log into the broker, approve going live).\n"+
		"Is an operator here to do them, timed into the RTO? [y/N] ")
	var answer string
	_, _ = fmt.Fscanln(in, &answer)
	yes := strings.EqualFold(strings.TrimSpace(answer), "y") || strings.EqualFold(strings.TrimSpace(answer), "yes")
	if !yes {
		fmt.Fprintln(out, "firedrill: no operator: firedrill does the manual steps, and the plan's RTO cells say \"manual steps automated\"")
	}
	return yes
}

// flagSet says whether the command line set the flag named.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
