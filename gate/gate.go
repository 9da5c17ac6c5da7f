package gate

import (
	"context"
	"fmt"
	"time"
)

// Status is the outcome of one gate. The zero value is not a valid status.
type Status string

// The statuses a gate can report, from best to worst.
const (
	// StatusPass means the readiness criterion is met.
	StatusPass Status = "pass"
	// StatusWarn means the criterion is met with reservations; whether a warning
	// blocks the release is a policy choice ([Options.WarningsBlock]).
	StatusWarn Status = "warn"
	// StatusFail means the criterion is not met.
	StatusFail Status = "fail"
	// StatusError means the gate could not decide: it timed out, panicked, was
	// cancelled, or was misconfigured. An error always blocks a required gate.
	StatusError Status = "error"
)

// Statuses lists every [Status], from best to worst.
func Statuses() []Status {
	return []Status{StatusPass, StatusWarn, StatusFail, StatusError}
}

// Valid reports whether s is one of [Statuses].
func (s Status) Valid() bool {
	switch s {
	case StatusPass, StatusWarn, StatusFail, StatusError:
		return true
	}
	return false
}

// ParseStatus turns a string into a [Status]; an unknown string gives an
// error wrapping [ErrInvalidStatus].
func ParseStatus(s string) (Status, error) {
	st := Status(s)
	if !st.Valid() {
		return "", fmt.Errorf("%w: %q: use one of pass, warn, fail, error", ErrInvalidStatus, s)
	}
	return st, nil
}

// CheckStatus is the state of one CI check in [Input.Checks].
type CheckStatus string

// The CI check states a host application reports.
const (
	// CheckSuccess means the check ran and succeeded.
	CheckSuccess CheckStatus = "success"
	// CheckPending means the check is queued or still running.
	CheckPending CheckStatus = "pending"
	// CheckFailure means the check ran and failed.
	CheckFailure CheckStatus = "failure"
	// CheckError means the check could not run (infrastructure error).
	CheckError CheckStatus = "error"
	// CheckSkipped means the check was skipped or cancelled; it is not a success.
	CheckSkipped CheckStatus = "skipped"
)

// CheckStatuses lists every [CheckStatus].
func CheckStatuses() []CheckStatus {
	return []CheckStatus{CheckSuccess, CheckPending, CheckFailure, CheckError, CheckSkipped}
}

// Gate is one readiness criterion.
//
// Evaluate must honour ctx: when ctx is done it should return promptly (its
// result is then discarded and replaced by a [StatusError] result). It must be
// safe to call concurrently with other gates; it must not modify in, whose maps
// and slices are shared between the gates of one evaluation. The Gate field of
// the returned [Result] is overwritten with Name, and Duration and Required are
// filled in by [Evaluate].
type Gate interface {
	// Name identifies the gate in results, errors and waivers; it must be
	// unique within one evaluation and non-empty.
	Name() string
	// Evaluate decides the gate for the release described by in.
	Evaluate(ctx context.Context, in Input) Result
}

// Input holds the release facts every gate sees. It is plain data and
// JSON-serialisable so a [Decision] can record it for replay.
type Input struct {
	// ID is the release's identifier.
	ID string `json:"id,omitempty"`
	// Name is the release's human name.
	Name string `json:"name,omitempty"`
	// Environment is the target environment, e.g. "prod".
	Environment string `json:"environment,omitempty"`
	// Class is the change class: "standard", "normal" or "emergency".
	Class string `json:"class,omitempty"`
	// Author wrote the change. The author may neither approve nor waive.
	Author string `json:"author,omitempty"`
	// Requester asked for the release. The requester may neither approve nor waive.
	Requester string `json:"requester,omitempty"`
	// Revision is the release's current revision; approvals given for another
	// revision do not count.
	Revision int64 `json:"revision"`
	// Approvals are the approvals given so far, in any order.
	Approvals []Approval `json:"approvals,omitempty"`
	// Checks maps a CI check name to its state.
	Checks map[string]Check `json:"checks,omitempty"`
	// Metrics maps a metric name to its current value (for [ObjectiveGate]).
	Metrics map[string]float64 `json:"metrics,omitempty"`
	// Baselines maps a metric name to its baseline value, used by relative
	// criteria such as "<=+10%".
	Baselines map[string]float64 `json:"baselines,omitempty"`
	// RiskLevel is the release's assessed risk level: "low", "medium", "high"
	// or "critical" (the values of the risk package's Level).
	RiskLevel string `json:"risk_level,omitempty"`
	// Now is the instant of the evaluation; approval ages and waiver expiries
	// are measured against it. Gates never read the system clock.
	Now time.Time `json:"now"`
}

// Approval is one person's approval of a release revision.
type Approval struct {
	// Actor is who approved (a stable person identifier).
	Actor string `json:"actor"`
	// Roles are the roles the actor held when approving.
	Roles []string `json:"roles,omitempty"`
	// At is when the approval was given.
	At time.Time `json:"at"`
	// Revision is the release revision that was approved.
	Revision int64 `json:"revision"`
}

// Check is the state of one CI check.
type Check struct {
	// Status is the check's state.
	Status CheckStatus `json:"status"`
	// URL points to the check's run, for people to follow.
	URL string `json:"url,omitempty"`
}

