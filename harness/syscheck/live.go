package syscheck

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"

	"firedrill/harness/images"
	"firedrill/harness/probe"
	"firedrill/harness/profile"
	"firedrill/harness/stack"
	"firedrill/harness/system"
)

// Bounds of the live checks.
const (
	startLimit     = 2 * time.Minute
	healthLimit    = 2 * time.Minute
	backupLimit    = 90 * time.Second
	snapshotsLimit = time.Minute
	pollEvery      = 500 * time.Millisecond
	// settleLimit: how long an answer that will not change (another mode,
	// HTTP 404) must hold before the wait for health ends early.
	settleLimit = 15 * time.Second
)

// errSettled ends the wait for health on an answer that will not change.
var errSettled = errors.New("the answer held")

// liveProfile is the pace the system runs at during the check: every
// cadence in seconds, so its first backups come at once.
const liveProfile = "ci"

// live runs checks 4 and 5 in a stack of the run, removed when it returns.
func (c *checker) live(ctx context.Context) {
	sys := c.sys
	prof, err := profile.Get(liveProfile)
	if err != nil {
		c.problem("profile", "%v", err)
		return
	}
	for _, img := range []string{images.MinIO, images.Broker} {
		if _, err := images.Label(ctx, img); err != nil {
			c.problem("firedrill images", "%s is not in the Docker engine: build firedrill's images (make images), then check again", img)
			return
		}
	}
	env := prof.SystemEnv(sys.Variables)
	for k, v := range sys.Env {
		env[k] = v
	}
	c.logf("starting MinIO, the mock broker%s and %s (run %s, profile %s)", gitNote(sys), sys.Image, c.runID, prof.Name)
	st, err := stack.Start(ctx, stack.Config{
		RunID:      c.runID,
		Scenario:   Scenario,
		Images:     stack.Images{MinIO: images.MinIO, Broker: images.Broker, Traderunner: sys.Image, Base: images.Base},
		SystemEnv:  env,
		Variables:  sys.Variables,
		BrokerEnv:  prof.BrokerEnv(),
		HealthPort: sys.HealthPort(),
		GitRemote:  sys.GitRemote,
		Log:        c.log,
	})
	defer func() {
		if err := st.Close(ctx); err != nil {
			c.problem("docker", "remove the check's containers: %v: run firedrill clean --run %s", err, c.runID)
		}
	}()
	if err != nil {
		c.startFailed(err)
		return
	}
	if !c.start(ctx, st) || !c.health(ctx, st) {
		return
	}
	c.healthCheck(ctx, st)
	c.repositories(ctx, st, prof)
}

func gitNote(sys *system.System) string {
	if sys.GitRemote == nil {
		return ""
	}
	return ", the git remote"
}

// startFailed names the part of the stack that did not start.
func (c *checker) startFailed(err error) {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "start "+stack.RolePrimary):
		c.problem("image", "the container of %s did not start: %s: it must start and keep running with its own entrypoint and the environment firedrill gives it", c.sys.Image, msg)
	case strings.Contains(msg, "start "+stack.RoleGitRemote):
		c.problem("git_remote", "the git remote (git daemon from %s) did not start: %s: check git is in the image and root names the folder of its bare repositories", c.sys.Image, msg)
	default:
		c.problem("firedrill images", "the stack did not start: %s: check Docker runs and build firedrill's images (make images)", msg)
	}
}

// exec runs an action's command line in the system's home on the primary.
func (c *checker) exec(ctx context.Context, st *stack.Stack, cmdline string, env map[string]string) (stack.ExecResult, error) {
	return st.Exec(ctx, stack.RolePrimary, "", c.sys.InHome(cmdline), env)
}

// stopped says how the system's container ended, when it is not running.
func (c *checker) stopped(ctx context.Context, st *stack.Stack) string {
	ctr := st.Container(stack.RolePrimary)
	if ctr == nil {
		return ""
	}
	s, err := ctr.State(ctx)
	if err != nil || s.Running {
		return ""
	}
	logs, _ := st.Logs(ctx, stack.RolePrimary)
	return fmt.Sprintf("the container of %s is %s (exit code %d; its log ends: %s)", c.sys.Image, s.Status, s.ExitCode, lastLine(logs))
}

