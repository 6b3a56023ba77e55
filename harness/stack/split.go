package stack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/go-connections/nat"
	tc "github.com/testcontainers/testcontainers-go"

	"firedrill/harness/probe"
)

// A stack split over two engines (Config.ServicesEngine) is two hosts: the
// primary server on its own engine, and MinIO, the broker, the git remote
// and (when Q4 needs it) the backup server on the other. A Docker network
// never spans engines, so the primary reaches the services across hosts:
// a relay container beside it, under the services' names (minio, broker,
// gitremote) on its network, forwards every connection to the ports the
// services' engine publishes on its own address. The deployment's
// settings stay as they are; its traffic crosses hosts as it would.
// Losing the primary host (LoseHost) removes everything of the scenario
// on its engine at once, the relay with it.

// RoleRelay is the relay beside the primary of a split stack;
// RoleBackupRelay the one beside the backup server.
const (
	RoleRelay       = "relay"
	RoleBackupRelay = "backup-relay"
	// RoleMinIOLocal holds the primary's own repository (BucketBackup)
	// beside it on its host, in a split stack.
	RoleMinIOLocal = "minio-local"
)

// Network groups: a stack on one engine has one network (groupAll); a
// split one a network per host: the primary's, the services', and the
// backup server's (a host of its own too, on the services' engine).
const (
	groupAll      = ""
	groupPrimary  = "primary"
	groupServices = "services"
	groupBackup   = "backup"
)

// groups are the stack's network groups.
func (s *Stack) groups() []string {
	if s.split() {
		return []string{groupPrimary, groupServices, groupBackup}
	}
	return []string{groupAll}
}

// groupOf is the network group of a role.
func (s *Stack) groupOf(role string) string {
	if !s.split() {
		return groupAll
	}
	switch role {
	case RolePrimary, RoleRelay, RoleMinIOLocal:
		return groupPrimary
	case RoleBackupServer, RoleBackupRelay:
		return groupBackup
	}
	return groupServices
}

// groupEngine is the engine of a network group.
func (s *Stack) groupEngine(group string) string {
	if group == groupPrimary || group == groupAll {
		return s.cfg.Engine
	}
	return s.cfg.ServicesEngine
}

// relayed are the services the relay stands for, with their ports.
var relayed = []struct{ role, port string }{
	{RoleMinIO, PortMinIO},
	{RoleBroker, PortBroker},
	{RoleGitRemote, PortGit},
}

// split says whether the stack spans two engines.
func (s *Stack) split() bool {
	return s.cfg.ServicesEngine != "" && s.cfg.ServicesEngine != s.cfg.Engine
}

// engines are the engines the stack has containers on.
func (s *Stack) engines() []string {
	if s.split() {
		return []string{s.cfg.Engine, s.cfg.ServicesEngine}
	}
	return []string{s.cfg.Engine}
}

// engineOf is the engine a role's container runs on.
func (s *Stack) engineOf(role string) string { return s.groupEngine(s.groupOf(role)) }

// Split says whether the stack spans two engines, the primary on one.
func (s *Stack) Split() bool { return s.split() }

// RoleEngines is the engine each role's container ran on, for every role
// started in the stack's life (a lost server's too).
func (s *Stack) RoleEngines() map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]string{}
	for role := range s.started {
		out[role] = s.engineOf(role)
	}
	return out
}

// relayService is a relay's definition (role RoleRelay or
// RoleBackupRelay); its routes are set when it starts (relayRoutes), once
// the services' ports are published.
func (s *Stack) relayService(role string) Service {
	var aliases []string
	for _, r := range relayed {
		if r.role == RoleGitRemote && s.cfg.GitRemote == nil {
			continue
		}
		aliases = append(aliases, r.role)
	}
	return Service{
		Role:     role,
		Image:    s.cfg.Images.Broker,
		Aliases:  aliases,
		Ready:    Readiness{Log: "relay: ready"},
		OnDemand: role == RoleBackupRelay,
	}
}

