package system

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"firedrill/harness/drplan"
)

// TestLoadDesk: the second layout of the stand-in (images/desk) loads, and
// differs from the reference in every fact its file states.
func TestLoadDesk(t *testing.T) {
	desk, err := Load("../../systems/desk.yml")
	if err != nil {
		t.Fatal(err)
	}
	ref, err := Load("../../systems/reference.yml")
	if err != nil {
		t.Fatal(err)
	}
	if desk.Image != "firedrill/desk:latest" || desk.Home != "/srv/desk" || desk.HealthPort() != "9191/tcp" || desk.Health.Path != "/status" {
		t.Errorf("desk: image %s, home %s, health %s %s", desk.Image, desk.Home, desk.HealthPort(), desk.Health.Path)
	}
	if g := desk.GitRemote; g == nil || g.Root != "/srv/repos" || g.Repository != "desk.git" {
		t.Errorf("desk git_remote = %+v", g)
	}
	same := func(what, a, b string) {
		if a == b {
			t.Errorf("%s is the reference's too: %q", what, a)
		}
	}
	same("image", desk.Image, ref.Image)
	same("home", desk.Home, ref.Home)
	same("health port", desk.HealthPort(), ref.HealthPort())
	same("health path", desk.Health.Path, ref.Health.Path)
	same("git remote root", desk.GitRemote.Root, ref.GitRemote.Root)
	same("git remote repository", desk.GitRemote.Repository, ref.GitRemote.Repository)
	dv, rv := desk.Variables.byKey(), ref.Variables.byKey()
	for _, k := range requiredVariables {
		for _, n := range dv[k] {
			if strings.Contains(strings.Join(rv[k], " "), n) {
				t.Errorf("variables.%s: %s is the reference's name too", k, n)
			}
		}
	}
	for _, a := range append(append([]string{}, Actions...), OptionalActions...) {
		if !desk.Has(a) {
			t.Errorf("desk has no command %s", a)
			continue
		}
		if a != "snapshots" { // restic's own command line: the same tool
			same("commands."+a, desk.Command(a), ref.Command(a))
		}
	}
}

// TestDeskRunbook: every Q1-Q4 feature and every step of the plan's four
// procedures, mapped through the desk's substitutions, names nothing of
// the plan's hosts or the reference deployment, and the lines that must
// become the desk's do.
func TestDeskRunbook(t *testing.T) {
	desk, err := Load("../../systems/desk.yml")
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("../../features/q*.feature")
	if err != nil || len(files) < 4 {
		t.Fatalf("find the Q1-Q4 features: %v, %v", files, err)
	}
	texts := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		texts[filepath.Base(f)] = string(b)
	}
	plan, err := drplan.Parse("../../docs/dr-plan.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range plan.Runbook().Steps {
		if s.Procedure > 0 {
			texts[s.Ref()] = s.Script()
		}
	}
	foreign := regexp.MustCompile(`/opt/trading|/home/mirko|/backup/traderunner|s3\.amazonaws|github\.com|pip install|artifacts/|\bmake [a-z]|\$RESTIC_REPOSITORY|\$TR_|traderunner\.git|cd traderunner`)
	for name, text := range texts {
		for i, line := range strings.Split(desk.Local(text), "\n") {
			if m := foreign.FindString(line); m != "" {
				t.Errorf("%s:%d: %q is not the desk's: %s", name, i+1, m, strings.TrimSpace(line))
			}
		}
	}
	for plan, here := range map[string]string{
		"cd /opt/trading\ngit clone https://github.com/CyberForge275/traderunner.git\ncd traderunner": "cd /srv\ngit clone git://gitremote/desk.git\ncd desk",
		"cp -a /tmp/restore/home/mirko/data/workspace/droid/traderunner/. /opt/trading/traderunner/":  "cp -a /tmp/restore/srv/desk/. /srv/desk/",
		"/tmp/restore/home/mirko/data/workspace/droid/traderunner/artifacts/state":                    "/tmp/restore/srv/desk/var/state",
		"restic -r s3:s3.amazonaws.com/traderunner-backup restore latest --target .":                  `restic -r "$DESK_OFFSITE_REPO" restore latest --target .`,
		"make verify:positions && make health-check | grep 'Mode: LIVE'":                              "bin/ctl positions-check && bin/ctl status | grep 'Mode: LIVE'",
		"make data:fetch START_DATE=2024-01-01 END_DATE=2024-12-31":                                   "bin/ctl fetch START_DATE=2024-01-01 END_DATE=2024-12-31",
		"git checkout v1.0-stable\nTR_MODE=live make start":                                           "git checkout v1.0-stable\nbin/ctl start live",
	} {
		if got := desk.Local(plan); got != here {
			t.Errorf("Local(%q) = %q, want %q", plan, got, here)
		}
	}
}
