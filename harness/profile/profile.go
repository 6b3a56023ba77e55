// Package profile defines the paces a drill runs at.
//
// A profile is the pace: how often the system under test trades, ingests
// market data and backs up, how fast the mock broker moves, and how often
// probes look. `ci` runs every cadence in seconds so the whole suite fits
// in minutes; `quarterly` runs the DR plan's own cadences, so its RPO is the
// one the plan means. The profile and its cadences are part of every result.
package profile

import (
	"firedrill/harness/system"

	"fmt"
	"sort"
	"strings"
	"time"

	"firedrill/harness/result"
)

// Profile is one pace.
type Profile struct {
	Name string
	// ProbeInterval is how often probes poll; it bounds RTO precision.
	ProbeInterval time.Duration
	// Cadences by name: trade, ingest, state_backup, data_backup,
	// cloud_backup, broker_step, broker_bar.
	Cadences map[string]time.Duration
	// MayWritePlan: only a profile at the plan's own cadences may write
	// actuals into the plan.
	MayWritePlan bool
	// LateFault: each drill strikes late in the backup cycle of the
	// repository its recovery restores from (where the plan's cadences run
	// and its RPO targets, worst cases, are judged).
	LateFault bool
	// MaxRecovery caps a scenario's recovery limit (3× its RTO target), so a
	// hung recovery cannot hold a CI job for half an hour; 0 is no cap.
	MaxRecovery time.Duration
}

// Cadence names.
const (
	Trade       = "trade_interval"
	Ingest      = "ingest_interval"
	StateBackup = "state_backup_interval"
	DataBackup  = "data_backup_interval"
	CloudBackup = "cloud_backup_interval"
	BrokerStep  = "broker_step_interval"
	BrokerBar   = "broker_bar_interval"
)

var builtin = map[string]Profile{
	"ci": {
		Name:          "ci",
		ProbeInterval: 250 * time.Millisecond,
		MaxRecovery:   3 * time.Minute,
		Cadences: map[string]time.Duration{
			Trade: time.Second, Ingest: time.Second,
			StateBackup: 2 * time.Second, DataBackup: 5 * time.Second, CloudBackup: 5 * time.Second,
			BrokerStep: time.Second, BrokerBar: time.Second,
		},
	},
	"quarterly": {
		Name:          "quarterly",
		ProbeInterval: time.Second,
		// The DR plan's cadences: state backup every minute, data daily,
		// one bar a minute as the market gives them.
		Cadences: map[string]time.Duration{
			Trade: time.Second, Ingest: time.Minute,
			StateBackup: time.Minute, DataBackup: 24 * time.Hour, CloudBackup: 24 * time.Hour,
			BrokerStep: time.Second, BrokerBar: time.Minute,
		},
		MayWritePlan: true,
		LateFault:    true,
	},
}

// Names lists the known profiles.
func Names() []string {
	var n []string
	for k := range builtin {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}

// Get returns a profile by name.
func Get(name string) (Profile, error) {
	p, ok := builtin[name]
	if !ok {
		return Profile{}, fmt.Errorf("unknown profile %q: use one of %s", name, strings.Join(Names(), ", "))
	}
	return p, nil
}

// SystemEnv is the environment that sets the drilled deployment's
// cadences, under the names its system file gives.
func (p Profile) SystemEnv(v system.Variables) map[string]string {
	env := map[string]string{}
	for _, c := range []struct {
		names   system.Names
		cadence string
	}{
		{v.TradeInterval, Trade}, {v.IngestInterval, Ingest}, {v.StateBackupInterval, StateBackup},
		{v.DataBackupInterval, DataBackup}, {v.CloudBackupInterval, CloudBackup},
	} {
		c.names.Env(env, p.Cadences[c.cadence].String())
	}
	return env
}

// BrokerEnv is the environment that sets the mock broker's pace.
func (p Profile) BrokerEnv() map[string]string {
	return map[string]string{
		"BROKER_STEP_INTERVAL": p.Cadences[BrokerStep].String(),
		"BROKER_BAR_INTERVAL":  p.Cadences[BrokerBar].String(),
	}
}

// ResultCadences are the profile's cadences as a result records them.
func (p Profile) ResultCadences() map[string]result.Seconds {
	c := map[string]result.Seconds{"probe_interval": result.Sec(p.ProbeInterval)}
	for k, v := range p.Cadences {
		c[k] = result.Sec(v)
	}
	return c
}
