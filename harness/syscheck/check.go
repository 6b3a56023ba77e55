// Package syscheck checks a system file against its image before a team's
// first drill: `firedrill system check --system FILE`.
//
// Static (seconds, one throwaway container) checks that the file parses,
// that its image is in the engine and that every program its commands run
// is in the image (a make target in the Makefile in home, a relative path
// executable there). Live starts the system as a drill does (MinIO, the
// mock broker, the git remote, the system's container, profile ci), runs
// its start action in paper mode, waits for its health endpoint, for its
// first backups and lists each backup repository through its snapshots
// action. Each problem is one line naming the key of the system file and
// the fix. Every container carries the run's label and is removed however
// the check ends.
package syscheck

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/pkg/stdcopy"
	tc "github.com/testcontainers/testcontainers-go"
	"gopkg.in/yaml.v3"

	"firedrill/harness/images"
	"firedrill/harness/stack"
	"firedrill/harness/system"
)

// Exit codes of `firedrill system check`.
const (
	ExitOK       = 0
	ExitProblems = 2
)

// Scenario is the scenario label of the check's containers.
const Scenario = "system check"

// Limits of the static check's throwaway container.
const (
	imageCheckLimit = 90 * time.Second
	makeLimit       = 20 // seconds, per make target
)

// Options of a full check.
type Options struct {
	// RunID labels every container of the check (a new one when empty).
	RunID string
	// Static skips the live checks: no stack is started.
	Static bool
	// Log receives progress lines (none when nil).
	Log io.Writer
}

// Report is what a check found.
type Report struct {
	File  string
	RunID string
	// Passed has one line per check that passed.
	Passed []string
	// Problems has one per problem, naming the key and the fix.
	Problems []system.Problem
	// Skipped says which checks did not run, and why.
	Skipped []string
	// Left is what the check could not remove ("" when nothing is left).
	Left string
}

// ExitCode is 0 when every check passed, 2 when any found a problem.
func (r Report) ExitCode() int {
	if len(r.Problems) > 0 {
		return ExitProblems
	}
	return ExitOK
}

// Write prints the report: one line per problem (the file, the line of the
// key, the key, what is wrong and the fix); when there is none, one ok line
// per check.
func (r Report) Write(w io.Writer) {
	if len(r.Problems) > 0 {
		for _, p := range r.Problems {
			fmt.Fprintf(w, "%s: %s\n", r.File, oneLine(p.String()))
		}
		return
	}
	for _, l := range r.Passed {
		fmt.Fprintf(w, "ok  %s\n", l)
	}
	for _, l := range r.Skipped {
		fmt.Fprintf(w, "--  %s\n", l)
	}
}

// Summary is the last line of a check: what passed, or how many problems.
func (r Report) Summary() string {
	left := "nothing left behind of run " + r.RunID
	if r.Left != "" {
		left = r.Left
	}
	if n := len(r.Problems); n > 0 {
		s := "s"
		if n == 1 {
			s = ""
		}
		return fmt.Sprintf("system check %s: %d problem%s (each line above names the key and the fix); %s", r.File, n, s, left)
	}
	return fmt.Sprintf("system check %s: all %d checks passed; %s", r.File, len(r.Passed), left)
}

