package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/filters"
	tc "github.com/testcontainers/testcontainers-go"

	"firedrill/harness/probe"
	"firedrill/harness/stack"
)

// spinupLimit bounds one start of a stack, either way.
const spinupLimit = 3 * time.Minute

// SpinupPair is one stack brought to steady state by firedrill and one by
// docker-compose, from the same definition, one after the other.
type SpinupPair struct {
	ComposeFirst bool
	// Firedrill is stack.Start through the traderunner started and healthy
	// in paper mode (what a drill's Deploy does).
	Firedrill time.Duration
	// FiredrillStack is the part of it stack.Start took (network,
	// containers ready, buckets made).
	FiredrillStack time.Duration
	// ComposeUp is when `docker-compose up -d` returned.
	ComposeUp time.Duration
	// ComposeHealthy is when the engine reported the last service ready
	// (health_status healthy, or start for one without a healthcheck):
	// the earliest any `up --wait` could return.
	ComposeHealthy time.Duration
	// ComposeWait is when the emulated `up --wait` returned: the
	// `docker-compose ps` that saw every service ready.
	ComposeWait time.Duration
	// Polls is how many `docker-compose ps` calls the wait took.
	Polls int
}

// Ratio is firedrill's time over the emulated `docker-compose up --wait`.
func (p SpinupPair) Ratio() float64 { return p.Firedrill.Seconds() / p.ComposeWait.Seconds() }

// RatioEngine is firedrill's time over the engine's healthy moment.
func (p SpinupPair) RatioEngine() float64 {
	return p.Firedrill.Seconds() / p.ComposeHealthy.Seconds()
}

// SpinupResult is every pair measured.
type SpinupResult struct {
	Pairs []SpinupPair
	// PsCalls is how long each `docker-compose ps` took (the emulated
	// wait's resolution).
	PsCalls []time.Duration
}

func (r *SpinupResult) stat(f func(SpinupPair) float64) Stat {
	var xs []float64
	for _, p := range r.Pairs {
		xs = append(xs, f(p))
	}
	return statOf(xs)
}

func (b *bench) measureSpinup(ctx context.Context) error {
	res := &SpinupResult{}
	b.rep.Spinup = res
	for i := range b.o.Runs {
		p := SpinupPair{ComposeFirst: i%2 == 1}
		fd := func() error {
			total, st, err := b.firedrillSpinup(ctx, fmt.Sprintf("spinup firedrill %d", i+1))
			p.Firedrill, p.FiredrillStack = total, st
			return err
		}
		dc := func() error {
			return b.composeSpinup(ctx, fmt.Sprintf("spinup compose %d", i+1), &p, res)
		}
		order := []func() error{fd, dc}
		if p.ComposeFirst {
			order = []func() error{dc, fd}
		}
		for _, f := range order {
			if err := f(); err != nil {
				return err
			}
		}
		res.Pairs = append(res.Pairs, p)
		b.logf("spinup %d/%d: firedrill %.2f s (stack.Start %.2f s); compose up -d %.2f s, healthy %.2f s, wait %.2f s (%d ps calls): %.2f×",
			i+1, b.o.Runs, p.Firedrill.Seconds(), p.FiredrillStack.Seconds(), p.ComposeUp.Seconds(),
			p.ComposeHealthy.Seconds(), p.ComposeWait.Seconds(), p.Polls, p.Ratio())
	}
	return nil
}

// firedrillSpinup starts a stack as a drill does and returns the time to
// the traderunner healthy in paper mode, and the part stack.Start took.
func (b *bench) firedrillSpinup(ctx context.Context, name string) (time.Duration, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, spinupLimit)
	defer cancel()
	cfg := b.stackConfig(name)
	t0 := time.Now()
	st, err := stack.Start(ctx, cfg)
	defer b.remove(ctx, name)
	if err != nil {
		return 0, 0, fmt.Errorf("start stack: %w", err)
	}
	tStack := time.Now()
	home := b.sys.Home
	r, err := st.Exec(ctx, stack.RolePrimary, "", fmt.Sprintf("cd %s 2>/dev/null || cd /\n%s", home, b.sys.Command("start")), map[string]string{"MODE": "paper"})
	if err != nil {
		return 0, 0, fmt.Errorf("start traderunner: %w", err)
	}
	if r.Code != 0 {
		return 0, 0, fmt.Errorf("start traderunner: exit %d: %s", r.Code, lastLine(st.Redact(r.Output)))
	}
	ep, err := st.Endpoint(ctx, stack.RolePrimary, b.sys.HealthPort())
	if err != nil {
		return 0, 0, err
	}
	o, err := probe.Until(ctx, b.prof.ProbeInterval, time.Minute, healthyIn(ep, b.sys.Health.Path, "paper"))
	if err != nil {
		return 0, 0, fmt.Errorf("wait for the traderunner healthy in paper mode: %w", err)
	}
	return o.At.Sub(t0), tStack.Sub(t0), nil
}

var httpClient = &http.Client{Timeout: 3 * time.Second}

