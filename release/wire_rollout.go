package release

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/releasekit/releasekit/analysis"
	"github.com/releasekit/releasekit/gate"
	"github.com/releasekit/releasekit/strategy"
)

// Where a rollout's records sit in the history: step events are check evidence
// whose ExternalID starts with stepPrefix, measurements metric evidence whose
// ExternalID starts with measurementPrefix; the entry's Data holds the
// [strategy.Record] or [analysis.Measurement] as the driver gave it.
const (
	stepPrefix        = "strategy:"
	measurementPrefix = "analysis:"
)

// Rollout drives the deployment of release id under ro's strategy with d, and
// moves the release through its lifecycle with what the rollout finds:
//
//   - Every step event of the driver ([strategy.Record]) and every measurement of
//     its analyses ([analysis.Measurement]) is recorded with [Engine.Record], by
//     by, under an idempotency key of its own (the release, the rollout, the step
//     and event, or the measurement's [analysis.Measurement.Key]): steps as check
//     evidence (source "strategy": started and waiting are pending, aborted is a
//     failure, the others a success), measurements as metric evidence (source: the
//     provider's name; a NaN or infinite value is recorded as 0, the measurement
//     itself, with its phase and reason, is the entry's data).
//   - The rollout resumes from what the history holds: after a crash, a call with
//     the same ro continues at the step it reached, and never takes or counts a
//     recorded measurement again.
//   - Completed: a deploying release fires complete, then verify; a deployed one
//     fires verify.
//   - Aborted (an analysis failed or erred, or [strategy.Abort]): once the driver
//     has returned the traffic to the stable version, the release fires fail with
//     the failing measurements as its reason (and the analysis result as data),
//     then, when the engine has [WithRollback], rollback, which attaches the plan
//     and runs it through the configured executor.
//   - Paused (an inconclusive analysis, a pause until promoted): the release stays
//     where it is until a person calls Rollout again with [strategy.Promote] or
//     [strategy.Abort].
//
// The release must be deploying or deployed; after an abort, Rollout may be
// called again on the failed or rolled-back release to finish what a crash
// interrupted. Give d and its analysis runner the engine's clock, so that steps,
// measurements and entries share one time line. opts are passed to the driver
// after the engine's own (do not pass [strategy.RecordTo] or [strategy.Resume]:
// they would replace the history as recorder and resume source).
//
// Authority: by must be allowed by the policy to fire every event the rollout may
// lead to from the release's state (complete, verify, fail, and rollback with
// [WithRollback]); otherwise Rollout returns the *ForbiddenError before any traffic
// moves. A promotion ([strategy.Promote]) is a person's, and a promotion or an
// abort names by: recording one in another name is refused (ErrForbidden) and
// stops the run before the step goes on.
//
// Errors: a *TransitionError when the release is in no state to roll out, the
// driver's errors (see [strategy.Driver.Run]), and those of Record and Fire.
// Run with [strategy.Driver]'s own WithRollback unset: the engine's rollback is
// the one that runs.
func (e *Engine) Rollout(ctx context.Context, id ID, d *strategy.Driver, ro strategy.Rollout, by Actor, opts ...strategy.RunOption) (strategy.Result, error) {
	none := strategy.Result{Rollout: ro.ID, Phase: strategy.PhaseProgressing}
	if d == nil {
		return none, &ValidationError{What: "rollout", Problems: []string{"driver: nil; make one with strategy.NewDriver"}}
	}
	cur, err := e.Get(ctx, id)
	if err != nil {
		return none, err
	}
	hist, err := e.store.History(ctx, id)
	if err != nil {
		return none, named(id, err)
	}
	rec := &rolloutRecorder{e: e, id: id, by: by}
	rec.steps, rec.measurements = rolloutRecords(hist, ro.ID)
	switch cur.State {
	case StateDeploying, StateDeployed:
	case StateVerified, StateFailed, StateRollingBack, StateRolledBack:
		if len(rec.steps) == 0 {
			return none, &TransitionError{ID: id, State: cur.State, Event: EventVerify, Available: Available(cur.State)}
		}
	default:
		return none, &TransitionError{ID: id, State: cur.State, Event: EventVerify, Available: Available(cur.State)}
	}
	// The actor must be allowed to fire what the rollout may lead to, before it
	// moves any traffic.
	var need []Event
	switch cur.State {
	case StateDeploying:
		need = []Event{EventComplete, EventVerify, EventFail}
	case StateDeployed:
		need = []Event{EventVerify, EventFail}
	case StateVerified:
		need = []Event{EventFail}
	}
	if e.hasRollback() && (len(need) > 0 || cur.State == StateFailed) {
		need = append(need, EventRollback)
	}
	for _, ev := range need {
		if err := e.policy.Authorize(by, ev, cur); err != nil {
			return none, err
		}
	}
	rec.env = cur.Environment
	run := append([]strategy.RunOption{strategy.RecordTo(rec), strategy.Resume(rec.steps, slices.Clone(rec.measurements))}, opts...)
	res, err := d.Run(ctx, ro, run...)
	if err != nil {
		return res, err
	}
	switch res.Phase {
	case strategy.PhaseCompleted:
		err = e.rolloutCompleted(ctx, id, ro, res, by)
	case strategy.PhaseAborted:
		err = e.rolloutAborted(ctx, id, ro, res, rec.all(), by)
	}
	return res, err
}

