// Package safety holds the tests of firedrill's safety promises, run as a
// user meets them: through the built firedrill binary (and, for go test's
// own timeout, through the steps test binary) against real containers.
//
//   - cleanup on every ending: a run interrupted while its stack starts,
//     right after the fault, mid-restore (once, and twice to force), a
//     failed scenario, a panic in a step, go test's -timeout, and SIGKILL
//     followed by `firedrill clean` or by the next run's sweep, each leaves
//     no container, network or volume labelled with its run id;
//   - blast radius: every socket of every container of a run, sampled
//     from inside its network namespace, has its peer on the run's own
//     network (or is the host reaching a port the container publishes);
//     every address the containers are configured with names one of them;
//   - bad input gets one clear message naming the thing and the fix, a
//     non-zero exit, and the plan's bytes unchanged;
//   - a backup target that fails mid-drill fails the drill saying why; a
//     damaged restic repository is a finding and the drill falls back; a
//     lost report folder or a full disk still prints the results.
//
// Every test asserts only on the objects of its own runs: other runs may be
// live on the same engine. The tests that need Docker skip under -short.
// Interrupted (Ctrl-C of make test), this binary waits for the runs it
// started to clean up, then removes what is left of its own, and exits.
package safety
