// Package enginetest starts a second Docker engine on this machine, for the
// tests of code that works across engines (copying images from one engine to
// another, drills that span two hosts).
//
// The engine is a real dockerd with a data root, exec root, socket and
// address pool of its own, listening on a free port of 127.0.0.1. It never
// touches the default engine: it writes no iptables rules of its own
// (--iptables=false) and has no default bridge (--bridge none); the two rules
// that let its containers talk to each other through the default engine's
// FORWARD policy are inserted at the top of DOCKER-USER, marked with a
// comment naming the engine, and deleted again when it stops. Everything it
// holds is removed when the test ends.
package enginetest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/volume"
	"github.com/docker/docker/client"
)

// PoolEnv overrides the engine's address pool (an IPv4 prefix, split into
// /24 networks), for machines where the pools tried by default are in use.
const PoolEnv = "FIREDRILL_ENGINE_POOL"

// Timeouts. The engine's first start on a fresh data root takes a few
// seconds; 60 s covers a loaded machine.
const (
	startTimeout = 60 * time.Second
	stopTimeout  = 30 * time.Second
	callTimeout  = 30 * time.Second
	mtu          = "1400"
)

// Engine is a running second Docker engine.
type Engine struct {
	// Host is the engine's address for Docker clients: tcp://127.0.0.1:PORT.
	Host string
	// Socket is the same engine on a unix socket: unix:///tmp/fdeN/docker.sock.
	Socket string
	// Pid is the dockerd process.
	Pid int
	// Dir holds the engine's data root, exec root, socket, pid file and log;
	// it is removed at Stop.
	Dir string
	// Pool is the address pool the engine's networks are taken from.
	Pool string
	// Log is dockerd's log file (inside Dir).
	Log string
	// Address is the engine's own address with Options.Routable (else "").
	Address string
	// bridge is the interface of the engine's default bridge network.
	bridge string

	mu      sync.Mutex
	stopped bool
	stopErr error
	cmd     *exec.Cmd
	exited  chan struct{}
	rules   [][]string   // iptables rule specs inserted, to delete exactly these
	poolMu  net.Listener // held while the pool is in use (see claimPool)
}

// Options change how the engine starts.
type Options struct {
	// Pool is the address pool (IPv4 prefix, /16 or wider recommended). Empty:
	// $FIREDRILL_ENGINE_POOL, else the first of 10.213.0.0/16 to
	// 10.239.0.0/16 that no interface, route or network of the default
	// engine overlaps and that no other engine started here holds.
	Pool string
	// Routable makes the engine a second host: it listens, and publishes
	// its containers' ports, on an address of its own (the pool's last,
	// on an interface of its own) instead of loopback, so containers of the
	// default engine reach what it publishes, as they would another
	// host's. The interface goes at Stop.
	Routable bool
}

// Start starts a second Docker engine for the test and stops it (removing
// everything in it) when the test ends. It skips the test when it cannot run
// here: not root, -short, no dockerd, no fuse-overlayfs where the default
// engine uses it.
func Start(t testing.TB) *Engine {
	t.Helper()
	return StartWith(t, Options{})
}

