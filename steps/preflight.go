package steps

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/cucumber/godog"

	"firedrill/harness/drplan"
	messages "github.com/cucumber/messages/go/v34"
)

// RowChecker is what Preflight needs of the DR plan: every row a scenario
// measures must be in its table with readable targets.
type RowChecker interface {
	Check(rows ...string) error
}

// measuresRow is the step that names a scenario's plan row.
const measuresRow = `^the drill measures the "([^"]+)" row of the DR plan$`

// Preflight checks, before any container starts, what would otherwise stop
// a drill halfway: the features parse, the tags select at least one
// scenario, every step of the selected scenarios matches exactly one
// firedrill step (an unknown one is answered with the closest known step),
// and every plan row they measure is in the plan with readable targets. It
// returns every problem found, each naming the file and line and the fix.
func Preflight(paths []string, tags string, plan RowChecker) error {
	all, err := godog.TestSuite{Options: &godog.Options{Paths: paths}}.RetrieveFeatures()
	if err != nil {
		return fmt.Errorf("parse features: %w: correct the Gherkin at the line:column shown", err)
	}
	selected, err := godog.TestSuite{Options: &godog.Options{Paths: paths, Tags: tags}}.RetrieveFeatures()
	if err != nil {
		return fmt.Errorf("parse features: %w", err)
	}
	var problems []string
	seen := map[string]bool{}
	add := func(p string) {
		if !seen[p] {
			seen[p] = true
			problems = append(problems, p)
		}
	}
	var rows []string
	var byScenario [][]drplan.FeatureStep
	scenarios := 0
	for _, f := range selected {
		lines := stepLines(f.GherkinDocument)
		for _, p := range f.Pickles {
			scenarios++
			fsteps := pickleSteps(f.Uri, lines, p)
			for _, fs := range fsteps {
				at, st := fs.At, fs
				matches := Match(st.Text)
				switch {
				case len(matches) == 0:
					add(fmt.Sprintf("%s: step %q matches no firedrill step: did you mean %q?", at, st.Text, Closest(st.Text)))
				case len(matches) > 1:
					add(fmt.Sprintf("%s: step %q matches %d firedrill steps (%s): reword it so that one matches", at, st.Text, len(matches), strings.Join(matches, "; ")))
				case matches[0] == display(measuresRow):
					rows = append(rows, regexp.MustCompile(measuresRow).FindStringSubmatch(st.Text)[1])
				}
			}
			byScenario = append(byScenario, fsteps)
		}
	}
	if scenarios == 0 {
		var pickles []*messages.Pickle
		for _, f := range all {
			pickles = append(pickles, f.Pickles...)
		}
		return fmt.Errorf("select scenarios: no scenario in %s matches tags %q: use one of the tags the features carry: %s",
			strings.Join(paths, ", "), tags, strings.Join(tagsOf(pickles), " "))
	}
	errs := make([]error, 0, len(problems)+1)
	for _, p := range problems {
		errs = append(errs, errors.New(p))
	}
	if plan != nil && len(rows) > 0 {
		if err := plan.Check(rows...); err != nil {
			errs = append(errs, err)
		}
	}
	// Every plan step a feature names is in the plan as the feature says,
	// and the plan's commands are those its corrected steps were written for.
	if rb, ok := plan.(interface{ Runbook() drplan.Runbook }); ok {
		for _, p := range RunbookProblems(rb.Runbook(), byScenario) {
			errs = append(errs, errors.New(p))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("check features before the drill:\n%w", err)
	}
	return nil
}

// RunbookProblems checks every scenario's references to the plan's
// runbook (drplan.Runbook.Check), each problem once.
func RunbookProblems(rb drplan.Runbook, scenarios [][]drplan.FeatureStep) []string {
	var out []string
	seen := map[string]bool{}
	for _, steps := range scenarios {
		for _, p := range rb.Check(steps) {
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	return out
}

// PlanCheck is `firedrill plan check`: every reference of the features in
// paths to the plan's runbook, checked against the plan as it is. It
// returns the problems (none when the plan and the features agree) and how
// many plan steps the features name.
func PlanCheck(paths []string, plan *drplan.Plan) (problems []string, named int, err error) {
	feats, err := godog.TestSuite{Options: &godog.Options{Paths: paths}}.RetrieveFeatures()
	if err != nil {
		return nil, 0, fmt.Errorf("parse features: %w: correct the Gherkin at the line:column shown", err)
	}
	var byScenario [][]drplan.FeatureStep
	refs := map[drplan.StepRef]bool{}
	for _, f := range feats {
		lines := stepLines(f.GherkinDocument)
		for _, p := range f.Pickles {
			fsteps := pickleSteps(f.Uri, lines, p)
			for _, st := range fsteps {
				if r, ok := drplan.ParseRef(st.Text); ok {
					refs[r] = true
				}
			}
			byScenario = append(byScenario, fsteps)
		}
	}
	return RunbookProblems(plan.Runbook(), byScenario), len(refs), nil
}

// pickleSteps are a scenario's steps with their file:line and doc string.
func pickleSteps(uri string, lines map[string]int64, p *messages.Pickle) []drplan.FeatureStep {
	out := make([]drplan.FeatureStep, 0, len(p.Steps))
	for _, st := range p.Steps {
		at := uri
		if len(st.AstNodeIds) > 0 && lines[st.AstNodeIds[0]] > 0 {
			at = fmt.Sprintf("%s:%d", uri, lines[st.AstNodeIds[0]])
		}
		doc := ""
		if st.Argument != nil && st.Argument.DocString != nil {
			doc = st.Argument.DocString.Content
		}
		out = append(out, drplan.FeatureStep{At: at, Text: st.Text, Doc: doc})
	}
	return out
}

// stepLines maps each step's AST id to its line in the feature file.
func stepLines(doc *messages.GherkinDocument) map[string]int64 {
	lines := map[string]int64{}
	if doc == nil || doc.Feature == nil {
		return lines
	}
	addSteps := func(steps []*messages.Step) {
		for _, s := range steps {
			lines[s.Id] = s.Location.Line
		}
	}
	var walk func(children []*messages.FeatureChild, rules []*messages.RuleChild)
	walk = func(children []*messages.FeatureChild, rules []*messages.RuleChild) {
		for _, c := range children {
			if c.Background != nil {
				addSteps(c.Background.Steps)
			}
			if c.Scenario != nil {
				addSteps(c.Scenario.Steps)
			}
			if c.Rule != nil {
				walk(nil, c.Rule.Children)
			}
		}
		for _, c := range rules {
			if c.Background != nil {
				addSteps(c.Background.Steps)
			}
			if c.Scenario != nil {
				addSteps(c.Scenario.Steps)
			}
		}
	}
	walk(doc.Feature.Children, nil)
	return lines
}

// tagsOf lists the tags the scenarios carry.
func tagsOf(pickles []*messages.Pickle) []string {
	set := map[string]bool{}
	for _, p := range pickles {
		for _, t := range p.Tags {
			set[t.Name] = true
		}
	}
	out := make([]string, 0, len(set))
	for t := range set {
		out = append(out, t)
	}
	sort.Strings(out)
	if len(out) == 0 {
		return []string{"(none)"}
	}
	return out
}

// recorder collects the step patterns register declares.
type recorder struct{ exprs []string }

func (r *recorder) Step(expr, _ any) { r.exprs = append(r.exprs, expr.(string)) }

var known = sync.OnceValue(func() []*regexp.Regexp {
	var r recorder
	register(&r)
	out := make([]*regexp.Regexp, len(r.exprs))
	for i, e := range r.exprs {
		out[i] = regexp.MustCompile(e)
	}
	return out
})

// Match returns, in the form a person reads, every firedrill step whose
// pattern matches text (a step's text without its keyword).
func Match(text string) []string {
	var out []string
	for _, re := range known() {
		if re.MatchString(text) {
			out = append(out, display(re.String()))
		}
	}
	return out
}

// Closest returns the known step that reads most like text, in the form a
// person reads.
func Closest(text string) string {
	want := placeholders(strings.ToLower(text))
	best, bestD := "", -1
	for _, re := range known() {
		d := distance(want, strings.ToLower(display(re.String())))
		if bestD < 0 || d < bestD {
			best, bestD = display(re.String()), d
		}
	}
	return best
}

var (
	quotedArg  = regexp.MustCompile(`"[^"]*"`)
	numberArg  = regexp.MustCompile(`\b\d+\b`)
	displayRep = strings.NewReplacer(
		`"([^"]+)"`, `"…"`, `(\d+)`, `N`, `([A-Za-z_.]+)`, `KEY`, `(\S+)`, `VALUE`,
		`\{`, `{`, `\}`, `}`, `s?`, `(s)`,
	)
)

// display turns a step pattern into the sentence a feature writes, with
// "…" for a quoted argument and N for a number.
func display(expr string) string {
	return displayRep.Replace(strings.TrimSuffix(strings.TrimPrefix(expr, "^"), "$"))
}

// placeholders puts display's placeholders in place of a step's arguments.
func placeholders(text string) string {
	return numberArg.ReplaceAllString(quotedArg.ReplaceAllString(text, `"…"`), "n")
}

// distance is the Levenshtein distance between a and b, in runes.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