// Run checks a system file: it parses; its image exists; the programs of
// its commands are in the image; and, unless o.Static, the system starts,
// answers its health endpoint and reaches its backup repositories. The
// live checks run only when the others pass. Whatever happens, nothing the
// check made is left (a problem says so when the engine kept something).
func Run(ctx context.Context, path string, o Options) (r Report) {
	if o.RunID == "" {
		o.RunID = stack.NewRunID(time.Now())
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	r = Report{File: path, RunID: o.RunID}
	sys, err := system.Load(path)
	if err != nil {
		if ps, ok := system.Check(err); ok {
			r.Problems = typos(ps)
		} else {
			r.Problems = []system.Problem{{Key: "file", Msg: oneLine(err.Error())}}
		}
		return r
	}
	r.Passed = append(r.Passed, fmt.Sprintf("file: parses (%q, %d actions)", sys.Name, countActions(sys)))
	engine := false // nothing was made on an engine that never answered
	defer func() {
		if !engine {
			return
		}
		c, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		if ps := leftovers(c, o.RunID); len(ps) > 0 {
			r.Problems = append(r.Problems, ps...)
			r.Left = ps[0].Msg
		}
	}()
	c := newChecker(sys, o.RunID, o.Log)
	c.static(ctx)
	engine = c.connected
	r.Passed = append(r.Passed, c.passed...)
	r.Problems = append(r.Problems, c.problems...)
	switch {
	case o.Static:
		r.Skipped = append(r.Skipped, "live: not run (--static): start, health, repositories")
	case len(r.Problems) > 0:
		r.Skipped = append(r.Skipped, "live: not run: fix the problems above first")
	default:
		c := newChecker(sys, o.RunID, o.Log)
		c.live(ctx)
		r.Passed = append(r.Passed, c.passed...)
		r.Problems = append(r.Problems, c.problems...)
	}
	if err := ctx.Err(); err != nil {
		// What failed after the interrupt failed of it.
		r.Problems = []system.Problem{{Key: "check", Msg: "interrupted (" + err.Error() + "): run the check again"}}
	}
	return r
}

// typos keeps one line per misspelt key: a key reported unknown with the
// required key it is closest to ("did you mean health_check?") says all
// the line "commands.health_check: missing" would say again.
func typos(ps []system.Problem) []system.Problem {
	meant := map[string]bool{}
	for _, p := range ps {
		rest, ok := strings.CutPrefix(p.Msg, "unknown key: did you mean ")
		if !ok {
			continue
		}
		near, _, ok := strings.Cut(rest, "?")
		if !ok {
			continue
		}
		if i := strings.LastIndexByte(p.Key, '.'); i >= 0 {
			near = p.Key[:i+1] + near
		}
		meant[near] = true
	}
	var out []system.Problem
	for _, p := range ps {
		if meant[p.Key] && strings.HasPrefix(p.Msg, "missing") {
			continue
		}
		out = append(out, p)
	}
	return out
}

// Static checks that the system's image is in the engine and that every
// program the system's commands run is in it (checks 2 and 3; the file
// parsed already), in one throwaway container of the image, labelled with
// a run id of its own and removed however the check ends. It takes seconds:
// `firedrill run` can call it before anything else starts.
func Static(ctx context.Context, sys *system.System) []system.Problem {
	runID := stack.NewRunID(time.Now())
	c := newChecker(sys, runID, io.Discard)
	c.static(ctx)
	if !c.connected {
		return c.problems
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	return append(c.problems, leftovers(cctx, runID)...)
}

// Live starts the system as a drill does (profile ci) in the run runID and
// checks it starts in paper mode, answers its health endpoint, makes its
// first backups and reaches both backup repositories through its
// snapshots action (checks 4 and 5). Its stack is removed when it returns.
func Live(ctx context.Context, sys *system.System, runID string, log io.Writer) []system.Problem {
	if log == nil {
		log = io.Discard
	}
	c := newChecker(sys, runID, log)
	c.live(ctx)
	return c.problems
}

// checker collects what the checks of one system found.
type checker struct {
	sys     *system.System
	runID   string
	log     io.Writer
	doc     *yaml.Node    // the system file, for the line of each key
	started time.Duration // how long the start action took
	// connected: the engine answered (what the check made is swept).
	connected bool
	passed    []string
	problems  []system.Problem
}

func newChecker(sys *system.System, runID string, log io.Writer) *checker {
	c := &checker{sys: sys, runID: runID, log: log}
	if b, err := os.ReadFile(sys.Path()); err == nil {
		var n yaml.Node
		if yaml.Unmarshal(b, &n) == nil && len(n.Content) > 0 {
			c.doc = n.Content[0]
		}
	}
	return c
}

func (c *checker) pass(format string, args ...any) {
	c.passed = append(c.passed, fmt.Sprintf(format, args...))
}

// problem records a problem with key; the message says what is wrong and
// the fix.
func (c *checker) problem(key, format string, args ...any) {
	c.problems = append(c.problems, system.Problem{Line: c.line(key), Key: key, Msg: oneLine(fmt.Sprintf(format, args...))})
}

func (c *checker) logf(format string, args ...any) {
	fmt.Fprintf(c.log, "system check: "+format+"\n", args...)
}

// line is the line of a key ("commands.start", "install_from[0]") in the
// system file, or of its nearest parent present; 0 when unknown.
func (c *checker) line(key string) int {
	n, line := c.doc, 0
	for _, part := range strings.Split(key, ".") {
		name, idx := part, -1
		if i := strings.IndexByte(part, '['); i > 0 && strings.HasSuffix(part, "]") {
			name = part[:i]
			idx, _ = strconv.Atoi(part[i+1 : len(part)-1])
		}
		if n == nil || n.Kind != yaml.MappingNode {
			return line
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == name {
				line, next = n.Content[i].Line, n.Content[i+1]
				break
			}
		}
		if next == nil {
			return line
		}
		if idx >= 0 {
			if next.Kind != yaml.SequenceNode || idx >= len(next.Content) {
				return line
			}
			next = next.Content[idx]
			line = next.Line
		}
		n = next
	}
	return line
}

// actionOrder is every action a system may describe, required ones first.
func actionOrder() []string {
	return append(append([]string{}, system.Actions...), system.OptionalActions...)
}

func countActions(sys *system.System) int {
	n := 0
	for _, a := range actionOrder() {
		if sys.Has(a) {
			n++
		}
	}
	return n
}

// item is one thing the throwaway container looks for.
type item struct {
	key     string // the system file's key it comes from
	kind    string // home, program, path, make, file, gitrepo, tool
	subject string // the program, path or make target looked for
	cmdline string // the command line it comes from ("" for none)
	make    MakeCall
}

// items lists what the image must hold for the system's commands.
func (c *checker) items() []item {
	sys := c.sys
	out := []item{{key: "home", kind: "home", subject: sys.Home}}
	seen := map[string]bool{}
	for _, a := range actionOrder() {
		if !sys.Has(a) {
			continue
		}
		key, line := "commands."+a, sys.Command(a)
		for _, in := range Programs(line) {
			if in.Dynamic {
				continue
			}
			p := in.Program
			kind := "program"
			if strings.Contains(p, "/") {
				kind = "path"
				if !strings.HasPrefix(p, "/") && in.Moved {
					continue // relative to a folder the line changed to
				}
			}
			if id := key + "\x00" + kind + "\x00" + p; !seen[id] {
				seen[id] = true
				out = append(out, item{key: key, kind: kind, subject: p, cmdline: line})
			}
			if kind != "program" || p != "make" || in.Moved {
				continue
			}
			m := Make(in)
			if m.Dynamic {
				continue
			}
			targets := m.Targets
			if len(targets) == 0 {
				targets = []string{""} // the default goal
			}
			for _, t := range targets {
				out = append(out, item{key: key, kind: "make", subject: t, cmdline: line, make: m})
			}
		}
	}
	if g := sys.GitRemote; g != nil {
		out = append(out,
			item{key: "git_remote", kind: "program", subject: "git"},
			item{key: "git_remote.repository", kind: "gitrepo", subject: strings.TrimRight(g.Root, "/") + "/" + g.Repository})
	}
	for i, f := range sys.InstallFrom {
		out = append(out, item{key: fmt.Sprintf("install_from[%d]", i), kind: "file", subject: f})
	}
	for _, t := range Tools {
		out = append(out, item{key: "image", kind: "tool", subject: t})
	}
	return out
}

// Tools are the programs firedrill's own scripts run in the system's
// container, besides its actions: the faults (undo copy, damage, the
// stamp of its moment), the evidence of git and files, the clock reading
// and the bound on a backup listing.
var Tools = []string{
	"awk", "base64", "cat", "cmp", "cp", "date", "dd", "git", "grep", "mkdir", "mv",
	"od", "rm", "sha256sum", "sleep", "stat", "timeout", "tr", "truncate",
}

// script is the bash script the throwaway container runs: one line
// "<index> <verdict> [detail]" per item.
func script(items []item) string {
	var b strings.Builder
	b.WriteString("T=; command -v timeout >/dev/null 2>&1 && T=\"timeout " + strconv.Itoa(makeLimit) + "\"\n")
	for i, it := range items {
		id := strconv.Itoa(i)
		q := shellQuote(it.subject)
		switch it.kind {
		case "home":
			fmt.Fprintf(&b, "if [ -d %s ] && cd -- %s 2>/dev/null; then echo '%s ok'; else echo '%s missing'; nohome=1; cd /; fi\n", q, q, id, id)
		case "program", "tool":
			fmt.Fprintf(&b, "if command -v -- %s >/dev/null 2>&1; then echo '%s ok'; else echo '%s missing'; fi\n", q, id, id)
		case "path":
			guard := ""
			if !strings.HasPrefix(it.subject, "/") {
				guard = fmt.Sprintf("if [ -n \"$nohome\" ]; then echo '%s skip'; el", id)
			}
			fmt.Fprintf(&b, "%sif [ -d %s ]; then echo '%s dir'; elif [ -x %s ]; then echo '%s ok'; elif [ -e %s ]; then echo '%s notexec'; else echo '%s missing'; fi\n",
				guard, q, id, q, id, q, id, id)
		case "make":
			args := []string{"-q"}
			for _, o := range it.make.Options {
				args = append(args, shellQuote(o))
			}
			if it.subject != "" {
				args = append(args, q)
			}
			fmt.Fprintf(&b, "if [ -n \"$nohome\" ] || ! command -v make >/dev/null 2>&1; then echo '%s skip'; else "+
				"out=$($T make %s 2>&1 >/dev/null); rc=$?; "+
				"if [ $rc -eq 2 ]; then printf '%%s fail %%s\\n' %s \"$(printf '%%s\\n' \"$out\" | grep -v '^$' | tail -n 1)\"; "+
				"elif [ $rc -gt 2 ]; then echo '%s hung'; else echo '%s ok'; fi; fi\n",
				id, strings.Join(args, " "), id, id, id)
		case "file":
			fmt.Fprintf(&b, "if [ -f %s ]; then echo '%s ok'; else echo '%s missing'; fi\n", q, id, id)
		case "gitrepo":
			fmt.Fprintf(&b, "if [ -f %s/HEAD ] || [ -d %s/.git ]; then echo '%s ok'; else echo '%s missing'; fi\n", q, q, id, id)
		}
	}
	return b.String()
}

// static runs checks 2 and 3.
func (c *checker) static(ctx context.Context) {
	sys := c.sys
	cl, err := dockerClient(ctx, c.runID)
	if err != nil {
		c.problem("docker", "%v", err)
		return
	}
	defer cl.Close()
	c.connected = true
	if _, err := cl.ImageInspect(ctx, sys.Image); err != nil {
		if !notFound(err) {
			c.problem("docker", "inspect image %s: %v: start the Docker engine or set DOCKER_HOST to one that runs", sys.Image, err)
			return
		}
		fix := "build it (docker build -t " + sys.Image + " DIR) or load it (docker load -i FILE.tar), then check again"
		if isFiredrillImage(sys.Image) {
			fix = "build firedrill's images (make images), then check again"
		}
		c.problem("image", "%s is not in the Docker engine: %s", sys.Image, fix)
		return
	}
	c.pass("image: %s is in the engine", sys.Image)
	its := c.items()
	c.logf("looking for %d programs, files and make targets in a throwaway container of %s", len(its), sys.Image)
	out, err := c.runImage(ctx, cl, script(its))
	if err != nil {
		c.problem("image", "%v", err)
		return
	}
	c.judge(its, out)
}

// judge reads the throwaway container's verdicts on the items.
func (c *checker) judge(its []item, out string) {
	verdicts := map[int][2]string{}
	for _, l := range strings.Split(out, "\n") {
		f := strings.SplitN(strings.TrimSpace(l), " ", 3)
		if len(f) < 2 {
			continue
		}
		i, err := strconv.Atoi(f[0])
		if err != nil {
			continue
		}
		d := ""
		if len(f) == 3 {
			d = f[2]
		}
		verdicts[i] = [2]string{f[1], d}
	}
	var programs, targets, tools []string
	found := map[string]bool{}
	bad := map[string]bool{} // a key with a problem gets one line
	for i, it := range its {
		v, ok := verdicts[i]
		if !ok {
			c.problem("image", "the check container of %s stopped before it looked for %q (output: %s): make sure the image runs bash scripts (bash -c)", c.sys.Image, it.subject, lastLine(out))
			return
		}
		verdict, detail := v[0], v[1]
		if it.kind == "tool" {
			if verdict != "ok" {
				tools = append(tools, it.subject)
			}
			continue
		}
		if verdict == "ok" || verdict == "skip" {
			if verdict == "ok" {
				switch it.kind {
				case "program", "path":
					if !found[it.subject] && strings.HasPrefix(it.key, "commands.") {
						found[it.subject] = true
						programs = append(programs, it.subject)
					}
				case "make":
					targets = append(targets, orDefault(it.subject))
				}
			}
			continue
		}
		if bad[it.key] {
			continue
		}
		bad[it.key] = true
		c.problem(it.key, "%s", c.explain(it, verdict, detail))
	}
	if !bad["home"] {
		c.pass("home: %s is a folder in the image", c.sys.Home)
	}
	if len(tools) > 0 {
		bad["image"] = true
		c.problem("image", "%s lacks %s, which firedrill's own scripts run in the system's container (faults, evidence, clocks): install them in the image (coreutils, grep, mawk, diffutils, git)",
			c.sys.Image, strings.Join(tools, ", "))
	} else {
		c.pass("image: has the tools firedrill's own scripts use (%s)", strings.Join(Tools, " "))
	}
	if len(bad) > 0 {
		return
	}
	sort.Strings(programs)
	line := fmt.Sprintf("commands: every program is in the image (%s)", strings.Join(programs, ", "))
	if len(targets) > 0 {
		line += fmt.Sprintf(", make targets %s in the Makefile in home", strings.Join(targets, ", "))
	}
	c.pass("%s", line)
	if c.sys.GitRemote != nil {
		c.pass("git_remote: %s/%s is a repository in the image, served by git daemon", strings.TrimRight(c.sys.GitRemote.Root, "/"), c.sys.GitRemote.Repository)
	}
	if n := len(c.sys.InstallFrom); n > 0 {
		c.pass("install_from: %d file(s) in the image", n)
	}
}

// explain is the problem line of an item the image lacks: what, and the fix.
func (c *checker) explain(it item, verdict, detail string) string {
	img, home := c.sys.Image, c.sys.Home
	cmd := show(it.cmdline)
	switch it.kind {
	case "home":
		return fmt.Sprintf("%s is not a folder in %s: set home to the system's checkout in the image (every command runs there)", home, img)
	case "program":
		if it.key == "git_remote" {
			return fmt.Sprintf("git is not in %s: the git remote serves the image's repositories with git daemon: install git in the image, or remove git_remote", img)
		}
		return fmt.Sprintf("%s runs %s, which is not in %s (not a bash builtin, not on its PATH): install it in the image or correct the command", cmd, it.subject, img)
	case "path":
		where := "in " + img
		if !strings.HasPrefix(it.subject, "/") {
			where = "in home " + home + " of " + img
		}
		switch verdict {
		case "notexec":
			return fmt.Sprintf("%s runs %s, which is %s but not executable: chmod +x it in the image", cmd, it.subject, where)
		case "dir":
			return fmt.Sprintf("%s runs %s, which is a folder %s: name the program to run", cmd, it.subject, where)
		}
		return fmt.Sprintf("%s runs %s, which does not exist %s: correct the path (relative paths are from home) or add it to the image", cmd, it.subject, where)
	case "make":
		if verdict == "hung" {
			return fmt.Sprintf("%s: make -q %s did not answer within %ds in %s: check the Makefile in home reads without running anything", cmd, orDefault(it.subject), makeLimit, home)
		}
		return fmt.Sprintf("%s: the Makefile in %s has no target %s (make: %s): correct the target or add it to the image's Makefile", cmd, home, orDefault(it.subject), strings.TrimPrefix(detail, "make: "))
	case "file":
		return fmt.Sprintf("%s is not a file in %s: list the files of the system's release that install copies onto a fresh server", it.subject, img)
	case "gitrepo":
		return fmt.Sprintf("%s is not a git repository in %s: set root to the folder of the image's bare repositories and repository to the one cloned (e.g. name.git)", it.subject, img)
	}
	return verdict + " " + detail
}

func orDefault(target string) string {
	if target == "" {
		return "(the default goal)"
	}
	return target
}

// runImage runs a bash script in a throwaway container of the system's
// image (entrypoint bash, no network, the system's env), labelled with the
// run, and returns its output. The container is removed however it ends.
func (c *checker) runImage(ctx context.Context, cl *tc.DockerClient, script string) (string, error) {
	sys := c.sys
	var env []string
	for k, v := range sys.Env {
		env = append(env, k+"="+v)
	}
	sort.Strings(env)
	slug := stack.Slug(Scenario)
	name := fmt.Sprintf("firedrill-%s-%s-image", c.runID, slug)
	labels := map[string]string{
		stack.LabelRun: c.runID, stack.LabelScenario: slug, stack.LabelRole: "image-check", stack.LabelOwner: stack.Owner(),
	}
	// Created whatever ctx does meanwhile (as the stack creates its
	// containers), so that it is known, and removed, below.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	created, err := cl.ContainerCreate(cctx,
		&container.Config{Image: sys.Image, Entrypoint: []string{"bash", "-c", script}, Cmd: []string{"firedrill-system-check"}, Env: env, Labels: labels},
		&container.HostConfig{NetworkMode: "none"}, nil, nil, name)
	cancel()
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		if created.ID != "" {
			_ = cl.ContainerRemove(rctx, created.ID, container.RemoveOptions{Force: true, RemoveVolumes: true})
		}
		_ = stack.SweepScenario(rctx, c.runID, slug)
	}()
	if err != nil {
		return "", fmt.Errorf("create a container of %s: %w", sys.Image, err)
	}
	ctx, cancel = context.WithTimeout(ctx, imageCheckLimit)
	defer cancel()
	if err := cl.ContainerStart(ctx, created.ID, container.StartOptions{}); err != nil {
		if strings.Contains(err.Error(), "bash") {
			return "", fmt.Errorf("%s has no bash: firedrill runs every command with bash -c: install bash in the image (%w)", sys.Image, err)
		}
		return "", fmt.Errorf("start a container of %s with entrypoint bash: %w", sys.Image, err)
	}
	waitC, errC := cl.ContainerWait(ctx, created.ID, container.WaitConditionNotRunning)
	select {
	case <-waitC:
	case err := <-errC:
		return "", fmt.Errorf("wait for the check container of %s: %w (limit %s)", sys.Image, err, imageCheckLimit)
	}
	rc, err := cl.ContainerLogs(ctx, created.ID, container.LogsOptions{ShowStdout: true, ShowStderr: true})
	if err != nil {
		return "", fmt.Errorf("read the check container's output: %w", err)
	}
	defer rc.Close()
	var stdout, stderr bytes.Buffer
	if _, err := stdcopy.StdCopy(&stdout, &stderr, rc); err != nil {
		return "", fmt.Errorf("read the check container's output: %w", err)
	}
	return stdout.String() + stderr.String(), nil
}