// healthyIn is the drills' health check: the endpoint answers ok in mode.
func healthyIn(ep, path, mode string) probe.Check {
	return func(ctx context.Context) (bool, string, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+ep+path, nil)
		if err != nil {
			return false, "", err
		}
		resp, err := httpClient.Do(req)
		if err != nil {
			return false, err.Error(), nil
		}
		defer resp.Body.Close()
		var h struct {
			OK   bool   `json:"ok"`
			Mode string `json:"mode"`
		}
		if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&h); err != nil {
			return false, err.Error(), nil
		}
		return h.OK && strings.EqualFold(h.Mode, mode), fmt.Sprintf("ok=%v mode=%s", h.OK, h.Mode), nil
	}
}

// composeSpinup renders the same stack as a compose file in which the
// traderunner starts the daemon itself and has the health check as its
// healthcheck, runs `docker-compose up -d`, and emulates `--wait`, which
// docker-compose 1.29 lacks, by polling `docker-compose ps`.
func (b *bench) composeSpinup(ctx context.Context, name string, p *SpinupPair, res *SpinupResult) error {
	ctx, cancel := context.WithTimeout(ctx, spinupLimit)
	defer cancel()
	cfg := b.stackConfig(name)
	sec := newSecrets()
	svcs := stack.Services(cfg, sec)
	init, err := imageCommand(ctx, b.images.Traderunner)
	if err != nil {
		return err
	}
	home := b.sys.Home
	start := fmt.Sprintf("export MODE=paper; cd %s 2>/dev/null || cd /; %s && exec %s", home, b.sys.Command("start"), init)
	health := fmt.Sprintf("cd %s 2>/dev/null || cd /; %s | grep -q 'Mode: PAPER'", home, b.sys.Command("health_check"))
	if net := stack.ReadyOverNetwork(svcs); net != "" {
		health += " && " + net
	}
	file, err := b.writeCompose(cfg, sec, stack.ComposeOptions{
		Entrypoints:    map[string][]string{stack.RolePrimary: {"bash", "-c", start}},
		Healthchecks:   map[string]string{stack.RolePrimary: health},
		HealthInterval: b.prof.ProbeInterval,
	})
	if err != nil {
		return err
	}
	defer os.Remove(file)
	defer b.remove(ctx, name)
	log, err := os.OpenFile(filepath.Join(b.o.Work, "spinup-compose.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("create log: %w", err)
	}
	defer log.Close()

	// Which services compose must see ready, and how it can tell.
	var names []string
	hasHealth := map[string]bool{}
	for _, v := range svcs {
		if v.OnDemand {
			continue
		}
		n := stack.ContainerName(cfg, v.Role)
		names = append(names, n)
		hasHealth[n] = v.Healthcheck != nil || v.Role == stack.RolePrimary
	}
	project := composeProject(cfg)
	t0 := time.Now()
	watch, err := watchEngine(ctx, cfg, t0)
	if err != nil {
		return err
	}
	defer watch.stop()
	_, upEnd, err := timed(ctx, log, b.o.Root, nil, "docker-compose", "-p", project, "-f", file, "up", "-d")
	if err != nil {
		return err
	}
	p.ComposeUp = upEnd.Sub(t0)
	o, err := probe.Until(ctx, b.prof.ProbeInterval, time.Minute, func(ctx context.Context) (bool, string, error) {
		s := time.Now()
		out, err := output(ctx, b.o.Root, "docker-compose", "-p", project, "-f", file, "ps")
		res.PsCalls = append(res.PsCalls, time.Since(s))
		if err != nil {
			return false, err.Error(), nil
		}
		return composeReady(out, names, hasHealth)
	})
	if err != nil {
		fmt.Fprintf(log, "emulated --wait failed: %v\n", err)
		return fmt.Errorf("emulate docker-compose up --wait: %w", err)
	}
	p.ComposeWait = o.At.Sub(t0)
	p.Polls = o.Attempts
	ready, err := watch.readyAt(ctx, cfg, svcs)
	if err != nil {
		return err
	}
	p.ComposeHealthy = ready.Sub(t0)
	return nil
}

// composeReady judges `docker-compose ps` output: every container up, and
// healthy where it has a healthcheck. A container that exited or turned
// unhealthy is an error: waiting longer would not help.
func composeReady(ps string, names []string, hasHealth map[string]bool) (bool, string, error) {
	lines := strings.Split(ps, "\n")
	var waiting []string
	for _, n := range names {
		var line string
		for _, l := range lines {
			if strings.HasPrefix(strings.TrimSpace(l), n+" ") {
				line = l
			}
		}
		switch {
		case line == "":
			waiting = append(waiting, n+": not listed")
		case strings.Contains(line, " Exit "), strings.Contains(line, "(unhealthy)"):
			return false, "", fmt.Errorf("compose service %s failed: %s", n, strings.Join(strings.Fields(line), " "))
		case !strings.Contains(line, " Up"):
			waiting = append(waiting, n+": not up")
		case hasHealth[n] && !strings.Contains(line, "(healthy)"):
			waiting = append(waiting, n+": not healthy yet")
		}
	}
	return len(waiting) == 0, strings.Join(waiting, "; "), nil
}

// imageCommand is an image's entrypoint and command as one shell line.
func imageCommand(ctx context.Context, image string) (string, error) {
	cl, err := tc.NewDockerClientWithOpts(ctx)
	if err != nil {
		return "", fmt.Errorf("connect to docker: %w", err)
	}
	defer cl.Close()
	info, err := cl.ImageInspect(ctx, image)
	if err != nil {
		return "", fmt.Errorf("inspect image %s: %w", image, err)
	}
	var words []string
	if info.Config != nil {
		words = append(append(words, info.Config.Entrypoint...), info.Config.Cmd...)
	}
	if len(words) == 0 {
		return "", fmt.Errorf("inspect image %s: it has no entrypoint or command", image)
	}
	for i, w := range words {
		words[i] = "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
	}
	return strings.Join(words, " "), nil
}

// composeProject is a compose project name for a stack.
func composeProject(cfg stack.Config) string {
	return strings.ToLower("fd-" + strings.ReplaceAll(cfg.RunID, "-", "") + "-" + stack.Slug(cfg.Scenario))
}

// writeCompose renders a stack's compose file into the work folder,
// readable by this user only: it holds the stack's secrets.
func (b *bench) writeCompose(cfg stack.Config, sec stack.Secrets, o stack.ComposeOptions) (string, error) {
	data, err := stack.Compose(cfg, sec, o)
	if err != nil {
		return "", err
	}
	path := filepath.Join(b.o.Work, stack.Slug(cfg.Scenario)+".compose.yml")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return "", fmt.Errorf("write compose file: %w", err)
	}
	return path, nil
}