// start runs the start action with MODE=paper.
func (c *checker) start(ctx context.Context, st *stack.Stack) bool {
	cmd := c.sys.Command("start")
	c.logf("stack up; running the start action in paper mode: %s", cmd)
	sctx, cancel := context.WithTimeout(ctx, startLimit)
	defer cancel()
	r, err := c.exec(sctx, st, cmd, map[string]string{"MODE": "paper"})
	c.started = r.Finished.Sub(r.Started)
	if err != nil {
		if how := c.stopped(ctx, st); how != "" {
			c.problem("image", "%s: it must keep running with its own entrypoint, as a server does", how)
			return false
		}
		if errors.Is(sctx.Err(), context.DeadlineExceeded) {
			c.problem("commands.start", "%s with MODE=paper did not return within %s: it must return once the system runs (start it in the background)", show(cmd), startLimit)
			return false
		}
		c.problem("commands.start", "%s with MODE=paper could not run: %v", show(cmd), err)
		return false
	}
	if r.Code != 0 {
		c.problem("commands.start", "%s with MODE=paper exited %d: %s: it must start the system in $MODE and exit 0", show(cmd), r.Code, lastLine(st.Redact(r.Output)))
		return false
	}
	return true
}

// healthAnswer is what the health endpoint must answer.
type healthAnswer struct {
	OK     *bool  `json:"ok"`
	Mode   string `json:"mode"`
	Reason string `json:"reason"`
}

