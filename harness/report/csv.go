package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"

	"firedrill/harness/result"
)

var csvHeader = []string{
	"run_id", "profile", "drill", "scenario", "plan_row", "status",
	"rto_s", "rto_target_s", "rto_met", "probe_interval_s",
	"rpo_s", "rpo_target_s", "rpo_met", "lost_events",
	"findings", "fault_at", "verified_at", "not_run_reason", "scenario_id",
}

// CSV writes one row per scenario for a spreadsheet: durations in seconds
// (to the millisecond), times in RFC 3339 UTC to the millisecond, empty
// cells for what a scenario did not measure. A scenario not run has status
// "not run" and says why in not_run_reason; scenario_id is the scenario's
// stable id (result.Scenario.StableID), the same in every run, to join
// runs on. Columns are only ever added at the end, so a sheet that reads
// them by position keeps working.
func CSV(w io.Writer, run result.Run) error {
	cw := csv.NewWriter(w)
	_ = cw.Write(csvHeader)
	for _, s := range run.Scenarios {
		row := []string{run.RunID, run.Profile, s.Drill, s.Name, s.PlanRow, string(s.Status)}
		if r := s.RTO; r != nil {
			row = append(row, seconds(r.Actual), seconds(r.Target), strconv.FormatBool(r.Met), seconds(r.ProbeInterval))
		} else {
			row = append(row, "", "", "", "")
		}
		if r := s.RPO; r != nil {
			row = append(row, seconds(r.Actual), seconds(r.Target), strconv.FormatBool(r.Met), strconv.Itoa(r.LostEvents))
		} else {
			row = append(row, "", "", "", "")
		}
		row = append(row, strconv.Itoa(len(s.Findings)))
		fault, ok := s.FaultAt()
		row = append(row, rfc3339(fault, ok))
		if s.RTO != nil {
			row = append(row, rfc3339(s.RTO.VerifiedAt, true))
		} else {
			row = append(row, "")
		}
		row = append(row, s.NotRunReason, s.StableID())
		_ = cw.Write(row)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write csv report: %w", err)
	}
	return nil
}

func seconds(s result.Seconds) string {
	return strconv.FormatFloat(math.Round(float64(s)*1000)/1000, 'f', -1, 64)
}

func rfc3339(t time.Time, ok bool) string {
	if !ok || t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z07:00")
}
