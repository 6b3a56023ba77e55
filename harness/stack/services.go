package stack

import (
	"time"
)

// Service is one container of a stack as the stack defines it, once: Start
// runs it with testcontainers-go and Compose renders it for docker-compose,
// so the two cannot drift apart.
type Service struct {
	Role  string
	Image string
	// Env is added to the image's environment.
	Env map[string]string
	// Entrypoint replaces the image's when set.
	Entrypoint []string
	// Port is published on this host, to a free port ("" for none).
	Port string
	// Ready is what Start waits for before it counts the service up; the
	// zero value: the container runs.
	Ready Readiness
	// Healthcheck says the same as Ready from inside the container, the
	// only place docker-compose runs a check; nil where the image has
	// nothing to run one with (FROM scratch) or Ready is zero.
	Healthcheck []string
	// OnDemand services are not started by Start but later, by the drill
	// that needs them (StartBackupServer).
	OnDemand bool
	// Aliases are the container's names on the stack's network (its role
	// when nil).
	Aliases []string
}

// Readiness is how a service shows it serves: an HTTP path on its Port
// that answers 200, or a line in its output.
type Readiness struct {
	HTTPPath string
	Log      string
	// Every is the probe interval (testcontainers-go's default when 0).
	Every time.Duration
}

// readyPoll is how often Start probes a service that is coming up.
const readyPoll = 100 * time.Millisecond

// Services is the definition of a stack's containers for cfg: the ones
// Start starts, in order, then the on-demand ones.
func Services(cfg Config, sec Secrets) []Service {
	s := &Stack{cfg: cfg, Secrets: sec}
	return s.services()
}

func (s *Stack) services() []Service {
	cfg := s.cfg
	out := []Service{
		{
			Role:  RoleMinIO,
			Image: cfg.Images.MinIO,
			Env: map[string]string{
				"MINIO_ROOT_USER":     s.Secrets.MinIOUser,
				"MINIO_ROOT_PASSWORD": s.Secrets.MinIOPassword,
			},
			Port:  PortMinIO,
			Ready: Readiness{HTTPPath: "/minio/health/ready", Every: readyPoll},
		},
		{
			Role:  RoleBroker,
			Image: cfg.Images.Broker,
			Env:   cfg.BrokerEnv,
			Port:  PortBroker,
			Ready: Readiness{HTTPPath: "/healthz", Every: readyPoll},
		},
	}
	if g := cfg.GitRemote; g != nil {
		out = append(out, Service{
			Role:        RoleGitRemote,
			Image:       cfg.Images.Traderunner,
			Entrypoint:  []string{"git", "daemon", "--verbose", "--reuseaddr", "--export-all", "--base-path=" + g.Root, g.Root},
			Ready:       Readiness{Log: "Ready to rumble"}, // git daemon's own line once it listens
			Healthcheck: []string{"CMD", "git", "ls-remote", "git://127.0.0.1/" + g.Repository},
		})
		if s.split() {
			// Reached across hosts: through a published port.
			out[len(out)-1].Port = PortGit
		}
	}
	if s.split() {
		// The primary's own repository on a MinIO beside it, on its host:
		// lost with it.
		local := out[0]
		local.Role = RoleMinIOLocal
		out = append(out, local, s.relayService(RoleRelay), s.relayService(RoleBackupRelay))
	}
	primary := s.SystemEnv()
	cfg.Variables.Host.Env(primary, "primary")
	out = append(out, Service{
		Role:  RolePrimary,
		Image: cfg.Images.Traderunner,
		Env:   primary,
		Port:  cfg.HealthPort,
	})
	backup := s.SystemEnv()
	cfg.Variables.Host.Env(backup, "backup-server")
	out = append(out, Service{
		Role:       RoleBackupServer,
		Image:      cfg.Images.Base,
		Env:        backup,
		Entrypoint: []string{"sleep", "infinity"},
		Port:       cfg.HealthPort,
		OnDemand:   true,
	})
	return out
}
