// Package stack starts and removes the containers of one drill scenario.
//
// A Stack is one scenario's world: its own Docker network and the MinIO,
// mock broker, traderunner (and, when asked, git remote) containers on it,
// each named after the run and scenario and labelled firedrill.run=<run id>
// and firedrill.scenario=<name>. Containers start with testcontainers-go;
// what testcontainers-go lacks (kill with a signal, pause, sweep by label)
// goes through its Docker client.
//
// Ryuk, testcontainers-go's reaper, is disabled by this package before any
// testcontainers call: its image cannot be pulled where no registry is
// reachable. Cleanup is firedrill's own: Close removes a stack, Sweep removes
// whatever a run (or a killed run) left, by label.
package stack
