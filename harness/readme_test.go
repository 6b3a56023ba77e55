package harness

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestReadmeCIExamples parses the README's CI examples as YAML and checks
// each runs make test, keeps reports/latest and publishes junit.xml.
func TestReadmeCIExamples(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	i := strings.Index(text, "### In CI")
	if i < 0 {
		t.Fatal(`README has no "### In CI" section`)
	}
	section := text[i:]
	if j := strings.Index(section[1:], "\n## "); j >= 0 {
		section = section[:j+1]
	}
	blocks := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllStringSubmatch(section, -1)
	if len(blocks) != 2 {
		t.Fatalf("want the GitHub Actions and the GitLab CI example, found %d yaml blocks", len(blocks))
	}
	for n, blk := range blocks {
		var doc map[string]any
		if err := yaml.Unmarshal([]byte(blk[1]), &doc); err != nil {
			t.Errorf("example %d is not YAML: %v", n+1, err)
			continue
		}
		for _, want := range []string{"make test", "reports/latest/", "reports/latest/junit.xml"} {
			if !strings.Contains(blk[1], want) {
				t.Errorf("example %d does not use %q", n+1, want)
			}
		}
	}
	var gh struct {
		Jobs map[string]struct {
			Steps []map[string]any `yaml:"steps"`
		} `yaml:"jobs"`
	}
	if err := yaml.Unmarshal([]byte(blocks[0][1]), &gh); err != nil || len(gh.Jobs["drills"].Steps) < 5 {
		t.Errorf("the GitHub example has no drills job with its steps: %v", err)
	}
	if !strings.Contains(blocks[0][1], "summary.md") || !strings.Contains(blocks[0][1], "GITHUB_STEP_SUMMARY") {
		t.Error("the GitHub example does not publish summary.md as the job summary")
	}
	var gl map[string]struct {
		Script    []string `yaml:"script"`
		Artifacts struct {
			Reports struct {
				JUnit string `yaml:"junit"`
			} `yaml:"reports"`
		} `yaml:"artifacts"`
	}
	if err := yaml.Unmarshal([]byte(blocks[1][1]), &gl); err != nil || gl["drills"].Artifacts.Reports.JUnit != "reports/latest/junit.xml" {
		t.Errorf("the GitLab example does not report junit.xml: %v %+v", err, gl["drills"])
	}
}
