package profile

import (
	"strings"
	"testing"
)

func TestGet(t *testing.T) {
	for _, name := range []string{"ci", "quarterly"} {
		t.Run(name, func(t *testing.T) {
			p, err := Get(name)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range []string{Trade, Ingest, StateBackup, DataBackup, CloudBackup, BrokerStep, BrokerBar} {
				if p.Cadences[c] <= 0 {
					t.Errorf("cadence %s not set", c)
				}
			}
			if p.ProbeInterval <= 0 {
				t.Error("probe interval not set")
			}
		})
	}
	if _, err := Get("weekly"); err == nil || !strings.Contains(err.Error(), "ci, quarterly") {
		t.Fatalf("unknown profile error = %v", err)
	}
}

func TestOnlyQuarterlyWritesPlan(t *testing.T) {
	ci, _ := Get("ci")
	q, _ := Get("quarterly")
	if ci.MayWritePlan || !q.MayWritePlan {
		t.Fatal("only the quarterly profile, at the plan's cadences, may write actuals")
	}
	if q.Cadences[StateBackup].Seconds() != 60 {
		t.Fatal("quarterly state backup must be the plan's 60 s")
	}
}