// health polls the health endpoint until it answers ok=true in paper mode.
func (c *checker) health(ctx context.Context, st *stack.Stack) bool {
	sys := c.sys
	client := &http.Client{Timeout: 2 * time.Second}
	var lastKey, lastMsg string
	began := time.Now()
	// An answer that will not change (a definite other mode, no such
	// path) ends the wait once it has held for settleLimit.
	pctx, stop := context.WithCancel(ctx)
	defer stop()
	var since time.Time
	settled := func(key, msg string, final bool) (bool, string, error) {
		if !final || key != lastKey || since.IsZero() {
			since = time.Now()
		}
		lastKey, lastMsg = key, msg
		if final && time.Since(since) >= settleLimit {
			stop() // probe.Until goes on past an error: end its wait
			return false, msg, errSettled
		}
		return false, msg, nil
	}
	c.logf("waiting for GET %s on port %d to answer ok=true, mode paper", sys.Health.Path, sys.Health.Port)
	_, err := probe.Until(pctx, pollEvery, healthLimit, func(ctx context.Context) (bool, string, error) {
		ep, err := st.Endpoint(ctx, stack.RolePrimary, sys.HealthPort())
		if ctx.Err() != nil {
			return false, "", ctx.Err() // the wait is over: keep the last answer
		}
		if err != nil {
			lastKey, lastMsg = "image", err.Error()
			return false, err.Error(), nil
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+ep+sys.Health.Path, nil)
		if err != nil {
			return false, "", err
		}
		resp, err := client.Do(req)
		if ctx.Err() != nil {
			if resp != nil {
				resp.Body.Close()
			}
			return false, "", ctx.Err()
		}
		if err != nil {
			why := err.Error() // the last words: the host's own address is noise
			if i := strings.LastIndex(why, ": "); i >= 0 {
				why = why[i+2:]
			}
			lastKey, lastMsg = "health.port", fmt.Sprintf("nothing answered HTTP on port %d (%s)", sys.Health.Port, why)
			return false, lastMsg, nil
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		var h healthAnswer
		if err := json.Unmarshal(b, &h); err != nil || h.OK == nil {
			return settled("health.path", fmt.Sprintf("GET %s answered HTTP %d with %s", sys.Health.Path, resp.StatusCode, snippet(string(b))),
				resp.StatusCode == http.StatusNotFound)
		}
		if !*h.OK || !strings.EqualFold(h.Mode, "paper") {
			msg := fmt.Sprintf("its health answers ok=%v mode=%q", *h.OK, h.Mode)
			if h.Reason != "" {
				msg += fmt.Sprintf(" reason=%q", h.Reason)
			}
			return settled("commands.start", msg, *h.OK && h.Mode != "")
		}
		return true, "", nil
	})
	limit := healthLimit
	if errors.Is(err, errSettled) {
		limit = time.Since(began).Round(time.Second)
	}
	if err == nil {
		c.pass("health: GET %s on port %d answered ok=true mode=paper %s after commands.start began",
			sys.Health.Path, sys.Health.Port, (c.started + time.Since(began)).Round(100*time.Millisecond))
		return true
	}
	if how := c.stopped(ctx, st); how != "" {
		c.problem("image", "%s after the start action: it must keep running with its own entrypoint, as a server does", how)
		return false
	}
	last := st.Redact(lastMsg)
	switch lastKey {
	case "health.port":
		c.problem("health.port", "%s for %s: set health.port to the port the health endpoint listens on in the container", last, limit)
	case "health.path":
		c.problem("health.path", `%s for %s: set health.path to the endpoint that answers JSON {"ok": true, "mode": "paper"} (ok a boolean, mode paper or live)`, last, limit)
	case "commands.start":
		c.problem("commands.start", "%s with MODE=paper started the system, but for %s %s, not ok=true mode=\"paper\": the start command must start it in $MODE, healthy with what firedrill wires in (variables: broker_url, repositories, cadences)",
			show(sys.Command("start")), limit, last)
	default:
		c.problem("health", "no answer within %s: %v", healthLimit, err)
	}
	return false
}

// healthCheck runs the health_check action, which must exit 0 now.
func (c *checker) healthCheck(ctx context.Context, st *stack.Stack) {
	cmd := c.sys.Command("health_check")
	hctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	r, err := c.exec(hctx, st, cmd, nil)
	switch {
	case err != nil:
		c.problem("commands.health_check", "%s could not run: %v", show(cmd), err)
	case r.Code != 0:
		c.problem("commands.health_check", "%s exited %d while the health endpoint answered ok in paper mode: %s: it must exit 0 when the system is healthy", show(cmd), r.Code, lastLine(st.Redact(r.Output)))
	default:
		c.pass("commands.health_check: exits 0 on the healthy system")
	}
}

// repository is one backup repository a system is given.
type repository struct {
	key, bucket string
	names       system.Names
	// cadences are the variables of the backups that go to it.
	cadences []cadence
}

type cadence struct {
	key, name string
	names     system.Names
}

func repositories(sys *system.System) []repository {
	v := sys.Variables
	return []repository{
		{key: "variables.repository", bucket: stack.BucketBackup, names: v.Repository, cadences: []cadence{
			{"variables.state_backup_interval", profile.StateBackup, v.StateBackupInterval},
			{"variables.data_backup_interval", profile.DataBackup, v.DataBackupInterval},
		}},
		{key: "variables.cloud_repository", bucket: stack.BucketCloud, names: v.CloudRepository, cadences: []cadence{
			{"variables.cloud_backup_interval", profile.CloudBackup, v.CloudBackupInterval},
		}},
	}
}

// repositories checks each backup repository: reachable through the
// system's snapshots action with the credentials it is given, and
// receiving the system's first backup within backupLimit.
func (c *checker) repositories(ctx context.Context, st *stack.Stack, prof profile.Profile) {
	var reachable []repository
	listed := map[string]string{}
	for _, r := range repositories(c.sys) {
		if what, ok := c.snapshots(ctx, st, r); ok {
			reachable = append(reachable, r)
			listed[r.bucket] = what
		}
	}
	if len(reachable) == 0 {
		return
	}
	first := c.firstBackups(ctx, st, reachable)
	for _, r := range reachable {
		url := st.Repository(r.bucket)
		at, ok := first[r.bucket]
		if ok {
			c.pass("%s: %s reachable through commands.snapshots (%s); the system's first backup reached it %s after it was healthy",
				r.key, url, listed[r.bucket], at.Round(100*time.Millisecond))
			continue
		}
		var every []string
		for _, cd := range r.cadences {
			every = append(every, fmt.Sprintf("%s=%s (%s)", strings.Join(cd.names, ","), prof.Cadences[cd.name], cd.key))
		}
		c.problem(r.key, "%s is reachable, but the system made no backup in it within %s though told to back up every few seconds (%s): make the system read its repository from %s and its cadences from the variables named",
			url, backupLimit, strings.Join(every, ", "), strings.Join(r.names, ", "))
	}
}

// firstBackups waits, bounded, for the first snapshot object of each
// repository, read from MinIO itself, and returns how long each took.
func (c *checker) firstBackups(ctx context.Context, st *stack.Stack, repos []repository) map[string]time.Duration {
	first := map[string]time.Duration{}
	cl, err := st.MinIO(ctx)
	if err != nil {
		c.problem("firedrill images", "reach MinIO: %v", err)
		return first
	}
	began := time.Now()
	c.logf("waiting up to %s for the system's first backups", backupLimit)
	_, _ = probe.Until(ctx, pollEvery, backupLimit, func(ctx context.Context) (bool, string, error) {
		for _, r := range repos {
			if _, ok := first[r.bucket]; ok {
				continue
			}
			lctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			for o := range cl.ListObjects(lctx, r.bucket, minio.ListObjectsOptions{Prefix: "snapshots/", Recursive: true}) {
				if o.Err == nil {
					first[r.bucket] = time.Since(began)
					break
				}
			}
			cancel()
		}
		return len(first) == len(repos), fmt.Sprintf("%d of %d", len(first), len(repos)), nil
	})
	return first
}

// snapshots lists a repository through the system's snapshots action, as
// the drills do: restic's list, or its answer that the repository is not
// initialised yet, shows the repository is reachable with the credentials
// the system is given (ok, with what it listed); any other answer is a
// problem.
func (c *checker) snapshots(ctx context.Context, st *stack.Stack, repo repository) (string, bool) {
	cmd := c.sys.Command("snapshots")
	url := st.Repository(repo.bucket)
	env := st.SystemEnv()
	env["REPOSITORY"] = url
	sctx, cancel := context.WithTimeout(ctx, snapshotsLimit)
	defer cancel()
	r, err := c.exec(sctx, st, cmd, env)
	out := st.Redact(r.Output)
	v := c.sys.Variables
	creds := fmt.Sprintf("the system gets them under %s (variables.s3_access_key), %s (variables.s3_secret_key) and %s (variables.repository_password): name the variables it and its snapshots command read",
		strings.Join(v.AccessKey(), ","), strings.Join(v.SecretKey(), ","), strings.Join(v.Password(), ","))
	switch {
	case err != nil:
		c.problem(repo.key, "%s with REPOSITORY=%s did not answer within %s (%v): the repository must be reachable from the system's container", show(cmd), url, snapshotsLimit, err)
	case r.Code == 0:
		var snaps []json.RawMessage
		if err := json.Unmarshal([]byte(jsonPart(out)), &snaps); err != nil {
			c.problem("commands.snapshots", "%s printed no JSON list (%s): it must print the repository's backups as restic's snapshots --json does", show(cmd), snippet(out))
			return "", false
		}
		return fmt.Sprintf("%d backup(s) listed", len(snaps)), true
	case r.Code == 126 || r.Code == 127 || strings.Contains(out, "command not found"):
		c.problem("commands.snapshots", "%s could not run (exit %d: %s): correct the command", show(cmd), r.Code, lastLine(out))
	case strings.Contains(out, "The specified key does not exist") || strings.Contains(out, "repository does not exist"):
		return "not initialised yet", true
	case credentials(out):
		c.problem(repo.key, "%s with REPOSITORY=%s: the repository refused or lacked the credentials (%s): %s", show(cmd), url, lastLine(out), creds)
	default:
		c.problem(repo.key, "%s could not reach %s (exit %d: %s): the system reads its repository from %s; check the repository is reachable from its container",
			show(cmd), url, r.Code, lastLine(out), strings.Join(repo.names, ", "))
	}
	return "", false
}

// credentials says whether restic's answer is about credentials: S3's
// refusals, or a key, secret or password it was not given.
func credentials(out string) bool {
	for _, s := range []string{
		"Access Denied", "AccessDenied", "Access Key Id", "InvalidAccessKeyId", "SignatureDoesNotMatch", "signature we calculated",
		"Key ID", "Secret", "wrong password", "no key found", "password",
	} {
		if strings.Contains(out, s) {
			return true
		}
	}
	return false
}

// jsonPart skips anything a command printed before its JSON.
func jsonPart(s string) string {
	if i := strings.IndexAny(s, "[{"); i > 0 {
		return s[i:]
	}
	return s
}

func snippet(s string) string {
	s = oneLine(s)
	if s == "" {
		return "an empty body"
	}
	if len(s) > 120 {
		s = s[:120] + "..."
	}
	return s
}
