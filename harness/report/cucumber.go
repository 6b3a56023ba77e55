package report

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/jedib0t/go-pretty/v6/text"

	"firedrill/harness/result"
)

// Feature is a feature file as godog ran it: its scenarios and how each of
// their steps ended. The runner records it while godog runs (a godog
// formatter); Cucumber renders it merged with the run's results.
type Feature struct {
	// URI is the feature file's path, as result.Scenario.Feature has it.
	URI         string
	Keyword     string
	Name        string
	Description string
	Line        int
	Tags        []Tag
	Scenarios   []FeatureScenario
}

// Tag is a Gherkin tag and where it is written.
type Tag struct {
	Name         string
	Line, Column int
}

// FeatureScenario is one scenario (one example of an outline) as run.
type FeatureScenario struct {
	Keyword     string
	Name        string
	Description string
	// Line is the scenario's, or its example row's for an outline.
	Line int
	// Tags are the scenario's own and those it inherits.
	Tags      []Tag
	StartedAt time.Time
	// Steps are the background's steps, then the scenario's.
	Steps []Step
}

// Step statuses as godog reports them.
const (
	StepPassed    = "passed"
	StepFailed    = "failed"
	StepSkipped   = "skipped"
	StepUndefined = "undefined"
	StepPending   = "pending"
	StepAmbiguous = "ambiguous"
)

// Step is one step as run.
type Step struct {
	Keyword string
	Text    string
	Line    int
	// DocString is the step's doc string; Rows its data table.
	DocString *DocString
	Rows      [][]string
	// Status is one of the Step* statuses ("" if the step never ran);
	// Error the failure godog reported.
	Status string
	Error  string
	// Match is where the step's definition is written (file:line).
	Match              string
	StartedAt, EndedAt time.Time
}

// DocString is a step's doc string.
type DocString struct {
	Line      int
	MediaType string
	Content   string
}

// Cucumber JSON as Cucumber-JVM writes it (cucumber-json-schema's
// cucumber-jvm.json): what cucumber-reporting, Jenkins' Cucumber plugin
// and Allure read.
type cukeFeature struct {
	URI         string            `json:"uri"`
	ID          string            `json:"id"`
	Line        int               `json:"line"`
	Keyword     string            `json:"keyword"`
	Name        string            `json:"name"`
	Description string            `json:"description"`
	Tags        []cukeLocationTag `json:"tags,omitempty"`
	Elements    []cukeElement     `json:"elements"`
}

type cukeLocationTag struct {
	Name     string       `json:"name"`
	Type     string       `json:"type"`
	Location cukeLocation `json:"location"`
}

type cukeLocation struct {
	Line   int `json:"line"`
	Column int `json:"column"`
}

type cukeElement struct {
	ID             string     `json:"id"`
	Line           int        `json:"line"`
	Type           string     `json:"type"`
	Keyword        string     `json:"keyword"`
	Name           string     `json:"name"`
	Description    string     `json:"description"`
	StartTimestamp string     `json:"start_timestamp,omitempty"`
	Tags           []cukeTag  `json:"tags,omitempty"`
	Steps          []cukeStep `json:"steps"`
	After          []cukeHook `json:"after,omitempty"`
}

type cukeTag struct {
	Name string `json:"name"`
}

type cukeStep struct {
	Keyword    string          `json:"keyword"`
	Line       int             `json:"line"`
	Name       string          `json:"name"`
	DocString  *cukeDocString  `json:"doc_string,omitempty"`
	Rows       []cukeRow       `json:"rows,omitempty"`
	Match      *cukeMatch      `json:"match,omitempty"`
	Result     cukeResult      `json:"result"`
	Embeddings []cukeEmbedding `json:"embeddings,omitempty"`
	Output     []string        `json:"output,omitempty"`
}

type cukeDocString struct {
	Line        int    `json:"line"`
	Value       string `json:"value"`
	ContentType string `json:"content_type,omitempty"`
}

type cukeRow struct {
	Cells []string `json:"cells"`
}

type cukeMatch struct {
	Location string `json:"location,omitempty"`
}

type cukeResult struct {
	Status       string `json:"status"`
	Duration     *int64 `json:"duration,omitempty"` // nanoseconds
	ErrorMessage string `json:"error_message,omitempty"`
}

type cukeEmbedding struct {
	MimeType string `json:"mime_type"`
	Data     string `json:"data"` // base64
	Name     string `json:"name,omitempty"`
}

type cukeHook struct {
	Match      cukeMatch       `json:"match"`
	Result     cukeResult      `json:"result"`
	Output     []string        `json:"output,omitempty"`
	Embeddings []cukeEmbedding `json:"embeddings,omitempty"`
}

// objectivesHook names the after hook that carries a scenario's measures.
const objectivesHook = "firedrill: RTO and RPO against the plan's targets"