// StartWith is Start with options.
func StartWith(t testing.TB, o Options) *Engine {
	t.Helper()
	dockerd, driver := need(t)
	for _, err := range reap() {
		t.Logf("enginetest: clearing what the engine of a test that died left: %v", err)
	}
	dir, err := os.MkdirTemp(tmpRoot, dirPrefix) // short: containerd's socket paths must stay under ~100 characters
	if err != nil {
		t.Fatalf("enginetest: create the engine's folder: %v", err)
	}
	e := &Engine{Dir: dir, Log: filepath.Join(dir, "dockerd.log"), exited: make(chan struct{})}
	t.Cleanup(func() {
		if err := e.Stop(); err != nil {
			t.Errorf("enginetest: stop the engine: %v", err)
		}
	})

	pool, lock, err := claimPool(o.Pool)
	if err != nil {
		t.Fatalf("enginetest: %v", err)
	}
	e.Pool, e.poolMu = pool.String(), lock
	// The owner file lets a later Start clear this engine's leftovers should
	// this process die without stopping it (a go test timeout, SIGKILL).
	owner := fmt.Sprintf("%d %s\n", os.Getpid(), e.Pool)
	if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(owner), 0o600); err != nil {
		t.Fatalf("enginetest: %v", err)
	}

	port, err := freePort()
	if err != nil {
		t.Fatalf("enginetest: find a free port: %v", err)
	}
	e.Host = "tcp://127.0.0.1:" + strconv.Itoa(port)
	if o.Routable {
		addr, err := e.addAddress(pool)
		if err != nil {
			t.Fatalf("enginetest: %v", err)
		}
		e.Address = addr
		e.Host = "tcp://" + addr + ":" + strconv.Itoa(port)
	}
	e.Socket = "unix://" + filepath.Join(dir, "docker.sock")
	cfg := filepath.Join(dir, "daemon.json")
	// An empty configuration file: /etc/docker/daemon.json is the default
	// engine's, and dockerd refuses flags that a configuration file also sets.
	if err := os.WriteFile(cfg, []byte("{}\n"), 0o600); err != nil {
		t.Fatalf("enginetest: %v", err)
	}
	if e.bridge, err = e.addBridge(pool); err != nil {
		t.Fatalf("enginetest: %v", err)
	}
	ns := "firedrill-" + filepath.Base(dir)
	args := []string{
		"--config-file", cfg,
		"--data-root", filepath.Join(dir, "data"),
		"--exec-root", filepath.Join(dir, "x"),
		"--pidfile", filepath.Join(dir, "docker.pid"),
		"-H", e.Host,
		"-H", e.Socket,
		"--storage-driver", driver,
		// A bridge of its own: dockerd started with --bridge none deletes
		// the interface named docker0, the default engine's.
		"--bridge", e.bridge,
		"--iptables=false",
		"--ip-masq=false",
		"--default-address-pool", "base=" + e.Pool + ",size=24",
		"--mtu", mtu,
		// Its own containerd namespaces, should it ever share a containerd
		// with the default engine (it starts its own when none runs at
		// /run/containerd).
		"--containerd-namespace", ns,
		"--containerd-plugins-namespace", ns + "-plugins",
	}
	logf, err := os.OpenFile(e.Log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatalf("enginetest: %v", err)
	}
	defer logf.Close()
	e.cmd = exec.Command(dockerd, args...)
	e.cmd.Stdout, e.cmd.Stderr = logf, logf
	e.cmd.SysProcAttr = &syscall.SysProcAttr{
		Setpgid: true, // a Ctrl-C at the terminal reaches the test, which stops the engine in order
		// Should the test process die without stopping the engine, dockerd
		// is told to shut down.
		Pdeathsig: syscall.SIGTERM,
	}
	began := time.Now()
	if err := e.startProcess(); err != nil {
		t.Fatalf("enginetest: start dockerd: %v", err)
	}

	if err := e.waitReady(startTimeout); err != nil {
		t.Fatalf("enginetest: the second Docker engine (%s) did not start: %v\nthe last lines of its log %s (removed with its folder):\n%s",
			e.Host, err, e.Log, tail(e.Log, 25))
	}
	if err := e.allowForwarding(); err != nil {
		t.Fatalf("enginetest: %v", err)
	}
	t.Logf("enginetest: second Docker engine at %s (pid %d, pool %s, driver %s) ready in %.1fs",
		e.Host, e.Pid, e.Pool, driver, time.Since(began).Seconds())
	return e
}

// Need skips the test where a second engine cannot start: -short, not
// root, no dockerd, no fuse-overlayfs where the default engine uses it. Start
// checks the same; a test calls Need first to skip before any work of its
// own.
func Need(t testing.TB) {
	t.Helper()
	need(t)
}

func need(t testing.TB) (dockerd, driver string) {
	t.Helper()
	if testing.Short() {
		t.Skip("enginetest: starts a second Docker engine: skipped in -short mode")
	}
	if os.Geteuid() != 0 {
		t.Skip("enginetest: needs root to start a second Docker engine (dockerd with its own data root); run as root, as .ci/run does")
	}
	dockerd, err := exec.LookPath("dockerd")
	if err != nil {
		t.Skip("enginetest: dockerd is not installed (not on PATH): install Docker Engine (apt-get install docker.io) to start a second engine")
	}
	driver = defaultDriver()
	if driver == "fuse-overlayfs" {
		if _, err := exec.LookPath("fuse-overlayfs"); err != nil {
			t.Skip("enginetest: fuse-overlayfs is not installed, and the default engine's storage driver is fuse-overlayfs: apt-get install fuse-overlayfs")
		}
	}
	return dockerd, driver
}

