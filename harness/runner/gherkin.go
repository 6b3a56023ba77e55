package runner

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cucumber/godog"
	"github.com/cucumber/godog/formatters"
	messages "github.com/cucumber/messages/go/v34"

	"firedrill/harness/report"
	"firedrill/harness/result"
)

// recorder is a godog formatter that keeps what godog ran: the features,
// their scenarios and how each step ended, with its times. junit.xml and
// cucumber.json are written from it and the run's results (godog's own
// JUnit and Cucumber formatters cannot carry RTO, RPO and findings, and
// their output fails the schemas CI tools read).
type recorder struct {
	now func() time.Time

	mu       sync.Mutex
	docs     []*messages.GherkinDocument
	uris     []string
	pickles  []*pickleRun
	byPickle map[string]*pickleRun
}

type pickleRun struct {
	pickle  *messages.Pickle
	started time.Time
	steps   map[string]*report.Step // by pickle step id
}

var recorders atomic.Int64

// newRecorder registers a recorder with godog under a name of its own (a
// process may run several suites) and returns it with that name, for
// godog's Format option. godog running scenarios side by side
// (concurrency above 1) holds a scenario's formatter calls until it ends:
// the recorder then keeps no times (cucumber.json gives no step durations,
// and findings go to the step naming their plan step).
func newRecorder(concurrency int) (*recorder, string) {
	r := &recorder{now: time.Now, byPickle: map[string]*pickleRun{}}
	if concurrency > 1 {
		r.now = func() time.Time { return time.Time{} }
	}
	name := fmt.Sprintf("firedrill-record-%d", recorders.Add(1))
	godog.Format(name, "records steps for firedrill's junit.xml and cucumber.json", func(string, io.Writer) godog.Formatter { return r })
	return r, name
}

func (r *recorder) TestRunStarted() {}

func (r *recorder) Feature(doc *messages.GherkinDocument, uri string, _ []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.docs = append(r.docs, doc)
	r.uris = append(r.uris, uri)
}

func (r *recorder) Pickle(p *messages.Pickle) {
	r.mu.Lock()
	defer r.mu.Unlock()
	pr := &pickleRun{pickle: p, started: r.now(), steps: map[string]*report.Step{}}
	r.pickles = append(r.pickles, pr)
	r.byPickle[p.Id] = pr
}

// step returns the record of a pickle's step, creating it.
func (r *recorder) step(p *messages.Pickle, st *messages.PickleStep) *report.Step {
	pr, ok := r.byPickle[p.Id]
	if !ok { // a formatter event before Pickle: keep it all the same
		pr = &pickleRun{pickle: p, started: r.now(), steps: map[string]*report.Step{}}
		r.pickles = append(r.pickles, pr)
		r.byPickle[p.Id] = pr
	}
	s, ok := pr.steps[st.Id]
	if !ok {
		s = &report.Step{}
		pr.steps[st.Id] = s
	}
	return s
}

// Defined is called as a step starts.
func (r *recorder) Defined(p *messages.Pickle, st *messages.PickleStep, def *formatters.StepDefinition) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.step(p, st)
	s.StartedAt = r.now()
	s.Match = definedAt(def)
}

func (r *recorder) end(p *messages.Pickle, st *messages.PickleStep, def *formatters.StepDefinition, status string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.step(p, st)
	s.Status, s.EndedAt = status, r.now()
	if s.StartedAt.IsZero() {
		s.StartedAt = s.EndedAt
	}
	if s.Match == "" {
		s.Match = definedAt(def)
	}
	if err != nil {
		s.Error = err.Error()
	}
}

func (r *recorder) Passed(p *messages.Pickle, st *messages.PickleStep, d *formatters.StepDefinition) {
	r.end(p, st, d, report.StepPassed, nil)
}

func (r *recorder) Failed(p *messages.Pickle, st *messages.PickleStep, d *formatters.StepDefinition, err error) {
	r.end(p, st, d, report.StepFailed, err)
}

func (r *recorder) Skipped(p *messages.Pickle, st *messages.PickleStep, d *formatters.StepDefinition) {
	r.end(p, st, d, report.StepSkipped, nil)
}

