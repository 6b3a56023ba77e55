// Package images builds the container images a drill runs, offline.
//
// Every image is built on this machine from what the Go module proxy and
// Debian's packages give: Go binaries built with CGO_ENABLED=0 (MinIO from its
// source module), FROM scratch where no shell is needed, and a Debian base
// made with debootstrap and `docker import` where one is (see
// images/base/build.sh). Each image carries the label firedrill.hash, the
// SHA-256 of everything that went into it; an image whose inputs have not
// changed is not rebuilt.
package images

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// Image names. The stack starts containers from exactly these tags.
const (
	Base        = "firedrill/base:latest"
	MinIO       = "firedrill/minio:latest"
	Broker      = "firedrill/broker:latest"
	Traderunner = "firedrill/traderunner:latest"
	// Desk is a second deployment of the same stand-in laid out
	// differently in every fact a system file states (systems/desk.yml):
	// proof that firedrill drills a system through its system file alone.
	Desk = "firedrill/desk:latest"
	// Calibration is the stand-in with an outage of known length
	// (systems/calibration.yml), for checking the RTO firedrill measures.
	Calibration = "firedrill/calibration:latest"
)

// All lists every image firedrill builds, in build order.
var All = []string{Base, MinIO, Broker, Traderunner, Desk, Calibration}

// MinIOModule is the MinIO server source, pinned. MinIO publishes source only,
// so this is how users get it too.
const MinIOModule = "github.com/minio/minio@v0.0.0-20260212201848-7aac2a2c5b7c"

// HashLabel is the image label holding the hash of an image's inputs.
const HashLabel = "firedrill.hash"

// Options says where the inputs are and how to report.
type Options struct {
	// Root is the firedrill checkout.
	Root string
	// Samples is the folder of traderunner sample Parquet files
	// (m1_candles/, m5_candles/, ...).
	Samples string
	// Cold removes firedrill's own images and staged binaries first, and
	// compiles with an empty Go build cache of its own (removed after), so
	// everything is rebuilt from source as on a fresh machine; the user's
	// own Go build cache is left alone.
	Cold bool
	// Log receives progress lines.
	Log io.Writer
}

// Outcome of one image.
type Outcome struct {
	Image   string
	Hash    string
	Built   bool
	Elapsed time.Duration
}

