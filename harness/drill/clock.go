package drill

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/minio/minio-go/v7"

	"firedrill/harness/fault"
	"firedrill/harness/stack"
)

// A drill reads its times from several clocks: the fault is stamped by the
// clock of the server it damages, failures and recoveries by the host's
// probes, backups and fills by MinIO's and the broker's. On one machine
// they are one kernel clock; once DOCKER_HOST is remote (or a VM) they are
// not. Before the first fault each container's clock is compared with the
// host's, and a drill whose clocks disagree is not measured.

// clockTolerance is how far a container's clock may be from the host's,
// beyond the measured bound, before a drill's times cannot be trusted.
const clockTolerance = 100 * time.Millisecond

// clockSamples is how many readings are taken of each clock; the one with
// the smallest bound (the shortest round trip) is kept.
const clockSamples = 3

// clockLimit bounds the whole comparison.
const clockLimit = 20 * time.Second

// clockObject is the key prefix of the object put in MinIO to read its clock.
const clockObject = "firedrill-clock/"

// clockReading is one reading of a remote clock, bracketed by the host's.
type clockReading struct {
	// before and after are the host's clock around the reading.
	before, after time.Time
	// remote is the remote clock's reading.
	remote time.Time
	// resolution is the step the remote reading was truncated to (MinIO's
	// listing: 1 ms); 0 for a reading in nanoseconds.
	resolution time.Duration
}

// offset is how far the remote clock is ahead of the host's (negative:
// behind), and bound the most that figure can be off. The reading was
// taken at some host instant between before and after, and a truncated
// reading stands for any instant in [remote, remote+resolution): the
// offset is taken at the middle of both, the bound is half of each.
func (r clockReading) offset() (offset, bound time.Duration) {
	rtt := r.after.Sub(r.before)
	mid := r.before.Add(rtt / 2)
	return r.remote.Add(r.resolution / 2).Sub(mid), rtt/2 + r.resolution/2
}

// beyond is how far an offset lies past its bound plus the tolerance; 0
// or less is within.
func beyond(offset, bound, tolerance time.Duration) time.Duration {
	if offset < 0 {
		offset = -offset
	}
	return offset - bound - tolerance
}

// bestReading is the reading with the smallest bound (rs not empty).
func bestReading(rs []clockReading) clockReading {
	var best clockReading
	bestBound := time.Duration(math.MaxInt64)
	for _, r := range rs {
		if _, b := r.offset(); b < bestBound {
			best, bestBound = r, b
		}
	}
	return best
}

// clockCheck is what was learnt of one container's clock.
type clockCheck struct {
	role string
	// how says what was read, for the evidence.
	how     string
	reading clockReading
	// samples is how many readings succeeded; err is set when none did.
	samples int
	err     error
}

// clockEvidence states a container's offset and its bound.
func clockEvidence(c clockCheck) string {
	off, bound := c.reading.offset()
	return fmt.Sprintf("%s clock %s from the host's (±%s: %s; best of %d)", c.role, signed(off), unsigned(bound), c.how, c.samples)
}

// clockVerdict fails a clock further from the host's than its bound plus
// clockTolerance, naming the container, its offset and the fix.
func clockVerdict(c clockCheck) error {
	off, bound := c.reading.offset()
	if beyond(off, bound, clockTolerance) <= 0 {
		return nil
	}
	dir := "ahead of"
	if off < 0 {
		dir = "behind"
	}
	return fmt.Errorf("clock check: the %s container's clock is %s %s the host's (measured ±%s), more than %s beyond the bound: "+
		"times stamped by different clocks (the fault, the failure, the recovery, backups, fills) would be off by as much. "+
		"Sync the clock of the Docker host (the machine DOCKER_HOST points at, or Docker Desktop's VM) with this machine's, e.g. with NTP/chrony, and run again",
		c.role, unsigned(off), dir, unsigned(bound), unsigned(clockTolerance))
}

// stampVerdict holds a fault's stamp, read by the damaged container's
// clock, to the host's bracket of the injection: once the clocks agreed,
// a stamp further out than the bracket plus clockTolerance means the
// container's clock moved, or the stamp is not its clock.
func stampVerdict(role string, st fault.Stamp, before, after time.Time) error {
	off, bound := clockReading{before: before, after: after, remote: st.At}.offset()
	if beyond(off, bound, clockTolerance) <= 0 {
		return nil
	}
	return fmt.Errorf("fault stamp: the %s container stamped the fault at %s, outside the host's bracket of the injection (%s to %s) by more than %s: "+
		"its clock moved since the clock check, or the stamp is not its clock; an RTO measured from it would be off by %s",
		role, clockStamp(st.At), clockStamp(before), clockStamp(after), unsigned(clockTolerance), unsigned(off))
}

