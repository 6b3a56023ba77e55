package report

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"firedrill/harness/report/reportcheck"
	"firedrill/harness/result"
)

// skipUnchecked skips a test whose check needs what is missing (a schema
// kept beside the repository, xmllint), naming it; any other error fails.
func skipUnchecked(t *testing.T, err error) {
	t.Helper()
	if errors.Is(err, reportcheck.ErrNotChecked) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
}

func writeTemp(t *testing.T, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// parsed junit.xml, as a CI reads it.
type readSuites struct {
	Suites []struct {
		Name       string `xml:"name,attr"`
		Properties []struct {
			Name  string `xml:"name,attr"`
			Value string `xml:"value,attr"`
		} `xml:"properties>property"`
		Cases []struct {
			Name      string `xml:"name,attr"`
			Classname string `xml:"classname,attr"`
			Time      string `xml:"time,attr"`
			Failures  []struct {
				Message string `xml:"message,attr"`
				Text    string `xml:",chardata"`
			} `xml:"failure"`
			Skipped *struct {
				Message string `xml:"message,attr"`
			} `xml:"skipped"`
		} `xml:"testcase"`
		SystemOut string `xml:"system-out"`
	} `xml:"testsuite"`
}

func TestJUnit(t *testing.T) {
	run := fixtureRun()
	var b bytes.Buffer
	if err := JUnit(&b, run, Options{Hostname: "drill-host"}); err != nil {
		t.Fatal(err)
	}
	var doc readSuites
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Suites) != len(run.Scenarios) {
		t.Fatalf("%d suites for %d scenarios", len(doc.Suites), len(run.Scenarios))
	}
	threeDecimals := regexp.MustCompile(`^\d+\.\d{3}$`)
	var failures []string
	for i, suite := range doc.Suites {
		s := run.Scenarios[i]
		props := map[string]string{}
		for _, p := range suite.Properties {
			props[p.Name] = p.Value
		}
		for _, name := range []string{"rto_s", "rto_target_s", "rpo_s", "rpo_target_s", "lost_events", "profile", "system", "file"} {
			if _, ok := props[name]; !ok {
				t.Errorf("suite %q lacks property %s", suite.Name, name)
			}
		}
		if s.RTO != nil && props["rto_s"] != seconds(s.RTO.Actual) {
			t.Errorf("suite %q: rto_s = %q, want %s", suite.Name, props["rto_s"], seconds(s.RTO.Actual))
		}
		if props["profile"] != "quarterly" || props["file"] != s.Feature {
			t.Errorf("suite %q: profile %q, file %q", suite.Name, props["profile"], props["file"])
		}
		for _, c := range suite.Cases {
			if c.Classname != s.Drill {
				t.Errorf("testcase %q: classname %q, want the drill %q", c.Name, c.Classname, s.Drill)
			}
			if !threeDecimals.MatchString(c.Time) {
				t.Errorf("testcase %q: time %q, want seconds with 3 decimals", c.Name, c.Time)
			}
			for _, f := range c.Failures {
				failures = append(failures, c.Name+": "+f.Message)
				if !strings.HasPrefix(f.Text, f.Message) {
					t.Errorf("testcase %q: the failure's text does not start with its message (GitLab shows only the text)", c.Name)
				}
			}
			if strings.HasSuffix(c.Name, " · RTO") && s.RTO != nil {
				if c.Time != junitSeconds(float64(s.RTO.Actual)) {
					t.Errorf("testcase %q: time %s, want the RTO %s", c.Name, c.Time, seconds(s.RTO.Actual))
				}
			}
		}
		if s.Status == result.NotRun {
			for _, c := range suite.Cases {
				if c.Skipped == nil || !strings.Contains(c.Skipped.Message, "not run") {
					t.Errorf("testcase %q of a scenario not run is not skipped with its reason", c.Name)
				}
			}
		}
	}
	// One failure per missed objective (Q3's RTO), one for the drill that
	// failed otherwise (Q4, never verified).
	want := []string{
		"Live trading failure · RTO: RTO 16 min 5 s exceeded the 15 min target (fault 10:30:00.000Z, verified 10:46:05.000Z)",
		"Complete server failure: measure RTO: recovery was never verified after the fault at 10:50:00Z (no verified event)",
	}
	if strings.Join(failures, "\n") != strings.Join(want, "\n") {
		t.Fatalf("failures:\n%s\nwant:\n%s", strings.Join(failures, "\n"), strings.Join(want, "\n"))
	}
	if out := doc.Suites[0].SystemOut; !strings.Contains(out, "F1 Verify: Data SLAs pass (+2 min 41 s)\n  $ make data:validate") {
		t.Fatalf("the finding is not in system-out:\n%s", out)
	}
	if out := doc.Suites[5].SystemOut; !strings.Contains(out, "MSFT.parquet: none lost\nNVDA.parquet") {
		t.Fatalf("the evidence lost its line breaks in system-out:\n%s", out)
	}

	// Both objectives missed: one failure each.
	both := fixtureRun()
	s := &both.Scenarios[2]
	s.RPO.Met, s.RPO.Target = false, 1
	s.Failures = append(s.Failures, "RPO 7s exceeded target 1s (newest recovered change 10:29:53Z, fault 10:30:00Z, 3 fills lost)")
	b.Reset()
	if err := JUnit(&b, both, Options{}); err != nil {
		t.Fatal(err)
	}
	doc = readSuites{}
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range doc.Suites[2].Cases {
		n += len(c.Failures)
	}
	if n != 2 {
		t.Fatalf("a scenario that missed both objectives has %d failures, want 2:\n%s", n, b.String())
	}
}

