package stack

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	dockerclient "github.com/docker/docker/client"
	tc "github.com/testcontainers/testcontainers-go"
)

// A run works on one Docker engine (the one DOCKER_HOST names, as always)
// or on several named with --engines: every stack lives on one of them,
// and cleanup (sweeps, counts, firedrill clean) covers all of them. An
// engine is named by its Docker host address; "" is the default engine.

// DefaultEngine is the engine DOCKER_HOST names (the local one when unset).
const DefaultEngine = ""

var (
	enginesMu sync.RWMutex
	engines   = []string{DefaultEngine}
)

// engineCallLimit bounds one call to an engine that is not the default:
// an engine that stops answering fails its scenarios, it never hangs them.
const engineCallLimit = 30 * time.Second

// ParseEngines reads a list of engines, comma-separated Docker host
// addresses: unix:///var/run/docker.sock, tcp://10.0.0.5:2375. Empty means
// the default engine alone.
func ParseEngines(spec string) ([]string, error) {
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return []string{DefaultEngine}, nil
	}
	var out []string
	seen := map[string]bool{}
	for _, h := range strings.Split(spec, ",") {
		h = strings.TrimSpace(h)
		if h == "" {
			continue
		}
		u, err := url.Parse(h)
		switch {
		case err != nil:
			return nil, fmt.Errorf("read engine %q: not a unix:///path or tcp://host:port address (%w): name each engine by its Docker host address, e.g. unix:///var/run/docker.sock or tcp://10.0.0.5:2375", h, err)
		case u.Scheme == "unix" && u.Path != "":
		case u.Scheme == "tcp" && u.Hostname() != "" && u.Port() != "":
			if ip := net.ParseIP(u.Hostname()); ip != nil && ip.IsUnspecified() {
				return nil, fmt.Errorf("read engine %q: it names every interface: name the engine's own address, e.g. tcp://10.0.0.5:2375", h)
			}
		default:
			return nil, fmt.Errorf("read engine %q: not a unix:///path or tcp://host:port address: name each engine by its Docker host address, e.g. unix:///var/run/docker.sock or tcp://10.0.0.5:2375", h)
		}
		if seen[h] {
			return nil, fmt.Errorf("read engines %q: %s is named twice: name each engine once", spec, h)
		}
		seen[h] = true
		out = append(out, h)
	}
	if len(out) == 0 {
		return []string{DefaultEngine}, nil
	}
	return out, nil
}

// UseEngines sets the engines this process works on; sweeps and counts
// cover every one of them. A stack on a named engine reaches its ports
// where that engine publishes them (PublishAddressOf), never through
// testcontainers-go's one engine host per process.
func UseEngines(hosts []string) error {
	if len(hosts) == 0 {
		hosts = []string{DefaultEngine}
	}
	for _, h := range hosts {
		if _, err := PublishAddressOf(h); err != nil {
			return err
		}
	}
	enginesMu.Lock()
	engines = append([]string(nil), hosts...)
	if stopWatch != nil {
		stopWatch()
		stopWatch = nil
	}
	lost = map[string]error{}
	if len(hosts) > 1 {
		ctx, cancel := context.WithCancel(context.Background())
		stopWatch = cancel
		for _, h := range hosts {
			go watch(ctx, h)
		}
	}
	enginesMu.Unlock()
	return nil
}

// An engine a run spreads over may stop answering mid-run (its host lost,
// its daemon stopped). Each is pinged every watchEvery while the run
// lasts; watchMisses pings in a row unanswered mark it lost for the rest
// of the run, and the scenarios on it fail at their next step instead of
// polling out their limits (EngineLost).
const (
	watchEvery   = 2 * time.Second
	watchTimeout = 5 * time.Second
	watchMisses  = 2
)

var (
	stopWatch context.CancelFunc
	lost      = map[string]error{}
)

func watch(ctx context.Context, host string) {
	misses := 0
	t := time.NewTicker(watchEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		err := pingEngine(ctx, host)
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			misses = 0
			continue
		}
		if misses++; misses >= watchMisses {
			markLost(ctx, host, err)
			return
		}
	}
}

// markLost records an engine as lost for the rest of the run (the first
// reason stays), unless watch, the run's watch, has ended (a later run's
// UseEngines started afresh).
func markLost(watch context.Context, host string, err error) {
	enginesMu.Lock()
	defer enginesMu.Unlock()
	if watch.Err() == nil && lost[host] == nil {
		lost[host] = fmt.Errorf("engine %s stopped answering at %s: %w", EngineName(host), time.Now().UTC().Format("15:04:05"), err)
	}
}

