package stack

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/volume"
	tc "github.com/testcontainers/testcontainers-go"
)

// Leftovers counts the Docker objects labelled firedrill.run (of one run,
// or of any run when runID is empty).
type Leftovers struct {
	Containers, Networks, Volumes int
}

// Zero reports whether nothing is left.
func (l Leftovers) Zero() bool { return l.Containers+l.Networks+l.Volumes == 0 }

func (l Leftovers) String() string {
	return fmt.Sprintf("%d container(s), %d network(s), %d volume(s)", l.Containers, l.Networks, l.Volumes)
}

// dockerFix is what a user does when the engine does not answer.
const dockerFix = "start the Docker engine (systemctl start docker) or set DOCKER_HOST to one that runs"

// client connects to the Docker engine firedrill works on: the one
// DOCKER_HOST names, when it is set. testcontainers-go falls back to another
// engine (a docker context, the default socket) when DOCKER_HOST does not
// answer; firedrill refuses instead, so it never starts, kills or sweeps
// containers on an engine the user did not name.
func client(ctx context.Context) (cl *tc.DockerClient, err error) {
	host := os.Getenv("DOCKER_HOST")
	if host != "" {
		if err := ping(ctx, host); err != nil {
			return nil, err
		}
	}
	// testcontainers-go panics when it finds no engine at all.
	defer func() {
		if r := recover(); r != nil {
			cl, err = nil, fmt.Errorf("connect to docker: %v: %s", r, dockerFix)
		}
	}()
	cl, err = tc.NewDockerClientWithOpts(ctx)
	if err != nil {
		return nil, fmt.Errorf("connect to docker: %w: %s", err, dockerFix)
	}
	if host != "" && cl.DaemonHost() != host {
		got := cl.DaemonHost()
		cl.Close()
		return nil, fmt.Errorf("connect to docker: testcontainers-go chose %s, not DOCKER_HOST %s: refused (check ~/.testcontainers.properties)", got, host)
	}
	return cl, nil
}

// ping checks the engine at host answers, within 10 s.
func ping(ctx context.Context, host string) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	cl, err := newClient(DefaultEngine)
	if err != nil {
		return fmt.Errorf("connect to docker at DOCKER_HOST=%s: %w: %s", host, err, dockerFix)
	}
	defer cl.Close()
	if _, err := cl.Ping(ctx); err != nil {
		return fmt.Errorf("connect to docker at DOCKER_HOST=%s: Docker is not reachable: %w: %s", host, err, dockerFix)
	}
	return nil
}

func runFilter(runID, scenario string) filters.Args {
	f := filters.NewArgs()
	if runID == "" {
		f.Add("label", LabelRun)
	} else {
		f.Add("label", LabelRun+"="+runID)
	}
	if scenario != "" {
		f.Add("label", LabelScenario+"="+scenario)
	}
	return f
}

// Count lists what is labelled with runID (any run when empty).
func Count(ctx context.Context, runID string) (Leftovers, error) {
	return countMatching(ctx, runFilter(runID, ""), func(map[string]string) bool { return true })
}

// Sweep removes every container, network and volume of a run (of every
// run when runID is empty).
func Sweep(ctx context.Context, runID string) error {
	return sweep(ctx, runFilter(runID, ""), nil)
}

// SweepScenario removes what one scenario of a run made. It refuses an
// empty run id or scenario, which would reach other runs' objects.
func SweepScenario(ctx context.Context, runID, scenario string) error {
	if runID == "" || scenario == "" {
		return fmt.Errorf("sweep scenario %q of run %q: both must be named: refused", scenario, runID)
	}
	return sweep(ctx, runFilter(runID, scenario), nil)
}

// SweepOrphans removes what runs whose process is gone left behind: objects
// whose owner label names a process on this host that no longer exists
// (a run killed with SIGKILL). Objects of live runs are kept.
func SweepOrphans(ctx context.Context) error {
	host, _ := os.Hostname()
	return sweep(ctx, runFilter("", ""), func(labels map[string]string) bool {
		owner := labels[LabelOwner]
		h, pidText, ok := strings.Cut(owner, "/")
		if !ok || h != host {
			return false
		}
		pid, err := strconv.Atoi(pidText)
		if err != nil {
			return false
		}
		return !alive(pid)
	})
}