func TestJUnitValidates(t *testing.T) {
	var b bytes.Buffer
	if err := JUnit(&b, fixtureRun(), Options{Hostname: "drill-host"}); err != nil {
		t.Fatal(err)
	}
	skipUnchecked(t, reportcheck.JUnitFile(writeTemp(t, "junit.xml", b.Bytes())))
}

// TestJUnitCheckFails proves the schema check can fail: what godog's own
// JUnit formatter writes (a status on the testcase, nine decimals, no
// classname, suite attributes missing) does not pass it.
func TestJUnitCheckFails(t *testing.T) {
	godogs := `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="firedrill" tests="1" skipped="0" failures="1" errors="0" time="12.345678901">
  <testsuite name="Q1 drill" tests="1" skipped="0" failures="1" errors="0" time="12.345678901">
    <testcase name="the M5 bars are deleted" status="failed" time="12.345678901">
      <failure message="Step the RTO and RPO are within the plan's targets: RTO 3m12s exceeded target 2m0s"></failure>
    </testcase>
  </testsuite>
</testsuites>
`
	for _, name := range []string{reportcheck.JenkinsJUnit, reportcheck.AntJUnit} {
		xsd, err := reportcheck.SharedSchema(name)
		skipUnchecked(t, err)
		err = reportcheck.XMLLint(xsd, writeTemp(t, "godog.xml", []byte(godogs)))
		if errors.Is(err, reportcheck.ErrNotChecked) {
			t.Skip(err)
		}
		if err == nil {
			t.Errorf("godog's junit.xml passes %s: the check proves nothing", name)
		}
	}
}

