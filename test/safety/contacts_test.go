package safety

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/url"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestContactsStayInsideTheRun: a drill's containers talk to each other,
// on the run's own network, and to nothing else. While a run is in its
// steady state (orders flowing to the mock broker, restic backing up to
// MinIO, the deployment's git remote) every socket of every container of
// the run is sampled from inside its network namespace: each peer must be
// on one of the run's networks or loopback. Every address the containers
// are configured with must name a container of the run or loopback. And
// nothing of the run accepts connections from beyond loopback: every port
// binding and every host listener for one is checked (exposure).
func TestContactsStayInsideTheRun(t *testing.T) {
	needDocker(t)
	t.Parallel()
	feats := features(t, map[string]string{"contacts.feature": "Feature: who the stack talks to\n" + steadyBackground + `
  Scenario: the stack at work
` + waitForTest})
	run := start(t, root, nil, firedrill(t), "run", "--features", feats, "--reports", t.TempDir())
	run.waitFor("steady state", runFor)
	id := run.runID()

	// The run's networks, their subnets and the names on them.
	var subnets []*net.IPNet
	gateways := map[string]bool{}
	names := map[string]bool{"localhost": true}
	for _, nw := range strings.Fields(docker(t, "network", "ls", "-q", "--filter", "label=firedrill.run="+id)) {
		for _, cidr := range strings.Fields(docker(t, "network", "inspect", "-f", "{{range .IPAM.Config}}{{.Subnet}} {{end}}", nw)) {
			_, n, err := net.ParseCIDR(cidr)
			if err != nil {
				t.Fatalf("network %s: subnet %q: %v", nw, cidr, err)
			}
			subnets = append(subnets, n)
		}
		for _, gw := range strings.Fields(docker(t, "network", "inspect", "-f", "{{range .IPAM.Config}}{{.Gateway}} {{end}}", nw)) {
			gateways[gw] = true
		}
	}
	if len(subnets) == 0 {
		t.Fatalf("run %s has no network with a subnet", id)
	}
	containers := strings.Fields(docker(t, "ps", "-q", "--filter", "label=firedrill.run="+id))
	if len(containers) < 3 {
		t.Fatalf("run %s: %d containers, want the traderunner, MinIO, the broker and the git remote", id, len(containers))
	}
	for _, c := range containers {
		for _, a := range strings.Fields(docker(t, "inspect", "-f", "{{range .NetworkSettings.Networks}}{{range .Aliases}}{{.}} {{end}}{{end}}", c)) {
			names[a] = true
		}
	}
	// The network's gateway is the host: firedrill's own probes reach a
	// container's published ports through it. A container may answer it
	// on a port it listens on; it may not call it.
	inside := func(ip net.IP) bool {
		if ip.IsLoopback() || ip.IsUnspecified() {
			return true
		}
		if gateways[ip.String()] {
			return false
		}
		for _, n := range subnets {
			if n.Contains(ip) {
				return true
			}
		}
		return false
	}

	// Configured addresses: every URL or host:port in a container's
	// environment names a container of the run or loopback.
	for _, c := range containers {
		role := docker(t, "inspect", "-f", `{{index .Config.Labels "firedrill.role"}}`, c)
		for _, kv := range strings.Split(docker(t, "inspect", "-f", `{{range .Config.Env}}{{println .}}{{end}}`, c), "\n") {
			k, v, _ := strings.Cut(kv, "=")
			for _, host := range hostsIn(v) {
				if ip := net.ParseIP(host); ip != nil && inside(ip) || names[host] {
					continue
				}
				t.Errorf("%s: %s names %q, which is neither a container of the run nor loopback", role, k, host)
			}
		}
	}

	// Live sockets, sampled for 5 s from inside each container's network
	// namespace by a helper container labelled with the run (the run's
	// sweep removes it too).
	var (
		mu       sync.Mutex
		peers    = map[string]bool{}
		outside  = map[string]bool{}
		failed   []error
		sampling sync.WaitGroup
	)
	for _, c := range containers {
		sampling.Add(1)
		go func() {
			defer sampling.Done()
			role, err := dockerOut("inspect", "-f", `{{index .Config.Labels "firedrill.role"}}`, c)
			role = strings.TrimSpace(role)
			if err != nil {
				mu.Lock()
				failed = append(failed, err)
				mu.Unlock()
				return
			}
			out, err := dockerOut("run", "--rm", "--label", "firedrill.run="+id, "--label", "firedrill.role=sampler",
				"--network", "container:"+c, "--entrypoint", "sh", "firedrill/base:latest", "-c",
				"for i in $(seq 50); do cat /proc/net/tcp /proc/net/tcp6 2>/dev/null; sleep 0.1; done")
			socks, perr := sockets(out)
			mu.Lock()
			defer mu.Unlock()
			if err = errors.Join(err, perr); err != nil {
				failed = append(failed, fmt.Errorf("sample %s: %w", role, err))
				return
			}
			listens := map[uint16]bool{}
			for _, so := range socks {
				if so.listening {
					listens[so.local] = true
				}
			}
			for _, so := range socks {
				ip := so.peer
				switch {
				case ip == nil || ip.IsLoopback():
				case gateways[ip.String()] && listens[so.local]:
					peers[fmt.Sprintf("host -> %s:%d", role, so.local)] = true
				case inside(ip):
					peers[role+" -> "+ip.String()] = true
				default:
					outside[fmt.Sprintf("%s:%d -> %s", role, so.local, ip)] = true
				}
			}
		}()
	}
	sampling.Wait()
	if err := errors.Join(failed...); err != nil {
		t.Fatal(err)
	}
	// What the run accepts from outside: its published ports and the
	// host's listeners for them, loopback only.
	seen, problems := exposure(t, id)
	if len(seen) == 0 {
		t.Errorf("run %s publishes nothing: the exposure check proves nothing (firedrill reaches MinIO, the broker and the health port)", id)
	}
	for _, p := range problems {
		t.Errorf("exposed: %s", p)
	}
	t.Logf("run %s exposes:\n  %s", id, strings.Join(seen, "\n  "))
	release(t, id)
	if code := run.wait(runFor); code != 0 {
		t.Errorf("the run failed (exit %d)", code)
	}
	for _, o := range slices.Sorted(maps.Keys(outside)) {
		t.Errorf("a container of the run talked outside it: %s", o)
	}
	// The check proves something only if it saw the containers talk.
	if len(peers) == 0 {
		t.Fatalf("no connection between the run's containers was seen in 5 s: the sampling proves nothing")
	}
	t.Logf("connections seen, all inside run %s: %s", id, strings.Join(slices.Sorted(maps.Keys(peers)), ", "))
	if l := leftovers(t, id); !l.Zero() {
		t.Fatalf("run %s left %s", id, l)
	}
}

