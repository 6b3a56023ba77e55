package stack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/docker/docker/api/types/container"
	dockernetwork "github.com/docker/docker/api/types/network"
	"github.com/docker/go-connections/nat"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	tc "github.com/testcontainers/testcontainers-go"
	tcexec "github.com/testcontainers/testcontainers-go/exec"
	"github.com/testcontainers/testcontainers-go/network"
	"github.com/testcontainers/testcontainers-go/wait"

	"firedrill/harness/probe"
	"firedrill/harness/system"
)

// Roles of the containers of a stack; each is also the container's network alias.
const (
	RoleMinIO        = "minio"
	RoleBroker       = "broker"
	RolePrimary      = "primary"
	RoleGitRemote    = "gitremote"
	RoleBackupServer = "backup-server"
)

// Buckets MinIO holds for the traderunner's restic repositories.
const (
	BucketBackup = "traderunner-backup"
	BucketCloud  = "traderunner-cloud"
)

// Ports inside the stack. The system's own (its health endpoint) comes
// from its system file, as Config.HealthPort.
const (
	PortMinIO  = "9000/tcp"
	PortBroker = "8080/tcp"
	PortGit    = "9418/tcp"
)

// createLimit bounds the creation of one container or network.
const createLimit = time.Minute

// MinIOTimeout bounds the wait for MinIO's answer to any one call made
// through Stack.MinIO; minioDialTimeout bounds connecting to it.
const (
	MinIOTimeout     = 15 * time.Second
	minioDialTimeout = 5 * time.Second
)

// Images a stack starts its services from.
type Images struct {
	MinIO, Broker, Traderunner, Base string
}

// Config describes one scenario's stack.
type Config struct {
	RunID    string
	Scenario string
	Images   Images
	// SystemEnv is the system's and profile's environment for the drilled
	// deployment, under the system's names; the stack adds the wiring and
	// the secrets under the names Variables gives.
	SystemEnv map[string]string
	// Variables are the names the deployment reads the wiring under.
	Variables system.Variables
	// BrokerEnv is the profile's environment for the broker.
	BrokerEnv map[string]string
	// HealthPort is the system's health port in Docker's notation
	// ("80/tcp"), published for firedrill's health probe on the primary
	// and the backup server; none is published when empty.
	HealthPort string
	// GitRemote starts a git daemon serving the system image's bare
	// repositories (none when nil).
	GitRemote *system.GitRemote
	// Engine is the Docker engine the stack runs on (DefaultEngine: the
	// one DOCKER_HOST names); see UseEngines.
	Engine string
	// ServicesEngine, when set and not Engine, is another engine for
	// MinIO, the broker, the git remote and the backup server: the primary
	// alone is on Engine, as a server on a host of its own, and reaches
	// them across hosts (see split).
	ServicesEngine string
	// Deadline bounds each container's start (default 60 s).
	Deadline time.Duration
	Log      io.Writer
}

// Secrets generated for one stack. They are handed to containers through
// their environment and never written to a log, report or result.
type Secrets struct {
	MinIOUser, MinIOPassword, ResticPassword string
}

// List returns the secret values, for redaction.
func (s Secrets) List() []string {
	return []string{s.MinIOUser, s.MinIOPassword, s.ResticPassword}
}

// Stack is one scenario's running containers.
type Stack struct {
	cfg     Config
	Secrets Secrets
	// Network is the stack's network on its engine (Config.Engine).
	Network *tc.DockerNetwork
	// networks are the stack's networks by group (groupOf): one for a
	// stack on one engine; split, one per host (a network never spans
	// engines).
	networks map[string]*tc.DockerNetwork

	mu         sync.Mutex
	containers map[string]*tc.DockerContainer
	started    map[string]bool // every role placed on an engine in the stack's life
	owned      map[string]bool // container ids whose run label own checked
	closed     bool
}