// checkClocks compares the clocks of the server the faults act on, the
// broker and MinIO with the host's, once per scenario, records each offset
// as evidence, and fails when one is too far off (clockVerdict) or cannot
// be read.
func (sc *Scenario) checkClocks(ctx context.Context) error {
	if sc.clocksChecked {
		return nil
	}
	sc.clocksChecked = true
	ctx, cancel := context.WithTimeout(ctx, clockLimit)
	defer cancel()
	server := sc.server
	readers := []struct {
		role, how string
		read      func(context.Context) (clockReading, error)
	}{
		{server, "half the round trip of date +%s%N run by docker exec", sc.execClock(server)},
		{stack.RoleBroker, "half the round trip of GET /api/v1/groundtruth, whose now is in nanoseconds", sc.brokerClock()},
		{stack.RoleMinIO, "half the round trip of a PUT plus half of the 1 ms to which MinIO's listing truncates the object's LastModified", sc.minioClock()},
	}
	// The three at once: the fault waits for the slowest only.
	checks := make([]clockCheck, len(readers))
	var wg sync.WaitGroup
	for i, rd := range readers {
		wg.Go(func() {
			checks[i] = sampleClock(ctx, rd.role, rd.how, rd.read)
		})
	}
	wg.Wait()
	var errs, notes []string
	for _, c := range checks {
		if c.err != nil {
			errs = append(errs, fmt.Sprintf("clock check: the %s container's clock could not be read, so the drill's times cannot be compared: %v", c.role, c.err))
			continue
		}
		host := ""
		if e := sc.engineNames(); e != nil && e[c.role] != "" {
			// Several engines are several hosts: say whose clock it is.
			host = " on engine " + e[c.role]
		}
		sc.addEvidence("clock", "%s%s", clockEvidence(c), host)
		off, bound := c.reading.offset()
		notes = append(notes, fmt.Sprintf("%s%s %s ±%s", c.role, host, signed(off), unsigned(bound)))
		if err := clockVerdict(c); err != nil {
			errs = append(errs, err.Error())
		}
	}
	sc.logf("clocks against the host's: %s", strings.Join(notes, ", "))
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "\n"))
	}
	return nil
}

// sampleClock reads a clock clockSamples times and keeps the best reading.
func sampleClock(ctx context.Context, role, how string, read func(context.Context) (clockReading, error)) clockCheck {
	c := clockCheck{role: role, how: how}
	var rs []clockReading
	var errs []error
	for range clockSamples {
		r, err := read(ctx)
		if err != nil {
			errs = append(errs, err)
			if ctx.Err() != nil {
				break
			}
			continue
		}
		rs = append(rs, r)
	}
	if len(rs) == 0 {
		c.err = errors.Join(errs...)
		if c.err == nil {
			c.err = ctx.Err()
		}
		return c
	}
	c.reading, c.samples = bestReading(rs), len(rs)
	return c
}

// execClock reads a container's clock with date +%s%N run in it.
func (sc *Scenario) execClock(role string) func(context.Context) (clockReading, error) {
	return func(ctx context.Context) (clockReading, error) {
		before := time.Now()
		r, err := sc.stack.Exec(ctx, role, "", "date +%s%N", nil)
		after := time.Now()
		if err != nil {
			return clockReading{}, err
		}
		if r.Code != 0 {
			return clockReading{}, fmt.Errorf("date +%%s%%N: exit %d: %s", r.Code, lastLines(r.Output, 2))
		}
		remote, err := parseEpochNanos(r.Output)
		if err != nil {
			return clockReading{}, err
		}
		return clockReading{before: before, after: after, remote: remote}, nil
	}
}

// parseEpochNanos reads date +%s%N: nanoseconds since the epoch.
func parseEpochNanos(out string) (time.Time, error) {
	s := strings.TrimSpace(out)
	ns, err := strconv.ParseInt(s, 10, 64)
	if err != nil || len(s) < 19 {
		return time.Time{}, fmt.Errorf("date +%%s%%N printed %q, not nanoseconds since the epoch: the server's date must print nanoseconds (GNU coreutils)", s)
	}
	return time.Unix(0, ns).UTC(), nil
}