func TestCucumber(t *testing.T) {
	run := fixtureRun()
	var b bytes.Buffer
	if err := Cucumber(&b, run, fixtureFeatures()); err != nil {
		t.Fatal(err)
	}
	var doc []cukeFeature
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc) != 2 || len(doc[0].Elements) != 2 || len(doc[1].Elements) != 2 {
		t.Fatalf("want 2 features of 2 scenarios each, got %s", b.String())
	}
	// Q1 option A: the finding on the plan's step that ran it.
	step := doc[0].Elements[0].Steps[3]
	if step.Result.Status != StepPassed || len(step.Output) != 1 || !strings.HasPrefix(step.Output[0], `FINDING F1: the plan's step "Verify: Data SLAs pass" failed as written`) ||
		len(step.Embeddings) != 1 || step.Embeddings[0].MimeType != "text/plain" {
		t.Fatalf("the plan step that failed as written is not shown with its finding: %+v", step)
	}
	for _, el := range doc[0].Elements {
		for i, st := range el.Steps {
			if i != 3 && el.Name == run.Scenarios[0].Name && len(st.Output) > 0 {
				t.Errorf("finding attached to step %q too", st.Name)
			}
		}
	}
	// RTO and RPO on every scenario, as its after hook.
	hook := func(el cukeElement) (cukeHook, map[string]any) {
		t.Helper()
		if len(el.After) != 1 || el.After[0].Match.Location != objectivesHook {
			t.Fatalf("scenario %q has no objectives hook: %+v", el.Name, el.After)
		}
		h := el.After[0]
		raw, err := base64.StdEncoding.DecodeString(h.Embeddings[0].Data)
		if err != nil {
			t.Fatal(err)
		}
		var o map[string]any
		if err := json.Unmarshal(raw, &o); err != nil {
			t.Fatal(err)
		}
		return h, o
	}
	h, o := hook(doc[0].Elements[0])
	if h.Result.Status != StepPassed || o["rto_s"] != 192.0 || o["rto_target_s"] != 600.0 || o["rpo_s"] != 245.0 || o["lost_events"] != 12.0 {
		t.Fatalf("Q1 objectives: %+v %v", h, o)
	}
	h, _ = hook(doc[1].Elements[0])
	if h.Result.Status != StepFailed || !strings.Contains(h.Result.ErrorMessage, "RTO 16 min 5 s exceeded the 15 min target") {
		t.Fatalf("Q3's missed RTO: %+v", h)
	}
	h, o = hook(doc[1].Elements[1])
	if h.Result.Status != StepSkipped || o["rto_s"] != nil || doc[1].Elements[1].Steps[0].Result.Status != StepSkipped {
		t.Fatalf("the scenario not run: hook %+v, %v, first step %+v", h, o, doc[1].Elements[1].Steps[0].Result)
	}
}

func TestCucumberValidates(t *testing.T) {
	var b bytes.Buffer
	if err := Cucumber(&b, fixtureRun(), fixtureFeatures()); err != nil {
		t.Fatal(err)
	}
	schema, err := reportcheck.SharedSchema(reportcheck.CucumberJVM)
	skipUnchecked(t, err)
	if err := reportcheck.JSONFile(schema, writeTemp(t, "cucumber.json", b.Bytes())); err != nil {
		t.Fatal(err)
	}
	// What godog's formatter writes fails it: a tag with a line and no
	// type or location, and a feature's comments.
	bad := strings.Replace(b.String(), `"type": "Tag",`, `"line": 1,`, 1)
	if err := reportcheck.JSONFile(schema, writeTemp(t, "godog.json", []byte(bad))); err == nil {
		t.Fatal("a godog-style tag passes the Cucumber-JVM schema: the check proves nothing")
	}
}

// TestMarkdownForGitHub: no line break or HTML in a code span, no table
// cell over 120 characters, a met or missed mark on every objective.
func TestMarkdownForGitHub(t *testing.T) {
	run := fixtureRun()
	var b bytes.Buffer
	if err := Markdown(&b, run, Options{History: fixtureHistory()}); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	fence := regexp.MustCompile("(?s)```+[a-z]*\n.*?\n```+\n")
	prose := fence.ReplaceAllString(md, "")
	for _, span := range regexp.MustCompile("(`+)[^`].*?(`+)").FindAllString(prose, -1) {
		if strings.Contains(span, "<") && regexp.MustCompile(`<[a-z/]`).MatchString(span) && !strings.Contains(span, "<Key") {
			t.Errorf("HTML in a code span: %s", span)
		}
	}
	if strings.Contains(prose, "<br") {
		t.Errorf("a <br> outside a details block: tables and code spans must not need one")
	}
	rows := 0
	for _, line := range strings.Split(md, "\n") {
		if !strings.HasPrefix(line, "| ") {
			continue
		}
		for _, cell := range strings.Split(strings.ReplaceAll(strings.Trim(line, "| "), `\|`, "¦"), " | ") {
			if n := len([]rune(cell)); n > maxCell {
				t.Errorf("a cell of %d characters: %q", n, cell)
			}
		}
		if strings.HasPrefix(line, "| Q") && strings.Count(line, " | ") == 9 {
			rows++
			cells := strings.Split(strings.Trim(line, "| "), " | ")
			for _, c := range []string{cells[3], cells[5]} {
				if c != none && !strings.HasPrefix(c, "✅ ") && !strings.HasPrefix(c, "❌ ") {
					t.Errorf("objective %q has no met or missed mark", c)
				}
			}
		}
	}
	if rows != len(run.Scenarios) {
		t.Fatalf("found %d scenario rows, want %d", rows, len(run.Scenarios))
	}
	if !strings.Contains(md, "❌ **16 min 5 s (over)**") || !strings.Contains(md, "✅ 3 min 12 s") {
		t.Fatal("the marks are not where the objectives were met and missed")
	}
	if !strings.Contains(md, "<details><summary>F1 · Restore from cloud: command and output</summary>") {
		t.Fatal("a finding's command and output are not in a details block")
	}
}

