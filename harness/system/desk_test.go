package system

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
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

// TestDeskRunbook: every Q1-Q4 feature, mapped through the desk's
// substitutions, names nothing of the reference deployment, and the
// lines that must become the desk's do.
func TestDeskRunbook(t *testing.T) {
	desk, err := Load("../../systems/desk.yml")
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("../../features/q*.feature")
	if err != nil || len(files) < 4 {
		t.Fatalf("find the Q1-Q4 features: %v, %v", files, err)
	}
	reference := regexp.MustCompile(`/opt/trading|artifacts/|\bmake [a-z]|\$RESTIC_REPOSITORY|\$TR_|traderunner\.git`)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(desk.Local(string(b)), "\n") {
			if m := reference.FindString(line); m != "" {
				t.Errorf("%s:%d: %q is still the reference's on the desk: %s", filepath.Base(f), i+1, m, strings.TrimSpace(line))
			}
		}
	}
	for plan, here := range map[string]string{
		"mkdir -p /opt/trading && cd /opt/trading\ngit clone git://gitremote/traderunner.git": "mkdir -p /srv && cd /srv\ngit clone git://gitremote/desk.git",
		"cp -a /tmp/restore/opt/trading/traderunner/. /opt/trading/traderunner/":              "cp -a /tmp/restore/srv/desk/. /srv/desk/",
		"/tmp/restore/opt/trading/traderunner/artifacts/state":                                "/tmp/restore/srv/desk/var/state",
		`restic -r "$TR_CLOUD_REPOSITORY" restore latest --target .`:                          `restic -r "$DESK_OFFSITE_REPO" restore latest --target .`,
		"make verify:positions && make health-check | grep 'Mode: LIVE'":                      "bin/ctl positions-check && bin/ctl status | grep 'Mode: LIVE'",
		"make data:fetch START_DATE=2024-01-01 END_DATE=2024-12-31":                           "bin/ctl fetch START_DATE=2024-01-01 END_DATE=2024-12-31",
		"git checkout v1.0-stable\nmake test":                                                 "git checkout v1.0-stable\nbin/ctl check-config",
		"flock artifacts/run/data.lock cp -a x artifacts/":                                    "flock var/run/data.lock cp -a x var/",
	} {
		if got := desk.Local(plan); got != here {
			t.Errorf("Local(%q) = %q, want %q", plan, got, here)
		}
	}
}
