package images

// Images across engines: a drill that spans several Docker engines needs the
// same images, byte for byte, on each. Nothing is pulled (there is no
// registry); an engine that lacks an image gets it from one that has it,
// streamed from the first engine's `docker save` into the other's
// `docker load`.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/client"
)

// Timeouts. callTimeout bounds every Docker call but the copy's stream, so
// an engine that does not answer fails within it; a copy that moves no byte
// for stallTimeout is abandoned, and no copy runs longer than copyTimeout.
var (
	callTimeout  = 20 * time.Second
	stallTimeout = 2 * time.Minute
	copyTimeout  = 30 * time.Minute
	// progressEvery is how often a running copy reports.
	progressEvery = 10 * time.Second
)

// engine is one Docker engine, connected.
type engine struct {
	// name is how messages name the engine: its URL.
	name string
	cl   *client.Client
}

// connect reaches the engine at host ("" is the default engine, as
// DOCKER_HOST names it) and checks it answers within callTimeout.
func connect(ctx context.Context, host string) (*engine, error) {
	opts := []client.Opt{client.FromEnv}
	if host != "" {
		opts = []client.Opt{client.WithHost(host)}
	}
	opts = append(opts, client.WithAPIVersionNegotiation())
	cl, err := client.NewClientWithOpts(opts...)
	if err != nil {
		return nil, fmt.Errorf("connect to the Docker engine at %s: %w", displayHost(host), err)
	}
	e := &engine{name: cl.DaemonHost(), cl: cl}
	c, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	if _, err := cl.Ping(c); err != nil {
		cl.Close()
		if c.Err() != nil && ctx.Err() == nil {
			return nil, fmt.Errorf("the Docker engine at %s did not answer within %s: %w", e.name, callTimeout, err)
		}
		return nil, fmt.Errorf("the Docker engine at %s is not reachable: %w", e.name, err)
	}
	return e, nil
}

func displayHost(host string) string {
	if host == "" {
		return "DOCKER_HOST (the default engine)"
	}
	return host
}

func (e *engine) close() { e.cl.Close() }

// ids returns name → image ID of the names the engine holds.
func (e *engine) ids(ctx context.Context, names []string) (map[string]string, error) {
	out := map[string]string{}
	for _, n := range names {
		c, cancel := context.WithTimeout(ctx, callTimeout)
		img, err := e.cl.ImageInspect(c, n)
		cancel()
		if cerrdefs.IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("inspect image %s on the Docker engine at %s: %w", n, e.name, err)
		}
		out[n] = img.ID
	}
	return out, nil
}

// IDs returns the image ID (sha256:…) of each name the engine at host holds;
// names it lacks are absent. host is a Docker host URL; "" is the default
// engine (DOCKER_HOST, else the local socket).
func IDs(ctx context.Context, host string, names []string) (map[string]string, error) {
	e, err := connect(ctx, host)
	if err != nil {
		return nil, err
	}
	defer e.close()
	return e.ids(ctx, names)
}

// copyJob is one image to copy to one engine.
type copyJob struct {
	image, id string
	from      *engine
}

