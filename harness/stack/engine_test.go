package stack

import (
	"strings"
	"testing"
)

// TestParseEngines: a list of engines is read as the user wrote it, and a
// bad one is refused naming it and the form it takes.
func TestParseEngines(t *testing.T) {
	got, err := ParseEngines(" unix:///var/run/docker.sock, tcp://10.0.0.5:2375 ")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != "unix:///var/run/docker.sock" || got[1] != "tcp://10.0.0.5:2375" {
		t.Fatalf("got %q", got)
	}
	if got, err := ParseEngines(""); err != nil || len(got) != 1 || got[0] != DefaultEngine {
		t.Fatalf("empty: got %q, %v; want the default engine alone", got, err)
	}
	for _, bad := range []struct{ spec, says string }{
		{"10.0.0.5:2375", "not a unix:///path or tcp://host:port"},
		{"tcp://10.0.0.5", "not a unix:///path or tcp://host:port"},
		{"ssh://me@host", "not a unix:///path or tcp://host:port"},
		{"tcp://0.0.0.0:2375", "every interface"},
		{"tcp://a:1,tcp://a:1", "named twice"},
	} {
		_, err := ParseEngines(bad.spec)
		if err == nil || !strings.Contains(err.Error(), bad.says) {
			t.Errorf("%q: got %v, want an error saying %q", bad.spec, err, bad.says)
		}
	}
}