// Cucumber writes the features as Cucumber-JVM's JSON, merged with the
// run's results:
//
//   - each scenario's RTO and RPO, against their targets, are an after
//     hook of the scenario ("firedrill: RTO and RPO ...") with the values
//     as output lines and as a JSON embedding; the hook fails when an
//     objective was missed, naming target, actual and evidence, and is
//     skipped for a scenario not run;
//   - a plan step that failed as written (a finding) is attached to the
//     step that ran it, as output and as a text embedding: the step keeps
//     godog's status (the drill went on with the corrected step), but is
//     never a plain pass;
//   - the step that found a scenario could not be run is "skipped", with
//     the reason as its error message, as junit.xml skips it.
//
// A scenario is matched with its result by feature and line (as the runner
// records them), else by name.
func Cucumber(w io.Writer, run result.Run, features []Feature) error {
	out := make([]cukeFeature, 0, len(features))
	used := map[int]bool{}
	for _, f := range features {
		cf := cukeFeature{
			URI: f.URI, ID: cukeID(f.Name), Line: f.Line, Keyword: f.Keyword,
			Name: f.Name, Description: f.Description, Elements: []cukeElement{},
		}
		for _, t := range f.Tags {
			cf.Tags = append(cf.Tags, cukeLocationTag{Name: t.Name, Type: "Tag", Location: cukeLocation{Line: t.Line, Column: t.Column}})
		}
		ids := map[string]bool{}
		for _, sc := range f.Scenarios {
			var res *result.Scenario
			if i := matchScenario(run.Scenarios, f.URI, sc, used); i >= 0 {
				used[i] = true
				res = &run.Scenarios[i]
			}
			el := cukeScenario(cf.ID, sc, res)
			if ids[el.ID] {
				el.ID += fmt.Sprintf(";%d", sc.Line)
			}
			ids[el.ID] = true
			cf.Elements = append(cf.Elements, el)
		}
		out = append(out, cf)
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err == nil {
		_, err = w.Write(append(b, '\n'))
	}
	if err != nil {
		return fmt.Errorf("write cucumber report: %w", err)
	}
	return nil
}

// matchScenario finds the result of a scenario: by feature and line, else
// by name; -1 if none.
func matchScenario(results []result.Scenario, uri string, sc FeatureScenario, used map[int]bool) int {
	for i, r := range results {
		if !used[i] && r.Feature == uri && r.Line == sc.Line && r.Feature != "" {
			return i
		}
	}
	for i, r := range results {
		if !used[i] && r.Feature == "" && r.Name == sc.Name {
			return i
		}
	}
	return -1
}

func cukeScenario(featureID string, sc FeatureScenario, res *result.Scenario) cukeElement {
	el := cukeElement{
		ID: featureID + ";" + cukeID(sc.Name), Line: sc.Line, Type: "scenario", Keyword: sc.Keyword,
		Name: sc.Name, Description: sc.Description, Steps: []cukeStep{},
	}
	if !sc.StartedAt.IsZero() {
		el.StartTimestamp = sc.StartedAt.UTC().Format("2006-01-02T15:04:05.000Z")
	}
	for _, t := range sc.Tags {
		el.Tags = append(el.Tags, cukeTag{Name: t.Name})
	}
	for _, st := range sc.Steps {
		el.Steps = append(el.Steps, cukeStepOf(st, res))
	}
	if res != nil {
		attachFindings(el.Steps, sc.Steps, *res)
		el.After = []cukeHook{objectives(*res)}
	}
	return el
}

func cukeStepOf(st Step, res *result.Scenario) cukeStep {
	cs := cukeStep{Keyword: st.Keyword, Line: st.Line, Name: st.Text}
	if st.DocString != nil {
		cs.DocString = &cukeDocString{Line: st.DocString.Line, Value: st.DocString.Content, ContentType: st.DocString.MediaType}
	}
	for _, r := range st.Rows {
		cs.Rows = append(cs.Rows, cukeRow{Cells: append([]string{}, r...)})
	}
	if st.Match != "" {
		cs.Match = &cukeMatch{Location: st.Match}
	}
	status, msg := st.Status, text.StripEscape(st.Error)
	switch status {
	case StepPassed, StepFailed, StepSkipped, StepUndefined, StepPending:
	case StepAmbiguous:
		status, msg = StepFailed, strings.TrimSpace("ambiguous step: "+msg)
	default: // never reached: the scenario stopped before it
		status = StepSkipped
	}
	// The step that found the scenario could not be run skips it.
	if status == StepFailed && res != nil && res.Status == result.NotRun && strings.HasPrefix(msg, "not run: ") {
		status = StepSkipped
	}
	cs.Result = cukeResult{Status: status, ErrorMessage: msg}
	if (status == StepPassed || status == StepFailed) && !st.StartedAt.IsZero() && !st.EndedAt.Before(st.StartedAt) {
		d := st.EndedAt.Sub(st.StartedAt).Nanoseconds()
		cs.Result.Duration = &d
	}
	return cs
}

// attachFindings attaches each finding to the step that ran the plan step:
// the one running when it was found, else the one naming the plan step in
// quotes, else the last step that ran.
func attachFindings(steps []cukeStep, ran []Step, res result.Scenario) {
	if len(steps) == 0 {
		return
	}
	for i, f := range res.Findings {
		at := -1
		for j, st := range ran {
			if !f.At.IsZero() && !st.StartedAt.IsZero() && !f.At.Before(st.StartedAt) && !f.At.After(st.EndedAt) {
				at = j
				break
			}
		}
		for j, st := range ran {
			if at < 0 && f.Step != "" && strings.Contains(st.Text, `"`+f.Step+`"`) {
				at = j
			}
		}
		if at < 0 {
			for j, st := range ran {
				if st.Status != "" && st.Status != StepSkipped {
					at = j
				}
			}
			at = max(at, 0)
		}
		note := findingText(i, f)
		steps[at].Output = append(steps[at].Output, note)
		steps[at].Embeddings = append(steps[at].Embeddings, cukeEmbedding{
			MimeType: "text/plain", Name: fmt.Sprintf("finding F%d", i+1),
			Data: base64.StdEncoding.EncodeToString([]byte(note)),
		})
	}
}

func findingText(i int, f result.Finding) string {
	var b strings.Builder
	fmt.Fprintf(&b, "FINDING F%d: the plan's step %q failed as written", i+1, f.Step)
	if f.Command != "" {
		fmt.Fprintf(&b, "\n$ %s", f.Command)
	}
	if out := strings.TrimRight(f.Output, "\n"); out != "" {
		fmt.Fprintf(&b, "\n%s", out)
	}
	if f.Resolution != "" {
		fmt.Fprintf(&b, "\n→ %s", f.Resolution)
	}
	return text.StripEscape(b.String())
}

// cukeObjectives is the JSON embedded in the objectives hook: the
// scenario's measures, in seconds, null when not measured.
type cukeObjectives struct {
	ScenarioID   string   `json:"scenario_id"`
	Status       string   `json:"status"`
	RTOSeconds   *float64 `json:"rto_s"`
	RTOTargetS   *float64 `json:"rto_target_s"`
	RTOMet       *bool    `json:"rto_met"`
	RPOSeconds   *float64 `json:"rpo_s"`
	RPOTargetS   *float64 `json:"rpo_target_s"`
	RPOMet       *bool    `json:"rpo_met"`
	LostEvents   *int     `json:"lost_events"`
	Findings     int      `json:"findings"`
	NotRunReason string   `json:"not_run_reason,omitempty"`
}

func objectives(s result.Scenario) cukeHook {
	h := cukeHook{Match: cukeMatch{Location: objectivesHook}, Result: cukeResult{Status: StepPassed}}
	o := cukeObjectives{ScenarioID: s.StableID(), Status: string(s.Status), Findings: len(s.Findings), NotRunReason: s.NotRunReason}
	var missed []string
	if r := s.RTO; r != nil {
		a, t, met := round3(r.Actual), round3(r.Target), r.Met
		o.RTOSeconds, o.RTOTargetS, o.RTOMet = &a, &t, &met
		line := fmt.Sprintf("RTO %s, target %s: %s", human(r.Actual), human(r.Target), metWord(r.Met))
		if !r.Met {
			line = rtoMissed(s)
			missed = append(missed, line)
		}
		h.Output = append(h.Output, line)
	} else {
		h.Output = append(h.Output, "RTO not measured")
	}
	if r := s.RPO; r != nil {
		a, t, met, lost := round3(r.Actual), round3(r.Target), r.Met, r.LostEvents
		o.RPOSeconds, o.RPOTargetS, o.RPOMet, o.LostEvents = &a, &t, &met, &lost
		line := fmt.Sprintf("RPO %s, target %s: %s (%d lost)", human(r.Actual), human(r.Target), metWord(r.Met), r.LostEvents)
		if !r.Met {
			line = rpoMissed(s)
			missed = append(missed, line)
		}
		h.Output = append(h.Output, line)
	} else {
		h.Output = append(h.Output, "RPO not measured")
	}
	switch {
	case s.Status == result.NotRun:
		h.Result.Status = StepSkipped
		h.Result.ErrorMessage = notRunLine(s)
		h.Output = append(h.Output, notRunLine(s))
	case len(missed) > 0:
		h.Result.Status = StepFailed
		h.Result.ErrorMessage = strings.Join(missed, "\n")
	}
	b, _ := json.Marshal(o) // plain values always encode
	h.Embeddings = []cukeEmbedding{{MimeType: "application/json", Name: "objectives.json", Data: base64.StdEncoding.EncodeToString(b)}}
	return h
}

func metWord(met bool) string {
	if met {
		return "met"
	}
	return "missed"
}

// round3 rounds to the millisecond, as results.json does.
func round3(s result.Seconds) float64 { return math.Round(float64(s)*1000) / 1000 }

// cukeID is a Cucumber id: lower case, dashes for spaces.
func cukeID(name string) string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimSpace(name)), " ", "-")
}
