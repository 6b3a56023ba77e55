package stack

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"
)

func init() {
	// Ryuk cannot be pulled without a registry; firedrill owns cleanup.
	// This must happen before the first testcontainers-go call reads its
	// configuration, which is why it lives in the package that makes them.
	_ = os.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
	// With a local engine (unix socket) published ports are on loopback.
	// testcontainers-go would otherwise guess a gateway address when this
	// process looks containerised. A remote DOCKER_HOST, or an explicit
	// override, is left to testcontainers-go.
	dh := os.Getenv("DOCKER_HOST")
	if os.Getenv("TESTCONTAINERS_HOST_OVERRIDE") == "" && (dh == "" || strings.HasPrefix(dh, "unix://")) {
		_ = os.Setenv("TESTCONTAINERS_HOST_OVERRIDE", "127.0.0.1")
	}
}

// Label keys every Docker object of a run carries.
const (
	LabelRun      = "firedrill.run"
	LabelScenario = "firedrill.scenario"
	LabelRole     = "firedrill.role"
	// LabelOwner is host/pid of the process that made the object, so a
	// sweep at start can tell a live run's objects from a killed run's.
	LabelOwner = "firedrill.owner"
)

// NewRunID returns a run id: UTC time and a random suffix, e.g.
// 20261127T101500Z-3fa2.
func NewRunID(now time.Time) string {
	var b [2]byte
	_, _ = rand.Read(b[:])
	return now.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}

// Owner is this process's owner label value.
func Owner() string {
	h, _ := os.Hostname()
	return fmt.Sprintf("%s/%d", h, os.Getpid())
}

var nonName = regexp.MustCompile(`[^a-z0-9]+`)

// Slug turns a scenario name into a Docker-name-safe word of at most 40
// characters. A longer name keeps its first 31 and a hash of the whole, so
// two names that differ only at the end (the examples of one Scenario
// Outline) never share containers, labels or a sweep when they run side by
// side.
func Slug(s string) string {
	name := s
	s = strings.Trim(nonName.ReplaceAllString(strings.ToLower(s), "-"), "-")
	if len(s) > 40 {
		sum := sha256.Sum256([]byte(name))
		s = strings.TrimRight(s[:31], "-") + "-" + hex.EncodeToString(sum[:4])
	}
	if s == "" {
		s = "scenario"
	}
	return s
}

// RandomSecret returns n random bytes as hex.
func RandomSecret(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
