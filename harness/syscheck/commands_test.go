package syscheck

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"firedrill/harness/system"
)

func programs(line string) []string {
	var out []string
	for _, in := range Programs(line) {
		p := in.Program
		if in.Dynamic {
			p = "dynamic:" + p
		}
		if in.Moved {
			p = "moved:" + p
		}
		out = append(out, p)
	}
	return out
}

func TestProgramsFirstWordAfterAssignments(t *testing.T) {
	for _, c := range []struct {
		line string
		want []string
	}{
		{"TR_MODE=$MODE make start", []string{"make"}},
		{`A=1 B="x y" C='z' ./run.sh >out.log 2>&1 &`, []string{"./run.sh"}},
		{`kill -KILL "$(cat artifacts/run/traderunner.pid)"`, []string{"kill"}},
		{"install -m 0755 /tmp/firedrill-install/app /usr/local/bin/app && app selftest", []string{"install", "app"}},
		{`bin/ctl start "$MODE"`, []string{"bin/ctl"}},
		{`restic -r "$REPOSITORY" snapshots --json --no-lock`, []string{"restic"}},
		{"tail -n 400 logs/app.log 2>/dev/null", []string{"tail"}},
		{"make verify:positions && make health-check | grep 'Mode: LIVE'", []string{"make", "make", "grep"}},
		{"cd sub && ./run.sh; bin/x", []string{"cd", "moved:./run.sh", "moved:bin/x"}},
		{"if make test; then echo ok; else false; fi", []string{"make", "echo", "false"}},
		{`for f in $(ls); do process "$f"; done`, []string{"process"}},
		{"$TOOL run", []string{"dynamic:$TOOL"}},
		{`"$HOME/bin/tool" x`, []string{"dynamic:$HOME/bin/tool"}},
		{"env -u X FOO=1 nice -n 5 app --flag", []string{"env", "nice", "app"}},
		{"timeout -s KILL 30 app && exec srv", []string{"timeout", "app", "srv"}},
		{"command -v foo || nohup bar &", []string{"command", "nohup", "bar"}},
		{"# a comment\napp # trailing\n", []string{"app"}},
		{"cat <<EOF > x\nnot a command\nEOF\nnext", []string{"cat", "next"}},
		{`echo "a;b" 'c|d' a\;b`, []string{"echo"}},
		{"f() { helper; }; f", []string{"helper", "f"}},
		{"( sub ) && { grp; }", []string{"sub", "grp"}},
		{"! grep -q x file", []string{"grep"}},
		{"a \\\n  --flag", []string{"a"}},
		{"x=$(prog) y", []string{"y"}},
		{"", nil},
	} {
		if got := programs(c.line); !reflect.DeepEqual(got, c.want) {
			t.Errorf("Programs(%q) = %q, want %q", c.line, got, c.want)
		}
	}
}

func TestProgramArgs(t *testing.T) {
	in := Programs(`FOO=1 make -C sub data:fetch START_DATE="$D" 2>/dev/null`)
	if len(in) != 1 || !reflect.DeepEqual(in[0].Args, []string{"-C", "sub", "data:fetch", "START_DATE=$D"}) {
		t.Fatalf("got %+v", in)
	}
}

func TestMakeTargets(t *testing.T) {
	for _, c := range []struct {
		line          string
		opts, targets []string
		dynamic       bool
	}{
		{"make start", nil, []string{"start"}, false},
		{"TR_MODE=$MODE make start", nil, []string{"start"}, false},
		{"make health-check", nil, []string{"health-check"}, false},
		{"make data:fetch START_DATE=2024-01-01 END_DATE=2024-12-31", []string{"START_DATE=2024-01-01", "END_DATE=2024-12-31"}, []string{"data:fetch"}, false},
		{"make -C sub -j 4 -s build test V=1", []string{"-C", "sub", "-j", "4", "-s", "V=1"}, []string{"build", "test"}, false},
		{"make --file=ops.mk -f other.mk go", []string{"--file=ops.mk", "-f", "other.mk"}, []string{"go"}, false},
		{"make", nil, nil, false},
		{"make $TARGET", nil, []string{"$TARGET"}, true},
		{`make run MODE="$MODE"`, []string{"MODE=$MODE"}, []string{"run"}, true},
	} {
		in := Programs(c.line)
		if len(in) != 1 || in[0].Program != "make" {
			t.Fatalf("Programs(%q) = %+v", c.line, in)
		}
		m := Make(in[0])
		if !reflect.DeepEqual(m.Options, c.opts) || !reflect.DeepEqual(m.Targets, c.targets) || m.Dynamic != c.dynamic {
			t.Errorf("Make(%q) = %+v, want options %q targets %q dynamic %v", c.line, m, c.opts, c.targets, c.dynamic)
		}
	}
}

const systemFile = `name: test
image: example/app:latest
home: /srv/app
health:
  port: 9000
  path: /health
variables:
  broker_url: BROKER
  repository: REPO
  cloud_repository: CLOUD
  trade_interval: T1
  ingest_interval: T2
  state_backup_interval: T3
  data_backup_interval: T4
  cloud_backup_interval: T5
commands:
  start: MODE=$MODE make start
  stop: bin/ctl stop
  health_check: make health-check
  kill_trading: kill -KILL "$(cat run/app.pid)"
  state_newest: bin/ctl state "$DIR"
  data_newest: bin/ctl data "$DIR"
  positions: cat state/positions.json
  snapshots: restic -r "$REPOSITORY" snapshots --json
  install: cp /tmp/firedrill-install/app /usr/local/bin/ && app selftest
install_from:
  - /usr/local/bin/app
`