// brokerClock reads the broker's clock from its ground truth's now. The
// endpoint is looked up once, outside the bracket: a lookup asks the
// container engine.
func (sc *Scenario) brokerClock() func(context.Context) (clockReading, error) {
	var ep string
	return func(ctx context.Context) (clockReading, error) {
		if ep == "" {
			e, err := sc.stack.Endpoint(ctx, stack.RoleBroker, stack.PortBroker)
			if err != nil {
				return clockReading{}, err
			}
			ep = e
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+ep+"/api/v1/groundtruth", nil)
		if err != nil {
			return clockReading{}, err
		}
		var gt struct {
			Now time.Time `json:"now"`
		}
		before := time.Now()
		resp, err := httpClient.Do(req)
		if err != nil {
			return clockReading{}, fmt.Errorf("get /api/v1/groundtruth from the broker: %w", err)
		}
		err = json.NewDecoder(resp.Body).Decode(&gt)
		resp.Body.Close()
		after := time.Now()
		switch {
		case resp.StatusCode != http.StatusOK:
			return clockReading{}, fmt.Errorf("get /api/v1/groundtruth from the broker: HTTP %d", resp.StatusCode)
		case err != nil:
			return clockReading{}, fmt.Errorf("decode /api/v1/groundtruth from the broker: %w", err)
		case gt.Now.IsZero():
			return clockReading{}, errors.New("the broker's ground truth has no now")
		}
		return clockReading{before: before, after: after, remote: gt.Now}, nil
	}
}

// minioClock reads MinIO's clock (its image has no shell): a tiny object
// is put in the primary backup bucket and its LastModified, which MinIO
// sets while it handles the PUT, read from a listing (to the millisecond:
// the object's HEAD has whole seconds only); the object is removed again.
func (sc *Scenario) minioClock() func(context.Context) (clockReading, error) {
	var cl *minio.Client
	n := 0
	// A bucket of the MinIO whose clock is read (split, the primary's
	// repository is on another).
	bucket := stack.BucketCloud
	return func(ctx context.Context) (clockReading, error) {
		if cl == nil {
			c, err := sc.stack.MinIO(ctx)
			if err != nil {
				return clockReading{}, err
			}
			cl = c
		}
		n++
		key := fmt.Sprintf("%s%s-%d-%d", clockObject, slug(sc.name), time.Now().UnixNano(), n)
		body := "firedrill clock check\n"
		before := time.Now()
		_, err := cl.PutObject(ctx, bucket, key, strings.NewReader(body), int64(len(body)), minio.PutObjectOptions{ContentType: "text/plain"})
		after := time.Now()
		if err != nil {
			return clockReading{}, fmt.Errorf("put %s/%s in minio: %w", bucket, key, err)
		}
		var modified time.Time
		var listErr error
		for o := range cl.ListObjects(ctx, bucket, minio.ListObjectsOptions{Prefix: key}) {
			if o.Err != nil {
				listErr = o.Err
				break
			}
			if o.Key == key {
				modified = o.LastModified
			}
		}
		rmErr := cl.RemoveObject(context.WithoutCancel(ctx), bucket, key, minio.RemoveObjectOptions{})
		switch {
		case listErr != nil:
			return clockReading{}, fmt.Errorf("list %s/%s in minio: %w", bucket, key, listErr)
		case modified.IsZero():
			return clockReading{}, fmt.Errorf("list %s/%s in minio: the object just put is not listed", bucket, key)
		case rmErr != nil:
			return clockReading{}, fmt.Errorf("remove the clock check's object %s/%s from minio: %w", bucket, key, rmErr)
		}
		return clockReading{before: before, after: after, remote: modified, resolution: time.Millisecond}, nil
	}
}

// signed writes an offset with its sign: +3.2 ms, -1.250 s.
func signed(d time.Duration) string {
	s := unsigned(d)
	if d < 0 {
		return "-" + s
	}
	return "+" + s
}

// unsigned writes a duration's size in milliseconds under 10 s, else in
// seconds.
func unsigned(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	if d >= 10*time.Second {
		return strconv.FormatFloat(d.Seconds(), 'f', 3, 64) + " s"
	}
	ms := float64(d) / float64(time.Millisecond)
	if ms >= 100 || ms == math.Trunc(ms) {
		return strconv.FormatFloat(ms, 'f', 0, 64) + " ms"
	}
	return strconv.FormatFloat(ms, 'f', 1, 64) + " ms"
}

// clockStamp writes a time of day in UTC to the millisecond.
func clockStamp(t time.Time) string { return t.UTC().Format("15:04:05.000Z") }

// faultEvidence states where and when a fault was stamped, with the host's
// time around the call beside it and the difference.
func faultEvidence(name, role string, st fault.Stamp, before, after time.Time) string {
	where := "in the " + role + " container"
	if st.Clock == fault.HostClock {
		where = "on the host"
	}
	return fmt.Sprintf("%s: stamped %s at %s, %s; host %s before the call, %s after it (the call took %s); difference %s",
		name, where, clockStamp(st.At), st.Moment, clockStamp(before), clockStamp(after), unsigned(after.Sub(before)), signed(st.At.Sub(before)))
}