// Ensure builds every image whose inputs changed, in order, and reports what it did.
func Ensure(ctx context.Context, o Options) ([]Outcome, error) {
	if o.Log == nil {
		o.Log = io.Discard
	}
	if err := checkDocker(ctx); err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(o.Samples, "m1_candles")); err != nil {
		return nil, fmt.Errorf("find traderunner samples %s: %w (set FIREDRILL_SAMPLES to the folder holding m1_candles/)", o.Samples, err)
	}
	work := filepath.Join(o.Root, ".build")
	var goEnv []string
	if o.Cold {
		for _, img := range All {
			_ = run(ctx, nil, "docker", "image", "rm", "-f", img)
		}
		if err := os.RemoveAll(work); err != nil {
			return nil, fmt.Errorf("remove the staged binaries %s: %w", work, err)
		}
		cache, err := os.MkdirTemp("", "firedrill-cold-gocache-")
		if err != nil {
			return nil, fmt.Errorf("create an empty Go build cache: %w", err)
		}
		defer func() { _ = os.RemoveAll(cache) }()
		goEnv = []string{"GOCACHE=" + cache}
	}
	// Log lines come from several builds at once: one writer, one line at a time.
	o.Log = &lineWriter{w: o.Log}
	b := &builder{o: o, work: work, goEnv: goEnv}
	// Each image waits only for the images it is built from: MinIO's
	// compile (most of a cold build) runs beside the base's debootstrap and
	// the images on it, so a cold build takes about as long as MinIO's
	// compile: 3 min 27 s on 2 cores with an empty build cache (MinIO 204 s
	// beside the others, 132 s alone), from 7 min one after the other;
	// yielding the CPU to MinIO with nice bought nothing.
	steps := []struct {
		image string
		fn    func(context.Context) (string, bool, error)
		after []string
	}{
		{Base, b.base, nil},
		{MinIO, b.minio, nil},
		{Broker, b.broker, nil},
		{Traderunner, b.traderunner, []string{Base}},
		{Desk, b.desk, []string{Traderunner}},
		{Calibration, b.calibration, []string{Traderunner}},
	}
	done := map[string]chan struct{}{}
	index := map[string]int{}
	var names []string
	for i, st := range steps {
		done[st.image] = make(chan struct{})
		index[st.image] = i
		names = append(names, st.image)
	}
	outcomes := make([]Outcome, len(steps))
	errs := make([]error, len(steps))
	began := time.Now()
	prog := newProgress(o.Log, began, names)
	var wg sync.WaitGroup
	for i, st := range steps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(done[st.image])
			for _, dep := range st.after {
				<-done[dep]
				if errs[index[dep]] != nil {
					errs[i] = fmt.Errorf("build image %s: it is built from %s, which failed", st.image, dep)
					return
				}
			}
			prog.start(st.image)
			start := time.Now()
			h, built, err := st.fn(ctx)
			prog.end(st.image)
			if err != nil {
				errs[i] = fmt.Errorf("build image %s: %w", st.image, err)
				return
			}
			oc := Outcome{Image: st.image, Hash: h, Built: built, Elapsed: time.Since(start)}
			state := "up to date"
			if built {
				state = "built"
			}
			fmt.Fprintf(o.Log, "images: %-30s %-10s %6.1fs  %s\n", st.image, state, oc.Elapsed.Seconds(), h[:12])
			outcomes[i] = oc
		}()
	}
	wg.Wait()
	prog.stop()
	var out []Outcome
	for i := range steps {
		if errs[i] == nil {
			out = append(out, outcomes[i])
		}
	}
	if err := errors.Join(errs...); err != nil {
		return out, err
	}
	if len(out) > 0 && anyBuilt(out) {
		fmt.Fprintf(o.Log, "images: all %d ready in %.1fs\n", len(out), time.Since(began).Seconds())
	}
	return out, nil
}

func anyBuilt(out []Outcome) bool {
	for _, o := range out {
		if o.Built {
			return true
		}
	}
	return false
}

// lineWriter serialises writes from builds that run at once.
type lineWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lineWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// progress says every 20 s which images are building, for how long, and
// which are still to come.
type progress struct {
	mu      sync.Mutex
	waiting map[string]bool
	running map[string]time.Time
	doneCh  chan struct{}
	once    sync.Once
}

func newProgress(w io.Writer, began time.Time, images []string) *progress {
	p := &progress{waiting: map[string]bool{}, running: map[string]time.Time{}, doneCh: make(chan struct{})}
	for _, img := range images {
		p.waiting[img] = true
	}
	go func() {
		t := time.NewTicker(20 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-p.doneCh:
				return
			case <-t.C:
				p.mu.Lock()
				var now []string
				for img, at := range p.running {
					now = append(now, fmt.Sprintf("%s (%s)", img, time.Since(at).Round(time.Second)))
				}
				var left []string
				for img := range p.waiting {
					left = append(left, img)
				}
				p.mu.Unlock()
				if len(now) > 0 {
					sort.Strings(now)
					sort.Strings(left)
					next := ""
					if len(left) > 0 {
						next = "; then " + strings.Join(left, ", ")
					}
					fmt.Fprintf(w, "images: %s in: building %s%s\n", time.Since(began).Round(time.Second), strings.Join(now, ", "), next)
				}
			}
		}
	}()
	return p
}

func (p *progress) start(img string) {
	p.mu.Lock()
	delete(p.waiting, img)
	p.running[img] = time.Now()
	p.mu.Unlock()
}

func (p *progress) end(img string) {
	p.mu.Lock()
	delete(p.running, img)
	p.mu.Unlock()
}

func (p *progress) stop() { p.once.Do(func() { close(p.doneCh) }) }

