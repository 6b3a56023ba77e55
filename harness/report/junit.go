package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/jedib0t/go-pretty/v6/text"

	"firedrill/harness/result"
)

// JUnit XML for CI systems: the subset that both common schemas accept
// (Jenkins xUnit's JUnit 10 and Apache Ant's). Ant allows one failure per
// testcase and neither allows properties or output on a testcase, so each
// scenario is a testsuite of its own:
//
//   - the suite holds the scenario's <properties> (rto_s, rto_target_s,
//     rpo_s, rpo_target_s, lost_events, profile, system, file, ...; a value
//     not measured is empty) and, in <system-out>, what a person reads: the
//     recovery, the evidence and the findings (plan steps that failed as
//     written);
//   - testcase "<scenario>" is the drill itself, classname the drill (Q1):
//     a <failure> when the drill failed for a reason other than a missed
//     objective, <skipped> with the reason when it was not run; its time
//     is the scenario's, from its start to its end;
//   - testcases "<scenario> · RTO" and "<scenario> · RPO", for a scenario
//     that measures objectives: one <failure> per missed objective, whose
//     message names the actual, the target and the evidence; <skipped>
//     when not measured. The RTO testcase's time is the measured RTO; the
//     RPO testcase's is 0 (a data-loss window is no time spent).
//
// Times are seconds with three decimals at most. Neither schema has a file
// attribute, so the feature path is the property "file" (and "line").

type junitSuites struct {
	XMLName xml.Name     `xml:"testsuites"`
	Suites  []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Package    string          `xml:"package,attr"`
	ID         int             `xml:"id,attr"`
	Timestamp  string          `xml:"timestamp,attr"`
	Hostname   string          `xml:"hostname,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Properties junitProperties `xml:"properties"`
	Cases      []junitCase     `xml:"testcase"`
	SystemOut  cdata           `xml:"system-out"`
	SystemErr  string          `xml:"system-err"`
}

type junitProperties struct {
	Property []junitProperty `xml:"property"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitOutcome `xml:"failure"`
	Error     *junitOutcome `xml:"error"`
	Skipped   *junitSkip    `xml:"skipped"`
}

