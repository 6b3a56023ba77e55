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