func (r *recorder) Undefined(p *messages.Pickle, st *messages.PickleStep, d *formatters.StepDefinition) {
	r.end(p, st, d, report.StepUndefined, nil)
}

func (r *recorder) Pending(p *messages.Pickle, st *messages.PickleStep, d *formatters.StepDefinition) {
	r.end(p, st, d, report.StepPending, nil)
}

func (r *recorder) Ambiguous(p *messages.Pickle, st *messages.PickleStep, d *formatters.StepDefinition, err error) {
	r.end(p, st, d, report.StepAmbiguous, err)
}

func (r *recorder) Summary() {}

// definedAt is where a step definition's function is written: file:line.
func definedAt(def *formatters.StepDefinition) string {
	if def == nil || def.Handler == nil {
		return ""
	}
	v := reflect.ValueOf(def.Handler)
	if v.Kind() != reflect.Func {
		return ""
	}
	fn := runtime.FuncForPC(v.Pointer())
	if fn == nil {
		return ""
	}
	file, line := fn.FileLine(v.Pointer())
	return fmt.Sprintf("%s:%d", filepath.Base(file), line)
}

// gherkinIndex finds a feature's parts by their AST node id.
type gherkinIndex struct {
	steps      map[string]*messages.Step
	background map[string]bool // step ids of backgrounds
	scenarios  map[string]*messages.Scenario
	rows       map[string]*messages.TableRow
	tags       map[string]*messages.Tag
}

func indexDocument(doc *messages.GherkinDocument) gherkinIndex {
	ix := gherkinIndex{
		steps: map[string]*messages.Step{}, background: map[string]bool{},
		scenarios: map[string]*messages.Scenario{}, rows: map[string]*messages.TableRow{}, tags: map[string]*messages.Tag{},
	}
	if doc == nil || doc.Feature == nil {
		return ix
	}
	addTags := func(tags []*messages.Tag) {
		for _, t := range tags {
			ix.tags[t.Id] = t
		}
	}
	addBackground := func(b *messages.Background) {
		for _, st := range b.Steps {
			ix.steps[st.Id], ix.background[st.Id] = st, true
		}
	}
	addScenario := func(sc *messages.Scenario) {
		ix.scenarios[sc.Id] = sc
		addTags(sc.Tags)
		for _, st := range sc.Steps {
			ix.steps[st.Id] = st
		}
		for _, ex := range sc.Examples {
			addTags(ex.Tags)
			for _, row := range ex.TableBody {
				ix.rows[row.Id] = row
			}
		}
	}
	addTags(doc.Feature.Tags)
	for _, c := range doc.Feature.Children {
		switch {
		case c.Background != nil:
			addBackground(c.Background)
		case c.Scenario != nil:
			addScenario(c.Scenario)
		case c.Rule != nil:
			addTags(c.Rule.Tags)
			for _, rc := range c.Rule.Children {
				if rc.Background != nil {
					addBackground(rc.Background)
				}
				if rc.Scenario != nil {
					addScenario(rc.Scenario)
				}
			}
		}
	}
	return ix
}

func line(l *messages.Location) int {
	if l == nil {
		return 0
	}
	return int(l.Line)
}

func column(l *messages.Location) int {
	if l == nil {
		return 0
	}
	return int(l.Column)
}

// Features is what godog ran, feature by feature in the order godog read
// them, each scenario in the order it started. Paths are as displayPath
// writes them.
func (r *recorder) Features() []report.Feature {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []report.Feature
	for i, doc := range r.docs {
		if doc == nil || doc.Feature == nil {
			continue
		}
		uri := r.uris[i]
		ix := indexDocument(doc)
		f := report.Feature{
			URI: displayPath(uri), Keyword: doc.Feature.Keyword, Name: doc.Feature.Name,
			Description: doc.Feature.Description, Line: line(doc.Feature.Location),
		}
		for _, t := range doc.Feature.Tags {
			f.Tags = append(f.Tags, report.Tag{Name: t.Name, Line: line(t.Location), Column: column(t.Location)})
		}
		for _, pr := range r.pickles {
			if pr.pickle.Uri == uri {
				f.Scenarios = append(f.Scenarios, featureScenario(pr, ix))
			}
		}
		out = append(out, f)
	}
	return out
}