// junitOutcome is a failure or an error. GitLab shows the text, not the
// message, so the text starts with the message.
type junitOutcome struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",cdata"`
}

type junitSkip struct {
	Message string `xml:"message,attr"`
	Text    string `xml:",cdata"`
}

// cdata is an element's text written as CDATA, so a person reading the
// file sees its lines as lines.
type cdata struct {
	Text string `xml:",cdata"`
}

// xmlText drops what XML 1.0 cannot hold (control characters other than
// tab and line breaks, as a command's output may have), and colour codes.
func xmlText(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return r
		case r < 0x20 || r == 0xFFFE || r == 0xFFFF || (r >= 0xD800 && r <= 0xDFFF):
			return '\uFFFD'
		}
		return r
	}, text.StripEscape(s))
}

// JUnit writes the run as JUnit XML (see the comment above for its shape).
// opts.Hostname names the machine the drills ran on ("localhost" if empty).
func JUnit(w io.Writer, run result.Run, opts Options) error {
	host := opts.Hostname
	if host == "" {
		host = "localhost"
	}
	doc := junitSuites{Suites: make([]junitSuite, 0, len(run.Scenarios))}
	for i, s := range run.Scenarios {
		doc.Suites = append(doc.Suites, junitScenario(run, s, i, host))
	}
	b, err := xml.MarshalIndent(doc, "", "  ")
	if err == nil {
		_, err = fmt.Fprintf(w, "%s%s\n", xml.Header, b)
	}
	if err != nil {
		return fmt.Errorf("write junit report: %w", err)
	}
	return nil
}

// junitClass is the testcase classname: the drill, or "firedrill" for a
// scenario of no drill (a smoke test); Jenkins drops an empty one.
func junitClass(s result.Scenario) string {
	if s.Drill != "" {
		return s.Drill
	}
	return "firedrill"
}

func junitScenario(run result.Run, s result.Scenario, i int, host string) junitSuite {
	class := junitClass(s)
	suite := junitSuite{
		Name: xmlText(title(s)), Package: class, ID: i, Hostname: host,
		Timestamp:  junitTimestamp(s.StartedAt, run.StartedAt),
		Time:       junitSeconds(scenarioSeconds(s)),
		Properties: junitProperties{Property: junitProps(run, s)},
		SystemOut:  cdata{xmlText(scenarioText(s))},
	}
	objectives, others := splitFailures(s)
	drillCase := junitCase{Name: xmlText(s.Name), Classname: class, Time: suite.Time}
	switch s.Status {
	case result.Passed:
	case result.NotRun:
		drillCase.Skipped = &junitSkip{Message: notRunLine(s), Text: notRunLine(s)}
	case result.Failed:
		if len(others) > 0 {
			drillCase.Failure = &junitOutcome{Type: "drill failed", Message: firstLineOf(others[0]), Text: strings.Join(others, "\n")}
		}
	default:
		drillCase.Error = &junitOutcome{Type: "unknown status", Message: fmt.Sprintf("status %q is none firedrill knows", s.Status)}
	}
	suite.Cases = append(suite.Cases, drillCase)
	if s.PlanRow != "" || s.RTO != nil || s.RPO != nil {
		suite.Cases = append(suite.Cases, rtoCase(s, class, objectives), rpoCase(s, class, objectives))
	}
	for i := range suite.Properties.Property {
		p := &suite.Properties.Property[i]
		p.Value = xmlText(p.Value)
	}
	for _, c := range suite.Cases {
		for _, o := range []*junitOutcome{c.Failure, c.Error} {
			if o != nil {
				o.Message, o.Text = xmlText(o.Message), xmlText(o.Text)
			}
		}
		if c.Skipped != nil {
			c.Skipped.Message, c.Skipped.Text = xmlText(c.Skipped.Message), xmlText(c.Skipped.Text)
		}
		suite.Tests++
		switch {
		case c.Failure != nil:
			suite.Failures++
		case c.Error != nil:
			suite.Errors++
		case c.Skipped != nil:
			suite.Skipped++
		}
	}
	return suite
}

func rtoCase(s result.Scenario, class string, drillLines map[string][]string) junitCase {
	r := s.RTO
	if r == nil {
		return objectiveCase(s, class, "RTO", nil, drillLines, nil)
	}
	c := objectiveCase(s, class, "RTO", &r.Met, drillLines, func() (string, []string) {
		lines := []string{
			"actual: " + human(r.Actual) + " (" + seconds(r.Actual) + " s), from the fault to the verification",
			"target: " + human(r.Target) + " (" + seconds(r.Target) + " s), the plan's row " + quoted(s.PlanRow),
		}
		if r.ProbeInterval > 0 {
			lines = append(lines, "precision: probed every "+human(r.ProbeInterval))
		}
		return rtoMissed(s), lines
	})
	c.Time = junitSeconds(float64(r.Actual))
	return c
}

func rpoCase(s result.Scenario, class string, drillLines map[string][]string) junitCase {
	r := s.RPO
	if r == nil {
		return objectiveCase(s, class, "RPO", nil, drillLines, nil)
	}
	return objectiveCase(s, class, "RPO", &r.Met, drillLines, func() (string, []string) {
		lines := []string{
			"actual: " + human(r.Actual) + " (" + seconds(r.Actual) + " s) of changes lost",
			"target: " + human(r.Target) + " (" + seconds(r.Target) + " s), the plan's row " + quoted(s.PlanRow),
		}
		if r.Basis != "" {
			lines = append(lines, "measured from: "+r.Basis)
		}
		for _, e := range s.Evidence {
			lines = append(lines, "evidence: "+e.Name+": "+e.Detail)
		}
		return rpoMissed(s), lines
	})
}

// objectiveCase is the testcase of one objective: skipped when not
// measured (met nil), passed when met, else one failure whose text is the
// message, the details, the drill's own words and where the scenario is.
func objectiveCase(s result.Scenario, class, what string, met *bool, drillLines map[string][]string, missed func() (string, []string)) junitCase {
	c := junitCase{Name: s.Name + " · " + what, Classname: class, Time: junitSeconds(0)}
	switch {
	case met == nil:
		c.Skipped = notMeasured(s, what)
	case !*met:
		msg, lines := missed()
		lines = append(append([]string{msg}, lines...), drillLines[what]...)
		c.Failure = &junitOutcome{Type: what + " exceeded", Message: msg, Text: strings.Join(append(lines, locationLine(s)...), "\n")}
	}
	return c
}

// rtoMissed is a missed RTO in one line: actual, target and evidence.
func rtoMissed(s result.Scenario) string {
	r := s.RTO
	return fmt.Sprintf("RTO %s exceeded the %s target (fault %s, verified %s)",
		human(r.Actual), human(r.Target), clockMilli(r.FaultAt), clockMilli(r.VerifiedAt))
}

// rpoMissed is a missed RPO in one line: actual, target and evidence.
func rpoMissed(s result.Scenario) string {
	r := s.RPO
	var ev []string
	if !r.NewestRecovered.IsZero() {
		ev = append(ev, "newest recovered change "+stampMilli(r.NewestRecovered))
	}
	if !r.FaultAt.IsZero() {
		ev = append(ev, "fault "+stampMilli(r.FaultAt))
	}
	ev = append(ev, fmt.Sprintf("%d lost", r.LostEvents))
	return fmt.Sprintf("RPO %s exceeded the %s target (%s)", human(r.Actual), human(r.Target), strings.Join(ev, ", "))
}

func notMeasured(s result.Scenario, objective string) *junitSkip {
	why := objective + " not measured"
	switch s.Status {
	case result.NotRun:
		why += ": the scenario was not run"
	case result.Failed:
		why += ": the drill failed before measuring it"
	}
	return &junitSkip{Message: why, Text: why}
}

// splitFailures parts a scenario's failures into those that restate a
// missed objective (by objective: "RTO", "RPO") and the others.
func splitFailures(s result.Scenario) (map[string][]string, []string) {
	objectives := map[string][]string{}
	var others []string
	for _, f := range s.Failures {
		switch {
		case strings.HasPrefix(f, "RTO ") && strings.Contains(f, " exceeded target ") && s.RTO != nil && !s.RTO.Met:
			objectives["RTO"] = append(objectives["RTO"], "the drill's check: "+f)
		case strings.HasPrefix(f, "RPO ") && strings.Contains(f, " exceeded target ") && s.RPO != nil && !s.RPO.Met:
			objectives["RPO"] = append(objectives["RPO"], "the drill's check: "+f)
		default:
			others = append(others, f)
		}
	}
	if s.Status == result.Failed && len(others) == 0 && (s.RTO == nil || s.RTO.Met) && (s.RPO == nil || s.RPO.Met) {
		others = append(others, "the drill failed, and recorded no reason")
	}
	return objectives, others
}

// junitProps are a scenario's properties. Every name is always there; a
// value the scenario did not measure is empty.
func junitProps(run result.Run, s result.Scenario) []junitProperty {
	v := map[string]string{}
	if r := s.RTO; r != nil {
		v["rto_s"], v["rto_target_s"], v["rto_met"] = seconds(r.Actual), seconds(r.Target), strconv.FormatBool(r.Met)
		v["probe_interval_s"] = seconds(r.ProbeInterval)
		v["verified_at"] = rfc3339(r.VerifiedAt, true)
	}
	if r := s.RPO; r != nil {
		v["rpo_s"], v["rpo_target_s"], v["rpo_met"] = seconds(r.Actual), seconds(r.Target), strconv.FormatBool(r.Met)
		v["lost_events"] = strconv.Itoa(r.LostEvents)
		if r.WorstCaseBasis != "" {
			v["rpo_worst_case_s"], v["rpo_worst_case_basis"] = seconds(r.WorstCase), r.WorstCaseBasis
			v["rpo_worst_case_met"] = strconv.FormatBool(r.WorstCaseMet)
		}
	}
	fault, ok := s.FaultAt()
	v["fault_at"] = rfc3339(fault, ok)
	if s.Line > 0 {
		v["line"] = strconv.Itoa(s.Line)
	}
	v["run_id"], v["profile"], v["system"], v["plan"] = run.RunID, run.Profile, run.System, run.Plan
	v["drill"], v["scenario_id"], v["file"], v["plan_row"] = s.Drill, s.StableID(), s.Feature, s.PlanRow
	v["status"], v["findings"], v["not_run_reason"] = string(s.Status), strconv.Itoa(len(s.Findings)), s.NotRunReason
	names := []string{"run_id", "profile", "system", "plan", "drill", "scenario_id", "file", "line", "plan_row", "status",
		"rto_s", "rto_target_s", "rto_met", "probe_interval_s", "rpo_s", "rpo_target_s", "rpo_met", "lost_events",
		"rpo_worst_case_s", "rpo_worst_case_basis", "rpo_worst_case_met", "findings", "fault_at", "verified_at", "not_run_reason"}
	props := make([]junitProperty, 0, len(names))
	for _, n := range names {
		props = append(props, junitProperty{Name: n, Value: v[n]})
	}
	return props
}

// scenarioText is a scenario as a person reads it in a CI's output pane:
// the recovery, the RPO, the evidence, the findings and the failures, each
// keeping its line breaks.
func scenarioText(s result.Scenario) string {
	var b strings.Builder
	if l := notRunLine(s); l != "" {
		b.WriteString(l + "\n")
	}
	b.WriteString(recoveryLine(s) + "\n")
	if l := rpoLine(s); l != "" {
		b.WriteString(l + "\n")
	}
	if l := engineLine(s); l != "" {
		b.WriteString(l + "\n")
	}
	for _, e := range s.Evidence {
		fmt.Fprintf(&b, "evidence: %s: %s\n", e.Name, e.Detail)
	}
	if len(s.Findings) > 0 {
		fmt.Fprintf(&b, "findings (%d): steps of the plan that did not work as written\n", len(s.Findings))
		fault, hasFault := s.FaultAt()
		for i, f := range s.Findings {
			when := ""
			if hasFault && !f.At.IsZero() {
				when = " (" + offset(fault, f.At) + ")"
			}
			fmt.Fprintf(&b, "F%d %s%s\n", i+1, f.Step, when)
			if f.Command != "" {
				fmt.Fprintf(&b, "  $ %s\n", indent(f.Command, "    "))
			}
			if out := strings.TrimRight(f.Output, "\n"); out != "" {
				fmt.Fprintf(&b, "  %s\n", indent(out, "  "))
			}
			if f.Resolution != "" {
				fmt.Fprintf(&b, "  → %s\n", indent(f.Resolution, "    "))
			}
		}
	}
	for _, f := range s.Failures {
		fmt.Fprintf(&b, "failure: %s\n", f)
	}
	return text.StripEscape(b.String())
}

func indent(s, prefix string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\n", "\n"+prefix)
}

func locationLine(s result.Scenario) []string {
	if s.Feature == "" {
		return nil
	}
	if s.Line > 0 {
		return []string{fmt.Sprintf("scenario: %s:%d", s.Feature, s.Line)}
	}
	return []string{"scenario: " + s.Feature}
}

func quoted(s string) string {
	if s == "" {
		return "(none)"
	}
	return strconv.Quote(s)
}

func firstLineOf(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// scenarioSeconds is how long the scenario took, 0 if not recorded.
func scenarioSeconds(s result.Scenario) float64 {
	if s.StartedAt.IsZero() || s.EndedAt.Before(s.StartedAt) {
		return 0
	}
	return s.EndedAt.Sub(s.StartedAt).Seconds()
}

// junitSeconds writes seconds with three decimals, as both schemas read
// them (Jenkins' SUREFIRE_TIME allows no more).
func junitSeconds(v float64) string {
	if v < 0 {
		v = 0
	}
	return strconv.FormatFloat(v, 'f', 3, 64)
}

// junitTimestamp is when the scenario started, in UTC without a zone, as
// Ant's schema wants it; the run's start if the scenario's is unknown.
func junitTimestamp(t, fallback time.Time) string {
	if t.IsZero() {
		t = fallback
	}
	if t.IsZero() {
		t = time.Unix(0, 0)
	}
	return t.UTC().Format("2006-01-02T15:04:05")
}

// clockMilli writes a time of day in UTC to the millisecond.
func clockMilli(t time.Time) string { return t.UTC().Format("15:04:05.000Z") }

// stampMilli writes a date and time in UTC to the millisecond.
func stampMilli(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05.000Z") }