// startProcess starts dockerd from a goroutine locked to its OS thread, which
// stays alive until dockerd exits: Pdeathsig fires when the thread that
// started the process ends, not the process.
func (e *Engine) startProcess() error {
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if err := e.cmd.Start(); err != nil {
			started <- err
			close(e.exited)
			return
		}
		started <- nil
		_ = e.cmd.Wait()
		close(e.exited)
	}()
	if err := <-started; err != nil {
		return err
	}
	e.Pid = e.cmd.Process.Pid
	return nil
}

// waitReady waits until the engine answers a ping.
func (e *Engine) waitReady(limit time.Duration) error {
	cl, err := e.Client()
	if err != nil {
		return err
	}
	defer cl.Close()
	deadline := time.Now().Add(limit)
	var last error
	for time.Now().Before(deadline) {
		select {
		case <-e.exited:
			return fmt.Errorf("dockerd exited: %v", e.cmd.ProcessState)
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, last = cl.Ping(ctx)
		cancel()
		if last == nil {
			return nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("no answer to a ping within %s: %w", limit, last)
}

// Client returns a Docker client for the engine; the caller closes it.
func (e *Engine) Client() (*client.Client, error) {
	cl, err := client.NewClientWithOpts(client.WithHost(e.Host), client.WithAPIVersionNegotiation())
	if err != nil {
		return nil, fmt.Errorf("connect to the second Docker engine at %s: %w", e.Host, err)
	}
	return cl, nil
}

// Stop removes every container, network and volume on the engine, stops
// dockerd (SIGTERM, SIGKILL after 30 s), unmounts what it left mounted,
// deletes its iptables rules and its folder. Calling it again returns the
// first call's result.
func (e *Engine) Stop() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.stopped {
		return e.stopErr
	}
	e.stopped = true
	var errs []error
	if e.cmd != nil && e.cmd.Process != nil {
		if alive(e.exited) {
			if err := e.clear(); err != nil {
				errs = append(errs, err)
			}
		}
		if err := e.stopProcess(); err != nil {
			errs = append(errs, err)
		}
	}
	if err := unmountUnder(e.Dir); err != nil {
		errs = append(errs, err)
	}
	if err := e.deleteLinks(); err != nil {
		errs = append(errs, err)
	}
	if err := e.deleteRules(); err != nil {
		errs = append(errs, err)
	}
	if e.Dir != "" {
		if err := os.RemoveAll(e.Dir); err != nil {
			errs = append(errs, fmt.Errorf("remove the engine's folder: %w", err))
		}
	}
	if e.poolMu != nil {
		e.poolMu.Close()
	}
	e.stopErr = errors.Join(errs...)
	return e.stopErr
}

func alive(exited chan struct{}) bool {
	select {
	case <-exited:
		return false
	default:
		return true
	}
}

// clear removes every container, network and volume the engine holds:
// whatever a test left.
func (e *Engine) clear() error {
	cl, err := e.Client()
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*callTimeout)
	defer cancel()
	var errs []error
	cs, err := cl.ContainerList(ctx, container.ListOptions{All: true})
	if client.IsErrConnectionFailed(err) {
		// Already shutting down (a test stopped it): it stops its
		// containers itself, and its folder goes below.
		return nil
	}
	if err != nil {
		return fmt.Errorf("list the containers on %s: %w", e.Host, err)
	}
	for _, c := range cs {
		if err := cl.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true, RemoveVolumes: true}); err != nil && !cerrdefs.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("remove container %s on %s: %w", c.ID[:12], e.Host, err))
		}
	}
	ns, err := cl.NetworkList(ctx, network.ListOptions{})
	if err != nil {
		errs = append(errs, fmt.Errorf("list the networks on %s: %w", e.Host, err))
	}
	for _, n := range ns {
		switch n.Name {
		case "none", "host", "bridge":
			continue
		}
		if err := cl.NetworkRemove(ctx, n.ID); err != nil && !cerrdefs.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("remove network %s on %s: %w", n.Name, e.Host, err))
		}
	}
	vs, err := cl.VolumeList(ctx, volume.ListOptions{})
	if err != nil {
		errs = append(errs, fmt.Errorf("list the volumes on %s: %w", e.Host, err))
	}
	for _, v := range vs.Volumes {
		if err := cl.VolumeRemove(ctx, v.Name, true); err != nil && !cerrdefs.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("remove volume %s on %s: %w", v.Name, e.Host, err))
		}
	}
	return errors.Join(errs...)
}

