package drplan

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// TargetError is a target a person wrote that ParseTarget cannot read.
type TargetError struct {
	Text string // the text as written
	Fix  string // what to write instead
}

func (e *TargetError) Error() string { return fmt.Sprintf("parse target %q: %s", e.Text, e.Fix) }

const fixDuration = `write a duration such as "5 min" or "30 s"`

var (
	// prefixes a person puts before a target; they change nothing.
	targetPrefixes = []string{"<=", "≤", "⩽", "≦", "<", "up to ", "within ", "under ", "max. ", "max "}
	// one "number unit" pair, with what may separate it from the next.
	pairRe  = regexp.MustCompile(`^(\d+(?:[.,]\d+)?)\s*([a-zµ]+)\.?(?:\s*,\s*|\s+and\s+|\s*)`)
	zeroRe  = regexp.MustCompile(`^0+(?:[.,]0+)?$`)
	numRe   = regexp.MustCompile(`^\d+(?:[.,]\d+)?$`)
	unitLen = map[string]time.Duration{
		"ms": time.Millisecond, "msec": time.Millisecond, "millisecond": time.Millisecond, "milliseconds": time.Millisecond,
		"s": time.Second, "sec": time.Second, "secs": time.Second, "second": time.Second, "seconds": time.Second,
		"m": time.Minute, "min": time.Minute, "mins": time.Minute, "minute": time.Minute, "minutes": time.Minute,
		"h": time.Hour, "hr": time.Hour, "hrs": time.Hour, "hour": time.Hour, "hours": time.Hour,
		"d": 24 * time.Hour, "day": 24 * time.Hour, "days": 24 * time.Hour,
	}
)

// ParseTarget reads a duration the way a person writes it in a plan's
// table: "5 min", "< 15 minutes", "<15min", "0 min", "0", "1 h", "1 hour",
// "30s", "30 sec", "90 seconds", "1.5 h", "2 min 30 s", "≤ 10 min". A
// leading "<", "<=", "≤", "up to", "within" or "under" is the target's
// bound and changes nothing. Anything else fails with a *TargetError that
// names the text and what to write instead.
func ParseTarget(s string) (time.Duration, error) {
	t := strings.ReplaceAll(s, "\u00a0", " ") // a non-breaking space from a word processor
	t = strings.ToLower(strings.Trim(strings.TrimSpace(t), "*_`"))
	for _, p := range targetPrefixes {
		if strings.HasPrefix(t, p) {
			t = strings.TrimSpace(t[len(p):])
			break
		}
	}
	switch {
	case t == "":
		return 0, &TargetError{Text: s, Fix: fixDuration}
	case zeroRe.MatchString(t):
		return 0, nil
	case numRe.MatchString(t):
		return 0, &TargetError{Text: s, Fix: fmt.Sprintf("give the number a unit, such as %q or %q", t+" min", t+" s")}
	}
	var total float64 // nanoseconds
	for rest := t; rest != ""; {
		m := pairRe.FindStringSubmatch(rest)
		if m == nil {
			return 0, &TargetError{Text: s, Fix: fixDuration}
		}
		unit, ok := unitLen[m[2]]
		if !ok {
			return 0, &TargetError{Text: s, Fix: fmt.Sprintf("unit %q is not one of s, min, h, day: %s", m[2], fixDuration)}
		}
		n, err := strconv.ParseFloat(strings.Replace(m[1], ",", ".", 1), 64)
		if err != nil {
			return 0, &TargetError{Text: s, Fix: fixDuration}
		}
		total += n * float64(unit)
		rest = rest[len(m[0]):]
	}
	if total > float64(math.MaxInt64) {
		return 0, &TargetError{Text: s, Fix: "write a shorter duration"}
	}
	return time.Duration(math.Round(total)), nil
}
