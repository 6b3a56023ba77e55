package bench

import (
	"fmt"
	"slices"
	"time"
)

// Stat summarises repeated measurements: never one run alone.
type Stat struct {
	N                int
	Median, Min, Max float64
	Samples          []float64
}

// statOf summarises samples (the median of an even count is the mean of
// the middle two).
func statOf(xs []float64) Stat {
	if len(xs) == 0 {
		return Stat{}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	med := s[n/2]
	if n%2 == 0 {
		med = (s[n/2-1] + s[n/2]) / 2
	}
	return Stat{N: n, Median: med, Min: s[0], Max: s[n-1], Samples: xs}
}

func secondsOf(ds []time.Duration) []float64 {
	out := make([]float64, len(ds))
	for i, d := range ds {
		out[i] = d.Seconds()
	}
	return out
}

// Seconds renders a stat of seconds: "12.3 s (11.9–13.0)".
func (s Stat) Seconds() string {
	switch s.N {
	case 0:
		return "n/a"
	case 1:
		return fmt.Sprintf("%.2f s (1 run)", s.Median)
	}
	return fmt.Sprintf("%.2f s (%.2f–%.2f)", s.Median, s.Min, s.Max)
}

// Ratio renders a stat of ratios: "0.91× (0.85–0.97)".
func (s Stat) Ratio() string {
	switch s.N {
	case 0:
		return "n/a"
	case 1:
		return fmt.Sprintf("%.2f× (1 pair)", s.Median)
	}
	return fmt.Sprintf("%.2f× (%.2f–%.2f)", s.Median, s.Min, s.Max)
}

// MB renders a stat of bytes in megabytes (10^6).
func (s Stat) MB() string {
	switch s.N {
	case 0:
		return "n/a"
	case 1:
		return fmt.Sprintf("%.0f MB (1 run)", s.Median/1e6)
	}
	return fmt.Sprintf("%.0f MB (%.0f–%.0f)", s.Median/1e6, s.Min/1e6, s.Max/1e6)
}
