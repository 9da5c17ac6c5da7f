// Package gate evaluates readiness gates and makes the Go/No-Go decision for a
// release. It is for platform teams wiring release approval into their
// delivery platform and for release bots that must explain every "no".
//
// A [Gate] is one readiness criterion: it looks at an [Input] (the release's
// facts: approvals, CI checks, metrics and baselines, risk level, the current
// time) and returns a [Result] with a [Status] (pass, warn, fail, error), a
// reason a person can act on, and structured evidence.
//
// [Evaluate] runs the gates concurrently with bounded parallelism and a
// per-gate timeout, turns panics and timeouts into [StatusError] results, and
// returns a [Decision]: Go or No-Go, every result in the order of the gates, an
// error joining one [*GateError] per blocking gate, and the recorded input and
// options. [Decide] is the pure part of that verdict; [Replay] re-decides a
// recorded decision and [Decision.Verify] checks it was not altered. Gates are
// required unless wrapped with [Advisory]; whether warnings block is
// [Options.WarningsBlock]. A [Waiver] given by a person with an allowed role
// lifts one failed gate and is recorded in the decision; no waiver lifts an
// approvals quorum or a gate marked [Unwaivable].
//
// Built-in gates, all plain data:
//   - [ApprovalGate] ([Approvals]): quorums of distinct approvers by role, with
//     separation of duties, revision pinning and expiry;
//   - [CheckGate] ([Checks]): named CI checks must have succeeded;
//   - [ObjectiveGate] ([Objectives]): Keptn-style SLO scoring with absolute and
//     baseline-relative [Criterion]s ([ParseCriterion]);
//   - [RiskGate] ([RiskAtMost]): the assessed risk level must not exceed a
//     maximum;
//   - [Func]: any function.
//
// The package uses only the standard library and never reads the system clock
// for a decision: ages and expiries are measured against [Input.Now].
package gate
