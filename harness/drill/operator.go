package drill

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"

	"firedrill/harness/timeline"
)

// Operator is a person at the terminal who does the plan's manual steps.
type Operator interface {
	// Do shows what to do and returns when the person says it is done.
	Do(ctx context.Context, step, instructions string) error
}

// Terminal is an Operator on a terminal.
type Terminal struct {
	In  io.Reader
	Out io.Writer
	r   *bufio.Reader
}

// Do prints the instructions and waits for Enter.
func (t *Terminal) Do(ctx context.Context, step, instructions string) error {
	if t.r == nil {
		t.r = bufio.NewReader(t.In)
	}
	fmt.Fprintf(t.Out, "\n== MANUAL STEP: %s\n%s\nPress Enter when done (the time counts into the RTO) ", step, strings.TrimSpace(instructions))
	done := make(chan error, 1)
	go func() {
		_, err := t.r.ReadString('\n')
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("wait for operator on %q: %w", step, err)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("wait for operator on %q: %w", step, ctx.Err())
	}
}

// Manual is a step the plan leaves to a person. With an operator the
// person does it and the wait is timed; without one firedrill does it
// (auto) and marks the phase as automated.
func (sc *Scenario) Manual(ctx context.Context, step, instructions string, auto func(context.Context) error) error {
	ctx, cancel := sc.bound(ctx)
	defer cancel()
	if op := sc.suite.opts.Operator; op != nil {
		end := sc.tl.Phase(step, timeline.Manual())
		err := op.Do(ctx, step, instructions)
		end()
		if err != nil {
			return sc.fail(err)
		}
		if auto != nil {
			return auto(ctx)
		}
		return nil
	}
	end := sc.tl.Phase(step, timeline.Manual(), timeline.Automated())
	defer end()
	if auto == nil {
		return nil
	}
	return auto(ctx)
}