// stopProcess sends SIGTERM to the dockerd this package started (by its
// pid), waits up to 30 s, then sends SIGKILL.
func (e *Engine) stopProcess() error {
	if !alive(e.exited) {
		return nil
	}
	if err := e.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("stop dockerd (pid %d): %w", e.Pid, err)
	}
	select {
	case <-e.exited:
		return nil
	case <-time.After(stopTimeout):
	}
	if err := e.cmd.Process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("kill dockerd (pid %d): %w", e.Pid, err)
	}
	select {
	case <-e.exited:
		return fmt.Errorf("dockerd (pid %d) did not stop within %s of SIGTERM: killed", e.Pid, stopTimeout)
	case <-time.After(10 * time.Second):
		return fmt.Errorf("dockerd (pid %d) still runs 10 s after SIGKILL", e.Pid)
	}
}

// unmountUnder detaches every mount below dir, deepest first.
func unmountUnder(dir string) error {
	if dir == "" {
		return nil
	}
	mounts, err := mountsUnder(dir)
	if err != nil {
		return err
	}
	var errs []error
	for _, m := range mounts {
		if err := syscall.Unmount(m, syscall.MNT_DETACH); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOENT) {
			errs = append(errs, fmt.Errorf("unmount %s: %w", m, err))
		}
	}
	return errors.Join(errs...)
}

// mountsUnder lists the mount points below dir in /proc/mounts, deepest first.
func mountsUnder(dir string) ([]string, error) {
	f, err := os.Open("/proc/mounts")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	prefix := filepath.Clean(dir) + "/"
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 {
			continue
		}
		if p := unescapeMount(fields[1]); strings.HasPrefix(p, prefix) {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out, sc.Err()
}

// unescapeMount decodes /proc/mounts' octal escapes (\040 for a space).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// MountsUnder reports what is still mounted below the engine's folder (for
// tests that check Stop left nothing).
func MountsUnder(dir string) ([]string, error) { return mountsUnder(dir) }

// RuleComment is the comment that marks the engine's iptables rules, so
// deleting them can never delete a rule that only looks the same.
func (e *Engine) RuleComment() string { return commentFor(e.Dir) }

func commentFor(dir string) string { return "firedrill second engine " + filepath.Base(dir) }

// Where engines live, and the file naming the process that owns one.
const (
	tmpRoot   = "/tmp"
	dirPrefix = "fde"
	ownerFile = "owner"
)

// reap clears what the engines of dead test processes left: their mounts,
// their DOCKER-USER rules, the bridges of their pool and their folder. An
// engine is left alone while the process that started it, or its dockerd,
// lives, or while its pool is held.
func reap() []error {
	dirs, _ := filepath.Glob(filepath.Join(tmpRoot, dirPrefix+"*"))
	var errs []error
	for _, dir := range dirs {
		b, err := os.ReadFile(filepath.Join(dir, ownerFile))
		if err != nil {
			continue // not an engine's folder, or one still starting
		}
		var owner int
		var pool string
		if n, _ := fmt.Sscanf(string(b), "%d %s", &owner, &pool); n != 2 || owner <= 0 || processAlive(owner) {
			continue
		}
		if pb, err := os.ReadFile(filepath.Join(dir, "docker.pid")); err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(pb))); err == nil && processAlive(pid) {
				continue // still shutting down
			}
		}
		p, err := netip.ParsePrefix(pool)
		if err != nil {
			continue
		}
		l, err := net.Listen("unix", poolLockName(p))
		if err != nil {
			continue // the pool is held
		}
		stale := &Engine{Dir: dir, Pool: pool, rules: rulesOf(dir)}
		if err := unmountUnder(dir); err != nil {
			errs = append(errs, err)
		}
		if err := stale.deleteLinks(); err != nil {
			errs = append(errs, err)
		}
		if err := stale.deleteRules(); err != nil {
			errs = append(errs, err)
		}
		if err := os.RemoveAll(dir); err != nil {
			errs = append(errs, err)
		}
		l.Close()
	}
	return errs
}

