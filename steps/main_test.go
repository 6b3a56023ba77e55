package steps_test

import (
	"context"
	"os"
	"testing"

	"firedrill/harness/runner"
)

// interrupted is cancelled by the first Ctrl-C (SIGINT or SIGTERM) this
// binary gets: the running drills fail and clean up, and a test that has
// not begun yet does not begin. A second one forces (exit 130).
var interrupted context.Context

func TestMain(m *testing.M) {
	ctx, stop := runner.WithSignals(context.Background(), os.Stdout)
	interrupted = ctx
	code := m.Run()
	stop()
	os.Exit(code)
}

// runContext is the context a drill test runs in; it fails the test when
// the binary was interrupted before the test began.
func runContext(t *testing.T) context.Context {
	t.Helper()
	if err := interrupted.Err(); err != nil {
		t.Fatal("interrupted before this test began: not starting it")
	}
	return interrupted
}