// Result is the outcome of one gate in a [Decision].
type Result struct {
	// Gate is the gate's name.
	Gate string `json:"gate"`
	// Status is the gate's outcome.
	Status Status `json:"status"`
	// Reason says, in a sentence a person can act on, why the gate has this
	// status.
	Reason string `json:"reason,omitempty"`
	// Evidence holds the structured facts behind the status (which approvals
	// counted, each objective's value and score, each check's state).
	Evidence map[string]string `json:"evidence,omitempty"`
	// Duration is how long the gate took (wall time as measured by
	// [Options.Clock]); it is informative and plays no part in the verdict.
	Duration time.Duration `json:"duration"`
	// Required is true for a gate whose failure blocks the release, false for
	// an advisory gate (see [Advisory]).
	Required bool `json:"required"`
	// Waived is the waiver that lifted this gate's failure, if any. It is set
	// by [Decide], never by a gate.
	Waived *Waiver `json:"waived,omitempty"`
	// WaiverRejections lists, for each waiver given for this gate that was not
	// valid, why it was rejected. It is set by [Decide].
	WaiverRejections []string `json:"waiver_rejections,omitempty"`
	// Unwaivable is true for a gate no waiver can lift (see [Unwaivable]): every
	// [ApprovalGate], and gates marked with Unwaivable. It is set by [Evaluate].
	Unwaivable bool `json:"unwaivable,omitempty"`
}

// Passed reports whether the result does not block under the given
// warnings-block policy, ignoring waivers and the Required flag.
func (r Result) Passed(warningsBlock bool) bool {
	return r.Status == StatusPass || (r.Status == StatusWarn && !warningsBlock)
}

// Blocks reports whether this result blocks the release: it is required, it
// did not pass (see [Result.Passed]), and no valid waiver lifted it.
func (r Result) Blocks(warningsBlock bool) bool {
	return r.Required && !r.Passed(warningsBlock) && r.Waived == nil
}

// Waiver lifts the failure of one gate, given by a person with an allowed role.
// No waiver lifts an unwaivable gate (see [Unwaivable]): a quorum of approvals is
// met by people approving, never by one person waiving it.
type Waiver struct {
	// Gate is the name of the waived gate.
	Gate string `json:"gate"`
	// Actor is who waives.
	Actor string `json:"actor"`
	// Roles are the actor's roles; one must be in [Options.AllowedWaiverRoles].
	Roles []string `json:"roles,omitempty"`
	// Reason says why the failure is accepted; it must not be empty.
	Reason string `json:"reason"`
	// Expires is when the waiver stops being valid; it must be after
	// [Input.Now].
	Expires time.Time `json:"expires"`
}

// GateFunc adapts a function to the evaluation part of a [Gate]; see [Func].
type GateFunc func(ctx context.Context, in Input) Result

// Func returns a [Gate] named name that calls fn. A nil fn gives a gate that
// reports [StatusError].
func Func(name string, fn GateFunc) Gate {
	return funcGate{name: name, fn: fn}
}

type funcGate struct {
	name string
	fn   GateFunc
}

func (g funcGate) Name() string { return g.name }

func (g funcGate) Evaluate(ctx context.Context, in Input) Result {
	if g.fn == nil {
		return Result{Status: StatusError, Reason: "gate has no function: pass a non-nil function to gate.Func"}
	}
	return g.fn(ctx, in)
}

// advisor is implemented by gates that know whether they are advisory.
type advisor interface {
	Advisory() bool
}

// unwaivable is implemented by gates that no waiver may lift.
type unwaivable interface {
	Unwaivable() bool
}

// IsAdvisory reports whether g was marked advisory with [Advisory]. Gates are
// required unless marked.
func IsAdvisory(g Gate) bool {
	a, ok := g.(advisor)
	return ok && a.Advisory()
}

// IsUnwaivable reports whether no waiver can lift g's failure: g is an
// [ApprovalGate] (under any name, advisory or required) or was marked with
// [Unwaivable].
func IsUnwaivable(g Gate) bool {
	u, ok := g.(unwaivable)
	return ok && u.Unwaivable()
}

// Advisory marks g as advisory: its result is recorded in the [Decision] but
// never blocks the release, whatever its status.
func Advisory(g Gate) Gate {
	return wrapped{inner: g, name: nameOf(g), advisory: true, unwaivable: g != nil && IsUnwaivable(g)}
}

// Required returns g marked as required (the default), undoing [Advisory].
func Required(g Gate) Gate {
	return wrapped{inner: g, name: nameOf(g), advisory: false, unwaivable: g != nil && IsUnwaivable(g)}
}

// Named returns g under another name, keeping whether it is advisory and whether
// it is unwaivable. Use it to evaluate two gates of the same kind in one decision
// (for example two [ObjectiveGate]s).
func Named(name string, g Gate) Gate {
	return wrapped{inner: g, name: name, advisory: g != nil && IsAdvisory(g), unwaivable: g != nil && IsUnwaivable(g)}
}

// Unwaivable marks g so that no waiver lifts its failure, as for an
// [ApprovalGate]: use it for a gate of your own that stands for people's
// approval (a change advisory board's sign-off kept in another system), so that
// nobody can waive the approval away. [Decide] rejects every waiver for it and
// says why.
func Unwaivable(g Gate) Gate {
	return wrapped{inner: g, name: nameOf(g), advisory: g != nil && IsAdvisory(g), unwaivable: true}
}

type wrapped struct {
	inner      Gate
	name       string
	advisory   bool
	unwaivable bool
}

func (w wrapped) Name() string     { return w.name }
func (w wrapped) Advisory() bool   { return w.advisory }
func (w wrapped) Unwaivable() bool { return w.unwaivable }
func (w wrapped) Evaluate(ctx context.Context, in Input) Result {
	if w.inner == nil {
		return Result{Status: StatusError, Reason: "nil gate: pass a non-nil Gate"}
	}
	return w.inner.Evaluate(ctx, in)
}

func nameOf(g Gate) string {
	if g == nil {
		return ""
	}
	return g.Name()
}