// rulesOf finds the DOCKER-USER rules an engine's folder marks.
func rulesOf(dir string) [][]string {
	if _, err := exec.LookPath("iptables"); err != nil {
		return nil
	}
	out, err := exec.Command("iptables", "-w", "-S", "DOCKER-USER").Output()
	if err != nil {
		return nil
	}
	comment := commentFor(dir)
	var rules [][]string
	for _, line := range strings.Split(string(out), "\n") {
		for _, flag := range []string{"-s", "-d"} {
			var pool string
			prefix := "-A DOCKER-USER " + flag + " "
			suffix := ` -m comment --comment "` + comment + `" -j ACCEPT`
			if strings.HasPrefix(line, prefix) && strings.HasSuffix(line, suffix) {
				pool = strings.TrimSuffix(strings.TrimPrefix(line, prefix), suffix)
				rules = append(rules, []string{flag, pool, "-m", "comment", "--comment", comment, "-j", "ACCEPT"})
			}
		}
	}
	return rules
}

func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// allowForwarding inserts, at the top of DOCKER-USER, rules that accept
// traffic from and to the engine's pool: the default engine's FORWARD
// policy (DROP) would drop the traffic between the second engine's
// containers, which it does not know. Without iptables or DOCKER-USER
// there is nothing to open.
func (e *Engine) allowForwarding() error {
	if _, err := exec.LookPath("iptables"); err != nil {
		return nil
	}
	if err := exec.Command("iptables", "-w", "-n", "-L", "DOCKER-USER").Run(); err != nil {
		return nil
	}
	for _, dirFlag := range []string{"-s", "-d"} {
		spec := []string{dirFlag, e.Pool, "-m", "comment", "--comment", e.RuleComment(), "-j", "ACCEPT"}
		args := append([]string{"-w", "-I", "DOCKER-USER"}, spec...)
		if out, err := exec.Command("iptables", args...).CombinedOutput(); err != nil {
			return fmt.Errorf("iptables %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
		}
		e.rules = append(e.rules, spec)
	}
	return nil
}

// Rules returns the iptables rule specs the engine inserted into DOCKER-USER.
func (e *Engine) Rules() [][]string {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([][]string, len(e.rules))
	copy(out, e.rules)
	return out
}

// deleteRules deletes exactly the rules allowForwarding inserted.
func (e *Engine) deleteRules() error {
	var errs []error
	for _, spec := range e.rules {
		args := append([]string{"-w", "-D", "DOCKER-USER"}, spec...)
		if out, err := exec.Command("iptables", args...).CombinedOutput(); err != nil {
			errs = append(errs, fmt.Errorf("iptables %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out))))
		}
	}
	e.rules = nil
	return errors.Join(errs...)
}

// deleteLinks deletes the bridges left with an address in the engine's pool
// (dockerd removes a network's bridge when the network is removed, not when
// it is killed). The pool is this engine's alone (see claimPool), so such a
// bridge is its own.
func (e *Engine) deleteLinks() error {
	if e.Pool == "" {
		return nil
	}
	pool, err := netip.ParsePrefix(e.Pool)
	if err != nil {
		return nil
	}
	links, err := linksIn(pool)
	if err != nil {
		return err
	}
	var errs []error
	for _, l := range links {
		if !strings.HasPrefix(l, "br-") && !strings.HasPrefix(l, addrLinkPrefix) && !strings.HasPrefix(l, bridgeLinkPrefix) {
			continue
		}
		if out, err := exec.Command("ip", "link", "delete", l).CombinedOutput(); err != nil {
			errs = append(errs, fmt.Errorf("ip link delete %s: %w: %s", l, err, strings.TrimSpace(string(out))))
		}
	}
	return errors.Join(errs...)
}

// LinksIn lists the network interfaces of this machine with an address in
// pool.
func LinksIn(pool string) ([]string, error) {
	p, err := netip.ParsePrefix(pool)
	if err != nil {
		return nil, err
	}
	return linksIn(p)
}

func linksIn(pool netip.Prefix) ([]string, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, i := range ifs {
		addrs, err := i.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			if p, ok := prefixOf(a); ok && p.Overlaps(pool) {
				out = append(out, i.Name)
				break
			}
		}
	}
	return out, nil
}

func prefixOf(a net.Addr) (netip.Prefix, bool) {
	n, ok := a.(*net.IPNet)
	if !ok {
		return netip.Prefix{}, false
	}
	ip, ok := netip.AddrFromSlice(n.IP)
	if !ok {
		return netip.Prefix{}, false
	}
	ones, _ := n.Mask.Size()
	return netip.PrefixFrom(ip.Unmap(), ones).Masked(), true
}

// claimPool picks the engine's address pool and holds it: an abstract unix
// socket named after the pool is bound for as long as the engine runs, so two
// tests (or two test binaries: go test runs packages at once) never start
// engines on the same pool, and nothing is left on disk when a test dies.
func claimPool(want string) (netip.Prefix, net.Listener, error) {
	if want == "" {
		want = os.Getenv(PoolEnv)
	}
	var candidates []netip.Prefix
	if want != "" {
		p, err := netip.ParsePrefix(want)
		if err != nil || !p.Addr().Is4() {
			return netip.Prefix{}, nil, fmt.Errorf("address pool %q is not an IPv4 prefix such as 10.213.0.0/16", want)
		}
		candidates = []netip.Prefix{p.Masked()}
	} else {
		for b := 213; b <= 239; b++ {
			candidates = append(candidates, netip.MustParsePrefix(fmt.Sprintf("10.%d.0.0/16", b)))
		}
	}
	used, err := usedPrefixes()
	if err != nil {
		return netip.Prefix{}, nil, err
	}
	var why []string
next:
	for _, p := range candidates {
		for _, u := range used {
			if u.p.Overlaps(p) {
				why = append(why, fmt.Sprintf("%s overlaps %s (%s)", p, u.p, u.by))
				continue next
			}
		}
		l, err := net.Listen("unix", poolLockName(p))
		if err != nil {
			why = append(why, fmt.Sprintf("%s is held by another second engine", p))
			continue
		}
		return p, l, nil
	}
	return netip.Prefix{}, nil, fmt.Errorf("no free address pool for the second engine: %s; set %s to a free IPv4 prefix",
		strings.Join(why, "; "), PoolEnv)
}

// poolLockName is the abstract unix socket that holds a pool.
func poolLockName(p netip.Prefix) string { return "@firedrill-engine-pool-" + p.String() }

type usedPrefix struct {
	p  netip.Prefix
	by string
}

// usedPrefixes lists the networks this machine's interfaces and routes use,
// and the subnets of the default engine's networks.
func usedPrefixes() ([]usedPrefix, error) {
	var out []usedPrefix
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, fmt.Errorf("list the network interfaces: %w", err)
	}
	for _, i := range ifs {
		addrs, _ := i.Addrs()
		for _, a := range addrs {
			if p, ok := prefixOf(a); ok && p.Addr().Is4() && !p.Addr().IsLoopback() {
				out = append(out, usedPrefix{p, "interface " + i.Name})
			}
		}
	}
	out = append(out, routes()...)
	cl, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return out, nil
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ns, err := cl.NetworkList(ctx, network.ListOptions{})
	if err != nil {
		return out, nil // no default engine: nothing of it to collide with
	}
	for _, n := range ns {
		for _, c := range n.IPAM.Config {
			if p, err := netip.ParsePrefix(c.Subnet); err == nil {
				out = append(out, usedPrefix{p.Masked(), "network " + n.Name + " of the default engine"})
			}
		}
	}
	return out, nil
}

// routes reads the IPv4 routes of /proc/net/route, the default route aside.
func routes() []usedPrefix {
	b, err := os.ReadFile("/proc/net/route")
	if err != nil {
		return nil
	}
	var out []usedPrefix
	for _, line := range strings.Split(string(b), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) < 8 {
			continue
		}
		dst, err1 := strconv.ParseUint(f[1], 16, 32)
		mask, err2 := strconv.ParseUint(f[7], 16, 32)
		if err1 != nil || err2 != nil || mask == 0 {
			continue
		}
		// Little-endian in the file.
		ip := netip.AddrFrom4([4]byte{byte(dst), byte(dst >> 8), byte(dst >> 16), byte(dst >> 24)})
		m := net.IPv4Mask(byte(mask), byte(mask>>8), byte(mask>>16), byte(mask>>24))
		ones, _ := m.Size()
		out = append(out, usedPrefix{netip.PrefixFrom(ip, ones).Masked(), "route via " + f[0]})
	}
	return out
}