// Missing returns the images that are not present in the engine.
func Missing(ctx context.Context) ([]string, error) {
	if err := checkDocker(ctx); err != nil {
		return nil, err
	}
	var miss []string
	for _, img := range All {
		if _, err := Label(ctx, img); err != nil {
			miss = append(miss, img)
		}
	}
	return miss, nil
}

// Label returns the hash label of an image present in the engine.
func Label(ctx context.Context, image string) (string, error) {
	var out bytes.Buffer
	err := run(ctx, &out, "docker", "image", "inspect", "-f", `{{ index .Config.Labels "`+HashLabel+`" }}`, image)
	if err != nil {
		return "", fmt.Errorf("inspect image %s: %w", image, err)
	}
	return strings.TrimSpace(out.String()), nil
}

type builder struct {
	o    Options
	work string
	// goEnv is added to every Go build's environment (a cold build's own cache).
	goEnv []string
}

func (b *builder) upToDate(ctx context.Context, image, hash string) bool {
	have, err := Label(ctx, image)
	return err == nil && have == hash
}

func (b *builder) base(ctx context.Context) (string, bool, error) {
	dir := filepath.Join(b.o.Root, "images", "base")
	h, err := hashPaths(dir)
	if err != nil {
		return "", false, err
	}
	if b.upToDate(ctx, Base, h) {
		return h, false, nil
	}
	fmt.Fprintf(b.o.Log, "images: building %s (debootstrap, about 30-60 s)\n", Base)
	err = runLogged(ctx, b.o.Log, "bash", filepath.Join(dir, "build.sh"), Base, h)
	return h, true, err
}

func (b *builder) minio(ctx context.Context) (string, bool, error) {
	dir := filepath.Join(b.o.Root, "images", "minio")
	h, err := hashPaths(dir)
	if err != nil {
		return "", false, err
	}
	h = hashStrings(h, MinIOModule)
	if b.upToDate(ctx, MinIO, h) {
		return h, false, nil
	}
	stage := filepath.Join(b.work, "minio")
	if err := os.MkdirAll(stage, 0o755); err != nil {
		return "", false, err
	}
	bin := filepath.Join(stage, "minio")
	if _, err := os.Stat(bin + ".version"); err != nil || !sameFile(bin+".version", MinIOModule) {
		fmt.Fprintf(b.o.Log, "images: building MinIO from source %s (about 2-3 min on 2 cores)\n", MinIOModule)
		err := runEnv(ctx, b.o.Log, append([]string{"CGO_ENABLED=0", "GOBIN=" + stage, "GOFLAGS=-trimpath"}, b.goEnv...),
			// No DWARF: the binary is stripped (-s -w) anyway, and not
			// generating it cuts MinIO's compile by a quarter (179 s to 132 s
			// on 2 cores, empty build cache); the code is the same.
			b.o.Root, "go", "install", "-ldflags=-s -w", "-gcflags=all=-dwarf=false", MinIOModule)
		if err != nil {
			return "", false, err
		}
		if err := os.WriteFile(bin+".version", []byte(MinIOModule), 0o644); err != nil {
			return "", false, err
		}
	}
	if err := copyFile(filepath.Join(dir, "Dockerfile"), filepath.Join(stage, "Dockerfile")); err != nil {
		return "", false, err
	}
	return h, true, dockerBuild(ctx, b.o.Log, MinIO, h, stage)
}

func (b *builder) goBinary(ctx context.Context, pkg, out string) error {
	return runEnv(ctx, b.o.Log, append([]string{"CGO_ENABLED=0"}, b.goEnv...), b.o.Root,
		"go", "build", "-trimpath", "-buildvcs=false", "-ldflags=-s -w", "-o", out, pkg)
}

