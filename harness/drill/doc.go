// Package drill is one drill scenario's front end, and the only package the
// Gherkin steps call.
//
// A Suite is one run: its id, profile, system, the DR plan it reads targets
// from, and the results of every scenario. A Scenario is one drill: it
// starts its own stack, brings the system to steady state, injects faults,
// runs the runbook's steps on whichever server is current, and measures,
// from timestamps taken as things happened, the RTO (verified − fault
// injected) and the RPO (from what the restored state or data holds against
// what existed at the fault). A plan step that fails as written is recorded
// as a finding with its command and output; it never passes silently.
package drill
