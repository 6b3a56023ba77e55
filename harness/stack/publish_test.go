package stack

import (
	"errors"
	"net"
	"strings"
	"testing"
)

func TestPublishAddressFor(t *testing.T) {
	lookup := func(host string) ([]net.IP, error) {
		switch host {
		case "localhost":
			return []net.IP{net.ParseIP("::1"), net.ParseIP("127.0.0.1")}, nil
		case "engine-a":
			return []net.IP{net.ParseIP("2001:db8::7"), net.ParseIP("192.0.2.7")}, nil
		case "v6only":
			return []net.IP{net.ParseIP("2001:db8::8")}, nil
		}
		return nil, errors.New("no such host")
	}
	for _, c := range []struct{ host, want, err string }{
		{"", "127.0.0.1", ""},
		{"unix:///var/run/docker.sock", "127.0.0.1", ""},
		{"npipe:////./pipe/docker_engine", "127.0.0.1", ""},
		{"tcp://127.0.0.1:2375", "127.0.0.1", ""},
		{"tcp://127.0.0.5:2375", "127.0.0.1", ""},
		{"tcp://localhost:2375", "127.0.0.1", ""},
		{"tcp://[::1]:2375", "::1", ""},
		{"tcp://192.0.2.9:2376", "192.0.2.9", ""},
		{"tcp://engine-a:2375", "192.0.2.7", ""},
		{"tcp://v6only:2375", "2001:db8::8", ""},
		{"ssh://drill@engine-a", "192.0.2.7", ""},
		{"tcp://0.0.0.0:2375", "", "every interface"},
		{"tcp://nowhere:2375", "", `resolve the Docker engine's host "nowhere"`},
		{"docker.example", "", "not a unix://, tcp:// or ssh:// address"},
	} {
		got, err := publishAddressFor(c.host, lookup)
		switch {
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("DOCKER_HOST=%q: err = %v, want one saying %q", c.host, err, c.err)
		case c.err == "" && (err != nil || got != c.want):
			t.Errorf("DOCKER_HOST=%q: %q, %v; want %q", c.host, got, err, c.want)
		}
	}
}

func TestPublishSpec(t *testing.T) {
	for addr, want := range map[string]string{
		"127.0.0.1": "127.0.0.1::8080/tcp",
		"::1":       "[::1]::8080/tcp",
	} {
		if got := publishSpec(addr, "8080/tcp"); got != want {
			t.Errorf("publishSpec(%q) = %q, want %q", addr, got, want)
		}
	}
}
