package drill

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"

	"firedrill/harness/stack"
)

// health is the traderunner's health answer.
type health struct {
	OK     bool   `json:"ok"`
	Mode   string `json:"mode"`
	Reason string `json:"reason"`
}

// httpClient bounds each probe request: a frozen process must count as down
// within a second, not after a long client timeout.
var httpClient = &http.Client{Timeout: time.Second}

func (sc *Scenario) getJSON(ctx context.Context, role, port, path string, v any) (int, error) {
	ep, err := sc.stack.Endpoint(ctx, role, port)
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+ep+path, nil)
	if err != nil {
		return 0, err
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("get %s from %s: %w", path, role, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return resp.StatusCode, fmt.Errorf("read %s from %s: %w", path, role, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return resp.StatusCode, fmt.Errorf("decode %s from %s: %w: %s", path, role, err, truncate(string(b), 200))
	}
	return resp.StatusCode, nil
}

func (sc *Scenario) health(ctx context.Context) (health, error) {
	var h health
	sys := sc.suite.opts.System
	_, err := sc.getJSON(ctx, sc.server, sys.HealthPort(), sys.Health.Path, &h)
	return h, err
}

// BrokerHealthy checks the broker's /healthz answers {"ok": true}.
func (sc *Scenario) BrokerHealthy(ctx context.Context) error {
	var h map[string]any
	code, err := sc.getJSON(ctx, stack.RoleBroker, stack.PortBroker, "/healthz", &h)
	if err != nil {
		return sc.fail(err)
	}
	if code != http.StatusOK || h["ok"] != true {
		return sc.fail(fmt.Errorf("broker health: HTTP %d %v, want {\"ok\": true}", code, h))
	}
	return nil
}

// snapshotObjects counts restic snapshot objects in a bucket, read from
// MinIO directly: the stand-in's word is not taken for it.
func (sc *Scenario) snapshotObjects(ctx context.Context, bucket string) (int, error) {
	objs, err := sc.objects(ctx, bucket, "snapshots/")
	return len(objs), err
}

func (sc *Scenario) objects(ctx context.Context, bucket, prefix string) ([]minio.ObjectInfo, error) {
	cl, err := sc.stack.MinIOFor(ctx, bucket)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	var out []minio.ObjectInfo
	for o := range cl.ListObjects(ctx, bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if o.Err != nil {
			return out, fmt.Errorf("list %s/%s in minio: %w", bucket, prefix, o.Err)
		}
		out = append(out, o)
	}
	return out, nil
}

// MinIOHasBuckets checks the backup buckets exist.
func (sc *Scenario) MinIOHasBuckets(ctx context.Context) error {
	for _, b := range []string{stack.BucketBackup, stack.BucketCloud} {
		cl, err := sc.stack.MinIOFor(ctx, b)
		if err != nil {
			return sc.fail(err)
		}
		ok, err := cl.BucketExists(ctx, b)
		if err != nil {
			return sc.fail(fmt.Errorf("check minio bucket %s: %w", b, err))
		}
		if !ok {
			return sc.fail(fmt.Errorf("check minio bucket %s: it does not exist", b))
		}
	}
	return nil
}

// MinIOHasSnapshots checks at least n restic snapshots are in MinIO.
func (sc *Scenario) MinIOHasSnapshots(ctx context.Context, n int) error {
	got, err := sc.snapshotObjects(ctx, stack.BucketBackup)
	if err != nil {
		return sc.fail(err)
	}
	if got < n {
		return sc.fail(fmt.Errorf("minio: %d restic snapshot(s) in %s, want at least %d", got, stack.BucketBackup, n))
	}
	sc.addEvidence("snapshots", "%d restic snapshot objects in %s", got, stack.BucketBackup)
	return nil
}

type snapshot struct {
	ID    string    `json:"short_id"`
	Time  time.Time `json:"time"`
	Tags  []string  `json:"tags"`
	Paths []string  `json:"paths"`
	Host  string    `json:"hostname"`
}

// resticSnapshots lists the snapshots of the repository in bucket with the
// system's own snapshots action, run in a container of the stack that has
// the system's tools (the git remote, once the server is gone).
func (sc *Scenario) resticSnapshots(ctx context.Context, bucket string) ([]snapshot, error) {
	role := sc.server
	if sc.stack.Container(role) == nil {
		role = stack.RoleGitRemote
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	env := sc.stack.SystemEnv()
	env["REPOSITORY"] = sc.stack.Repository(bucket)
	cmd := sc.suite.opts.System.Command("snapshots")
	r, err := sc.stack.Exec(ctx, role, "", sc.suite.opts.System.InHome("timeout 25 bash -c "+shellQuote(cmd)), env)
	if err != nil {
		return nil, err
	}
	if r.Code != 0 {
		return nil, fmt.Errorf("list the backups of %s (%q): exit %d: %s", bucket, cmd, r.Code, lastLines(sc.redact(r.Output), 3))
	}
	var snaps []snapshot
	if err := json.Unmarshal([]byte(jsonPart(r.Output)), &snaps); err != nil {
		return nil, fmt.Errorf("decode the backups of %s (%q): %w", bucket, cmd, err)
	}
	return snaps, nil
}

// jsonPart skips anything a command printed before its JSON.
func jsonPart(s string) string {
	if i := strings.IndexAny(s, "[{"); i > 0 {
		return s[i:]
	}
	return s
}

// SnapshotCadence measures the interval between consecutive snapshots of a
// tag, from the snapshot times restic recorded, after waiting for n of them.
func (sc *Scenario) SnapshotCadence(ctx context.Context, tag string, n int, want time.Duration) error {
	var snaps []snapshot
	limit := time.Duration(n+2)*want + time.Minute
	// restic (a second of CPU per call) reads the repository only when
	// MinIO shows a snapshot object it has not seen; the intervals come
	// from restic's own snapshot times, so they lose nothing by it.
	read := -1
	_, err := sc.until(ctx, sc.suite.opts.Profile.ProbeInterval, limit, func(ctx context.Context) (bool, string, error) {
		objs, err := sc.snapshotObjects(ctx, stack.BucketBackup)
		if err != nil || objs < n || objs == read {
			return false, fmt.Sprintf("%d snapshot objects in %s", objs, stack.BucketBackup), nil
		}
		all, err := sc.resticSnapshots(ctx, stack.BucketBackup)
		if err != nil {
			// The repository may not be initialised yet.
			return false, err.Error(), nil
		}
		read = objs
		snaps = snaps[:0]
		for _, s := range all {
			for _, t := range s.Tags {
				if t == tag {
					snaps = append(snaps, s)
				}
			}
		}
		return len(snaps) >= n, fmt.Sprintf("%d %q snapshots", len(snaps), tag), nil
	})
	if err != nil {
		return sc.fail(fmt.Errorf("snapshot cadence: want %d %q snapshots: %w", n, tag, err))
	}
	var gaps []string
	var max time.Duration
	for i := 1; i < len(snaps); i++ {
		g := snaps[i].Time.Sub(snaps[i-1].Time)
		if g > max {
			max = g
		}
		gaps = append(gaps, g.Round(10*time.Millisecond).String())
	}
	sc.addEvidence("snapshot cadence", "%s snapshots every %s (configured %s)", tag, strings.Join(gaps, ", "), want)
	sc.logf("%s snapshot intervals: %s (configured %s)", tag, strings.Join(gaps, ", "), want)
	// A backup takes time of its own; an interval far beyond the cadence
	// means the loop is not keeping it.
	if max > 2*want+5*time.Second {
		return sc.fail(fmt.Errorf("snapshot cadence: %s snapshots %s apart, configured every %s", tag, max.Round(time.Millisecond), want))
	}
	return nil
}

// keepLogs saves each container's output (secrets redacted) in the report
// folder, as evidence for whoever reads a failed drill.
// LogDir is where a scenario's logs are kept in its run's report folder.
func LogDir(reportDir, scenario string) string {
	return filepath.Join(reportDir, "logs", slug(scenario))
}

func (sc *Scenario) keepLogs(ctx context.Context) {
	dir := LogDir(sc.suite.opts.ReportDir, sc.name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return
	}
	for _, role := range sc.stack.Roles() {
		if text, err := sc.stack.Logs(ctx, role); err == nil {
			_ = os.WriteFile(filepath.Join(dir, role+".log"), []byte(text), 0o644)
		}
	}
	if sys := sc.suite.opts.System; sc.stack.Container(sc.server) != nil && sys.Has("app_log") {
		r, err := sc.exec(ctx, sys.Command("app_log")+" 2>/dev/null", nil)
		if err == nil {
			_ = os.WriteFile(filepath.Join(dir, "app.log"), []byte(r.Output), 0o644)
		}
	}
}

func slug(s string) string { return stack.Slug(s) }
