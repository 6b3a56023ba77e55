package probe

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestUntil(t *testing.T) {
	tests := []struct {
		name     string
		okAfter  int
		limit    time.Duration
		wantErr  string
		wantTrys int
	}{
		{"first attempt", 1, time.Second, "", 1},
		{"third attempt", 3, time.Second, "", 3},
		{"never", 1 << 30, 30 * time.Millisecond, "not reached within 30ms", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := 0
			o, err := Until(context.Background(), 5*time.Millisecond, tt.limit, func(context.Context) (bool, string, error) {
				n++
				return n >= tt.okAfter, "attempt", nil
			})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if o.Attempts != tt.wantTrys {
				t.Fatalf("attempts = %d, want %d", o.Attempts, tt.wantTrys)
			}
		})
	}
}

func TestUntilReportsCheckError(t *testing.T) {
	_, err := Until(context.Background(), 5*time.Millisecond, 20*time.Millisecond, func(context.Context) (bool, string, error) {
		return false, "", errors.New("connection refused")
	})
	if err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("err = %v", err)
	}
}

func TestUntilRejectsZeroInterval(t *testing.T) {
	if _, err := Until(context.Background(), 0, time.Second, nil); err == nil {
		t.Fatal("want error")
	}
}

// TestUntilStopsOnAFatalError: a check whose target is gone ends the probe
// at once with its error, long before the limit.
func TestUntilStopsOnAFatalError(t *testing.T) {
	gone := errors.New("engine stopped answering")
	start := time.Now()
	n := 0
	_, err := Until(context.Background(), 10*time.Millisecond, time.Minute, func(context.Context) (bool, string, error) {
		n++
		if n < 3 {
			return false, "not yet", nil
		}
		return false, "", Fatal(gone)
	})
	if !errors.Is(err, gone) {
		t.Fatalf("got %v, want %v", err, gone)
	}
	if n != 3 || time.Since(start) > 5*time.Second {
		t.Fatalf("the probe went on after the fatal error: %d attempts in %s", n, time.Since(start))
	}
}