// Start creates the network and starts MinIO, the broker, the git remote
// (if asked) and the traderunner, in parallel where they do not depend on
// each other. It returns the half-built stack with any error, so the caller
// registers Close before checking the error.
func Start(ctx context.Context, cfg Config) (*Stack, error) {
	if cfg.Deadline == 0 {
		cfg.Deadline = 60 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	s := &Stack{
		cfg:        cfg,
		containers: map[string]*tc.DockerContainer{},
		Secrets: Secrets{
			MinIOUser:      "fd" + RandomSecret(6),
			MinIOPassword:  RandomSecret(16),
			ResticPassword: RandomSecret(16),
		},
	}
	// Created whatever ctx does meanwhile, as containers are (see run).
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), createLimit)
	s.networks = map[string]*tc.DockerNetwork{}
	for _, g := range s.groups() {
		nw, err := s.newNetwork(cctx, g)
		if err != nil {
			cancel()
			return s, fmt.Errorf("create network for %s: %w", cfg.Scenario, err)
		}
		s.networks[g] = nw
	}
	cancel()
	s.Network = s.networks[s.groupOf(RolePrimary)]
	if err := ctx.Err(); err != nil {
		return s, fmt.Errorf("start stack for %s: %w", cfg.Scenario, err)
	}

	// Split over two engines, the services come first: the relay that
	// stands for them beside the primary needs their published ports.
	var first, then []Service
	for _, v := range s.services() {
		switch {
		case v.OnDemand:
		case s.split() && (v.Role == RoleRelay || v.Role == RolePrimary):
			then = append(then, v)
		default:
			first = append(first, v)
		}
	}
	for _, batch := range [][]Service{first, then} {
		if err := s.runServices(ctx, batch); err != nil {
			return s, err
		}
	}
	if err := s.createBuckets(ctx); err != nil {
		return s, err
	}
	return s, nil
}

