// Package fault breaks things on purpose, and knows how to undo it.
//
// One fault family per file: files.go (delete, truncate, flip a bit,
// overwrite, change a YAML value), process.go (kill a process), server.go
// (lose a whole server). Each fault acts only through the small interface
// it declares, is injected once, and can be undone; the drill undoes its
// faults last-in first-out when a scenario ends, whatever happened.
//
// A fault stamps its own moment: the time the damage happened, read where
// it happened. A fault that runs a script on a server ends the script with
// a marker line (Marker) carrying the server's clock, printed right after
// the damaging command, after the undo copy: the caller's time around
// Inject would include the copy and the round trip to the server.
package fault

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Shell runs a bash script on the server the fault acts on, in the
// deployment's home directory.
type Shell interface {
	Run(ctx context.Context, script string) (code int, output string, err error)
}

// Fault is one injected failure.
type Fault interface {
	// Name says what breaks, in operator words.
	Name() string
	// Inject breaks it and returns when the damage happened, stamped by
	// the clock of the machine it happened on (see Stamp). An error may
	// come after the damage (a stamp that cannot be read): Undo is safe
	// to call whatever Inject returned.
	Inject(ctx context.Context) (Stamp, error)
	// Undo puts back what Inject changed, where that still makes sense.
	Undo(ctx context.Context) error
}

// Clock says whose clock a Stamp was read from.
type Clock string

// Clocks a stamp is read from.
const (
	// ContainerClock: the clock of the server the fault acted on, read in
	// it by the fault's script.
	ContainerClock Clock = "container"
	// HostClock: firedrill's own clock, for a fault that leaves no clock
	// to read where it struck (a removed container).
	HostClock Clock = "host"
)

// Stamp is the moment of a fault's damage.
type Stamp struct {
	At    time.Time
	Clock Clock
	// Moment says in words which instant At is ("right after the
	// damaging command, after the undo copy").
	Moment string
}

// Marker starts the line a fault's script prints right after its
// damaging command: the server's clock in seconds.nanoseconds since the
// epoch (date +%s.%N), e.g. FIREDRILL_FAULT_AT=1764628800.123456789.
const Marker = "FIREDRILL_FAULT_AT="

// stampLine prints the marker with the server's clock.
const stampLine = `printf '` + Marker + `%s\n' "$(date +%s.%N)"`

// afterDamage is the moment a script's stamp is read.
const afterDamage = "right after the damaging command, after the undo copy"

// UndoTimeout bounds one undo; undo runs on a context that survives the
// scenario's cancellation.
const UndoTimeout = 30 * time.Second

// UndoAll undoes faults last-in first-out on a context of its own, so that
// cleanup survives cancellation, and returns every error.
func UndoAll(ctx context.Context, faults []Fault) []error {
	var errs []error
	for i := len(faults) - 1; i >= 0; i-- {
		c, cancel := context.WithTimeout(context.WithoutCancel(ctx), UndoTimeout)
		if err := faults[i].Undo(c); err != nil {
			errs = append(errs, fmt.Errorf("undo %s: %w", faults[i].Name(), err))
		}
		cancel()
	}
	return errs
}

func mustRun(ctx context.Context, sh Shell, what, script string) (string, error) {
	code, out, err := sh.Run(ctx, script)
	if err != nil {
		return out, fmt.Errorf("%s: %w", what, err)
	}
	if code != 0 {
		return out, fmt.Errorf("%s: exit %d: %s", what, code, out)
	}
	return out, nil
}

// runStamped runs a fault's script, whose last line prints the marker
// (stampLine), and returns the server's stamp.
func runStamped(ctx context.Context, sh Shell, what, script string) (Stamp, error) {
	out, err := mustRun(ctx, sh, what, script)
	if err != nil {
		return Stamp{}, err
	}
	at, err := parseStamp(out)
	if err != nil {
		return Stamp{}, fmt.Errorf("%s: the damage is done but its moment is unknown: %w", what, err)
	}
	return Stamp{At: at, Clock: ContainerClock, Moment: afterDamage}, nil
}

var stampValue = regexp.MustCompile(`^([0-9]{1,12})\.([0-9]{1,9})$`)

// parseStamp finds the last marker line in a script's output and reads
// its seconds.nanoseconds. Anything else the script printed is ignored.
func parseStamp(output string) (time.Time, error) {
	value, found := "", false
	for _, line := range strings.Split(output, "\n") {
		line = strings.TrimSpace(line)
		if v, ok := strings.CutPrefix(line, Marker); ok {
			value, found = v, true
		}
	}
	if !found {
		return time.Time{}, fmt.Errorf("no %s line in the script's output (%q)", Marker, lastLine(output))
	}
	m := stampValue.FindStringSubmatch(value)
	if m == nil {
		return time.Time{}, fmt.Errorf("%s%q is not seconds.nanoseconds: the server's date must print nanoseconds (date +%%s.%%N, GNU coreutils)", Marker, value)
	}
	sec, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s%q: %w", Marker, value, err)
	}
	frac := m[2] + strings.Repeat("0", 9-len(m[2]))
	nsec, err := strconv.ParseInt(frac, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s%q: %w", Marker, value, err)
	}
	return time.Unix(sec, nsec).UTC(), nil
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}
