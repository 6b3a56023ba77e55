package drill

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"firedrill/harness/probe"
	"firedrill/harness/stack"
)

// enginePool places scenarios on the run's Docker engines: each stack goes
// to the engine with the most free capacity, capacity being the engine's
// CPUs as it reports them and the load the scenarios this run has placed
// on it and not yet ended. With one engine every stack goes there.
type enginePool struct {
	mu       sync.Mutex
	hosts    []string
	capacity map[string]int
	running  map[string]int
}

// newEnginePool reads each engine's capacity; an engine that does not
// answer fails the run before any scenario starts.
func newEnginePool(ctx context.Context, hosts []string) (*enginePool, error) {
	p := &enginePool{hosts: hosts, capacity: map[string]int{}, running: map[string]int{}}
	if len(hosts) == 1 {
		p.capacity[hosts[0]] = 1
		return p, nil
	}
	for _, h := range hosts {
		c, cancel := context.WithTimeout(ctx, 30*time.Second)
		n, err := stack.EngineCPUs(c, h)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("start run: engine %s: %w", stack.EngineName(h), err)
		}
		p.capacity[h] = max(n, 1)
	}
	return p, nil
}

// pick counts a scenario on the engine with the lowest load for its
// capacity (the first listed on a tie) among those still answering that
// skip does not refuse, and returns it; "" when there is none. The caller
// holds p.mu.
func (p *enginePool) pick(skip func(host string) bool) string {
	best := ""
	for _, h := range p.hosts {
		if stack.EngineLost(h) != nil || skip(h) {
			continue
		}
		// running/capacity compared without division.
		if best == "" || p.running[h]*p.capacity[best] < p.running[best]*p.capacity[h] {
			best = h
		}
	}
	if best != "" {
		p.running[best]++
	}
	return best
}

// acquire places a scenario on the least loaded engine; with every engine
// lost, on the first, where it fails.
func (p *enginePool) acquire() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if h := p.pick(func(string) bool { return false }); h != "" {
		return h
	}
	p.running[p.hosts[0]]++
	return p.hosts[0]
}

// acquireExcept is acquire among the engines other than not (not itself
// when there is none).
func (p *enginePool) acquireExcept(not string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if h := p.pick(func(h string) bool { return h == not }); h != "" {
		return h
	}
	p.running[not]++
	return not
}

// acquireReachable picks, for the services of a stack split over two
// engines, the least loaded engine whose published ports containers on
// another engine can reach (not loopback), and counts the scenario on it.
// Without one it returns why, and false.
func (p *enginePool) acquireReachable() (string, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var why []string
	h := p.pick(func(h string) bool {
		addr, err := stack.PublishAddressOf(h)
		if err != nil || net.ParseIP(addr).IsLoopback() {
			why = append(why, fmt.Sprintf("%s publishes on %s", stack.EngineName(h), addr))
			return true
		}
		return false
	})
	if h == "" {
		return strings.Join(why, "; "), false
	}
	return h, true
}

// release ends a scenario's load on an engine.
func (p *enginePool) release(host string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.running[host] > 0 {
		p.running[host]--
	}
}

// many says whether the run spreads over more than one engine.
func (p *enginePool) many() bool { return len(p.hosts) > 1 }

// losesHost says whether the scenario's fault takes a whole server away
// (Q4): with several engines its primary gets an engine of its own.
func (sc *Scenario) losesHost() bool { return sc.drill == "Q4" }

// engineLost says why an engine the scenario's stack is on stopped
// answering, or nil.
func (sc *Scenario) engineLost() error {
	if sc.suite == nil || sc.suite.engines == nil || !sc.suite.engines.many() {
		return nil
	}
	hosts := []string{sc.engine}
	if sc.servicesEngine != "" {
		hosts = append(hosts, sc.servicesEngine)
	}
	for _, h := range hosts {
		if err := stack.EngineLost(h); err != nil {
			return fmt.Errorf("%w: the scenario's containers on it are out of reach", err)
		}
	}
	return nil
}

// until is probe.Until for a scenario: it also ends, at once, when an
// engine the scenario's stack is on stops answering.
func (sc *Scenario) until(ctx context.Context, interval, limit time.Duration, check probe.Check) (probe.Outcome, error) {
	return probe.Until(ctx, interval, limit, func(ctx context.Context) (bool, string, error) {
		if err := sc.engineLost(); err != nil {
			return false, err.Error(), probe.Fatal(err)
		}
		return check(ctx)
	})
}

// checkEngines asks the engines the scenario's stack is on whether they
// still answer (stack.CheckEngine), so a lost one is named at once.
func (sc *Scenario) checkEngines(ctx context.Context) {
	if sc.suite == nil || sc.suite.engines == nil || !sc.suite.engines.many() {
		return
	}
	ctx = context.WithoutCancel(ctx)
	_ = stack.CheckEngine(ctx, sc.engine)
	if sc.servicesEngine != "" {
		_ = stack.CheckEngine(ctx, sc.servicesEngine)
	}
}