// defaultDriver is the default engine's storage driver, or fuse-overlayfs
// when it does not answer.
func defaultDriver() string {
	cl, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return "fuse-overlayfs"
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	info, err := cl.Info(ctx)
	if err != nil || info.Driver == "" {
		return "fuse-overlayfs"
	}
	return info.Driver
}

// freePort returns a port of 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// tail returns the last n lines of a file.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(" + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// addrLinkPrefix names the interfaces that carry a routable
// engine's address.
const addrLinkPrefix = "fda-"

// addAddress puts the pool's last address on an interface of its own
// (named after the engine's folder) and returns it.
func (e *Engine) addAddress(pool netip.Prefix) (string, error) {
	last := poolEnd(pool)
	last[3]-- // not the broadcast address
	addr := netip.AddrFrom4(last).String()
	if err := addLink(e.linkName(addrLinkPrefix), addr+"/32"); err != nil {
		return "", fmt.Errorf("give the engine an address of its own: %w", err)
	}
	return addr, nil
}

// poolEnd is the last address of pool.
func poolEnd(pool netip.Prefix) [4]byte {
	a := pool.Masked().Addr().As4()
	for i := pool.Bits(); i < 32; i++ {
		a[i/8] |= 1 << (7 - i%8)
	}
	return a
}