// rolloutCompleted fires complete (from deploying) and verify.
func (e *Engine) rolloutCompleted(ctx context.Context, id ID, ro strategy.Rollout, res strategy.Result, by Actor) error {
	r, err := e.Get(ctx, id)
	if err != nil {
		return err
	}
	reason := fmt.Sprintf("rollout %s: %s", ro.ID, res.Reason)
	if r.State == StateDeploying {
		if r, err = e.Fire(ctx, id, EventComplete, by, Reason(reason)); err != nil {
			return err
		}
	}
	if r.State == StateDeployed {
		_, err = e.Fire(ctx, id, EventVerify, by, Reason(reason))
	}
	return err
}

// rolloutAborted fires fail with the measurements that failed, then rollback
// when the engine plans rollbacks.
func (e *Engine) rolloutAborted(ctx context.Context, id ID, ro strategy.Rollout, res strategy.Result, ms []analysis.Measurement, by Actor) error {
	r, err := e.Get(ctx, id)
	if err != nil {
		return err
	}
	if r.State == StateDeploying || r.State == StateDeployed || r.State == StateVerified {
		run := ro.ID + "/step-" + strconv.Itoa(res.Step)
		var bad []analysis.Measurement
		for _, m := range ms {
			if m.Run == run && (m.Phase == analysis.PhaseFailed || m.Phase == analysis.PhaseError) {
				bad = append(bad, m)
			}
		}
		reason := fmt.Sprintf("rollout %s aborted at step %d: %s", ro.ID, res.Step, res.Reason)
		for _, m := range bad {
			reason += fmt.Sprintf("\n%s #%d: %s", m.Metric, m.Index, m.Reason)
		}
		opts := []FireOption{Reason(reason)}
		if res.Analysis != nil {
			opts = append(opts, Data(res.Analysis))
		} else if len(bad) > 0 {
			opts = append(opts, Data(bad))
		}
		if r, err = e.Fire(ctx, id, EventFail, by, opts...); err != nil {
			return err
		}
	}
	if r.State == StateFailed && e.hasRollback() {
		_, err = e.Fire(ctx, id, EventRollback, by, Reason(fmt.Sprintf("rollout %s aborted: automatic rollback", ro.ID)))
	}
	return err
}

func (e *Engine) hasRollback() bool {
	return slices.ContainsFunc(e.stages, func(s stage) bool { _, ok := s.(*rollbackStage); return ok })
}

// rolloutRecords reads rollout ro's step records and measurements out of a
// history, in the order they were recorded.
func rolloutRecords(h []AuditEntry, ro string) ([]strategy.Record, []analysis.Measurement) {
	var steps []strategy.Record
	var ms []analysis.Measurement
	for _, en := range h {
		s, m := rolloutEntry(en)
		switch {
		case s != nil && s.Rollout == ro:
			steps = append(steps, *s)
		case m != nil && strings.HasPrefix(m.Run, ro+"/"):
			ms = append(ms, *m)
		}
	}
	return steps, ms
}

