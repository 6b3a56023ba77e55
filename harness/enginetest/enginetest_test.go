package enginetest_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/stdcopy"

	"firedrill/harness/enginetest"
	"firedrill/harness/images"
)

// defaultContainers lists the default engine's containers that no drill run
// labels (drill runs on this machine come and go while the test runs).
func defaultContainers(t *testing.T) (all map[string]bool, unlabelled []string) {
	t.Helper()
	cl, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	cs, err := cl.ContainerList(ctx, container.ListOptions{All: true})
	if err != nil {
		t.Fatalf("list the default engine's containers: %v", err)
	}
	all = map[string]bool{}
	for _, c := range cs {
		all[c.ID] = true
		if _, ok := c.Labels["firedrill.run"]; !ok {
			unlabelled = append(unlabelled, c.ID)
		}
	}
	sort.Strings(unlabelled)
	return all, unlabelled
}

func iptablesRules(t *testing.T, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath("iptables"); err != nil {
		return ""
	}
	out, err := exec.Command("iptables", append([]string{"-w"}, args...)...).Output()
	if err != nil {
		return ""
	}
	return string(out)
}

// TestSecondEngine starts a second engine, has two containers talk over a
// network of it, stops it and checks it left nothing and touched nothing of
// the default engine.
func TestSecondEngine(t *testing.T) {
	enginetest.Need(t)
	ctx := t.Context()
	ids, err := images.IDs(ctx, "", []string{images.Broker, images.Traderunner})
	if err != nil {
		t.Skipf("needs the default Docker engine: %v", err)
	}
	if len(ids) < 2 {
		t.Skipf("the default engine lacks %s or %s: run 'make images' first", images.Broker, images.Traderunner)
	}
	beforeAll, beforeUnlabelled := defaultContainers(t)
	beforeUser := iptablesRules(t, "-S", "DOCKER-USER")
	beforeLinks := linkNames(t)

	began := time.Now()
	e := enginetest.Start(t)
	t.Logf("engine started in %.1fs", time.Since(began).Seconds())
	var progress bytes.Buffer
	began = time.Now()
	if err := images.Spread(ctx, []string{"", e.Host}, []string{images.Broker, images.Traderunner}, &progress); err != nil {
		t.Fatal(err)
	}
	t.Logf("images copied in %.1fs:\n%s", time.Since(began).Seconds(), progress.String())

	// The engine's own iptables rules: ours, in DOCKER-USER, and no other
	// rule naming its pool (the engine itself writes none).
	if strings.Contains(beforeUser, "DOCKER-USER") {
		if got := len(e.Rules()); got != 2 {
			t.Errorf("want 2 DOCKER-USER rules for the pool, got %d", got)
		}
		var poolLines []string
		for _, l := range strings.Split(iptablesRules(t, "-S"), "\n") {
			if strings.Contains(l, e.Pool) {
				poolLines = append(poolLines, l)
			}
		}
		if len(poolLines) != 2 || !strings.HasPrefix(poolLines[0], "-A DOCKER-USER") || !strings.HasPrefix(poolLines[1], "-A DOCKER-USER") {
			t.Errorf("want exactly the 2 DOCKER-USER rules naming %s, got:\n%s", e.Pool, strings.Join(poolLines, "\n"))
		}
	}
	if nat := iptablesRules(t, "-t", "nat", "-S"); strings.Contains(nat, e.Pool) {
		t.Errorf("the second engine wrote nat rules:\n%s", nat)
	}

	cl, err := e.Client()
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	nw, err := cl.NetworkCreate(ctx, "drillnet", network.CreateOptions{Driver: "bridge"})
	if err != nil {
		t.Fatalf("create a network on the second engine: %v", err)
	}
	ni, err := cl.NetworkInspect(ctx, nw.ID, network.InspectOptions{})
	if err != nil || len(ni.IPAM.Config) == 0 {
		t.Fatalf("inspect the network: %v %+v", err, ni.IPAM)
	}
	t.Logf("network drillnet: %s (pool %s)", ni.IPAM.Config[0].Subnet, e.Pool)

	run := func(name, img string, entrypoint []string) string {
		t.Helper()
		c, err := cl.ContainerCreate(ctx,
			&container.Config{Image: img, Entrypoint: entrypoint},
			&container.HostConfig{},
			&network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{"drillnet": {}}},
			nil, name)
		if err != nil {
			t.Fatalf("create %s: %v", name, err)
		}
		if err := cl.ContainerStart(ctx, c.ID, container.StartOptions{}); err != nil {
			t.Fatalf("start %s: %v", name, err)
		}
		return c.ID
	}
	run("broker", images.Broker, nil)
	// The broker may take a moment to listen: try for 10 s.
	clientID := run("client", images.Traderunner, []string{"bash", "-c",
		`for i in $(seq 50); do if exec 3<>/dev/tcp/broker/8080; then echo connected; exit 0; fi; sleep 0.2; done; exit 1`})
	wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	waitC, errC := cl.ContainerWait(wctx, clientID, container.WaitConditionNotRunning)
	var code int64
	select {
	case r := <-waitC:
		code = r.StatusCode
	case err := <-errC:
		t.Fatalf("wait for the client container: %v", err)
	}
	logs, err := cl.ContainerLogs(ctx, clientID, container.LogsOptions{ShowStdout: true, ShowStderr: true})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	_, _ = stdcopy.StdCopy(&out, &out, logs)
	logs.Close()
	if code != 0 || !strings.Contains(out.String(), "connected") {
		t.Fatalf("the client did not reach the broker over drillnet (exit %d):\n%s", code, out.String())
	}
	t.Logf("client reached broker:8080 over drillnet")

	pid, dir, pool, comment := e.Pid, e.Dir, e.Pool, e.RuleComment()
	bridge := "br-" + nw.ID[:12]
	if links, _ := enginetest.LinksIn(pool); !contains(links, bridge) {
		t.Errorf("no bridge %s for drillnet among %v", bridge, links)
	}
	began = time.Now()
	if err := e.Stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	t.Logf("engine stopped in %.1fs", time.Since(began).Seconds())
	if err := e.Stop(); err != nil {
		t.Errorf("a second Stop: %v", err)
	}

	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("dockerd (pid %d) still exists after Stop: kill -0 gave %v", pid, err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the engine's folder %s is still there: %v", dir, err)
	}
	if m, err := enginetest.MountsUnder(dir); err != nil || len(m) > 0 {
		t.Errorf("still mounted under %s: %v %v", dir, m, err)
	}
	// Another test's engine may take the pool once it is free: check the
	// bridge of this engine's network, by name.
	if links, err := enginetest.LinksIn(pool); err != nil || contains(links, bridge) {
		t.Errorf("the bridge %s of drillnet is still there: %v %v", bridge, links, err)
	}
	// Other tests' engines add and delete their own rules meanwhile: compare
	// the rules no engine marks, and look for this engine's mark.
	if got := unmarked(iptablesRules(t, "-S", "DOCKER-USER")); got != unmarked(beforeUser) {
		t.Errorf("DOCKER-USER changed:\nbefore:\n%s\nafter:\n%s", beforeUser, got)
	}
	if got := iptablesRules(t, "-S"); strings.Contains(got, comment+`"`) {
		t.Errorf("a rule of the engine is still there:\n%s", got)
	}

	// The machine's interfaces, the default engine's bridge (docker0)
	// among them, are all still there: dockerd started with --bridge none
	// deletes docker0.
	after := linkNames(t)
	for _, l := range beforeLinks {
		// Containers' and networks' interfaces come and go with the runs
		// and other tests' engines beside this one.
		if strings.HasPrefix(l, "veth") || strings.HasPrefix(l, "br-") || strings.HasPrefix(l, "fdb-") || strings.HasPrefix(l, "fda-") {
			continue
		}
		if !contains(after, l) {
			t.Errorf("the interface %s is gone since the second engine started", l)
		}
	}

	afterAll, afterUnlabelled := defaultContainers(t)
	for id := range beforeAll {
		if !afterAll[id] && contains(beforeUnlabelled, id) {
			t.Errorf("container %s of the default engine is gone", id[:12])
		}
	}
	if strings.Join(afterUnlabelled, ",") != strings.Join(beforeUnlabelled, ",") {
		t.Errorf("the default engine's containers changed: before %v, after %v", beforeUnlabelled, afterUnlabelled)
	}
}

// unmarked drops the rules a second engine marks.
func unmarked(rules string) string {
	var keep []string
	for _, l := range strings.Split(rules, "\n") {
		if !strings.Contains(l, "firedrill second engine ") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// linkNames lists this machine's network interfaces.
func linkNames(t *testing.T) []string {
	t.Helper()
	ifs, err := net.Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, i := range ifs {
		out = append(out, i.Name)
	}
	return out
}