// newClient is a plain Docker client for an engine: the default one as
// the environment names it, a named one at its address.
func newClient(host string) (*dockerclient.Client, error) {
	if host == DefaultEngine {
		return dockerclient.NewClientWithOpts(dockerclient.FromEnv, dockerclient.WithAPIVersionNegotiation())
	}
	return dockerclient.NewClientWithOpts(dockerclient.WithHost(host), dockerclient.WithAPIVersionNegotiation())
}

func pingEngine(ctx context.Context, host string) error {
	cl, err := newClient(host)
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(ctx, watchTimeout)
	defer cancel()
	_, err = cl.Ping(ctx)
	return err
}

// CheckEngine asks an engine of a run over several engines whether it
// still answers, once, now: one that does not is marked lost at once
// (without waiting for the watch), and the error says so.
func CheckEngine(ctx context.Context, host string) error {
	if len(Engines()) < 2 {
		return nil
	}
	if err := EngineLost(host); err != nil {
		return err
	}
	if err := pingEngine(ctx, host); err != nil {
		markLost(context.Background(), host, err)
	}
	return EngineLost(host)
}

// EngineLost says why an engine of the run is out of reach, or nil while
// it answers.
func EngineLost(host string) error {
	enginesMu.RLock()
	defer enginesMu.RUnlock()
	return lost[host]
}

// Engines lists the engines this process works on.
func Engines() []string {
	enginesMu.RLock()
	defer enginesMu.RUnlock()
	return append([]string(nil), engines...)
}

// EngineName is how reports name an engine: its address, or "default"
// with the address DOCKER_HOST gives.
func EngineName(host string) string {
	if host != DefaultEngine {
		return host
	}
	if h := os.Getenv("DOCKER_HOST"); h != "" {
		return h
	}
	return "unix:///var/run/docker.sock"
}

// clientFor connects to one engine. The default engine goes through
// testcontainers-go's discovery, refusing a fallback (client); a named one
// is reached at its address alone, and must answer a ping within 10 s.
func clientFor(ctx context.Context, host string) (*tc.DockerClient, error) {
	if host == DefaultEngine {
		return client(ctx)
	}
	cl, err := newClient(host)
	if err != nil {
		return nil, fmt.Errorf("connect to engine %s: %w", host, err)
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := cl.Ping(pctx); err != nil {
		cl.Close()
		return nil, fmt.Errorf("connect to engine %s: it does not answer: %w: start it, or leave it out of --engines", host, err)
	}
	return &tc.DockerClient{Client: cl}, nil
}

// providerFor is a testcontainers-go provider whose every call goes to one
// named engine (testcontainers-go itself knows one engine per process).
// Its default network is the stack's own: testcontainers-go otherwise
// attaches every container to a shared "reaper_default" network, which it
// creates on an engine that has no "bridge" network, and which neither
// belongs to a run nor keeps scenarios apart.
func providerFor(ctx context.Context, host, network string) (p *tc.DockerProvider, err error) {
	cl, err := clientFor(ctx, host)
	if err != nil {
		return nil, err
	}
	defer func() {
		if r := recover(); r != nil {
			cl.Close()
			p, err = nil, fmt.Errorf("connect to engine %s: %v", host, r)
		}
	}()
	p, err = tc.NewDockerProvider(tc.WithDefaultBridgeNetwork(network))
	if err != nil {
		cl.Close()
		return nil, fmt.Errorf("connect to engine %s: %w", host, err)
	}
	_ = p.Close() // the default engine's client it made
	p.SetClient(cl)
	return p, nil
}

var (
	publishMu    sync.Mutex
	publishAddrs = map[string]string{}
)

// PublishAddressOf is the host address published ports of a stack on an
// engine are bound to: loopback for a local engine, the engine's own
// address for a remote one.
func PublishAddressOf(host string) (string, error) {
	if host == DefaultEngine {
		return PublishAddress()
	}
	publishMu.Lock()
	defer publishMu.Unlock()
	if a, ok := publishAddrs[host]; ok {
		return a, nil
	}
	a, err := publishAddressFor(host, net.LookupIP)
	if err != nil {
		return "", err
	}
	publishAddrs[host] = a
	return a, nil
}

// EngineCPUs is the number of CPUs an engine reports: its capacity when a
// run spreads scenarios over several engines.
func EngineCPUs(ctx context.Context, host string) (int, error) {
	cl, err := clientFor(ctx, host)
	if err != nil {
		return 0, err
	}
	defer cl.Close()
	info, err := cl.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("read engine %s: %w", EngineName(host), err)
	}
	return info.NCPU, nil
}