// linkName names an interface of the engine: prefix and the engine
// folder's suffix, within the 15 characters Linux allows.
func (e *Engine) linkName(prefix string) string {
	link := prefix + strings.TrimPrefix(filepath.Base(e.Dir), dirPrefix)
	if len(link) > 15 {
		link = link[:15]
	}
	return link
}

// addLink makes a bridge interface with no ports (dummy interfaces are not
// in every kernel) holding cidr, up; on failure nothing is left.
func addLink(link, cidr string) error {
	for _, args := range [][]string{
		{"link", "add", link, "type", "bridge"},
		{"addr", "add", cidr, "dev", link},
		{"link", "set", link, "up"},
	} {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			_ = exec.Command("ip", "link", "delete", link).Run()
			return fmt.Errorf("ip %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
		}
	}
	return nil
}

// bridgeLinkPrefix names the interfaces of second engines' default bridges.
const bridgeLinkPrefix = "fdb-"

// addBridge makes the engine's default bridge interface, with the first
// address of the pool's second-to-last /24 (kept out of the networks the
// engine takes from the pool), and returns its name.
func (e *Engine) addBridge(pool netip.Prefix) (string, error) {
	a := poolEnd(pool)
	a[2]-- // the second-to-last /24
	a[3] = 1
	link := e.linkName(bridgeLinkPrefix)
	if err := addLink(link, netip.AddrFrom4(a).String()+"/24"); err != nil {
		return "", fmt.Errorf("make the engine's bridge: %w", err)
	}
	return link, nil
}

// Objects lists every container ("container NAME"), network ("network
// NAME ID") and volume ("volume NAME") on the engine at host, whoever made
// them: what a test compares before and after a run.
func Objects(host string) ([]string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	cl, err := client.NewClientWithOpts(client.WithHost(host), client.WithAPIVersionNegotiation())
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	var out []string
	cs, err := cl.ContainerList(ctx, container.ListOptions{All: true})
	if err != nil {
		return nil, fmt.Errorf("list containers on %s: %w", host, err)
	}
	for _, c := range cs {
		out = append(out, "container "+strings.TrimPrefix(strings.Join(c.Names, ","), "/"))
	}
	ns, err := cl.NetworkList(ctx, network.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list networks on %s: %w", host, err)
	}
	for _, n := range ns {
		out = append(out, "network "+n.Name+" "+n.ID[:12])
	}
	vs, err := cl.VolumeList(ctx, volume.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list volumes on %s: %w", host, err)
	}
	for _, v := range vs.Volumes {
		out = append(out, "volume "+v.Name)
	}
	return out, nil
}
