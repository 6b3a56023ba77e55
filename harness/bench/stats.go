package bench

import (
	"fmt"
	"slices"
	"strings"
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
func (s Stat) Seconds() string { return s.render("%.2f s", "run", 1) }

// Ratio renders a stat of ratios: "0.91× (0.85–0.97)".
func (s Stat) Ratio() string { return s.render("%.2f×", "pair", 1) }

// MB renders a stat of bytes in megabytes (10^6).
func (s Stat) MB() string { return s.render("%.0f MB", "run", 1e6) }

// render prints the median in unit (a format holding one verb) and the
// range, or what one sample was, after dividing by scale.
func (s Stat) render(unit, sample string, scale float64) string {
	switch s.N {
	case 0:
		return "n/a"
	case 1:
		return fmt.Sprintf(unit+" (1 %s)", s.Median/scale, sample)
	}
	num := strings.Fields(unit)[0]
	num = strings.TrimSuffix(num, "×")
	return fmt.Sprintf(unit+" ("+num+"–"+num+")", s.Median/scale, s.Min/scale, s.Max/scale)
}
