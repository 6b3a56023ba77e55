package drill

import "testing"

// TestPlacementFollowsFreeCapacity: scenarios go to the engine with the
// lowest load for its capacity, first listed on a tie, and an ended
// scenario frees its place.
func TestPlacementFollowsFreeCapacity(t *testing.T) {
	p := &enginePool{hosts: []string{"a", "b"}, capacity: map[string]int{"a": 2, "b": 4},
		running: map[string]int{}, placed: map[string]int{}}
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
	one := &enginePool{hosts: []string{""}, capacity: map[string]int{"": 1}, running: map[string]int{}, placed: map[string]int{}}
	if one.many() || one.acquire() != "" {
		t.Fatal("one engine: every stack must go to it")
	}
}
