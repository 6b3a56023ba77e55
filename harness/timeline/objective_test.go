package timeline

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// TestAgeAt: every age an RPO is stated from (newest recovered change,
// earliest lost fill, lost bar, lost commit) is fault − time, and a time
// after the fault is an error naming both times and the likely cause,
// never a clamped 0.
func TestAgeAt(t *testing.T) {
	fault := at("10:02:11")
	tests := []struct {
		name     string
		fault    time.Time
		at       time.Time
		want     time.Duration
		wantErr  []string // substrings of the error
		afterErr bool     // errors.Is(err, ErrAfterFault)
	}{
		{name: "seven seconds old", fault: fault, at: at("10:02:04"), want: 7 * time.Second},
		{name: "the fault instant is 0", fault: fault, at: fault, want: 0},
		{name: "months old (a commit)", fault: fault, at: fault.AddDate(0, -2, 0), want: fault.Sub(fault.AddDate(0, -2, 0))},
		{
			name: "a millisecond after the fault", fault: fault, at: at("10:02:11.001"),
			wantErr:  []string{"fill F-000003 is dated after the fault", "2026-11-27T10:02:11.001Z", "1ms after the fault at 2026-11-27T10:02:11.000Z", "clock skew"},
			afterErr: true,
		},
		{
			name: "a commit dated next year", fault: fault, at: fault.AddDate(1, 0, 0),
			wantErr:  []string{"2027-11-27T10:02:11.000Z", "after the fault at 2026-11-27T10:02:11.000Z", "clock skew", "while the fault was being injected"},
			afterErr: true,
		},
		{name: "no fault", at: fault, wantErr: []string{"no fault was injected"}},
		{name: "no time", fault: fault, wantErr: []string{"fill F-000003 has no time"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := AgeAt(tt.fault, tt.at, "fill F-000003")
			if tt.wantErr != nil {
				if err == nil {
					t.Fatalf("AgeAt() = %v, nil; want an error", got)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("AgeAt() error %q lacks %q", err, w)
					}
				}
				if errors.Is(err, ErrAfterFault) != tt.afterErr {
					t.Errorf("errors.Is(%v, ErrAfterFault) = %v, want %v", err, !tt.afterErr, tt.afterErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("AgeAt() = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}
