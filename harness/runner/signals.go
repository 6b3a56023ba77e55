package runner

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"firedrill/harness/stack"
)

// WithSignals returns a context cancelled on the first SIGINT or SIGTERM,
// so every scenario fails and tears its stack down on the normal path. A
// second signal forces: whatever carries the run label of this process's
// runs is removed at once and the process exits 130.
func WithSignals(ctx context.Context, out io.Writer) (context.Context, func()) {
	ctx, cancel := context.WithCancel(ctx)
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	forcing := make(chan struct{})
	go func() {
		select {
		case s := <-ch:
			fmt.Fprintf(out, "\nfiredrill: %s: stopping, cleaning up (again to force)\n", s)
			cancel()
		case <-done:
			return
		}
		select {
		case <-ch:
			close(forcing)
			fmt.Fprintf(out, "\nfiredrill: forced: removing this run's containers and networks now\n")
			c, cl := context.WithTimeout(context.Background(), 30*time.Second)
			_ = stack.SweepOwnedSettled(c, time.Second)
			cl()
			os.Exit(130)
		case <-done:
		}
	}()
	return ctx, func() {
		select {
		case <-forcing:
			// The forced sweep ends the process (exit 130) when it is
			// done; the run must not exit first with its own status.
			select {}
		default:
		}
		signal.Stop(ch)
		close(done)
		cancel()
	}
}