// rolloutEntry decodes the step record or the measurement an entry of
// [Engine.Rollout] holds; both are nil for any other entry.
func rolloutEntry(en AuditEntry) (*strategy.Record, *analysis.Measurement) {
	ev := en.Evidence
	if en.Event != EventRecord || ev == nil || len(en.Data) == 0 {
		return nil, nil
	}
	switch {
	case ev.Kind == EvidenceCheck && strings.HasPrefix(ev.ExternalID, stepPrefix):
		var r strategy.Record
		if json.Unmarshal(en.Data, &r) == nil {
			return &r, nil
		}
	case ev.Kind == EvidenceMetric && strings.HasPrefix(ev.ExternalID, measurementPrefix):
		var m analysis.Measurement
		if json.Unmarshal(en.Data, &m) == nil {
			return nil, &m
		}
	}
	return nil, nil
}

// rolloutRecorder records a rollout's steps and measurements as evidence of one
// release (a [strategy.Recorder]).
type rolloutRecorder struct {
	e   *Engine
	id  ID
	by  Actor
	env string

	mu           sync.Mutex
	steps        []strategy.Record
	measurements []analysis.Measurement
}

func (r *rolloutRecorder) all() []analysis.Measurement {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.measurements)
}

// rolloutKey is an idempotency key of at most MaxKeyLength bytes.
func rolloutKey(parts ...string) string {
	k := "rollout/" + strings.Join(parts, "/")
	if len(k) > MaxKeyLength {
		sum := sha256.Sum256([]byte(k))
		k = "rollout/sha256:" + hex.EncodeToString(sum[:])
	}
	return k
}

func finite(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return v
}

// RecordMeasurement implements [analysis.Recorder].
func (r *rolloutRecorder) RecordMeasurement(ctx context.Context, m analysis.Measurement) error {
	ev := Evidence{Kind: EvidenceMetric, By: r.by, Name: m.Metric, Value: finite(m.Value), Source: m.Provider,
		ExternalID: measurementPrefix + m.Key()}
	if m.Baseline != nil {
		b := finite(*m.Baseline)
		ev.Baseline = &b
	}
	reason := fmt.Sprintf("analysis %s, %s #%d: %s: %s", m.Analysis, m.Metric, m.Index, m.Phase, m.Reason)
	if _, err := r.e.Record(ctx, r.id, ev, IdempotencyKey(rolloutKey(r.id.String(), "measurement", m.Key())), Reason(reason), Data(m)); err != nil {
		return err
	}
	r.mu.Lock()
	r.measurements = append(r.measurements, m)
	r.mu.Unlock()
	return nil
}

// RecordStep implements [strategy.Recorder].
func (r *rolloutRecorder) RecordStep(ctx context.Context, s strategy.Record) error {
	status := gate.CheckSuccess
	switch s.Event {
	case strategy.EventStarted, strategy.EventWaiting:
		status = gate.CheckPending
	case strategy.EventAborted:
		status = gate.CheckFailure
	}
	ev := Evidence{Kind: EvidenceCheck, By: r.by, Name: fmt.Sprintf("%s step %d (%s)", s.Rollout, s.Step, s.Kind),
		Status: status, Source: "strategy", ExternalID: stepPrefix + s.Rollout + "/" + strconv.Itoa(s.Step) + "/" + string(s.Event)}
	reason := fmt.Sprintf("rollout %s step %d (%s) %s, weight %d%%", s.Rollout, s.Step, s.Kind, s.Event, s.Weight)
	if s.By != "" {
		reason += " by " + s.By
	}
	if s.Reason != "" {
		reason += ": " + s.Reason
	}
	// A promotion or an abort names who decided; it must be the actor recording it,
	// and a promotion past a waiting step is a person's.
	if s.By != "" && !SamePerson(s.By, r.by.ID) || s.Event == strategy.EventPromoted && r.by.Kind != ActorPerson {
		return &ForbiddenError{Actor: r.by.ID, Event: EventRecord, Environment: r.env, Rule: "rollout-decision",
			Reason: fmt.Sprintf("%s of rollout %s step %d is given as %q's, but the actor is %s (%s): pass the person who decides as the actor of Rollout",
				s.Event, s.Rollout, s.Step, s.By, r.by.ID, r.by.Kind)}
	}
	key := rolloutKey(r.id.String(), "step", s.Rollout, strconv.Itoa(s.Step), string(s.Event))
	if _, err := r.e.Record(ctx, r.id, ev, IdempotencyKey(key), Reason(reason), Data(s)); err != nil {
		if errors.Is(err, ErrKeyReused) && s.Event == strategy.EventWaiting {
			return nil // a step waits once; the first record stands
		}
		return err
	}
	return nil
}
