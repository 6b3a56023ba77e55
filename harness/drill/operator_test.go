package drill

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"
)

// slowReader answers Enter after a delay, like a person does.
type slowReader struct {
	delay time.Duration
	done  bool
}

func (r *slowReader) Read(p []byte) (int, error) {
	if r.done {
		return 0, io.EOF
	}
	time.Sleep(r.delay)
	r.done = true
	return copy(p, "\n"), nil
}

func TestManualStepWithOperatorIsTimed(t *testing.T) {
	var out bytes.Buffer
	op := &Terminal{In: &slowReader{delay: 150 * time.Millisecond}, Out: &out}
	s := &Suite{opts: Options{Operator: op, Log: io.Discard}}
	sc := s.Begin("operator", nil)
	ran := false
	if err := sc.Manual(context.Background(), "approve the switch to live", "Approve going live.", func(context.Context) error {
		ran = true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !ran {
		t.Fatal("the automated part of the step must still run after the person confirms")
	}
	if !strings.Contains(out.String(), "MANUAL STEP: approve the switch to live") {
		t.Fatalf("operator was not prompted: %q", out.String())
	}
	ph := sc.tl.Phases()
	if len(ph) != 1 || !ph[0].Manual || ph[0].Automated {
		t.Fatalf("phases = %+v, want one manual phase done by a person", ph)
	}
	if d := ph[0].Duration(); d < 150*time.Millisecond {
		t.Fatalf("manual phase took %s, want at least the person's 150ms: the wait must count into the RTO", d)
	}
}

func TestManualStepWithoutOperatorIsMarkedAutomated(t *testing.T) {
	s := &Suite{opts: Options{Log: io.Discard}}
	sc := s.Begin("no operator", nil)
	if err := sc.Manual(context.Background(), "log into the broker", "", nil); err != nil {
		t.Fatal(err)
	}
	ph := sc.tl.Phases()
	if len(ph) != 1 || !ph[0].Manual || !ph[0].Automated {
		t.Fatalf("phases = %+v, want one manual phase marked automated", ph)
	}
}

func TestOperatorGivesUpWhenTheRunIsCancelled(t *testing.T) {
	op := &Terminal{In: &slowReader{delay: time.Hour}, Out: io.Discard}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := op.Do(ctx, "step", "do it"); err == nil {
		t.Fatal("a cancelled run must not wait for the operator forever")
	}
}

func TestBeginNamesTheDrillFromItsTag(t *testing.T) {
	s := &Suite{opts: Options{Log: io.Discard}}
	for tag, want := range map[string]string{"@q1": "Q1", "@Q4": "Q4", "@smoke": ""} {
		if got := s.Begin("x", []string{"@quarterly", tag}).drill; got != want {
			t.Errorf("tag %s: drill %q, want %q", tag, got, want)
		}
	}
}
