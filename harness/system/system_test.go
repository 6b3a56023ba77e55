package system

import (
	"os"
	"strings"
	"testing"
)

func TestLoadReference(t *testing.T) {
	s, err := Load("../../systems/reference.yml")
	if err != nil {
		t.Fatal(err)
	}
	if s.Image != "firedrill/traderunner:latest" || s.HealthPort() != "8090/tcp" {
		t.Fatalf("unexpected %+v", s)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ name, yaml, want string }{
		{"unknown key", "name: x\nimgae: y\n", "line 2: imgae: unknown key: did you mean image?"},
		{"unknown nested key", "image: i\nhealth:\n  prot: 1\n", "line 3: health.prot: unknown key: did you mean port?"},
		{"no image", "home: /x\nhealth: {port: 1, path: /h}\n", "image: missing"},
		{"relative home", "image: i\nhome: x\n", `line 2: home: "x" must be the deployment's absolute path`},
		{"missing commands", "image: i\nhome: /x\nhealth: {port: 1, path: /h}\ncommands: {start: s}\n", "commands.health_check: missing"},
		{"unknown command", "image: i\nhome: /x\nhealth: {port: 1, path: /h}\ncommands: {strat: s}\n", "line 4: commands.strat: unknown key: did you mean start?"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("sys.yml", []byte(tt.yaml))
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "sys.yml") {
				t.Fatalf("err = %v, want it to name sys.yml and %q", err, tt.want)
			}
		})
	}
}

func TestSubstitutionsLongestFirstOnePass(t *testing.T) {
	s := &System{Substitutions: []Substitution{
		{Plan: "/opt/trading", Here: "/srv"},
		{Plan: "/opt/trading/traderunner", Here: "/srv/desk"},
		{Plan: "artifacts/", Here: "var/"},
		{Plan: "var/", Here: "never/"},
	}}
	got := s.Local("mkdir -p /opt/trading && cp -a /tmp/restore/opt/trading/traderunner/artifacts/state/. artifacts/state/")
	want := "mkdir -p /srv && cp -a /tmp/restore/srv/desk/var/state/. var/state/"
	if got != want {
		t.Fatalf("Local:\n got %s\nwant %s", got, want)
	}
}

func TestEveryProblemOneLine(t *testing.T) {
	_, err := Parse("sys.yml", []byte("image: i\nhome: /x\nhealth: {port: 1, path: /h}\ncomands: {}\n"))
	probs, ok := Check(err)
	if !ok || len(probs) < 2 {
		t.Fatalf("want several problems, got %v", err)
	}
	for _, line := range strings.Split(err.Error(), "\n")[1:] {
		if !strings.HasPrefix(line, "sys.yml: ") {
			t.Errorf("problem line %q does not name the file", line)
		}
	}
	if !strings.Contains(err.Error(), "line 4: comands: unknown key: did you mean commands?") {
		t.Errorf("typo not named with its line:\n%v", err)
	}
}

func TestMisspeltKeyIsOneLine(t *testing.T) {
	b, err := os.ReadFile("../../systems/reference.yml")
	if err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(string(b), "  health_check:", "  helth_check:", 1)
	_, err = Parse("ourteam.yml", []byte(bad))
	probs, _ := Check(err)
	if len(probs) != 1 || probs[0].Key != "commands.helth_check" || !strings.Contains(probs[0].Msg, "did you mean health_check?") || probs[0].Line == 0 {
		t.Fatalf("want one line naming commands.helth_check with its line, got:\n%v", err)
	}
}

func TestInHomeQuotesTheHome(t *testing.T) {
	s := &System{Home: "/srv/o'brien desk"}
	want := "cd '/srv/o'\\''brien desk' 2>/dev/null || cd /\nmake test"
	if got := s.InHome("make test"); got != want {
		t.Fatalf("InHome = %q, want %q", got, want)
	}
}