func (b *builder) broker(ctx context.Context) (string, bool, error) {
	stage := filepath.Join(b.work, "broker")
	if err := resetDir(stage); err != nil {
		return "", false, err
	}
	if err := b.goBinary(ctx, "./fixtures/broker", filepath.Join(stage, "broker")); err != nil {
		return "", false, err
	}
	// The relay stands for services of another engine (harness/stack, a
	// stack spread over two engines).
	if err := b.goBinary(ctx, "./fixtures/relay", filepath.Join(stage, "relay")); err != nil {
		return "", false, err
	}
	if err := copyFile(filepath.Join(b.o.Root, "images", "broker", "Dockerfile"), filepath.Join(stage, "Dockerfile")); err != nil {
		return "", false, err
	}
	if err := copyTree(filepath.Join(b.o.Samples, "m1_candles"), filepath.Join(stage, "samples", "m1_candles")); err != nil {
		return "", false, err
	}
	h, err := hashPaths(stage)
	if err != nil {
		return "", false, err
	}
	if b.upToDate(ctx, Broker, h) {
		return h, false, nil
	}
	return h, true, dockerBuild(ctx, b.o.Log, Broker, h, stage)
}

func (b *builder) traderunner(ctx context.Context) (string, bool, error) {
	stage := filepath.Join(b.work, "traderunner")
	if err := resetDir(stage); err != nil {
		return "", false, err
	}
	fx := filepath.Join(b.o.Root, "fixtures", "traderunner")
	if err := b.goBinary(ctx, "./fixtures/traderunner", filepath.Join(stage, "traderunner")); err != nil {
		return "", false, err
	}
	if err := stageIn(stage, [][2]string{
		{filepath.Join(b.o.Root, "images", "traderunner", "Dockerfile"), "Dockerfile"},
		{filepath.Join(fx, "image", "build-repo.sh"), "build-repo.sh"},
	}, [][2]string{
		{filepath.Join(fx, "deploy"), "deploy"},
	}); err != nil {
		return "", false, err
	}
	for _, d := range []string{"m1_candles", "m5_candles", "m15_candles"} {
		src := filepath.Join(b.o.Samples, d)
		if _, err := os.Stat(src); err == nil {
			if err := copyTree(src, filepath.Join(stage, "samples", d)); err != nil {
				return "", false, err
			}
		}
	}
	return b.onBase(ctx, Traderunner, stage)
}

// onBase builds image from stage, a Dockerfile FROM the base image and its
// inputs, unless an image of the same inputs and base is there.
func (b *builder) onBase(ctx context.Context, image, stage string) (string, bool, error) {
	baseHash, err := Label(ctx, Base)
	if err != nil {
		return "", false, err
	}
	h, err := hashPaths(stage)
	if err != nil {
		return "", false, err
	}
	h = hashStrings(h, baseHash)
	if b.upToDate(ctx, image, h) {
		return h, false, nil
	}
	return h, true, dockerBuild(ctx, b.o.Log, image, h, stage)
}

// desk builds the desk deployment (images/desk): the traderunner step's
// binary and samples, build-repo.sh, and a template of the reference's
// src/ and configs/ with the desk's own files (deploy-desk/: bin/ctl,
// README.md, .gitignore) instead of the Makefile's.
func (b *builder) desk(ctx context.Context) (string, bool, error) {
	stage := filepath.Join(b.work, "desk")
	if err := resetDir(stage); err != nil {
		return "", false, err
	}
	fx := filepath.Join(b.o.Root, "fixtures", "traderunner")
	built := filepath.Join(b.work, "traderunner")
	if _, err := os.Stat(filepath.Join(built, "traderunner")); err != nil {
		return "", false, fmt.Errorf("reuse the traderunner binary: %w (the %s step builds it first)", err, Traderunner)
	}
	if err := stageIn(stage, [][2]string{
		{filepath.Join(built, "traderunner"), "traderunner"},
		{filepath.Join(b.o.Root, "images", "desk", "Dockerfile"), "Dockerfile"},
		{filepath.Join(fx, "image", "build-repo.sh"), "build-repo.sh"},
	}, [][2]string{
		{filepath.Join(fx, "deploy", "src"), filepath.Join("deploy", "src")},
		{filepath.Join(fx, "deploy", "configs"), filepath.Join("deploy", "configs")},
		{filepath.Join(fx, "deploy-desk"), "deploy"},
		{filepath.Join(built, "samples"), "samples"},
	}); err != nil {
		return "", false, err
	}
	return b.onBase(ctx, Desk, stage)
}

