// Package fault breaks things on purpose, and knows how to undo it.
//
// One fault family per file: files.go (delete, truncate, flip a bit,
// overwrite, change a YAML value), process.go (kill a process), server.go
// (lose a whole server). Each fault acts only through the small interface
// it declares, is injected once, and can be undone; the drill undoes its
// faults last-in first-out when a scenario ends, whatever happened.
package fault

import (
	"context"
	"fmt"
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
	// Inject breaks it. The caller stamps the fault's time around this call.
	Inject(ctx context.Context) error
	// Undo puts back what Inject changed, where that still makes sense.
	Undo(ctx context.Context) error
}

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

func mustRun(ctx context.Context, sh Shell, what, script string) error {
	code, out, err := sh.Run(ctx, script)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if code != 0 {
		return fmt.Errorf("%s: exit %d: %s", what, code, out)
	}
	return nil
}
