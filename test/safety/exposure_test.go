package safety

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"firedrill/harness/stack"
)

// exposure lists what a run's containers accept from outside the run: every
// port binding of every container labelled with the run, and every socket
// listening on this host on one of those ports. It returns what it saw, one
// line each, and the problems: a binding or a listener on anything but
// loopback (or, with a remote engine, the one address firedrill reaches it
// by).
func exposure(t *testing.T, runID string) (seen, problems []string) {
	t.Helper()
	allowed, err := stack.PublishAddress()
	if err != nil {
		t.Fatal(err)
	}
	ok := func(hostIP string) bool {
		ip := net.ParseIP(hostIP)
		return ip != nil && !ip.IsUnspecified() && (ip.IsLoopback() || ip.String() == allowed)
	}
	ports := map[uint16]string{} // host port -> container:port
	for _, c := range strings.Fields(docker(t, "ps", "-q", "--filter", "label=firedrill.run="+runID)) {
		var info struct {
			Name   string
			Config struct {
				Labels map[string]string
			}
			HostConfig struct {
				PortBindings map[string][]struct{ HostIp, HostPort string }
			}
			NetworkSettings struct {
				Ports map[string][]struct{ HostIp, HostPort string }
			}
		}
		if err := json.Unmarshal([]byte(docker(t, "inspect", "-f", "{{json .}}", c)), &info); err != nil {
			t.Fatalf("inspect %s: %v", c, err)
		}
		role := info.Config.Labels["firedrill.role"]
		for what, m := range map[string]map[string][]struct{ HostIp, HostPort string }{
			"asks for": info.HostConfig.PortBindings, "publishes": info.NetworkSettings.Ports,
		} {
			for port, bs := range m {
				for _, b := range bs {
					line := fmt.Sprintf("%s %s %s on %q:%s", role, what, port, b.HostIp, b.HostPort)
					seen = append(seen, line)
					if !ok(b.HostIp) {
						problems = append(problems, line+": beyond loopback")
					}
					if p, err := strconv.ParseUint(b.HostPort, 10, 16); err == nil && p != 0 {
						ports[uint16(p)] = role + " " + port
					}
				}
			}
		}
	}
	// Listening sockets on this host exist only for a local engine.
	if dh := os.Getenv("DOCKER_HOST"); dh != "" && !strings.HasPrefix(dh, "unix://") {
		return seen, problems
	}
	var text strings.Builder
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(f)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		text.Write(b)
	}
	ls, err := listeners(text.String())
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range ls {
		what, ours := ports[l.port]
		if !ours {
			continue
		}
		line := fmt.Sprintf("host listens on %s for %s", net.JoinHostPort(l.ip.String(), strconv.Itoa(int(l.port))), what)
		seen = append(seen, line)
		if !ok(l.ip.String()) {
			problems = append(problems, line+": beyond loopback")
		}
	}
	slices.Sort(seen)
	slices.Sort(problems)
	return seen, problems
}

type listener struct {
	ip   net.IP
	port uint16
}

// listeners reads the listening sockets (state 0A) of /proc/net/tcp and
// tcp6 text, with their local address.
func listeners(procNet string) ([]listener, error) {
	var out []listener
	for _, line := range strings.Split(procNet, "\n") {
		f := strings.Fields(line)
		if len(f) < 4 || f[0] == "sl" || f[3] != "0A" {
			continue
		}
		ip, port, err := procAddr(f[1])
		if err != nil {
			return nil, fmt.Errorf("unreadable socket line %q: %w", line, err)
		}
		out = append(out, listener{ip: ip, port: port})
	}
	return out, nil
}

// TestExposureCheckCatchesAllInterfaces: the check of a drill's exposure
// (run inside TestContactsStayInsideTheRun) proves something only if it
// fails on what it exists to catch. A container of a run id of this test's
// own publishes a port on every interface, as Docker does by default; the
// check must name both its binding and the host's listener.
func TestExposureCheckCatchesAllInterfaces(t *testing.T) {
	needDocker(t)
	t.Parallel()
	id := stack.NewRunID(time.Now()) + "-expose"
	t.Cleanup(func() {
		if l := leftovers(t, id); !l.Zero() {
			t.Errorf("the exposure test left %s", l)
		}
	})
	c := strings.TrimSpace(docker(t, "run", "-d", "--label", "firedrill.run="+id, "--label", "firedrill.role=exposed",
		"--label", stack.LabelOwner+"="+stack.Owner(), "-p", "8080/tcp", "--entrypoint", "sleep", "firedrill/base:latest", "infinity"))
	t.Cleanup(func() { _, _ = dockerOut("rm", "-f", "-v", c) })
	seen, problems := exposure(t, id)
	t.Logf("seen:\n  %s", strings.Join(seen, "\n  "))
	joined := strings.Join(problems, "\n")
	if !strings.Contains(joined, `exposed publishes 8080/tcp on "0.0.0.0"`) {
		t.Errorf("a binding on 0.0.0.0 was not caught; problems:\n%s", joined)
	}
	// docker-proxy listens for it unless the engine runs without the
	// userland proxy; where it does, the listener must be caught too.
	if strings.Contains(strings.Join(seen, "\n"), "host listens on") && !strings.Contains(joined, "host listens on 0.0.0.0:") &&
		!strings.Contains(joined, "host listens on [::]:") {
		t.Errorf("the host's listener on every interface was not caught; problems:\n%s", joined)
	}
}

func TestListenersParser(t *testing.T) {
	procNet := `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:8235 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 0
   1: 00000000:8236 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 0
   2: 030012AC:B0A2 020012AC:1F90 01 00000000:00000000 00:00000000 00000000     0        0 2 1 0000000000000000 20 4 30 10 -1
  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:8237 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4 1 0000000000000000 20 4 30 10 -1
   1: 00000000000000000000000001000000:8238 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4 1 0000000000000000 20 4 30 10 -1
`
	ls, err := listeners(procNet)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range ls {
		got = append(got, net.JoinHostPort(l.ip.String(), strconv.Itoa(int(l.port))))
	}
	if want := "127.0.0.1:33333 0.0.0.0:33334 [::]:33335 [::1]:33336"; strings.Join(got, " ") != want {
		t.Fatalf("listeners = %q, want %q", got, want)
	}
}
