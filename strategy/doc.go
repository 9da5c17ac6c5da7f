// Package strategy describes deployment strategies as data and drives them:
// canary (traffic weights, pauses, analyses), blue-green (preview, analysis,
// switch, scale down after a delay) and rolling (batches of instances). It is
// for platform teams that roll releases out through their own load balancer,
// service mesh or feature flags, and for the release engine, which records
// every step in the release's history.
//
// A [Strategy] is plain data: validate it with [Strategy.Validate], store it as
// JSON, list its steps with [Strategy.Steps], draw them with
// [Strategy.WriteMermaid] (docs/STRATEGIES.md shows each strategy).
//
// The host moves traffic: it implements [Traffic], whose Apply carries out a
// weight, preview, scale-down or batch step. A [Driver] runs a [Rollout]'s
// steps in order, runs analysis steps on an [analysis.Runner], and sends every
// step event and measurement to a [Recorder]. When an analysis fails it aborts:
// traffic returns to the stable version, then the rollback hook runs
// ([WithRollback]). A pause without a duration, or an inconclusive analysis,
// waits for a person: the run returns [PhasePaused], and a later run with
// [Promote] or [Abort] goes on. After a crash, a run with [Resume] and the
// recorded events and measurements continues at the step the rollout reached.
package strategy
