// Package steps binds the drill features' Gherkin to harness/drill.
//
// Each step parses its arguments, makes one call into the scenario's
// drill.Scenario and returns its error: no Docker, no sleeps, no thresholds
// here. The scenario travels in the context under a private key.
package steps

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/cucumber/godog"

	"firedrill/harness/drill"
	"firedrill/harness/drplan"
	"firedrill/harness/runner"
)

// Glue is what runner.Run needs of this package.
var Glue = runner.Glue{
	Initialize: Initialize,
	Preflight: func(features []string, tags string, plan *drplan.Plan) error {
		return Preflight(features, tags, plan)
	},
}

type scenarioKey struct{}

func scenario(ctx context.Context) (*drill.Scenario, error) {
	sc, ok := ctx.Value(scenarioKey{}).(*drill.Scenario)
	if !ok {
		return nil, errors.New("no drill scenario in context: steps must run inside a scenario started by the Before hook")
	}
	return sc, nil
}

// brokenYAML is what a bad edit leaves in a config file: an unclosed flow
// sequence, a YAML syntax error.
const brokenYAML = "guards:\n  enabled: true\n  max_daily_loss: [1000\n"

// Initialize returns godog's scenario initializer for a suite.
func Initialize(suite *drill.Suite) func(*godog.ScenarioContext) {
	return func(g *godog.ScenarioContext) {
		g.Before(func(ctx context.Context, s *godog.Scenario) (context.Context, error) {
			var tags []string
			for _, t := range s.Tags {
				tags = append(tags, t.Name)
			}
			return context.WithValue(ctx, scenarioKey{}, suite.Begin(s.Name, tags)), nil
		})
		g.After(func(ctx context.Context, _ *godog.Scenario, err error) (context.Context, error) {
			if sc, e := scenario(ctx); e == nil {
				r := sc.Close(ctx, err)
				if err == nil && len(r.Failures) > 0 {
					return ctx, errors.New(strings.Join(r.Failures, "; "))
				}
			}
			return ctx, nil
		})
		g.StepContext().Before(func(ctx context.Context, st *godog.Step) (context.Context, error) {
			if sc, err := scenario(ctx); err == nil {
				sc.StepStarting(st.Text)
			}
			return ctx, nil
		})
		register(g)
	}
}

// withRef adapts a scenario method taking a plan step reference.
func withRef(fn func(context.Context, *drill.Scenario, int, int, string) error) func(context.Context, string, string, string) error {
	return func(ctx context.Context, num, proc, title string) error {
		sc, err := scenario(ctx)
		if err != nil {
			return err
		}
		n, err1 := strconv.Atoi(num)
		p, err2 := strconv.Atoi(proc)
		if err := errors.Join(err1, err2); err != nil {
			return err
		}
		return fn(ctx, sc, p, n, title)
	}
}

// on adapts a scenario method to a step function.
func on(fn func(context.Context, *drill.Scenario) error) func(context.Context) error {
	return func(ctx context.Context) error {
		sc, err := scenario(ctx)
		if err != nil {
			return err
		}
		return fn(ctx, sc)
	}
}

func withText(fn func(context.Context, *drill.Scenario, string) error) func(context.Context, string) error {
	return func(ctx context.Context, a string) error {
		sc, err := scenario(ctx)
		if err != nil {
			return err
		}
		return fn(ctx, sc, a)
	}
}

func withScript(fn func(context.Context, *drill.Scenario, string, string) error) func(context.Context, string, *godog.DocString) error {
	return func(ctx context.Context, name string, doc *godog.DocString) error {
		sc, err := scenario(ctx)
		if err != nil {
			return err
		}
		return fn(ctx, sc, name, doc.Content)
	}
}

// stepper is where register declares the steps: godog's scenario context,
// or Preflight's recorder.
type stepper interface {
	Step(expr, stepFunc any)
}

