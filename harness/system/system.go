// Package system reads the description of the system a drill runs against.
//
// The drills reach the traderunner only through a system description: the
// image to start, where the deployment lives in it, its environment, how its
// health is read, and the command behind each action firedrill itself takes
// (start in a mode, kill the trading process, read the newest state or data
// of a folder, install the software on a fresh server). The runbook's own
// commands stay in the feature files, as the plan writes them. The reference
// stand-in's description is the default (systems/reference.yml).
package system

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Actions every system must describe.
var Actions = []string{"start", "health_check", "kill_trading", "state_newest", "data_newest", "install"}

// OptionalActions may be described; a drill that needs one and finds none
// says so. place_order makes the deployment place an order now (Q3 needs
// one in flight when it kills the trading process, whatever the market
// does); it must return once the order is posted to the broker.
var OptionalActions = []string{"place_order"}

// System is one drillable system.
type System struct {
	Name  string            `yaml:"name"`
	Image string            `yaml:"image"`
	Home  string            `yaml:"home"`
	Env   map[string]string `yaml:"env"`
	// Health is the HTTP health endpoint inside the container.
	Health struct {
		Port int    `yaml:"port"`
		Path string `yaml:"path"`
	} `yaml:"health"`
	// Commands are bash command lines run in Home; $MODE and $DIR are set
	// where an action takes them.
	Commands map[string]string `yaml:"commands"`
	// InstallFrom lists files firedrill copies from Image into a fresh
	// server before its install command runs (the stand-in's release
	// artefacts; a Python system would list nothing and pip install).
	InstallFrom []string `yaml:"install_from"`

	path string
}

// Path is the file the description came from.
func (s *System) Path() string { return s.path }

// Load reads and checks a system description.
func Load(path string) (*System, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read system description %s: %w (pass --system with a YAML file; systems/reference.yml is the default)", path, err)
	}
	return Parse(path, b)
}

// Parse checks a system description's bytes; name is used in errors.
func Parse(name string, b []byte) (*System, error) {
	var s System
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("parse system description %s: %w", name, err)
	}
	s.path = name
	var problems []string
	if s.Image == "" {
		problems = append(problems, "image: missing (the image to drill, e.g. firedrill/traderunner:latest)")
	}
	if !strings.HasPrefix(s.Home, "/") {
		problems = append(problems, fmt.Sprintf("home: %q must be an absolute path in the image", s.Home))
	}
	if s.Health.Port <= 0 || !strings.HasPrefix(s.Health.Path, "/") {
		problems = append(problems, "health: needs port and path, e.g. {port: 8090, path: /healthz}")
	}
	var missing []string
	for _, a := range Actions {
		if strings.TrimSpace(s.Commands[a]) == "" {
			missing = append(missing, a)
		}
	}
	if len(missing) > 0 {
		problems = append(problems, "commands: missing "+strings.Join(missing, ", "))
	}
	var unknown []string
	for k := range s.Commands {
		if !contains(Actions, k) && !contains(OptionalActions, k) {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	if len(unknown) > 0 {
		problems = append(problems, fmt.Sprintf("commands: unknown %s (known: %s)", strings.Join(unknown, ", "), strings.Join(append(append([]string{}, Actions...), OptionalActions...), ", ")))
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("check system description %s: %w", name, errors.New(strings.Join(problems, "; ")))
	}
	return &s, nil
}

// Command returns the command line of an action.
func (s *System) Command(action string) string { return s.Commands[action] }

// HealthPort is the health port in Docker's notation.
func (s *System) HealthPort() string { return fmt.Sprintf("%d/tcp", s.Health.Port) }

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