var (
	urlIn      = regexp.MustCompile(`[a-z][a-z0-9+.-]*://[^\s,;"']+`)
	hostPortIn = regexp.MustCompile(`^([A-Za-z0-9.-]+):\d{2,5}$`)
)

// hostsIn returns the hosts an environment value addresses: those of the
// URLs in it (restic's "s3:http://minio:9000/bucket" included), or the
// value itself when it is host:port.
func hostsIn(v string) []string {
	var hosts []string
	for _, u := range urlIn.FindAllString(v, -1) {
		if p, err := url.Parse(u); err == nil && p.Hostname() != "" && p.Scheme != "file" {
			hosts = append(hosts, p.Hostname())
		}
	}
	if m := hostPortIn.FindStringSubmatch(v); m != nil {
		hosts = append(hosts, m[1])
	}
	return hosts
}

// socket is one line of /proc/net/tcp or tcp6.
type socket struct {
	local     uint16
	peer      net.IP // nil for a listening socket
	listening bool
}

// sockets parses /proc/net/tcp and tcp6 text.
func sockets(procNet string) ([]socket, error) {
	var out []socket
	for _, line := range strings.Split(procNet, "\n") {
		f := strings.Fields(line)
		if len(f) < 4 || f[0] == "sl" {
			continue
		}
		_, port, err1 := procAddr(f[1])
		peer, _, err2 := procAddr(f[2])
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("unreadable socket line %q", line)
		}
		so := socket{local: port, listening: f[3] == "0A"}
		if !peer.IsUnspecified() {
			so.peer = peer
		}
		out = append(out, so)
	}
	return out, nil
}

// procAddr reads an address of /proc/net/tcp or tcp6: hex IP, colon, hex
// port.
func procAddr(field string) (net.IP, uint16, error) {
	addr, lport, ok := strings.Cut(field, ":")
	port, err1 := strconv.ParseUint(lport, 16, 16)
	raw, err2 := hex.DecodeString(addr)
	if !ok || err1 != nil || err2 != nil || (len(raw) != 4 && len(raw) != 16) {
		return nil, 0, fmt.Errorf("unreadable address %q", field)
	}
	// The kernel prints each 32-bit word in host (little-endian) order.
	for i := 0; i < len(raw); i += 4 {
		raw[i], raw[i+1], raw[i+2], raw[i+3] = raw[i+3], raw[i+2], raw[i+1], raw[i]
	}
	return net.IP(raw), uint16(port), nil
}

func dockerOut(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "docker", args...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("docker %s: %w: %s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// TestContactParsers: the two readers above find what they must, so the
// check cannot pass by reading nothing.
func TestContactParsers(t *testing.T) {
	procNet := `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0B00007F:A5C1 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 0
   1: 030012AC:B0A2 020012AC:1F90 01 00000000:00000000 00:00000000 00000000     0        0 2 1 0000000000000000 20 4 30 10 -1
   2: 030012AC:B0A4 08080808:0035 06 00000000:00000000 00:00000000 00000000     0        0 3 1 0000000000000000 20 4 30 10 -1
  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:1F90 00000000000000000000000001000000:C350 01 00000000:00000000 00:00000000 00000000     0        0 4 1 0000000000000000 20 4 30 10 -1
`
	socks, err := sockets(procNet)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, so := range socks {
		got = append(got, fmt.Sprintf("%d>%v/%t", so.local, so.peer, so.listening))
	}
	if want := "42433><nil>/true 45218>172.18.0.2/false 45220>8.8.8.8/false 8080>::1/false"; strings.Join(got, " ") != want {
		t.Fatalf("sockets = %q, want %q", got, want)
	}
	for v, want := range map[string]string{
		"s3:http://minio:9000/traderunner-backup": "minio",
		"http://broker:8080":                      "broker",
		"https://api.broker.example.com/v2":       "api.broker.example.com",
		"10.1.2.3:5432":                           "10.1.2.3",
		"paper":                                   "",
		"/opt/trading/traderunner":                "",
	} {
		if got := strings.Join(hostsIn(v), " "); got != want {
			t.Errorf("hostsIn(%q) = %q, want %q", v, got, want)
		}
	}
}
