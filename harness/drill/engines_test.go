package drill

import (
	"strings"
	"testing"
)

// TestPlacementFollowsFreeCapacity: scenarios go to the engine with the
// lowest load for its capacity, first listed on a tie, and an ended
// scenario frees its place.
func TestPlacementFollowsFreeCapacity(t *testing.T) {
	p := &enginePool{hosts: []string{"a", "b"}, capacity: map[string]int{"a": 2, "b": 4},
		running: map[string]int{}}
	var got []string
	for range 6 {
		got = append(got, p.acquire())
	}
	// a:2 b:4 → a, b, b, a, b, b (ratios 0/2=0/4, then 1/2>0/4, ...)
	want := []string{"a", "b", "b", "a", "b", "b"}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("placement %v, want %v", got, want)
		}
	}
	p.release("a")
	p.release("a")
	if h := p.acquire(); h != "a" {
		t.Fatalf("after a's scenarios ended, the next went to %s, want a", h)
	}
	one := &enginePool{hosts: []string{""}, capacity: map[string]int{"": 1}, running: map[string]int{}}
	if one.many() || one.acquire() != "" {
		t.Fatal("one engine: every stack must go to it")
	}
}

// TestSplitPlacementPicksTheReachableEngineForServices: a host-losing
// scenario's services go where the other engine's containers reach them
// (an engine publishing beyond loopback), its primary elsewhere, whatever
// the order the engines were named in.
func TestSplitPlacementPicksTheReachableEngineForServices(t *testing.T) {
	local, remote := "unix:///var/run/docker.sock", "tcp://10.0.0.5:2375"
	for _, hosts := range [][]string{{local, remote}, {remote, local}} {
		p := &enginePool{hosts: hosts, capacity: map[string]int{local: 2, remote: 2}, running: map[string]int{}}
		services, ok := p.acquireReachable()
		if !ok || services != remote {
			t.Fatalf("engines %v: services on %q (%v), want %s", hosts, services, ok, remote)
		}
		if primary := p.acquireExcept(services); primary != local {
			t.Fatalf("engines %v: primary on %s, want %s", hosts, primary, local)
		}
	}
	p := &enginePool{hosts: []string{local, "tcp://127.0.0.1:2375"}, capacity: map[string]int{}, running: map[string]int{}}
	if why, ok := p.acquireReachable(); ok || !strings.Contains(why, "publishes on 127.0.0.1") {
		t.Fatalf("only loopback engines: got %q, %v; want no engine, and why", why, ok)
	}
}