// Spread makes every engine in hosts hold the same image under each name:
// an engine that lacks one, or holds a different image under its name, gets
// it copied from the first engine in hosts that has it ("" is the default
// engine). An image on none of them is an error. Copies to different engines
// run at once; each reports a line to progress when it starts and ends, and
// one every 10 s while it runs.
func Spread(ctx context.Context, hosts []string, names []string, progress io.Writer) error {
	if progress == nil {
		progress = io.Discard
	}
	progress = &lineWriter{w: progress}
	began := time.Now()
	names = unique(names)

	engines, err := connectAll(ctx, hosts)
	if err != nil {
		return err
	}
	defer func() {
		for _, e := range engines {
			e.close()
		}
	}()
	var enames []string
	for _, e := range engines {
		enames = append(enames, e.name)
	}

	// Which engine holds what, asked of all at once.
	ids := make([]map[string]string, len(engines))
	errs := make([]error, len(engines))
	var wg sync.WaitGroup
	for i, e := range engines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ids[i], errs[i] = e.ids(ctx, names)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}

	jobs := make([][]copyJob, len(engines))
	var missing []error
	copies := 0
	for _, n := range names {
		src := -1
		for i := range engines {
			if _, ok := ids[i][n]; ok {
				src = i
				break
			}
		}
		if src < 0 {
			missing = append(missing, fmt.Errorf("image %s is on none of the engines (%s): run 'make images' first", n, strings.Join(enames, ", ")))
			continue
		}
		want := ids[src][n]
		for i := range engines {
			if ids[i][n] != want {
				jobs[i] = append(jobs[i], copyJob{image: n, id: want, from: engines[src]})
				copies++
			}
		}
	}
	if err := errors.Join(missing...); err != nil {
		return err
	}
	if copies == 0 {
		fmt.Fprintf(progress, "images: nothing copied: %d image(s) up to date on %d engine(s) (%s)\n", len(names), len(engines), strings.Join(enames, ", "))
		return nil
	}

	// One worker per target engine, its copies one after the other.
	errs = make([]error, len(engines))
	for i := range engines {
		if len(jobs[i]) == 0 {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, j := range jobs[i] {
				if err := copyImage(ctx, j.from, engines[i], j.image, j.id, progress); err != nil {
					errs[i] = err
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	fmt.Fprintf(progress, "images: copied %d image(s) in %.1fs\n", copies, time.Since(began).Seconds())
	return nil
}

// connectAll connects to every host at once; the same engine named twice
// (the default engine and its socket) is kept once.
func connectAll(ctx context.Context, hosts []string) ([]*engine, error) {
	if len(hosts) == 0 {
		hosts = []string{""}
	}
	all := make([]*engine, len(hosts))
	errs := make([]error, len(hosts))
	var wg sync.WaitGroup
	for i, h := range hosts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			all[i], errs[i] = connect(ctx, h)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		for _, e := range all {
			if e != nil {
				e.close()
			}
		}
		return nil, err
	}
	seen := map[string]bool{}
	var out []*engine
	for _, e := range all {
		if seen[e.name] {
			e.close()
			continue
		}
		seen[e.name] = true
		out = append(out, e)
	}
	return out, nil
}

func unique(names []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, n := range names {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}

// errLoadEnded ends a save whose load stopped reading.
var errLoadEnded = errors.New("the load ended before the stream")

// copyImage streams image from one engine's save into the other's load and
// checks the target then holds id under the name.
func copyImage(ctx context.Context, from, to *engine, image, id string, progress io.Writer) error {
	ctx, cancelTimeout := context.WithTimeout(ctx, copyTimeout)
	defer cancelTimeout()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	what := fmt.Sprintf("%s from %s to %s", image, from.name, to.name)
	fmt.Fprintf(progress, "images: copying %s (%s)\n", what, shortID(id))
	began := time.Now()

	var sent atomic.Int64
	var streamed atomic.Bool // the whole archive went to the target, which may still be loading it
	pr, pw := io.Pipe()
	saved := make(chan error, 1)
	go func() {
		defer streamed.Store(true)
		rc, err := from.cl.ImageSave(ctx, []string{image})
		if err != nil {
			err = fmt.Errorf("save %s on %s: %w", image, from.name, err)
			_ = pw.CloseWithError(err)
			saved <- err
			return
		}
		defer rc.Close()
		_, err = io.Copy(pw, &countingReader{r: rc, n: &sent})
		if err != nil {
			err = fmt.Errorf("read the saved %s from %s: %w", image, from.name, err)
		}
		_ = pw.CloseWithError(err) // nil: the load reads EOF
		saved <- err
	}()

	// A line every progressEvery; a stream that stalls is abandoned.
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(progressEvery)
		defer t.Stop()
		last, lastMove := int64(0), time.Now()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				n := sent.Load()
				if n != last {
					last, lastMove = n, time.Now()
				}
				state := "sent"
				if streamed.Load() {
					state = "sent, loading"
				} else if time.Since(lastMove) >= stallTimeout {
					cancel(fmt.Errorf("no byte of %s moved for %s", image, stallTimeout))
				}
				fmt.Fprintf(progress, "images: copying %s: %s %s in %s\n", what, sizeOf(n), state, time.Since(began).Round(time.Second))
			}
		}
	}()
	defer close(done)

	loadErr := func() error {
		resp, err := to.cl.ImageLoad(ctx, pr, client.ImageLoadWithQuiet(true))
		if err != nil {
			return fmt.Errorf("load %s into %s: %w", image, to.name, err)
		}
		defer resp.Body.Close()
		if err := loadMessages(resp.Body); err != nil {
			return fmt.Errorf("load %s into %s: %w", image, to.name, err)
		}
		return nil
	}()
	_ = pr.CloseWithError(errLoadEnded) // unblocks the save when the load stopped early
	saveErr := <-saved
	if saveErr != nil && !errors.Is(saveErr, errLoadEnded) {
		loadErr = saveErr // the load failed because the stream did
	}
	if loadErr != nil {
		if cause := context.Cause(ctx); cause != nil && !errors.Is(loadErr, cause) {
			return fmt.Errorf("copy %s: %w (%w)", what, loadErr, cause)
		}
		return fmt.Errorf("copy %s: %w", what, loadErr)
	}

	got, err := to.ids(ctx, []string{image})
	if err != nil {
		return fmt.Errorf("copy %s: %w", what, err)
	}
	if got[image] != id {
		return fmt.Errorf("copy %s: %s now holds %q under the name, want %s", what, to.name, got[image], id)
	}
	fmt.Fprintf(progress, "images: copied %s: %s in %.1fs\n", what, sizeOf(sent.Load()), time.Since(began).Seconds())
	return nil
}

// loadMessages reads the engine's answer to a load and returns the error it
// reports, if any: the engine answers 200 before it has read the archive, so
// a failure comes as a message in the stream.
func loadMessages(r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "{") {
			continue
		}
		var m struct {
			Error       string `json:"error"`
			ErrorDetail *struct {
				Message string `json:"message"`
			} `json:"errorDetail"`
		}
		if json.Unmarshal([]byte(line), &m) != nil {
			continue
		}
		if m.ErrorDetail != nil && m.ErrorDetail.Message != "" {
			return errors.New(m.ErrorDetail.Message)
		}
		if m.Error != "" {
			return errors.New(m.Error)
		}
	}
	return sc.Err()
}

type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// sizeOf says a byte count for people: exact, and in MB.
func sizeOf(n int64) string {
	return fmt.Sprintf("%d bytes (%.1f MB)", n, float64(n)/1e6)
}

// shortID is the 12 hex digits docker images shows.
func shortID(id string) string {
	s := strings.TrimPrefix(id, "sha256:")
	if len(s) > 12 {
		s = s[:12]
	}
	return s
}