func featureScenario(pr *pickleRun, ix gherkinIndex) report.FeatureScenario {
	p := pr.pickle
	fs := report.FeatureScenario{Name: p.Name, StartedAt: pr.started, Keyword: "Scenario"}
	if len(p.AstNodeIds) > 0 {
		if sc := ix.scenarios[p.AstNodeIds[0]]; sc != nil {
			fs.Keyword, fs.Description, fs.Line = sc.Keyword, sc.Description, line(sc.Location)
		}
	}
	if len(p.AstNodeIds) > 1 {
		if row := ix.rows[p.AstNodeIds[1]]; row != nil {
			fs.Line = line(row.Location)
		}
	}
	for _, t := range p.Tags {
		tag := report.Tag{Name: t.Name}
		if at := ix.tags[t.AstNodeId]; at != nil {
			tag.Line, tag.Column = line(at.Location), column(at.Location)
		}
		fs.Tags = append(fs.Tags, tag)
	}
	for _, ps := range p.Steps {
		st := report.Step{Text: ps.Text, Keyword: "* "}
		if rec := pr.steps[ps.Id]; rec != nil {
			st = *rec
			st.Text, st.Keyword = ps.Text, "* "
		}
		if len(ps.AstNodeIds) > 0 {
			if as := ix.steps[ps.AstNodeIds[0]]; as != nil {
				st.Keyword, st.Line = as.Keyword, line(as.Location)
				if as.DocString != nil && ps.Argument != nil && ps.Argument.DocString != nil {
					st.DocString = &report.DocString{Line: line(as.DocString.Location), MediaType: ps.Argument.DocString.MediaType, Content: ps.Argument.DocString.Content}
				}
			}
		}
		if ps.Argument != nil && ps.Argument.DataTable != nil {
			for _, row := range ps.Argument.DataTable.Rows {
				cells := make([]string, 0, len(row.Cells))
				for _, c := range row.Cells {
					cells = append(cells, c.Value)
				}
				st.Rows = append(st.Rows, cells)
			}
		}
		fs.Steps = append(fs.Steps, st)
	}
	return fs
}

// displayPath writes a feature's path relative to the repository the run
// is in (the nearest folder up from the working directory with a go.mod or
// a .git), so reports name "features/q1_data_corruption.feature" whether
// the run started from the root or from steps/; a path outside it, or
// when there is none, stays as given.
func displayPath(uri string) string {
	abs, err := filepath.Abs(uri)
	if err != nil {
		return filepath.ToSlash(uri)
	}
	dir, err := os.Getwd()
	for err == nil {
		if exists(filepath.Join(dir, "go.mod")) || exists(filepath.Join(dir, ".git")) {
			if rel, err := filepath.Rel(dir, abs); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
				return filepath.ToSlash(rel)
			}
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	return filepath.ToSlash(uri)
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil || !errors.Is(err, os.ErrNotExist)
}

// annotate gives each scenario of the run its stable id and, from what
// godog ran, its feature file and line: the scenario of the same name that
// started nearest to it (a name may repeat across features).
func annotate(run *result.Run, features []report.Feature) {
	type candidate struct {
		uri  string
		sc   report.FeatureScenario
		used bool
	}
	var cands []*candidate
	for _, f := range features {
		for _, sc := range f.Scenarios {
			cands = append(cands, &candidate{uri: f.URI, sc: sc})
		}
	}
	for i := range run.Scenarios {
		s := &run.Scenarios[i]
		var best *candidate
		for _, c := range cands {
			if c.used || c.sc.Name != s.Name {
				continue
			}
			if best == nil || absDuration(c.sc.StartedAt.Sub(s.StartedAt)) < absDuration(best.sc.StartedAt.Sub(s.StartedAt)) {
				best = c
			}
		}
		if best != nil {
			best.used = true
			s.Feature, s.Line = best.uri, best.sc.Line
		}
		s.ID = s.StableID()
	}
}

func absDuration(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}
