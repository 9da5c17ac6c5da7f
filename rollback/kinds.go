package rollback

import "time"

// StepKind says what a [Step] of a rollback does.
type StepKind string

const (
	// KindRedeploy deploys the version a component ran before the release.
	KindRedeploy StepKind = "redeploy"
	// KindRemove takes away a component that the release introduced (it had no
	// previous version to return to).
	KindRemove StepKind = "remove"
	// KindRevertMigration reverts a database migration the release applied.
	KindRevertMigration StepKind = "revert-migration"
	// KindDisableFlag switches off a feature flag the release turned on.
	KindDisableFlag StepKind = "disable-flag"
	// KindCustom runs a command the deployment record gives to undo a custom action.
	KindCustom StepKind = "custom"
	// KindRollForward replaces the revert of an irreversible migration when
	// [Options].RollForward is set: the migration stays applied and the component is
	// fixed forward (the record's roll-forward command, or a fix shipped by its owners).
	KindRollForward StepKind = "roll-forward"
)

// StepKinds lists every [StepKind], in the order a component's steps run (see [Plan]).
func StepKinds() []StepKind {
	return []StepKind{KindDisableFlag, KindCustom, KindRedeploy, KindRemove, KindRevertMigration, KindRollForward}
}

// Valid reports whether k is one of [StepKinds].
func (k StepKind) Valid() bool {
	for _, v := range StepKinds() {
		if k == v {
			return true
		}
	}
	return false
}

// DefaultDurations returns the estimated duration of a step of each kind, used when
// neither [Action].Duration nor [Options].Durations gives one. The map is a fresh
// copy: change it freely.
func DefaultDurations() map[StepKind]time.Duration {
	return map[StepKind]time.Duration{
		KindDisableFlag:     2 * time.Minute,
		KindCustom:          5 * time.Minute,
		KindRedeploy:        10 * time.Minute,
		KindRemove:          5 * time.Minute,
		KindRevertMigration: 15 * time.Minute,
		KindRollForward:     30 * time.Minute,
	}
}

// ActionKind says what a deployment did to a component, besides shipping its new
// version, that a rollback has to undo.
type ActionKind string

const (
	// ActionMigration is a database migration. Reverting it is a [KindRevertMigration]
	// step, or a [KindRollForward] step when it is not [Action].Reversible.
	ActionMigration ActionKind = "migration"
	// ActionFeatureFlag is a feature flag switched on. Undoing it is a
	// [KindDisableFlag] step.
	ActionFeatureFlag ActionKind = "feature-flag"
	// ActionCustom is anything else; [Action].Command says how to undo it. Undoing it
	// is a [KindCustom] step.
	ActionCustom ActionKind = "custom"
)

// ActionKinds lists every [ActionKind].
func ActionKinds() []ActionKind {
	return []ActionKind{ActionMigration, ActionFeatureFlag, ActionCustom}
}

// Valid reports whether k is one of [ActionKinds].
func (k ActionKind) Valid() bool {
	for _, v := range ActionKinds() {
		if k == v {
			return true
		}
	}
	return false
}

// StepStatus says where a step of a run stands in a [Report].
type StepStatus string

const (
	// StatusNotStarted: the step has not run (yet), or a resumed run will run it again
	// after a failure.
	StatusNotStarted StepStatus = "not-started"
	// StatusRunning: the executor is running the step. A [Report] returned by [Run]
	// never holds it; a report a host builds from progress events may, and a resumed
	// run treats such a step as not done (it runs it again).
	StatusRunning StepStatus = "running"
	// StatusDone: the executor returned nil. A resumed run never runs the step again.
	StatusDone StepStatus = "done"
	// StatusFailed: the executor returned an error (or panicked); a resumed run runs
	// the step again.
	StatusFailed StepStatus = "failed"
)

// StepStatuses lists every [StepStatus].
func StepStatuses() []StepStatus {
	return []StepStatus{StatusNotStarted, StatusRunning, StatusDone, StatusFailed}
}

// ProgressKind says what happened to a step, in a [Progress] event.
type ProgressKind string

const (
	// ProgressStarted: the executor was called for the step.
	ProgressStarted ProgressKind = "started"
	// ProgressFinished: the executor returned nil.
	ProgressFinished ProgressKind = "finished"
	// ProgressFailed: the executor returned an error or panicked.
	ProgressFailed ProgressKind = "failed"
	// ProgressSkipped: the step was already done in the report a run resumed from.
	ProgressSkipped ProgressKind = "skipped"
)

// ProgressKinds lists every [ProgressKind].
func ProgressKinds() []ProgressKind {
	return []ProgressKind{ProgressStarted, ProgressFinished, ProgressFailed, ProgressSkipped}
}
