package stack

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
)

// A stack publishes only the ports firedrill itself reaches from here
// (MinIO, the broker's ground truth, the system's health endpoint), and
// binds each to one address: loopback for a local engine, the engine's own
// address for a remote one. Docker's default, every interface (0.0.0.0 and
// [::]), would open the broker's order API and MinIO to anyone on the
// network for as long as a drill runs. Containers reach each other over
// the run's network, never over published ports.

var (
	publishOnce sync.Once
	publishAddr string
	publishErr  error
)

// PublishAddress is the host address every published port of a stack is
// bound to, from DOCKER_HOST as firedrill reaches the engine.
func PublishAddress() (string, error) {
	publishOnce.Do(func() { publishAddr, publishErr = publishAddressFor(os.Getenv("DOCKER_HOST"), net.LookupIP) })
	return publishAddr, publishErr
}

// publishAddressFor picks the address for an engine at dockerHost: a local
// engine (no DOCKER_HOST, a unix socket or a Windows pipe) publishes on
// 127.0.0.1; a remote one (tcp://host:port, ssh://user@host) on the one
// address of host that firedrill connects to, loopback when host is.
func publishAddressFor(dockerHost string, lookup func(string) ([]net.IP, error)) (string, error) {
	if dockerHost == "" || strings.HasPrefix(dockerHost, "unix://") || strings.HasPrefix(dockerHost, "npipe://") {
		return "127.0.0.1", nil
	}
	u, err := url.Parse(dockerHost)
	if err != nil || u.Hostname() == "" {
		return "", fmt.Errorf("read DOCKER_HOST %q: not a unix://, tcp:// or ssh:// address (unset it for the local engine)", dockerHost)
	}
	host := u.Hostname()
	ip := net.ParseIP(host)
	if ip == nil {
		ips, err := lookup(host)
		if err == nil && len(ips) == 0 {
			err = errors.New("no address")
		}
		if err != nil {
			return "", fmt.Errorf("resolve the Docker engine's host %q from DOCKER_HOST: %w (published ports are bound to it; use an address firedrill can resolve)", host, err)
		}
		ip = ips[0]
		for _, c := range ips {
			if c.To4() != nil { // the address a dial tries first
				ip = c
				break
			}
		}
	}
	switch {
	case ip.IsLoopback() && ip.To4() != nil:
		return "127.0.0.1", nil
	case ip.IsLoopback():
		return "::1", nil
	case ip.IsUnspecified():
		return "", fmt.Errorf("DOCKER_HOST %q names every interface: name the engine's own address", dockerHost)
	}
	return ip.String(), nil
}

// publishSpec is a port in the form Docker's port specs take with a host
// address and a free host port: "127.0.0.1::8080/tcp", "[::1]::8080/tcp".
func publishSpec(addr, port string) string {
	if strings.Contains(addr, ":") {
		addr = "[" + addr + "]"
	}
	return addr + "::" + port
}

// publishSpecs are the port specs a service's container is created with.
// A service that publishes a port gets that one, on addr. testcontainers-go
// publishes every port its image EXPOSEs, on every interface, for a
// container created without any, and gives no way to stop it; so a
// service without a port of its own (the git remote, from the system's
// image) gets its image's exposed ports bound to addr instead: published,
// but not beyond loopback.
func publishSpecs(ctx context.Context, host, image, port, addr string) ([]string, error) {
	if port != "" {
		return []string{publishSpec(addr, port)}, nil
	}
	cl, err := clientFor(ctx, host)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	img, err := cl.ImageInspect(ctx, image)
	if err != nil {
		return nil, fmt.Errorf("inspect image %s for its exposed ports: %w", image, err)
	}
	var specs []string
	if img.Config != nil {
		for p := range img.Config.ExposedPorts {
			specs = append(specs, publishSpec(addr, string(p)))
		}
	}
	slices.Sort(specs)
	return specs, nil
}
