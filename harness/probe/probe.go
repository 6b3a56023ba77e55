// Package probe answers "is it up yet?" with bounded waits.
//
// A probe polls at a fixed, stated interval (never exponential backoff: a
// growing gap would inflate a measured RTO) and stops at its limit or when
// its context ends. The time it reports is the moment the successful check
// finished, which bounds the precision of any duration measured from it by
// one interval plus the check's own duration.
package probe

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Check is one probe attempt: ok reports success; err a probe that could not run.
type Check func(ctx context.Context) (ok bool, detail string, err error)

// Outcome of a probe.
type Outcome struct {
	// At is when the deciding attempt finished.
	At       time.Time
	Attempts int
	// Detail is the deciding attempt's detail, or the last one's.
	Detail string
}

// Fatal marks a check's error as one no later attempt can mend (what it
// probes is gone): Until returns it at once instead of trying again.
func Fatal(err error) error { return fatal{err} }

type fatal struct{ err error }

func (f fatal) Error() string { return f.err.Error() }
func (f fatal) Unwrap() error { return f.err }

// Until runs check every interval until it succeeds, the limit passes,
// ctx ends or the check fails with a Fatal error. The first attempt runs
// at once.
func Until(ctx context.Context, interval, limit time.Duration, check Check) (Outcome, error) {
	if interval <= 0 {
		return Outcome{}, fmt.Errorf("probe: interval must be > 0, got %s", interval)
	}
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	t := time.NewTicker(interval)
	defer t.Stop()
	var o Outcome
	var lastErr error
	for {
		ok, detail, err := check(ctx)
		o.Attempts++
		o.At = time.Now()
		o.Detail = detail
		lastErr = err
		if err == nil && ok {
			return o, nil
		}
		var f fatal
		if errors.As(err, &f) {
			return o, f.err
		}
		select {
		case <-ctx.Done():
			if lastErr != nil {
				return o, fmt.Errorf("still failing after %s (%d attempts every %s): %w", limit, o.Attempts, interval, lastErr)
			}
			return o, fmt.Errorf("not reached within %s (%d attempts every %s): last: %s", limit, o.Attempts, interval, detail)
		case <-t.C:
		}
	}
}