// dockerClient connects to the engine the stack works on. The stack's own
// connection runs first (stack.Count): it refuses an engine other than
// the one DOCKER_HOST names, and says how to start one that does not answer.
func dockerClient(ctx context.Context, runID string) (*tc.DockerClient, error) {
	if _, err := stack.Count(ctx, runID); err != nil {
		return nil, err
	}
	cl, err := tc.NewDockerClientWithOpts(ctx)
	if err != nil {
		return nil, fmt.Errorf("connect to docker: %w", err)
	}
	return cl, nil
}

func notFound(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "No such image") || strings.Contains(err.Error(), "not found"))
}

func isFiredrillImage(img string) bool {
	for _, i := range images.All {
		if i == img {
			return true
		}
	}
	return false
}

// leftovers is a problem when anything of the run is still in the engine
// after a sweep.
func leftovers(ctx context.Context, runID string) []system.Problem {
	if err := stack.Sweep(ctx, runID); err != nil {
		return []system.Problem{{Key: "docker", Msg: oneLine(fmt.Sprintf("remove what run %s made: %v: run firedrill clean --run %s", runID, err, runID))}}
	}
	left, err := stack.Count(ctx, runID)
	if err != nil || left.Zero() {
		return nil
	}
	return []system.Problem{{Key: "docker", Msg: fmt.Sprintf("%s of run %s left in the engine: run firedrill clean --run %s", left, runID, runID)}}
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// oneLine folds a text onto one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " ..."
	}
	return s
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	l := strings.TrimSpace(lines[len(lines)-1])
	if len(l) > 200 {
		l = l[:200] + "..."
	}
	if l == "" {
		return "none"
	}
	return l
}

// show quotes a command line in a problem: its first line, in backquotes.
func show(cmdline string) string {
	return "`" + firstLine(cmdline) + "`"
}
