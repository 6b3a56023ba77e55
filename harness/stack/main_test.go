package stack

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"testing"
	"time"
)

// TestMain: Ctrl-C of `make test` reaches this binary while its tests
// have containers running; it removes what it made before it exits, as
// the drills do.
func TestMain(m *testing.M) {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		s := <-sigs
		fmt.Fprintf(os.Stderr, "stack tests: %s: removing this binary's containers and networks\n", s)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := SweepOwnedSettled(ctx, time.Second); err != nil {
			fmt.Fprintln(os.Stderr, "stack tests: sweep:", err)
		}
		os.Exit(130)
	}()
	os.Exit(m.Run())
}