// relayRoutes are the relay's arguments: each relayed service's port,
// forwarded to where its engine publishes it.
func (s *Stack) relayRoutes(ctx context.Context) ([]string, error) {
	args := []string{"/relay"}
	for _, r := range relayed {
		if r.role == RoleGitRemote && s.cfg.GitRemote == nil {
			continue
		}
		ep, err := s.Endpoint(ctx, r.role, r.port)
		if err != nil {
			return nil, fmt.Errorf("route the relay to %s: %w", r.role, err)
		}
		args = append(args, ":"+strings.TrimSuffix(r.port, "/tcp")+"="+ep)
	}
	return args, nil
}

// portEndpoint is host:port of a container's published port as this
// process reaches it: where the role's engine publishes it.
func (s *Stack) portEndpoint(ctx context.Context, role string, c *tc.DockerContainer, port string) (string, error) {
	engine := s.engineOf(role)
	if engine == DefaultEngine {
		return c.PortEndpoint(ctx, nat.Port(port), "")
	}
	addr, err := PublishAddressOf(engine)
	if err != nil {
		return "", err
	}
	mp, err := c.MappedPort(ctx, nat.Port(port))
	if err != nil {
		return "", err
	}
	return net.JoinHostPort(addr, mp.Port()), nil
}

// awaitReady waits for a service on a named engine as testcontainers-go's
// waits do on the default one: its HTTP path answering 200 on its
// published port, or its line in the output.
func (s *Stack) awaitReady(ctx context.Context, v Service) error {
	every := v.Ready.Every
	if every == 0 {
		every = readyPoll
	}
	switch {
	case v.Ready.HTTPPath != "":
		hc := &http.Client{Timeout: 5 * time.Second}
		_, err := probe.Until(ctx, every, s.cfg.Deadline, func(ctx context.Context) (bool, string, error) {
			if err := EngineLost(s.engineOf(v.Role)); err != nil {
				return false, "", probe.Fatal(err)
			}
			ep, err := s.Endpoint(ctx, v.Role, v.Port)
			if err != nil {
				return false, err.Error(), nil
			}
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+ep+v.Ready.HTTPPath, nil)
			if err != nil {
				return false, "", err
			}
			resp, err := hc.Do(req)
			if err != nil {
				return false, err.Error(), nil
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			return resp.StatusCode == http.StatusOK, resp.Status, nil
		})
		if err != nil {
			return fmt.Errorf("wait for %s on engine %s: %w", v.Role, EngineName(s.engineOf(v.Role)), err)
		}
	case v.Ready.Log != "":
		_, err := probe.Until(ctx, every, s.cfg.Deadline, func(ctx context.Context) (bool, string, error) {
			if err := EngineLost(s.engineOf(v.Role)); err != nil {
				return false, "", probe.Fatal(err)
			}
			out, err := s.Logs(ctx, v.Role)
			if err != nil {
				return false, err.Error(), nil
			}
			return strings.Contains(out, v.Ready.Log), "", nil
		})
		if err != nil {
			return fmt.Errorf("wait for %s on engine %s: %w", v.Role, EngineName(s.engineOf(v.Role)), err)
		}
	}
	return nil
}

// LoseHost takes the primary's host away, the way a host dies: every
// container of the scenario on the primary's engine, removed at once (the
// primary and, split, the relay beside it). It returns the roles lost.
func (s *Stack) LoseHost(ctx context.Context) ([]string, error) {
	if !s.split() {
		return []string{RolePrimary}, s.Remove(ctx, RolePrimary)
	}
	if err := s.own(ctx, RolePrimary); err != nil {
		return nil, err
	}
	cl, err := clientFor(ctx, s.cfg.Engine)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	cs, err := cl.ContainerList(ctx, container.ListOptions{All: true, Filters: runFilter(s.cfg.RunID, Slug(s.cfg.Scenario))})
	if err != nil {
		return nil, fmt.Errorf("list the primary host's containers: %w", err)
	}
	var lost []string
	errs := make([]error, len(cs))
	var wg sync.WaitGroup
	for i, c := range cs {
		role := c.Labels[LabelRole]
		lost = append(lost, role)
		wg.Go(func() {
			if err := cl.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true, RemoveVolumes: true}); err != nil && !isNotFound(err) {
				errs[i] = fmt.Errorf("remove %s: %w", role, err)
			}
		})
	}
	wg.Wait()
	s.mu.Lock()
	for _, r := range lost {
		delete(s.containers, r)
	}
	s.mu.Unlock()
	slices.Sort(lost)
	return lost, errors.Join(errs...)
}