// runServices starts services in parallel and waits for all of them.
func (s *Stack) runServices(ctx context.Context, vs []Service) error {
	errs := make([]error, len(vs))
	var wg sync.WaitGroup
	for i, v := range vs {
		wg.Go(func() {
			if _, err := s.runService(ctx, v); err != nil {
				errs[i] = fmt.Errorf("start %s: %w", v.Role, err)
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (s *Stack) labels(role string) map[string]string {
	return map[string]string{
		LabelRun:      s.cfg.RunID,
		LabelScenario: Slug(s.cfg.Scenario),
		LabelRole:     role,
		LabelOwner:    Owner(),
	}
}

// ContainerName is the Docker name of a role's container.
func (s *Stack) ContainerName(role string) string {
	return fmt.Sprintf("firedrill-%s-%s-%s", s.cfg.RunID, Slug(s.cfg.Scenario), role)
}

func (s *Stack) run(ctx context.Context, role, image string, aliases []string, opts ...tc.ContainerCustomizer) (*tc.DockerContainer, error) {
	if aliases == nil {
		aliases = []string{role}
	}
	base := []tc.ContainerCustomizer{
		tc.WithName(s.ContainerName(role)),
		tc.WithLabels(s.labels(role)),
		network.WithNetwork(aliases, s.networks[s.groupOf(role)]),
		tc.WithConfigModifier(func(c *container.Config) { c.Hostname = role }),
	}
	req := tc.GenericContainerRequest{ContainerRequest: tc.ContainerRequest{Image: image}}
	for _, o := range append(base, opts...) {
		if err := o.Customize(&req); err != nil {
			return nil, fmt.Errorf("configure %s: %w", role, err)
		}
	}
	// The engine completes a create whose caller has given up, and a
	// container created after the scenario's sweep would outlive the run.
	// So creating is not cut short by cancellation (it has a limit of its
	// own): the container is known, and removed, whatever happens next.
	// Starting it and waiting for it follow ctx.
	s.mu.Lock()
	if s.started == nil {
		s.started = map[string]bool{}
	}
	s.started[role] = true // placed, whether or not its engine creates it
	s.mu.Unlock()
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), createLimit)
	ctr, err := s.create(cctx, role, req)
	cancel()
	var c *tc.DockerContainer
	if ctr != nil {
		c, _ = ctr.(*tc.DockerContainer)
	}
	if c != nil {
		s.mu.Lock()
		s.containers[role] = c
		s.mu.Unlock()
	}
	if err != nil {
		return c, err
	}
	if c == nil {
		return nil, fmt.Errorf("create %s: testcontainers-go returned no Docker container", role)
	}
	if err := ctx.Err(); err != nil {
		return c, fmt.Errorf("start container: %w", err)
	}
	if err := c.Start(ctx); err != nil {
		return c, fmt.Errorf("start container: %w", err)
	}
	return c, nil
}

// newNetwork creates one of the stack's networks on its engine.
func (s *Stack) newNetwork(ctx context.Context, group string) (*tc.DockerNetwork, error) {
	engine := s.groupEngine(group)
	if engine == DefaultEngine && group == groupAll {
		return network.New(ctx, network.WithLabels(s.labels("network")))
	}
	cl, err := clientFor(ctx, engine)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	name := NetworkName(s.cfg)
	if group != groupAll {
		name += "-" + group
	}
	labels := maps.Clone(tc.GenericLabels())
	maps.Copy(labels, s.labels("network"))
	resp, err := cl.NetworkCreate(ctx, name, dockernetwork.CreateOptions{Driver: "bridge", Labels: labels})
	if err != nil {
		return nil, fmt.Errorf("create network on engine %s: %w", engine, err)
	}
	return &tc.DockerNetwork{ID: resp.ID, Name: name, Driver: "bridge"}, nil
}

// create creates a container on the stack's engine: through
// testcontainers-go's own discovery for the default engine, through a
// provider bound to the engine's address for a named one.
func (s *Stack) create(ctx context.Context, role string, req tc.GenericContainerRequest) (tc.Container, error) {
	engine := s.engineOf(role)
	if engine == DefaultEngine && !s.split() {
		return tc.GenericContainer(ctx, req)
	}
	p, err := providerFor(ctx, engine, s.networks[s.groupOf(role)].Name)
	if err != nil {
		return nil, err
	}
	c, err := p.CreateContainer(ctx, req.ContainerRequest)
	if err != nil {
		return c, fmt.Errorf("create container on engine %s: %w", engine, err)
	}
	return c, nil
}

// runService starts one service of the definition and waits until it is ready.
func (s *Stack) runService(ctx context.Context, v Service) (*tc.DockerContainer, error) {
	if v.Role == RoleRelay || v.Role == RoleBackupRelay {
		args, err := s.relayRoutes(ctx)
		if err != nil {
			return nil, err
		}
		v.Entrypoint = args
	}
	opts := []tc.ContainerCustomizer{tc.WithEnv(v.Env)}
	if v.Entrypoint != nil {
		opts = append(opts, tc.WithEntrypoint(v.Entrypoint...))
	}
	engine := s.engineOf(v.Role)
	addr, err := PublishAddressOf(engine)
	if err != nil {
		return nil, err
	}
	specs, err := publishSpecs(ctx, engine, v.Image, v.Port, addr)
	if err != nil {
		return nil, err
	}
	if len(specs) > 0 {
		opts = append(opts, tc.WithExposedPorts(specs...))
	}
	if engine != DefaultEngine {
		// testcontainers-go's waits reach a port through the one engine
		// host it knows per process: a named engine's service is awaited
		// at the address its ports are published on (awaitReady).
		c, err := s.run(ctx, v.Role, v.Image, v.Aliases, opts...)
		if err != nil {
			return c, err
		}
		return c, s.awaitReady(ctx, v)
	}
	switch {
	case v.Ready.HTTPPath != "":
		w := wait.ForHTTP(v.Ready.HTTPPath).WithPort(nat.Port(v.Port)).WithStartupTimeout(s.cfg.Deadline)
		if v.Ready.Every > 0 {
			w = w.WithPollInterval(v.Ready.Every)
		}
		opts = append(opts, tc.WithWaitStrategy(w))
	case v.Ready.Log != "":
		w := wait.ForLog(v.Ready.Log).WithStartupTimeout(s.cfg.Deadline)
		if v.Ready.Every > 0 {
			w = w.WithPollInterval(v.Ready.Every)
		}
		opts = append(opts, tc.WithWaitStrategy(w))
	}
	return s.run(ctx, v.Role, v.Image, v.Aliases, opts...)
}

// Repository is the URL of a backup repository (BucketBackup or
// BucketCloud) as the containers of the stack reach it.
func (s *Stack) Repository(bucket string) string {
	return "s3:http://" + s.MinIORole(bucket) + ":9000/" + bucket
}

// MinIORole is the MinIO that holds a bucket: the one MinIO, or, split,
// the primary's repository on the MinIO beside it (RoleMinIOLocal).
func (s *Stack) MinIORole(bucket string) string {
	if s.split() && bucket == BucketBackup {
		return RoleMinIOLocal
	}
	return RoleMinIO
}

// BrokerURL is the broker's URL as the containers of the stack reach it.
const BrokerURL = "http://" + RoleBroker + ":8080"

// SystemEnv is the full environment the drilled deployment gets: the
// system's and profile's settings, then the wiring and the secrets under
// the names the system file gives.
func (s *Stack) SystemEnv() map[string]string {
	env := map[string]string{}
	maps.Copy(env, s.cfg.SystemEnv)
	v := s.cfg.Variables
	v.BrokerURL.Env(env, BrokerURL)
	v.Repository.Env(env, s.Repository(BucketBackup))
	v.CloudRepository.Env(env, s.Repository(BucketCloud))
	v.Password().Env(env, s.Secrets.ResticPassword)
	v.AccessKey().Env(env, s.Secrets.MinIOUser)
	v.SecretKey().Env(env, s.Secrets.MinIOPassword)
	return env
}

// StartBackupServer starts Q4's backup server from the clean base image:
// a shell host with git, make and restic, the traderunner's environment and
// secrets (what the runbook calls "restore environment variables"), and
// nothing of the primary.
func (s *Stack) StartBackupServer(ctx context.Context) error {
	var server *Service
	for _, v := range s.services() {
		switch v.Role {
		case RoleBackupRelay:
			// Split, the backup server is a host of its own: it reaches
			// the services across hosts, as the primary does.
			if _, err := s.runService(ctx, v); err != nil {
				return fmt.Errorf("start %s: %w", RoleBackupRelay, err)
			}
		case RoleBackupServer:
			server = &v
		}
	}
	if server == nil {
		return fmt.Errorf("start %s: not in the stack definition", RoleBackupServer)
	}
	_, err := s.runService(ctx, *server)
	return err
}

// Container returns a role's container, or nil.
func (s *Stack) Container(role string) *tc.DockerContainer {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.containers[role]
}

// Endpoint returns host:port on which a role's port is reachable from here.
func (s *Stack) Endpoint(ctx context.Context, role, port string) (string, error) {
	c := s.Container(role)
	if c == nil {
		return "", fmt.Errorf("find %s: not started", role)
	}
	if err := s.own(ctx, role); err != nil {
		return "", err
	}
	ep, err := s.portEndpoint(ctx, role, c, port)
	if err != nil {
		// A container that stopped has no ports: say that, not "port not found".
		if st, serr := c.State(ctx); serr == nil && !st.Running {
			return "", fmt.Errorf("reach %s at %s: its container is %s (exit code %d), no longer running", role, port, st.Status, st.ExitCode)
		}
		return "", fmt.Errorf("find endpoint of %s %s: %w", role, port, err)
	}
	return ep, nil
}

// ExecResult is what a command run in a container did.
type ExecResult struct {
	Command  string
	Code     int
	Output   string
	Started  time.Time
	Finished time.Time
}

// Exec runs a bash command line in a role's container, in dir (the
// image's working directory when empty), with extra environment. A non-zero
// exit is not an error; a command that cannot be run, or outlives ctx, is.
func (s *Stack) Exec(ctx context.Context, role, dir, cmdline string, env map[string]string) (ExecResult, error) {
	c := s.Container(role)
	res := ExecResult{Command: cmdline, Started: time.Now()}
	if c == nil {
		return res, fmt.Errorf("exec in %s: not started", role)
	}
	if err := s.own(ctx, role); err != nil {
		res.Finished = time.Now()
		return res, err
	}
	opts := []tcexec.ProcessOption{tcexec.Multiplexed()}
	if dir != "" {
		opts = append(opts, tcexec.WithWorkingDir(dir))
	}
	if len(env) > 0 {
		var kv []string
		for k, v := range env {
			kv = append(kv, k+"="+v)
		}
		opts = append(opts, tcexec.WithEnv(kv))
	}
	type out struct {
		code int
		text string
		err  error
	}
	done := make(chan out, 1)
	go func() {
		code, r, err := c.Exec(ctx, []string{"bash", "-c", cmdline}, opts...)
		var buf bytes.Buffer
		if r != nil {
			_, _ = io.Copy(&buf, r)
		}
		done <- out{code, buf.String(), err}
	}()
	select {
	case o := <-done:
		res.Finished = time.Now()
		res.Code, res.Output = o.code, o.text
		if o.err != nil {
			return res, fmt.Errorf("exec %q in %s: %w", cmdline, role, o.err)
		}
		return res, nil
	case <-ctx.Done():
		res.Finished = time.Now()
		return res, fmt.Errorf("exec %q in %s: %w", cmdline, role, ctx.Err())
	}
}

// CopyOut reads a file from a role's container.
func (s *Stack) CopyOut(ctx context.Context, role, path string) ([]byte, error) {
	c := s.Container(role)
	if c == nil {
		return nil, fmt.Errorf("copy %s from %s: not started", path, role)
	}
	if err := s.own(ctx, role); err != nil {
		return nil, err
	}
	rc, err := c.CopyFileFromContainer(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("copy %s from %s: %w", path, role, err)
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// CopyIn writes a file into a role's container.
func (s *Stack) CopyIn(ctx context.Context, role, path string, data []byte, mode int64) error {
	c := s.Container(role)
	if c == nil {
		return fmt.Errorf("copy %s into %s: not started", path, role)
	}
	if err := s.own(ctx, role); err != nil {
		return err
	}
	if err := c.CopyToContainer(ctx, data, path, mode); err != nil {
		return fmt.Errorf("copy %s into %s: %w", path, role, err)
	}
	return nil
}

// Remove destroys a role's container and its anonymous volumes at once.
func (s *Stack) Remove(ctx context.Context, role string) error {
	if s.Container(role) == nil {
		return nil
	}
	if err := s.own(ctx, role); err != nil {
		return err
	}
	s.mu.Lock()
	c := s.containers[role]
	delete(s.containers, role)
	s.mu.Unlock()
	if c == nil {
		return nil
	}
	return removeContainer(ctx, s.engineOf(role), c.GetContainerID())
}

// MinIO returns a client for the stack's MinIO, reached from this process
// (split: the services' MinIO, the cloud repository's).
func (s *Stack) MinIO(ctx context.Context) (*minio.Client, error) {
	return s.minioClient(ctx, RoleMinIO)
}

// MinIOFor returns a client for the MinIO that holds bucket.
func (s *Stack) MinIOFor(ctx context.Context, bucket string) (*minio.Client, error) {
	return s.minioClient(ctx, s.MinIORole(bucket))
}

func (s *Stack) minioClient(ctx context.Context, role string) (*minio.Client, error) {
	ep, err := s.Endpoint(ctx, role, PortMinIO)
	if err != nil {
		return nil, err
	}
	// A paused or hung MinIO accepts connections and never answers: every
	// call is bounded, whatever context the caller passed.
	tr, err := minio.DefaultTransport(false)
	if err != nil {
		return nil, fmt.Errorf("connect to minio: %w", err)
	}
	tr.DialContext = (&net.Dialer{Timeout: minioDialTimeout}).DialContext
	tr.ResponseHeaderTimeout = MinIOTimeout
	cl, err := minio.New(ep, &minio.Options{
		Creds:      credentials.NewStaticV4(s.Secrets.MinIOUser, s.Secrets.MinIOPassword, ""),
		MaxRetries: 1,
		Transport:  tr,
	})
	if err != nil {
		return nil, fmt.Errorf("connect to minio: %w", err)
	}
	return cl, nil
}

func (s *Stack) createBuckets(ctx context.Context) error {
	for _, b := range []string{BucketBackup, BucketCloud} {
		cl, err := s.MinIOFor(ctx, b)
		if err != nil {
			return err
		}
		// MinIO answers ready a moment before it accepts bucket calls
		// ("Server not initialized yet"): retry at a fixed pace, bounded.
		_, err = probe.Until(ctx, 100*time.Millisecond, 30*time.Second, func(ctx context.Context) (bool, string, error) {
			c, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			err := cl.MakeBucket(c, b, minio.MakeBucketOptions{})
			if err != nil {
				return false, err.Error(), nil
			}
			return true, "", nil
		})
		if err != nil {
			return fmt.Errorf("create bucket %s: %w", b, err)
		}
	}
	return nil
}

// Logs returns a role's container output, secrets redacted.
func (s *Stack) Logs(ctx context.Context, role string) (string, error) {
	c := s.Container(role)
	if c == nil {
		return "", fmt.Errorf("read logs of %s: not started", role)
	}
	rc, err := c.Logs(ctx)
	if err != nil {
		return "", fmt.Errorf("read logs of %s: %w", role, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	return s.Redact(string(b)), err
}

// Redact removes the stack's secrets from text.
func (s *Stack) Redact(text string) string {
	for _, sec := range s.Secrets.List() {
		if sec != "" {
			text = strings.ReplaceAll(text, sec, "[redacted]")
		}
	}
	return text
}

// Roles lists the roles started so far.
func (s *Stack) Roles() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var r []string
	for k := range s.containers {
		r = append(r, k)
	}
	return r
}

// Close removes every container of the stack and its network. It runs on a
// context of its own, so it completes even when ctx was cancelled, and it is
// safe to call more than once.
func (s *Stack) Close(ctx context.Context) error {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 60*time.Second)
	defer cancel()
	// Remove by label: that also catches containers created outside Start.
	// Only the stack's own engines: another engine of the run being out of
	// reach is not this scenario's failure.
	if s.cfg.RunID == "" || s.cfg.Scenario == "" {
		return SweepScenario(cctx, s.cfg.RunID, Slug(s.cfg.Scenario))
	}
	return sweepEngines(cctx, s.engines(), runFilter(s.cfg.RunID, Slug(s.cfg.Scenario)), nil)
}