func loadSystem(t *testing.T, text string) *system.System {
	t.Helper()
	path := filepath.Join(t.TempDir(), "system.yml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	sys, err := system.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return sys
}

func TestItemsOfASystem(t *testing.T) {
	c := newChecker(loadSystem(t, systemFile), "r", nil)
	var got []string
	tools := 0
	for _, it := range c.items() {
		if it.kind == "tool" {
			tools++
			continue
		}
		got = append(got, it.key+" "+it.kind+" "+it.subject)
	}
	if tools != len(Tools) {
		t.Errorf("%d tools looked for, want %d", tools, len(Tools))
	}
	want := []string{
		"home home /srv/app",
		"commands.start program make", "commands.start make start",
		"commands.stop path bin/ctl",
		"commands.health_check program make", "commands.health_check make health-check",
		"commands.kill_trading program kill",
		"commands.state_newest path bin/ctl",
		"commands.data_newest path bin/ctl",
		"commands.positions program cat",
		"commands.snapshots program restic",
		"commands.install program cp", "commands.install program app",
		"install_from[0] file /usr/local/bin/app",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("items:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Every key a problem names has its line in the file.
	for key, line := range map[string]int{"image": 2, "home": 3, "health.port": 5, "commands.stop": 18, "install_from[0]": 27, "variables": 7} {
		if got := c.line(key); got != line {
			t.Errorf("line(%s) = %d, want %d", key, got, line)
		}
	}
}

// TestScriptVerdicts runs the throwaway container's script with this
// machine's bash in a folder laid out as a home, so the verdicts and the
// problem lines are checked without Docker.
func TestScriptVerdicts(t *testing.T) {
	for _, p := range []string{"bash", "make"} {
		if _, err := exec.LookPath(p); err != nil {
			t.Skipf("%s not installed", p)
		}
	}
	home := t.TempDir()
	write := func(name, text string, mode os.FileMode) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(home, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(home, name), []byte(text), mode); err != nil {
			t.Fatal(err)
		}
	}
	write("Makefile", ".PHONY: start stop health-check\nstart:\n\ttrue\nstop:\n\ttrue\nhealth-check:\n\ttrue\n", 0o644)
	write("bin/ctl", "#!/bin/sh\n", 0o644) // not executable
	text := strings.NewReplacer(
		"/srv/app", home,
		"make health-check", "make helth-check",
		"cat state/positions.json", "nosuchtool-firedrill stop",
		"/usr/local/bin/app\n", home+"/missing-release\n",
		"restic -r", "echo -r",
	).Replace(systemFile)
	c := newChecker(loadSystem(t, text), "r", nil)
	its := c.items()
	out, err := exec.Command("bash", "-c", script(its)).CombinedOutput()
	if err != nil {
		t.Fatalf("script: %v\n%s", err, out)
	}
	c.judge(its, string(out))
	for _, l := range lines(c.problems) {
		t.Log(l)
	}
	got := map[string]string{}
	for _, p := range c.problems {
		if _, dup := got[p.Key]; dup {
			t.Errorf("two problems for %s", p.Key)
		}
		got[p.Key] = p.String()
		if strings.Contains(p.String(), "\n") {
			t.Errorf("problem on more than one line: %q", p.String())
		}
	}
	for key, want := range map[string]string{
		"commands.health_check": "has no target helth-check",
		"commands.positions":    "runs nosuchtool-firedrill, which is not in example/app:latest",
		"commands.stop":         "bin/ctl, which is in home " + home + " of example/app:latest but not executable: chmod +x",
		"commands.state_newest": "not executable",
		"commands.data_newest":  "not executable",
		"install_from[0]":       "missing-release is not a file",
		"commands.install":      "runs app, which is not in",
	} {
		if !strings.Contains(got[key], want) {
			t.Errorf("%s: got %q, want it to say %q", key, got[key], want)
		}
		delete(got, key)
	}
	for k, v := range got {
		t.Errorf("unexpected problem %s: %s", k, v)
	}
	if !strings.Contains(strings.Join(lines(c.problems), "\n"), "line 19: commands.health_check: ") {
		t.Errorf("the health_check problem does not name its line 19: %q", lines(c.problems))
	}
}

func lines(ps []system.Problem) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.String())
	}
	return out
}

func TestTyposKeepOneLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "typo.yml")
	text := strings.Replace(systemFile, "  health_check: make", "  helth_check: make", 1)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	r := Run(t.Context(), path, Options{RunID: "unit", Static: true})
	if len(r.Problems) != 1 || r.ExitCode() != ExitProblems {
		t.Fatalf("want one problem and exit 2, got %d: %q", r.ExitCode(), lines(r.Problems))
	}
	if got := r.Problems[0].String(); !strings.HasPrefix(got, "line 19: commands.helth_check: unknown key: did you mean health_check?") {
		t.Errorf("got %q", got)
	}
	var b strings.Builder
	r.Write(&b)
	if want := path + ": line 19: commands.helth_check: unknown key: did you mean health_check?"; !strings.HasPrefix(b.String(), want) || strings.Count(b.String(), "\n") != 1 {
		t.Errorf("printed %q, want one line starting %q", b.String(), want)
	}
}
