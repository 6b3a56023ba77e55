package images

import (
	"bytes"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/image"

	"firedrill/harness/enginetest"
)

// TestSpreadToASecondEngine copies two images from the default engine to a
// second one, then finds nothing to copy, then replaces an image the second
// engine holds under the wrong content.
func TestSpreadToASecondEngine(t *testing.T) {
	enginetest.Need(t)
	ctx := t.Context()
	names := []string{Broker, MinIO}
	src, err := IDs(ctx, "", names)
	if err != nil {
		t.Skipf("needs the default Docker engine: %v", err)
	}
	if len(src) < len(names) {
		t.Skipf("the default engine lacks some of %v (has %v): run 'make images' first", names, src)
	}
	e := enginetest.Start(t)
	hosts := []string{"", e.Host}

	var progress bytes.Buffer
	began := time.Now()
	every := progressEvery
	progressEvery = 300 * time.Millisecond // a line while MinIO (112 MB) copies
	err = Spread(ctx, hosts, names, &progress)
	progressEvery = every
	if err != nil {
		t.Fatalf("%v\n%s", err, progress.String())
	}
	if !strings.Contains(progress.String(), "images: copying "+MinIO+" from unix") || !strings.Contains(progress.String(), " sent") {
		t.Errorf("no progress line while a copy ran:\n%s", progress.String())
	}
	t.Logf("first spread, %.1fs:\n%s", time.Since(began).Seconds(), progress.String())
	if n := strings.Count(progress.String(), "images: copied "+Broker) + strings.Count(progress.String(), "images: copied "+MinIO); n != 2 {
		t.Errorf("want 2 copies reported, got %d", n)
	}
	got, err := IDs(ctx, e.Host, names)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if got[n] != src[n] {
			t.Errorf("%s: the second engine holds %q, the default %q", n, got[n], src[n])
		}
	}

	progress.Reset()
	if err := Spread(ctx, hosts, names, &progress); err != nil {
		t.Fatal(err)
	}
	t.Logf("second spread:\n%s", progress.String())
	if out := progress.String(); strings.Contains(out, "copying") || !strings.Contains(out, "nothing copied") {
		t.Errorf("the second spread should copy nothing, said:\n%s", out)
	}

	// The second engine holds MinIO under the broker's name: the broker is
	// copied again, the source being the first engine listed.
	cl, err := e.Client()
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if _, err := cl.ImageRemove(ctx, Broker, image.RemoveOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := cl.ImageTag(ctx, MinIO, Broker); err != nil {
		t.Fatal(err)
	}
	progress.Reset()
	if err := Spread(ctx, hosts, names, &progress); err != nil {
		t.Fatal(err)
	}
	out := progress.String()
	t.Logf("after the broker's name was given to MinIO:\n%s", out)
	if !strings.Contains(out, "copied "+Broker+" from ") || strings.Contains(out, "copying "+MinIO) {
		t.Errorf("want the broker alone copied again, got:\n%s", out)
	}
	if got, err := IDs(ctx, e.Host, names); err != nil || got[Broker] != src[Broker] || got[MinIO] != src[MinIO] {
		t.Errorf("after the repair the second engine holds %v (%v), want %v", got, err, src)
	}

	err = Spread(ctx, hosts, []string{Broker, "firedrill/nosuch:latest"}, &progress)
	t.Logf("an image no engine has: %v", err)
	want := "image firedrill/nosuch:latest is on none of the engines (" // then the engines
	if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), e.Host) ||
		!strings.HasSuffix(err.Error(), "): run 'make images' first") {
		t.Errorf("want %q…, got %v", want, err)
	}
}

// TestIDsUnreachableEngine: an engine that refuses, or accepts and never
// answers, is an error naming it within the timeout, not a hang.
func TestIDsUnreachableEngine(t *testing.T) {
	if callTimeout > 30*time.Second {
		t.Fatalf("callTimeout %s: an engine that does not answer must fail within 30 s", callTimeout)
	}
	began := time.Now()
	_, err := IDs(t.Context(), "tcp://127.0.0.1:1", []string{Broker})
	if err == nil || !strings.Contains(err.Error(), "tcp://127.0.0.1:1") {
		t.Errorf("want an error naming tcp://127.0.0.1:1, got %v", err)
	}
	if d := time.Since(began); d > 30*time.Second {
		t.Errorf("took %s", d)
	}

	// A listener that accepts and says nothing.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		var held []net.Conn // held open, never answered
		defer func() {
			for _, c := range held {
				_ = c.Close()
			}
		}()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	old := callTimeout
	callTimeout = 2 * time.Second
	defer func() { callTimeout = old }()
	host := "tcp://" + l.Addr().String()
	began = time.Now()
	err = Spread(t.Context(), []string{"", host}, []string{Broker}, nil)
	if err == nil || !strings.Contains(err.Error(), host) || !strings.Contains(err.Error(), "did not answer within") {
		t.Errorf("want an error naming %s, got %v", host, err)
	}
	if d := time.Since(began); d > callTimeout+5*time.Second {
		t.Errorf("took %s with a %s timeout", d, callTimeout)
	}
	t.Logf("silent engine: %v (%.1fs)", err, time.Since(began).Seconds())
}

func TestSpreadReadsTheLoadsError(t *testing.T) {
	if err := loadMessages(strings.NewReader(`{"stream":"Loaded image: a:latest\n"}` + "\n")); err != nil {
		t.Errorf("a good load: %v", err)
	}
	err := loadMessages(strings.NewReader(`{"errorDetail":{"message":"unexpected EOF"},"error":"unexpected EOF"}` + "\n"))
	if err == nil || err.Error() != "unexpected EOF" {
		t.Errorf("want unexpected EOF, got %v", err)
	}
}
