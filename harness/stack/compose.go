package stack

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// ComposeOptions say what a compose file adds to the stack definition.
type ComposeOptions struct {
	// Entrypoints replace a role's entrypoint: how a compose file starts at
	// once what firedrill starts later with an exec (the traderunner daemon).
	Entrypoints map[string][]string
	// Healthchecks give a role a healthcheck, a bash command run inside its
	// container, where the definition has none (or replace it).
	Healthchecks map[string]string
	// HealthInterval is how often Docker runs a healthcheck (default 250 ms).
	HealthInterval time.Duration
	// HealthTimeout bounds one run of a healthcheck (default 3 s).
	HealthTimeout time.Duration
	// NoHealthchecks renders none at all: a stack whose containers must
	// do no more work than Start's do (Start probes once, from outside).
	NoHealthchecks bool
}

// OnDemandProfile is the compose profile of the services Start does not
// start (the backup server): a plain `docker-compose up` leaves them out.
const OnDemandProfile = "on-demand"

type composeFile struct {
	Services map[string]composeService `yaml:"services"`
	Networks map[string]composeNetwork `yaml:"networks"`
}

type composeService struct {
	Image         string                   `yaml:"image"`
	ContainerName string                   `yaml:"container_name"`
	Hostname      string                   `yaml:"hostname"`
	Entrypoint    []string                 `yaml:"entrypoint,omitempty"`
	Environment   map[string]string        `yaml:"environment,omitempty"`
	Labels        map[string]string        `yaml:"labels"`
	Ports         []string                 `yaml:"ports,omitempty"`
	Networks      map[string]composeAttach `yaml:"networks"`
	DependsOn     map[string]composeDep    `yaml:"depends_on,omitempty"`
	Healthcheck   *composeHealth           `yaml:"healthcheck,omitempty"`
	Profiles      []string                 `yaml:"profiles,omitempty"`
}

type composeAttach struct {
	Aliases []string `yaml:"aliases"`
}

type composeDep struct {
	Condition string `yaml:"condition"`
}

type composeHealth struct {
	Test     []string `yaml:"test"`
	Interval string   `yaml:"interval"`
	Timeout  string   `yaml:"timeout"`
	Retries  int      `yaml:"retries"`
}

type composeNetwork struct {
	Name   string            `yaml:"name"`
	Labels map[string]string `yaml:"labels"`
}

