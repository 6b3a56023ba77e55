package steps

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"firedrill/harness/drplan"
)

// TestFeaturesFollowThePlan: every plan step the features name is in
// docs/dr-plan.md as they name it, and the plan's commands are those their
// corrected steps were written for.
func TestFeaturesFollowThePlan(t *testing.T) {
	plan, err := drplan.Parse("../docs/dr-plan.md")
	if err != nil {
		t.Fatal(err)
	}
	problems, named, err := PlanCheck([]string{"../features"}, plan)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Error(p)
	}
	if named < 15 {
		t.Errorf("the features name %d plan steps, want the steps of the four procedures", named)
	}
}

// TestPlanCheckCatchesDrift changes the plan the way a team edits it and
// expects the check to name the feature step, the plan step and its lines.
func TestPlanCheckCatchesDrift(t *testing.T) {
	src, err := os.ReadFile("../docs/dr-plan.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, from, to string
		want           []string
	}{
		{"a command of scenario 2 step 2 changed", "cp -r /tmp/restore/data/* data/", "cp -a /tmp/restore/data/. data/",
			[]string{"q1_data_corruption.feature:", "written for plan commands 261541a3", "step 2 of scenario 2 in the plan", "dr-plan.md:131-", "written for plan commands "}},
		{"scenario 2 step 2 renamed", "# 2. Option A: Restore from backup", "# 2. Option A: Restore from the local backup",
			[]string{"q1_data_corruption.feature:", `now reads step 2 "Option A: Restore from the local backup"`, "dr-plan.md:131"}},
		{"a step inserted before scenario 2 step 2", "# 2. Option A: Restore from backup", "# 2. Stop ingest\nmake stop\n\n# 3. Option A: Restore from backup",
			[]string{"q1_data_corruption.feature:", "it is now step 3 of scenario 2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			changed := strings.Replace(string(src), tc.from, tc.to, 1)
			if changed == string(src) {
				t.Fatalf("the plan holds no %q", tc.from)
			}
			path := filepath.Join(t.TempDir(), "dr-plan.md")
			if err := os.WriteFile(path, []byte(changed), 0o644); err != nil {
				t.Fatal(err)
			}
			plan, err := drplan.Parse(path)
			if err != nil {
				t.Fatal(err)
			}
			problems, _, err := PlanCheck([]string{"../features"}, plan)
			if err != nil {
				t.Fatal(err)
			}
			all := strings.Join(problems, "\n")
			for _, w := range tc.want {
				if !strings.Contains(all, w) {
					t.Errorf("problems do not say %q:\n%s", w, all)
				}
			}
		})
	}
}