func alive(pid int) bool {
	if pid == os.Getpid() {
		return true
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// sweep removes what matches on every engine of the run. An engine that
// does not answer is named in the error; the others are swept all the same.
func sweep(ctx context.Context, f filters.Args, keep func(map[string]string) bool) error {
	return sweepEngines(ctx, Engines(), f, keep)
}

// sweepEngines sweeps some engines of the run.
func sweepEngines(ctx context.Context, hosts []string, f filters.Args, keep func(map[string]string) bool) error {
	errs := make([]error, len(hosts))
	var wg sync.WaitGroup
	for i, h := range hosts {
		wg.Go(func() {
			if err := sweepOn(ctx, h, f, keep); err != nil && len(hosts) > 1 {
				errs[i] = fmt.Errorf("engine %s: %w", EngineName(h), err)
			} else {
				errs[i] = err
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

func sweepOn(ctx context.Context, host string, f filters.Args, keep func(map[string]string) bool) error {
	if host != DefaultEngine {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 2*sweepWait+engineCallLimit)
		defer cancel()
	}
	cl, err := clientFor(ctx, host)
	if err != nil {
		return err
	}
	defer cl.Close()
	match := func(l map[string]string) bool { return keep == nil || keep(l) }
	var errs []error
	cs, err := cl.ContainerList(ctx, container.ListOptions{All: true, Filters: f})
	if err != nil {
		return fmt.Errorf("list containers: %w", err)
	}
	for _, c := range cs {
		if !match(c.Labels) {
			continue
		}
		// Another sweep (a scenario's Close beside a forced stop) may be
		// removing it already: that is no error, its end is awaited below.
		if err := cl.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true, RemoveVolumes: true}); err != nil && !isNotFound(err) && !inProgress(err) {
			errs = append(errs, fmt.Errorf("remove container %s: %w", strings.Join(c.Names, ","), err))
		}
	}
	// A network is removable only once its containers are gone.
	if err := awaitGone(ctx, cl, f, match); err != nil {
		errs = append(errs, err)
	}
	ns, err := cl.NetworkList(ctx, network.ListOptions{Filters: f})
	if err != nil {
		return errors.Join(append(errs, fmt.Errorf("list networks: %w", err))...)
	}
	for _, n := range ns {
		if !match(n.Labels) {
			continue
		}
		if err := removeNetwork(ctx, cl, n.ID); err != nil {
			errs = append(errs, fmt.Errorf("remove network %s: %w", n.Name, err))
		}
	}
	vs, err := cl.VolumeList(ctx, volume.ListOptions{Filters: f})
	if err != nil {
		return errors.Join(append(errs, fmt.Errorf("list volumes: %w", err))...)
	}
	for _, v := range vs.Volumes {
		if !match(v.Labels) {
			continue
		}
		if err := cl.VolumeRemove(ctx, v.Name, true); err != nil && !isNotFound(err) {
			errs = append(errs, fmt.Errorf("remove volume %s: %w", v.Name, err))
		}
	}
	return errors.Join(errs...)
}

// sweepWait bounds how long a sweep waits for removals already under way.
const sweepWait = 30 * time.Second

// awaitGone waits until no container the sweep removes is listed any more.
func awaitGone(ctx context.Context, cl *tc.DockerClient, f filters.Args, match func(map[string]string) bool) error {
	ctx, cancel := context.WithTimeout(ctx, sweepWait)
	defer cancel()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		cs, err := cl.ContainerList(ctx, container.ListOptions{All: true, Filters: f})
		if err != nil {
			return fmt.Errorf("list containers: %w", err)
		}
		var left []string
		for _, c := range cs {
			if match(c.Labels) {
				left = append(left, strings.Join(c.Names, ","))
			}
		}
		if len(left) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for the removal of %s: %w", strings.Join(left, " "), ctx.Err())
		case <-tick.C:
		}
	}
}

// removeNetwork removes a network, retrying while a container that is
// being removed still holds an endpoint on it.
func removeNetwork(ctx context.Context, cl *tc.DockerClient, id string) error {
	ctx, cancel := context.WithTimeout(ctx, sweepWait)
	defer cancel()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		err := cl.NetworkRemove(ctx, id)
		if err == nil || isNotFound(err) {
			return nil
		}
		if !strings.Contains(err.Error(), "active endpoints") {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-tick.C:
		}
	}
}

func inProgress(err error) bool {
	return err != nil && strings.Contains(err.Error(), "already in progress")
}

func removeContainer(ctx context.Context, host, id string) error {
	cl, err := clientFor(ctx, host)
	if err != nil {
		return err
	}
	defer cl.Close()
	if err := cl.ContainerRemove(ctx, id, container.RemoveOptions{Force: true, RemoveVolumes: true}); err != nil && !isNotFound(err) {
		return fmt.Errorf("remove container %s: %w", id[:12], err)
	}
	return nil
}

// Signal sends a signal to a role's container main process.
func (s *Stack) Signal(ctx context.Context, role, signal string) error {
	if err := s.own(ctx, role); err != nil {
		return err
	}
	cl, err := clientFor(ctx, s.engineOf(role))
	if err != nil {
		return err
	}
	defer cl.Close()
	if err := cl.ContainerKill(ctx, s.Container(role).GetContainerID(), signal); err != nil {
		return fmt.Errorf("send %s to %s: %w", signal, role, err)
	}
	return nil
}

// own refuses to act on a container that is not this run's: the blast
// radius of a fault is the run's own containers. Every action on a
// container (exec, copy, signal, remove, reaching its ports) goes through
// it. Labels never change in a container's life, so a container is
// inspected once and then known by its id.
func (s *Stack) own(ctx context.Context, role string) error {
	c := s.Container(role)
	if c == nil {
		return fmt.Errorf("act on %s: not started in this scenario", role)
	}
	id := c.GetContainerID()
	s.mu.Lock()
	known := s.owned[id]
	s.mu.Unlock()
	if known {
		return nil
	}
	info, err := c.Inspect(ctx)
	if err != nil {
		return fmt.Errorf("inspect %s: %w", role, err)
	}
	if got := info.Config.Labels[LabelRun]; got != s.cfg.RunID {
		return fmt.Errorf("act on container %s: it is labelled %s=%q, not this run's %q: refused", strings.TrimPrefix(info.Name, "/"), LabelRun, got, s.cfg.RunID)
	}
	s.mu.Lock()
	if s.owned == nil {
		s.owned = map[string]bool{}
	}
	s.owned[id] = true
	s.mu.Unlock()
	return nil
}

func isNotFound(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "No such") || strings.Contains(err.Error(), "not found"))
}