// stageIn copies files and folders (trees) into stage, each from its
// source to its path in stage.
func stageIn(stage string, files, trees [][2]string) error {
	for _, c := range files {
		if err := copyFile(c[0], filepath.Join(stage, c[1])); err != nil {
			return err
		}
	}
	for _, c := range trees {
		if err := copyTree(c[0], filepath.Join(stage, c[1])); err != nil {
			return err
		}
	}
	return nil
}

func (b *builder) calibration(ctx context.Context) (string, bool, error) {
	dir := filepath.Join(b.o.Root, "images", "calibration")
	h, err := hashPaths(dir)
	if err != nil {
		return "", false, err
	}
	trHash, err := Label(ctx, Traderunner)
	if err != nil {
		return "", false, err
	}
	h = hashStrings(h, trHash)
	if b.upToDate(ctx, Calibration, h) {
		return h, false, nil
	}
	return h, true, dockerBuild(ctx, b.o.Log, Calibration, h, dir)
}

func dockerBuild(ctx context.Context, log io.Writer, image, hash, dir string, extra ...string) error {
	args := append([]string{"build", "--label", HashLabel + "=" + hash, "-t", image}, extra...)
	args = append(args, dir)
	// The legacy builder is what an engine without BuildKit has; it needs no
	// registry for FROM scratch or a local base.
	return runEnv(ctx, log, []string{"DOCKER_BUILDKIT=0"}, dir, "docker", args...)
}

func checkDocker(ctx context.Context) error {
	if _, err := exec.LookPath("docker"); err != nil {
		return errors.New("find docker: the docker CLI is not installed: install Docker Engine (apt-get install docker.io) and retry")
	}
	var out bytes.Buffer
	c, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := run(c, &out, "docker", "version", "-f", "{{.Server.Version}}"); err != nil {
		return fmt.Errorf("reach Docker engine: %w: start the daemon (systemctl start docker) or set DOCKER_HOST", err)
	}
	return nil
}

func run(ctx context.Context, stdout io.Writer, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	var stderr bytes.Buffer
	cmd.Stdout = stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg != "" {
			return fmt.Errorf("%s %s: %w: %s", name, args[0], err, lastLines(msg, 5))
		}
		return fmt.Errorf("%s %s: %w", name, args[0], err)
	}
	return nil
}

func runLogged(ctx context.Context, log io.Writer, name string, args ...string) error {
	return runEnv(ctx, log, nil, "", name, args...)
}

// runEnv runs a command with extra environment; its output goes to a buffer
// shown only when it fails, so a quiet build stays quiet.
func runEnv(ctx context.Context, log io.Writer, env []string, dir, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Dir = dir
	var buf bytes.Buffer
	cmd.Stdout = &buf
	cmd.Stderr = &buf
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, lastLines(buf.String(), 30))
	}
	return nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// hashPaths hashes every regular file below root: relative path, mode and content.
func hashPaths(root string) (string, error) {
	var files []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("hash inputs %s: %w", root, err)
	}
	sort.Strings(files)
	h := sha256.New()
	for _, f := range files {
		rel, _ := filepath.Rel(root, f)
		st, err := os.Stat(f)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s %o\n", filepath.ToSlash(rel), st.Mode().Perm()&0o111)
		fh, err := os.Open(f)
		if err != nil {
			return "", err
		}
		_, err = io.Copy(h, fh)
		fh.Close()
		if err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func hashStrings(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%s\n", p)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func sameFile(path, content string) bool {
	b, err := os.ReadFile(path)
	return err == nil && string(b) == content
}

func resetDir(dir string) error {
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	return os.MkdirAll(dir, 0o755)
}

func copyFile(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return fmt.Errorf("copy %s: %w", src, err)
	}
	st, err := os.Stat(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return os.WriteFile(dst, b, st.Mode().Perm()|0o200)
}

func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("copy %s: %w", src, err)
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		return copyFile(p, target)
	})
}