// Compose renders the stack that Start would start for cfg as a
// docker-compose file: the same images, container names, labels, network
// aliases, hostnames, environment (with sec as the secrets), entrypoints and
// published ports, from the same definition (Services). Healthchecks are
// the definition's in-container ones and those o adds; the traderunner
// depends on every other service started. On-demand services carry the
// profile OnDemandProfile. Secrets are written into the file: keep it
// private and remove it with the stack.
func Compose(cfg Config, sec Secrets, o ComposeOptions) ([]byte, error) {
	if cfg.RunID == "" || cfg.Scenario == "" {
		return nil, fmt.Errorf("render compose file: run id and scenario are required")
	}
	if o.HealthInterval <= 0 {
		o.HealthInterval = 250 * time.Millisecond
	}
	if o.HealthTimeout <= 0 {
		o.HealthTimeout = 3 * time.Second
	}
	deadline := cfg.Deadline
	if deadline <= 0 {
		deadline = 60 * time.Second
	}
	s := &Stack{cfg: cfg, Secrets: sec}
	svcs := s.services()
	f := composeFile{
		Services: map[string]composeService{},
		Networks: map[string]composeNetwork{"default": {Name: NetworkName(cfg), Labels: s.labels("network")}},
	}
	var started []string
	for _, v := range svcs {
		if !v.OnDemand && v.Role != RolePrimary {
			started = append(started, v.Role)
		}
	}
	for _, v := range svcs {
		if v.Image == "" {
			return nil, fmt.Errorf("render compose file: no image for %s", v.Role)
		}
		cs := composeService{
			Image:         v.Image,
			ContainerName: s.ContainerName(v.Role),
			Hostname:      v.Role,
			Entrypoint:    escapeAll(v.Entrypoint),
			Environment:   map[string]string{},
			Labels:        s.labels(v.Role),
			Networks:      map[string]composeAttach{"default": {Aliases: []string{v.Role}}},
		}
		for k, val := range v.Env {
			cs.Environment[k] = escape(val)
		}
		if ep, ok := o.Entrypoints[v.Role]; ok {
			cs.Entrypoint = escapeAll(ep)
		}
		if v.Port != "" {
			addr, err := PublishAddress()
			if err != nil {
				return nil, err
			}
			cs.Ports = []string{publishSpec(addr, v.Port)}
		}
		test := v.Healthcheck
		if hc, ok := o.Healthchecks[v.Role]; ok {
			test = []string{"CMD", "bash", "-c", hc}
		}
		if test != nil && !o.NoHealthchecks {
			cs.Healthcheck = &composeHealth{
				Test:     escapeAll(test),
				Interval: duration(o.HealthInterval),
				Timeout:  duration(o.HealthTimeout),
				Retries:  max(1, int(deadline/o.HealthInterval)),
			}
		}
		if v.OnDemand {
			cs.Profiles = []string{OnDemandProfile}
		}
		if v.Role == RolePrimary && len(started) > 0 {
			cs.DependsOn = map[string]composeDep{}
			for _, r := range started {
				cs.DependsOn[r] = composeDep{Condition: "service_started"}
			}
		}
		f.Services[v.Role] = cs
	}
	b, err := yaml.Marshal(f)
	if err != nil {
		return nil, fmt.Errorf("render compose file: %w", err)
	}
	return append([]byte("# Rendered by firedrill from its stack definition (harness/stack); do not edit.\n"), b...), nil
}

// NetworkName is the name a compose file gives the stack's network.
func NetworkName(cfg Config) string {
	return fmt.Sprintf("firedrill-%s-%s", cfg.RunID, Slug(cfg.Scenario))
}

// ContainerName is the Docker name of a role's container in the stack
// of cfg, whether Start or docker-compose makes it.
func ContainerName(cfg Config, role string) string {
	return (&Stack{cfg: cfg}).ContainerName(role)
}

// ReadyOverNetwork is a bash command that checks, over the stack network,
// the HTTP readiness of the services that have no in-container
// healthcheck (their images are FROM scratch): what Start waits for, said
// so that a container with bash can run it as part of its healthcheck.
// It is empty when there is nothing to check.
func ReadyOverNetwork(svcs []Service) string {
	var checks []string
	for _, v := range svcs {
		if v.OnDemand || v.Healthcheck != nil || v.Ready.HTTPPath == "" {
			continue
		}
		port, _, _ := strings.Cut(v.Port, "/")
		checks = append(checks, fmt.Sprintf(
			`{ exec 3<>/dev/tcp/%s/%s && printf 'GET %s HTTP/1.0\r\nHost: %s\r\n\r\n' >&3 && head -n1 <&3 | grep -q ' 200 '; }`,
			v.Role, port, v.Ready.HTTPPath, v.Role))
	}
	sort.Strings(checks)
	return strings.Join(checks, " && ")
}

// escape keeps docker-compose from interpolating $ in a value.
func escape(s string) string { return strings.ReplaceAll(s, "$", "$$") }

func escapeAll(in []string) []string {
	if in == nil {
		return nil
	}
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = escape(s)
	}
	return out
}

// duration writes d the way docker-compose reads it (e.g. 250ms, 3s).
func duration(d time.Duration) string {
	if d%time.Second == 0 {
		return fmt.Sprintf("%ds", d/time.Second)
	}
	return fmt.Sprintf("%dms", d/time.Millisecond)
}