func register(g stepper) {
	// Steady state.
	g.Step(`^a traderunner deployment trading in (paper|live) mode against the mock broker$`,
		withText(func(ctx context.Context, sc *drill.Scenario, mode string) error { return sc.Deploy(ctx, mode) }))
	g.Step(`^its state and data backups have reached MinIO$`, on(func(ctx context.Context, sc *drill.Scenario) error { return sc.AwaitBackups(ctx) }))
	g.Step(measuresRow,
		withText(func(_ context.Context, sc *drill.Scenario, row string) error { return sc.MeasuresRow(row) }))

	// What a steady state shows.
	g.Step(`^the health check shows "([^"]+)"$`,
		withText(func(ctx context.Context, sc *drill.Scenario, s string) error { return sc.HealthShows(ctx, s) }))
	g.Step(`^the broker answers its health check with \{"ok": true\}$`, on(func(ctx context.Context, sc *drill.Scenario) error { return sc.BrokerHealthy(ctx) }))
	g.Step(`^MinIO holds the backup buckets$`, on(func(ctx context.Context, sc *drill.Scenario) error { return sc.MinIOHasBuckets(ctx) }))
	g.Step(`^MinIO holds at least (\d+) restic snapshots?$`, func(ctx context.Context, n int) error {
		sc, err := scenario(ctx)
		if err != nil {
			return err
		}
		return sc.MinIOHasSnapshots(ctx, n)
	})
	g.Step(`^the broker fills at least (\d+) orders?$`, func(ctx context.Context, n int) error {
		sc, err := scenario(ctx)
		if err != nil {
			return err
		}
		return sc.OrdersFlow(ctx, n)
	})
	g.Step(`^(\d+) "([^"]+)" snapshots reach MinIO at the profile's cadence$`, func(ctx context.Context, n int, tag string) error {
		sc, err := scenario(ctx)
		if err != nil {
			return err
		}
		return sc.SnapshotCadenceOf(ctx, tag, n)
	})
	g.Step(`^"([^"]+)" passes$`, withText(func(ctx context.Context, sc *drill.Scenario, cmd string) error {
		_, err := sc.Check(ctx, cmd)
		return err
	}))
	g.Step(`^the positions match the broker's$`, on(func(ctx context.Context, sc *drill.Scenario) error { return sc.PositionsMatchBroker(ctx) }))

	// The incident.
	g.Step(`^the "([^"]+)" directory is deleted$`,
		withText(func(ctx context.Context, sc *drill.Scenario, dir string) error { return sc.DeleteDir(ctx, dir) }))
	g.Step(`^"([^"]+)" is truncated to (\d+) bytes$`, func(ctx context.Context, file, n string) error {
		sc, err := scenario(ctx)
		if err != nil {
			return err
		}
		size, err := strconv.ParseInt(n, 10, 64)
		if err != nil {
			return err
		}
		return sc.TruncateFile(ctx, file, size)
	})
	g.Step(`^one bit in "([^"]+)" is flipped$`,
		withText(func(ctx context.Context, sc *drill.Scenario, f string) error { return sc.FlipBit(ctx, f) }))
	g.Step(`^"([^"]+)" is overwritten with broken YAML$`, withText(func(ctx context.Context, sc *drill.Scenario, f string) error {
		return sc.Overwrite(ctx, f, "broken YAML", []byte(brokenYAML))
	}))
	g.Step(`^"([^"]+)" is edited to set ([A-Za-z_.]+) to (\S+)$`, func(ctx context.Context, file, key, value string) error {
		sc, err := scenario(ctx)
		if err != nil {
			return err
		}
		return sc.SetYAMLValue(ctx, file, key, value)
	})
	g.Step(`^a stray line is appended to "([^"]+)"$`, withText(func(ctx context.Context, sc *drill.Scenario, f string) error {
		return sc.AppendLine(ctx, f, "@@ merge conflict left in by a bad deploy @@")
	}))
	g.Step(`^the live trading process is killed with SIGKILL while orders are in flight$`,
		on(func(ctx context.Context, sc *drill.Scenario) error { return sc.KillTradingInFlight(ctx) }))
	g.Step(`^the trading process fails the way the system describes$`,
		on(func(ctx context.Context, sc *drill.Scenario) error { return sc.KillTrading(ctx) }))
	g.Step(`^the primary server is lost with its disks and local backups$`,
		on(func(ctx context.Context, sc *drill.Scenario) error { return sc.LoseServer(ctx) }))

	// Detection: the fault must be seen to bite.
	g.Step(`^the failure shows: "([^"]+)" fails$`,
		withText(func(ctx context.Context, sc *drill.Scenario, cmd string) error { return sc.ObserveFailing(ctx, cmd) }))
	g.Step(`^the failure shows: the health check goes red$`, on(func(ctx context.Context, sc *drill.Scenario) error { return sc.ObserveHealthRed(ctx) }))
	g.Step(`^the failure shows: a restart fails$`, on(func(ctx context.Context, sc *drill.Scenario) error { return sc.ObserveRestartFails(ctx) }))

	// The recovery, as the plan says it today: its steps read from the plan.
	g.Step(`^the operator runs `+drplan.RefPattern+`$`, withRef(func(ctx context.Context, sc *drill.Scenario, p, n int, t string) error {
		return sc.RunPlanStep(ctx, p, n, t)
	}))
	g.Step(`^the operator runs `+drplan.RefPattern+`, expecting:$`, func(ctx context.Context, num, proc, title string, doc *godog.DocString) error {
		return withRef(func(ctx context.Context, sc *drill.Scenario, p, n int, t string) error {
			return sc.RunPlanStepExpecting(ctx, p, n, t, doc.Content)
		})(ctx, num, proc, title)
	})
	g.Step(`^where that step failed, the operator runs the corrected step "([^"]+)", `+drplan.CorrectedPattern+`:$`,
		func(ctx context.Context, name, fp string, doc *godog.DocString) error {
			sc, err := scenario(ctx)
			if err != nil {
				return err
			}
			return sc.CorrectPlanStep(ctx, name, fp, doc.Content)
		})
	g.Step(`^the failure shows: `+drplan.RefPattern+`, fails$`, withRef(func(ctx context.Context, sc *drill.Scenario, p, n int, t string) error {
		return sc.ObservePlanStepFails(ctx, p, n, t)
	}))
	g.Step(`^the recovery is verified by `+drplan.RefPattern+`$`, withRef(func(ctx context.Context, sc *drill.Scenario, p, n int, t string) error {
		return sc.VerifiedByPlanStep(ctx, p, n, t)
	}))
	g.Step(`^that carries out `+drplan.RefPattern+`$`, withRef(func(_ context.Context, sc *drill.Scenario, p, n int, t string) error {
		return sc.CarriedOut(p, n, t)
	}))
	g.Step(`^`+drplan.RefPattern+`, is not drilled: (.+)$`, func(ctx context.Context, num, proc, title, why string) error {
		return withRef(func(_ context.Context, sc *drill.Scenario, p, n int, t string) error {
			return sc.NotDrilled(p, n, t, why)
		})(ctx, num, proc, title)
	})
	g.Step(`^the traderunner is healthy in (paper|live) mode$`,
		withText(func(ctx context.Context, sc *drill.Scenario, mode string) error { return sc.AwaitMode(ctx, mode) }))

	// The recovery, in firedrill's own words.
	g.Step(`^the operator runs "([^"]+)":$`, withScript(func(ctx context.Context, sc *drill.Scenario, n, s string) error { return sc.Step(ctx, n, s) }))
	g.Step(`^the operator starts the traderunner in (paper|live) mode$`,
		withText(func(ctx context.Context, sc *drill.Scenario, mode string) error { return sc.StartIn(ctx, mode) }))
	g.Step(`^the operator fails over to the backup server$`, on(func(ctx context.Context, sc *drill.Scenario) error { return sc.FailOverToBackupServer(ctx) }))
	g.Step(`^the operator installs the dependencies$`, on(func(ctx context.Context, sc *drill.Scenario) error { return sc.InstallSoftware(ctx) }))
	g.Step(`^the operator logs into the broker and notes the positions and pending orders$`,
		on(func(ctx context.Context, sc *drill.Scenario) error { return sc.NoteBrokerPositions(ctx) }))
	g.Step(`^the operator approves the switch to live$`, on(func(ctx context.Context, sc *drill.Scenario) error { return sc.ApproveLive(ctx) }))

	// Measurement, against the plan.
	g.Step(`^the RPO is measured from the restored data in "([^"]+)"$`,
		withText(func(ctx context.Context, sc *drill.Scenario, dir string) error { return sc.MeasureDataRPO(ctx, dir) }))
	g.Step(`^the RPO is measured from the restored state in "([^"]+)"$`,
		withText(func(ctx context.Context, sc *drill.Scenario, dir string) error { return sc.MeasureStateRPO(ctx, dir) }))
	g.Step(`^the RPO is measured from git for "([^"]+)"$`, withText(func(ctx context.Context, sc *drill.Scenario, paths string) error {
		return sc.MeasureGitRPO(ctx, strings.Fields(strings.ReplaceAll(paths, ",", " "))...)
	}))
	g.Step(`^"([^"]+)" equals the committed file byte for byte$`,
		withText(func(ctx context.Context, sc *drill.Scenario, f string) error {
			return sc.FileMatchesCommit(ctx, f, "HEAD")
		}))
	g.Step(`^the recovery is verified by "([^"]+)"$`,
		withText(func(ctx context.Context, sc *drill.Scenario, cmd string) error { return sc.VerifiedBy(ctx, cmd) }))
	g.Step(`^the recovery is verified by the health check$`, on(func(ctx context.Context, sc *drill.Scenario) error { return sc.VerifiedByHealth(ctx) }))
	g.Step(`^the RTO and RPO are within the plan's targets$`, on(func(_ context.Context, sc *drill.Scenario) error { return sc.CheckObjectives() }))
	g.Step(`^the RTO is within the plan's target$`, on(func(_ context.Context, sc *drill.Scenario) error { return sc.CheckRTO() }))
	g.Step(`^the RPO is within the plan's target$`, on(func(_ context.Context, sc *drill.Scenario) error { return sc.CheckRPO() }))
}