// SweepOwned removes everything this process made, in every run.
func SweepOwned(ctx context.Context) error {
	return sweep(ctx, runFilter("", ""), ownedByMe())
}

func ownedByMe() func(map[string]string) bool {
	me := Owner()
	return func(labels map[string]string) bool { return labels[LabelOwner] == me }
}

// SweepOwnedSettled is SweepOwned for a process about to exit while its
// goroutines may still be creating containers: a create the engine had
// already accepted lands after the first sweep. It sweeps again until
// nothing this process owns has appeared for quiet, or ctx ends.
func SweepOwnedSettled(ctx context.Context, quiet time.Duration) error {
	for {
		if err := SweepOwned(ctx); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(quiet):
		}
		n, err := countMatching(ctx, runFilter("", ""), ownedByMe())
		if err != nil {
			return err
		}
		if n.Zero() {
			return nil
		}
	}
}

// countMatching counts the objects under f whose labels match, on every
// engine of the run.
func countMatching(ctx context.Context, f filters.Args, match func(map[string]string) bool) (Leftovers, error) {
	var total Leftovers
	var errs []error
	for _, h := range Engines() {
		l, err := countOn(ctx, h, f, match)
		if err != nil && len(Engines()) > 1 {
			err = fmt.Errorf("engine %s: %w", EngineName(h), err)
		}
		errs = append(errs, err)
		total.Containers += l.Containers
		total.Networks += l.Networks
		total.Volumes += l.Volumes
	}
	return total, errors.Join(errs...)
}

func countOn(ctx context.Context, host string, f filters.Args, match func(map[string]string) bool) (Leftovers, error) {
	if host != DefaultEngine {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, engineCallLimit)
		defer cancel()
	}
	cl, err := clientFor(ctx, host)
	if err != nil {
		return Leftovers{}, err
	}
	defer cl.Close()
	var l Leftovers
	cs, err := cl.ContainerList(ctx, container.ListOptions{All: true, Filters: f})
	if err != nil {
		return l, fmt.Errorf("list containers: %w", err)
	}
	for _, c := range cs {
		if match(c.Labels) {
			l.Containers++
		}
	}
	ns, err := cl.NetworkList(ctx, network.ListOptions{Filters: f})
	if err != nil {
		return l, fmt.Errorf("list networks: %w", err)
	}
	for _, n := range ns {
		if match(n.Labels) {
			l.Networks++
		}
	}
	vs, err := cl.VolumeList(ctx, volume.ListOptions{Filters: f})
	if err != nil {
		return l, fmt.Errorf("list volumes: %w", err)
	}
	for _, v := range vs.Volumes {
		if match(v.Labels) {
			l.Volumes++
		}
	}
	return l, nil
}
