package stack

import (
	"firedrill/harness/system"

	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func composeConfig() (Config, Secrets) {
	cfg := Config{
		RunID:    "20261127T101500Z-3fa2",
		Scenario: "spin-up compose 1",
		Images: Images{
			MinIO: "firedrill/minio:latest", Broker: "firedrill/broker:latest",
			Traderunner: "firedrill/traderunner:latest", Base: "firedrill/base:latest",
		},
		SystemEnv: map[string]string{"TR_TRADE_INTERVAL": "1s"},
		Variables: system.Variables{
			BrokerURL: system.Names{"TR_BROKER_URL", "TR_MOCK_BROKER_URL"}, Repository: system.Names{"RESTIC_REPOSITORY"},
			CloudRepository: system.Names{"TR_CLOUD_REPOSITORY"}, Host: system.Names{"TR_HOST"},
		},
		BrokerEnv:  map[string]string{"BROKER_STEP_INTERVAL": "1s"},
		HealthPort: "8090/tcp",
		GitRemote:  &system.GitRemote{Root: "/srv/git", Repository: "traderunner.git"},
		Deadline:   30 * time.Second,
	}
	sec := Secrets{MinIOUser: "fduser", MinIOPassword: "minio-pass", ResticPassword: "restic-pass"}
	return cfg, sec
}

func TestComposeGolden(t *testing.T) {
	cfg, sec := composeConfig()
	got, err := Compose(cfg, sec, ComposeOptions{
		Entrypoints:  map[string][]string{RolePrimary: {"bash", "-c", "export MODE=paper; TR_MODE=$MODE make start && exec traderunner init"}},
		Healthchecks: map[string]string{RolePrimary: "make health-check | grep -q 'Mode: PAPER' && " + ReadyOverNetwork(Services(cfg, sec))},
	})
	if err != nil {
		t.Fatal(err)
	}
	// The owner label names this process; the golden file holds a fixed one.
	got = bytes.ReplaceAll(got, []byte(Owner()), []byte("host/1"))
	path := filepath.Join("testdata", "compose.golden.yml")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run with -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("compose file differs from %s (run go test ./harness/stack -run TestComposeGolden -update):\n%s", path, got)
	}
}

// TestComposeMatchesDefinition checks every service Start would start is in
// the compose file with the same name, image, labels, alias, environment
// and published port, whatever the definition holds.
func TestComposeMatchesDefinition(t *testing.T) {
	cfg, sec := composeConfig()
	b, err := Compose(cfg, sec, ComposeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var f composeFile
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	s := &Stack{cfg: cfg, Secrets: sec}
	svcs := Services(cfg, sec)
	if len(f.Services) != len(svcs) {
		t.Fatalf("compose has %d services, the definition %d", len(f.Services), len(svcs))
	}
	for _, v := range svcs {
		t.Run(v.Role, func(t *testing.T) {
			cs, ok := f.Services[v.Role]
			if !ok {
				t.Fatalf("%s missing from the compose file", v.Role)
			}
			if cs.Image != v.Image || cs.ContainerName != s.ContainerName(v.Role) || cs.Hostname != v.Role {
				t.Errorf("image/name/hostname = %s %s %s", cs.Image, cs.ContainerName, cs.Hostname)
			}
			if cs.Labels[LabelRun] != cfg.RunID || cs.Labels[LabelRole] != v.Role || cs.Labels[LabelScenario] != Slug(cfg.Scenario) {
				t.Errorf("labels = %v", cs.Labels)
			}
			if a := cs.Networks["default"].Aliases; len(a) != 1 || a[0] != v.Role {
				t.Errorf("aliases = %v", a)
			}
			if len(cs.Environment) != len(v.Env) {
				t.Errorf("environment has %d entries, the definition %d", len(cs.Environment), len(v.Env))
			}
			for k, val := range v.Env {
				if cs.Environment[k] != strings.ReplaceAll(val, "$", "$$") {
					t.Errorf("env %s = %q, want %q", k, cs.Environment[k], val)
				}
			}
			if (v.Port == "") != (len(cs.Ports) == 0) {
				t.Errorf("ports = %v, definition %q", cs.Ports, v.Port)
			}
			if v.OnDemand != (len(cs.Profiles) == 1 && cs.Profiles[0] == OnDemandProfile) {
				t.Errorf("profiles = %v, on demand %v", cs.Profiles, v.OnDemand)
			}
		})
	}
	if n := f.Networks["default"]; n.Labels[LabelRun] != cfg.RunID || n.Name != NetworkName(cfg) {
		t.Errorf("network = %+v", n)
	}
}

func TestComposeNoHealthchecks(t *testing.T) {
	cfg, sec := composeConfig()
	b, err := Compose(cfg, sec, ComposeOptions{NoHealthchecks: true, Healthchecks: map[string]string{RolePrimary: "true"}})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte("healthcheck")) {
		t.Errorf("healthchecks rendered:\n%s", b)
	}
}

func TestComposeEscapesDollar(t *testing.T) {
	cfg, sec := composeConfig()
	cfg.SystemEnv = map[string]string{"X": "a$b"}
	b, err := Compose(cfg, sec, ComposeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte("a$$b")) {
		t.Errorf("$ not escaped for compose:\n%s", b)
	}
}

func TestComposeRejectsIncompleteConfig(t *testing.T) {
	for name, cfg := range map[string]Config{
		"no run id":   {Scenario: "x", Images: Images{MinIO: "m", Broker: "b", Traderunner: "t", Base: "b"}},
		"no scenario": {RunID: "r", Images: Images{MinIO: "m", Broker: "b", Traderunner: "t", Base: "b"}},
		"no image":    {RunID: "r", Scenario: "x"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Compose(cfg, Secrets{}, ComposeOptions{}); err == nil {
				t.Error("want an error")
			}
		})
	}
}

func TestSlugKeepsOutlineExamplesApart(t *testing.T) {
	a := Slug("the M5 bars are deleted and recovered by option A")
	b := Slug("the M5 bars are deleted and recovered by option B")
	if a == b {
		t.Fatalf("two examples share the slug %q", a)
	}
	for _, s := range []string{a, b} {
		if len(s) > 40 || !strings.HasPrefix(s, "the-m5-bars-are-deleted-and-rec") {
			t.Errorf("slug %q: want a readable prefix and at most 40 characters", s)
		}
	}
	if got := Slug("the stack reaches steady state"); got != "the-stack-reaches-steady-state" {
		t.Errorf("short name changed: %q", got)
	}
}
