// Package rollback turns the record of a deployment and the dependency graph of its
// components into a rollback plan, a runbook people can follow, and a run a bot can
// execute, stop and resume. It is for platform teams and release-bot authors who
// must undo a multi-service release in the right order, and for the release engine
// that attaches a plan to a failed release.
//
// # Plans
//
// [Plan] takes a *depgraph.Graph[string] of the components and a [Deployment] (which
// components went from which version to which, which started and which finished,
// and the migrations, feature flags and custom changes each one brought, as
// [Action] values) and returns a [Runbook]: [Step] values grouped into [Wave] values.
// A component is rolled back before the components it depends on, so the waves run
// in the reverse of the dependency order; the components of one wave can run in
// parallel. Only components that started deploying are included, half-deployed ones
// too. [Options].Failed asks for a partial rollback. Migrations that cannot be
// reverted refuse the plan with an [*IrreversibleError], or become [KindRollForward]
// steps with [Options].RollForward. Every step has a stable ID such as
// "w1/checkout/redeploy" and an estimated duration; [Runbook.Duration] sums the
// waves' critical paths and [Runbook.FitsIn] checks the plan against a window, such
// as a slot of the release calendar, before it runs.
//
// # Runbooks
//
// [Runbook.WriteMarkdown] writes the runbook: the waves, each step's action and
// command, a verification checklist per step, and who is notified. The output is
// deterministic.
//
// # Execution
//
// [Run] executes a runbook with an [Executor] (or an [ExecutorFunc]): waves in order,
// the components of a wave in parallel up to [RunOptions].Parallelism. A failing step
// stops the run after its wave; the [Report] (JSON-serialisable) says what was done,
// what failed and what was not started, and [RunOptions].Resume continues from it
// without repeating a finished step. [RunOptions].OnProgress reports each [Progress]
// for bots and progress displays, and a cancelled context stops the run cleanly.
//
// Step kinds, action kinds, step statuses and progress kinds are typed constants,
// listed by [StepKinds], [ActionKinds], [StepStatuses] and [ProgressKinds]. Errors
// are sentinels ([ErrIrreversible], [ErrStepFailed], …) carried by typed errors that
// unwrap to them.
package rollback
