package bench

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"firedrill/harness/drplan"
	"firedrill/harness/system"
)

// TestScriptCommandsAreTheFeatures holds bench/plain_recovery.sh to the
// features and the plan: every command it copies (between <<'FEATURE' and
// FEATURE) must be in a feature as it stands (outline examples filled in)
// or a step of the plan's runbook, mapped to the reference deployment by
// its system file, as firedrill runs them.
// When a feature's recovery changes, the script must change with it, or
// the RTO comparison would compare different work.
func TestScriptCommandsAreTheFeatures(t *testing.T) {
	script, err := os.ReadFile(filepath.Join("..", "..", "bench", "plain_recovery.sh"))
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join("..", "..", "features", "*.feature"))
	if err != nil || len(files) == 0 {
		t.Fatalf("find features: %v (%d files)", err, len(files))
	}
	ref, err := system.Load(filepath.Join("..", "..", "systems", "reference.yml"))
	if err != nil {
		t.Fatal(err)
	}
	plan, err := drplan.Parse(filepath.Join("..", "..", "docs", "dr-plan.md"))
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, st := range plan.Runbook().Steps {
		if st.Procedure > 0 {
			texts = append(texts, normalize(ref.Local(st.Script())))
		}
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		b = []byte(ref.Local(string(b)))
		// A `\|` in a Gherkin table cell is a `|` in the command.
		texts = append(texts, expandOutlines(strings.ReplaceAll(string(b), `\|`, "|"))...)
	}
	bodies := featureBodies(string(script))
	if len(bodies) < 15 {
		t.Fatalf("found %d FEATURE commands in the script, want the recovery steps of four drills", len(bodies))
	}
	for _, body := range bodies {
		want := normalize(body)
		found := false
		for _, txt := range texts {
			if strings.Contains(txt, want) {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("bench/plain_recovery.sh runs a command no feature has (update the script to the feature):\n%s", body)
		}
	}
}

var featureDoc = regexp.MustCompile(`(?s)<<'FEATURE'[^\n]*\n(.*?)\nFEATURE\n`)

func featureBodies(script string) []string {
	var out []string
	for _, m := range featureDoc.FindAllStringSubmatch(script, -1) {
		out = append(out, m[1])
	}
	return out
}

func normalize(s string) string { return strings.Join(strings.Fields(s), " ") }

// expandOutlines returns a feature's text, normalised, once as written and
// once per Examples row with its <placeholders> filled in.
func expandOutlines(text string) []string {
	out := []string{normalize(text)}
	lines := strings.Split(text, "\n")
	for i := 0; i < len(lines); i++ {
		if strings.TrimSpace(lines[i]) != "Examples:" || i+1 >= len(lines) {
			continue
		}
		header := cells(lines[i+1])
		for j := i + 2; j < len(lines) && strings.HasPrefix(strings.TrimSpace(lines[j]), "|"); j++ {
			row := cells(lines[j])
			filled := text
			for k, h := range header {
				if k < len(row) {
					filled = strings.ReplaceAll(filled, "<"+h+">", row[k])
				}
			}
			out = append(out, normalize(filled))
		}
	}
	return out
}

func cells(line string) []string {
	parts := strings.Split(strings.Trim(strings.TrimSpace(line), "|"), "|")
	for i, p := range parts {
		parts[i] = strings.TrimSpace(p)
	}
	return parts
}

func TestExpandOutlines(t *testing.T) {
	text := "Scenario Outline: x\n  When <a> runs\n  Examples:\n    | a |\n    | one two |\n    | three |\n"
	got := expandOutlines(text)
	if len(got) != 3 || !strings.Contains(got[1], "When one two runs") || !strings.Contains(got[2], "When three runs") {
		t.Errorf("expandOutlines = %q", got)
	}
}
