// Package harness is firedrill's library; this page is the tour.
//
// A run flows down the layers, and each layer is one folder:
//
//   - runner: one run end to end. It checks the input (features, tags,
//     plan, system, images), the step definitions it is given (package
//     steps binds them; the harness never imports it), sweeps what killed runs left, runs the
//     features with godog, writes results.json and the reports, appends
//     the history, and writes the plan's actuals when asked.
//   - drill: one scenario's front end, the only package steps/ calls. It
//     deploys, injects faults, runs the runbook's steps on the current
//     server, and measures.
//   - stack: the containers of one scenario (testcontainers-go), their
//     network, labels, secrets, and removal by label; the Docker engines
//     a run spreads over, each one's placement, and a stack split over
//     two engines (Q4 across hosts).
//   - fault: what breaks, one family per file, each able to undo itself.
//   - probe: bounded polls at a fixed interval.
//   - timeline: events in, RTO and RPO out; pure, clock passed in.
//   - result: the result model, the one thing reports and the plan read.
//   - report: terminal, Markdown, HTML, CSV and history, from a result.
//   - drplan: the DR plan: targets read from its table and actuals written
//     back, its runbook (the numbered steps of its procedures, which the
//     drills run as the plan says them), the features' references to it
//     checked for drift, and the corrections a run proved as a patch.
//   - profile: the pace (ci, quarterly); system: what is drilled, every
//     fact of it (image, home, ports, variable names, commands, and the
//     substitutions of the plan's words); syscheck: a system file checked
//     against its image (firedrill system check).
//   - images: the offline image builds, and their copies between engines.
//   - enginetest: a second Docker engine on this machine, for tests.
//   - bench: the benchmark behind `make bench`.
//
// Words are kept one per thing across Gherkin, Go and reports: a *drill*
// is a quarterly exercise (Q1..Q4), a *scenario* one run of it, a *fault*
// what breaks, a *finding* a plan step that failed as written, a *profile*
// the pace, a *system* what is drilled.
package harness