// TestResultsSchema validates results.json as the runner writes it against
// docs/results.schema.json, and proves the schema refuses Go's zero time
// and a file without its version.
func TestResultsSchema(t *testing.T) {
	run := fixtureRun()
	run.Scenarios[0].ID = run.Scenarios[0].StableID()
	b, err := json.MarshalIndent(run, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte("0001-01-01")) {
		t.Fatal("results.json holds Go's zero time")
	}
	if !bytes.Contains(b, []byte(`"newest_recovered": null`)) || !bytes.Contains(b, []byte(`"rto": null`)) {
		t.Fatal("what was not measured is not null")
	}
	if err := reportcheck.ResultsFile(writeTemp(t, "results.json", b)); err != nil {
		t.Fatal(err)
	}
	for name, bad := range map[string]string{
		"a zero time":       strings.Replace(string(b), `"started_at": "2026-11-27T10:15:41Z"`, `"started_at": "0001-01-01T00:00:00Z"`, 1),
		"no schema version": strings.Replace(string(b), `"schema_version": 4,`, ``, 1),
		"an unknown field":  strings.Replace(string(b), `"run_id":`, `"runid": "x", "run_id":`, 1),
	} {
		if bad == string(b) {
			t.Fatalf("%s: the fixture changed, the replacement did not apply", name)
		}
		if err := reportcheck.ResultsFile(writeTemp(t, "bad.json", []byte(bad))); err == nil {
			t.Errorf("results.json with %s passes the schema", name)
		}
	}
}

// TestTimelineFitsRecovery: the axis spans the recovery, in the unit that
// fits it, and what lies far off (Q1 option B's newest recovered bar,
// dated 2024 in the data's own time; a target well beyond the
// verification) is an arrow at the edge.
func TestTimelineFitsRecovery(t *testing.T) {
	run := fixtureRun()
	tests := []struct {
		s     result.Scenario
		unit  string
		edges []string
	}{
		{run.Scenarios[0], "minutes", []string{"◀ RPO target 5 min", "◀ newest recovered change: RPO 4 min 5 s", "RTO target 10 min ▶"}},
		{run.Scenarios[1], "seconds", []string{"RTO target 5 min ▶"}},
		{run.Scenarios[2], "minutes", nil},
		{run.Scenarios[5], "seconds", []string{"◀ RPO target 5 min", "◀ newest recovered change: RPO 45 s", "RTO target 10 min ▶"}},
	}
	verifiedX := regexp.MustCompile(`<line class="marker m-verified" x1="([0-9.]+)"`)
	for _, tt := range tests {
		for _, lay := range []layout{wide, narrow} {
			svg := timelineSVG(tt.s, "t", lay)
			if !strings.Contains(svg, ">"+tt.unit+" from fault injection<") {
				t.Errorf("%s (%s): axis not in %s", tt.s.Name, lay.name, tt.unit)
			}
			for _, e := range tt.edges {
				if !strings.Contains(svg, ">"+esc(e)+"<") {
					t.Errorf("%s (%s): no arrow %q at the edge", tt.s.Name, lay.name, e)
				}
			}
			m := verifiedX.FindStringSubmatch(svg)
			if m == nil {
				t.Fatalf("%s: no verified line", tt.s.Name)
			}
			x, _ := strconv.ParseFloat(m[1], 64)
			if fill := (x - lay.plotLeft) / (lay.plotRight - lay.plotLeft); fill < 0.9 {
				t.Errorf("%s (%s): the recovery fills %.0f%% of the axis, want 90%% or more", tt.s.Name, lay.name, fill*100)
			}
		}
	}
	// A newest recovered change dated years before the fault does not
	// stretch the axis even if it were read as the loss.
	s := run.Scenarios[5]
	s.RPO.Actual = result.Sec(time.Since(s.RPO.NewestRecovered))
	if svg := timelineSVG(s, "t", wide); !strings.Contains(svg, ">seconds from fault injection<") {
		t.Error("a loss of years stretched the axis")
	}
}