// remove sweeps one stack of this run, on a context of its own.
func (b *bench) remove(ctx context.Context, scenario string) {
	c, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	if err := stack.SweepScenario(c, b.runID, stack.Slug(scenario)); err != nil {
		b.logf("remove %s: %v", scenario, err)
	}
}

// engineWatch records, from the engine's event stream, when each
// container of a stack started and when it turned healthy.
type engineWatch struct {
	mu      sync.Mutex
	started map[string]time.Time
	healthy map[string]time.Time
	cancel  context.CancelFunc
	done    chan struct{}
	err     error
}

func watchEngine(ctx context.Context, cfg stack.Config, since time.Time) (*engineWatch, error) {
	cl, err := tc.NewDockerClientWithOpts(ctx)
	if err != nil {
		return nil, fmt.Errorf("connect to docker: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	w := &engineWatch{started: map[string]time.Time{}, healthy: map[string]time.Time{}, cancel: cancel, done: make(chan struct{})}
	f := filters.NewArgs(
		filters.Arg("type", string(events.ContainerEventType)),
		filters.Arg("label", stack.LabelRun+"="+cfg.RunID),
		filters.Arg("label", stack.LabelScenario+"="+stack.Slug(cfg.Scenario)),
	)
	// Since replays what happened before the stream was open: no race.
	msgs, errs := cl.Events(ctx, events.ListOptions{Filters: f, Since: strconv.FormatFloat(float64(since.UnixNano())/1e9, 'f', 9, 64)})
	go func() {
		defer close(w.done)
		defer cl.Close()
		for {
			select {
			case m := <-msgs:
				role := m.Actor.Attributes[stack.LabelRole]
				at := time.Unix(0, m.TimeNano)
				w.mu.Lock()
				switch m.Action {
				case events.ActionStart:
					w.started[role] = at
				case events.ActionHealthStatusHealthy:
					if _, ok := w.healthy[role]; !ok {
						w.healthy[role] = at
					}
				}
				w.mu.Unlock()
			case err := <-errs:
				if ctx.Err() == nil {
					w.mu.Lock()
					w.err = err
					w.mu.Unlock()
				}
				return
			case <-ctx.Done():
				return
			}
		}
	}()
	return w, nil
}

func (w *engineWatch) stop() {
	w.cancel()
	<-w.done
}

// readyAt is when the last service became ready by the engine's account.
// The events of the moment the wait ended may still be in flight: it waits
// (bounded) until every service has its event.
func (w *engineWatch) readyAt(ctx context.Context, cfg stack.Config, svcs []stack.Service) (time.Time, error) {
	var last time.Time
	_, err := probe.Until(ctx, 50*time.Millisecond, 10*time.Second, func(context.Context) (bool, string, error) {
		w.mu.Lock()
		defer w.mu.Unlock()
		if w.err != nil {
			return false, "", fmt.Errorf("read docker events: %w", w.err)
		}
		last = time.Time{}
		var missing []string
		for _, v := range svcs {
			if v.OnDemand {
				continue
			}
			m := w.started
			if v.Healthcheck != nil || v.Role == stack.RolePrimary {
				m = w.healthy
			}
			at, ok := m[v.Role]
			if !ok {
				missing = append(missing, v.Role)
				continue
			}
			if at.After(last) {
				last = at
			}
		}
		return len(missing) == 0, "no event yet for " + strings.Join(missing, ", "), nil
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("read when %s became ready: %w", cfg.Scenario, err)
	}
	return last, nil
}
