package release

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/releasekit/releasekit/change"
	"github.com/releasekit/releasekit/gate"
)

// Engine runs the lifecycle of releases kept in a [Store]: it authorizes every event
// by the [Policy], consults the [Guard]s, commits the transition with compare-and-swap
// on the revision together with a hash-chained [AuditEntry], then notifies. An Engine
// is safe for concurrent use; many engines (in many processes) may share one Store.
type Engine struct {
	store         Store
	notifier      Notifier
	clock         Clock
	log           *slog.Logger
	policy        Policy
	guards        []Guard
	pipeline      Pipeline
	stages        []stage
	calendar      *calendarStage // the stage of WithCalendar (the last given); nil without it
	requireReview bool
	notifyTimeout time.Duration
	ids           idSource
	checkpoints   *checkpointer // nil without WithCheckpoints
	verified      lockdownCache // the lockdown history as far as starts verified it
}

// Option configures an [Engine].
type Option func(*Engine) error

// WithNotifier sets who is told about committed transitions. A nil Notifier means no
// notifications.
func WithNotifier(n Notifier) Option {
	return func(e *Engine) error { e.notifier = n; return nil }
}

// WithClock sets the clock; the default is [SystemClock].
func WithClock(c Clock) Option {
	return func(e *Engine) error {
		if c == nil {
			return &ValidationError{What: "engine options", Problems: []string{"WithClock(nil): give a Clock, or leave the option out for the system clock"}}
		}
		e.clock = c
		return nil
	}
}

// WithLogger sets the logger for what the engine cannot return (it logs failed
// notifications); the default discards.
func WithLogger(l *slog.Logger) Option {
	return func(e *Engine) error {
		if l == nil {
			l = slog.New(slog.DiscardHandler)
		}
		e.log = l
		return nil
	}
}

// WithPolicy sets who may fire which events; the default is [DefaultPolicy]. The policy
// is validated.
func WithPolicy(p Policy) Option {
	return func(e *Engine) error {
		if err := p.Validate(); err != nil {
			return err
		}
		e.policy = p
		return nil
	}
}

// WithGuard adds guards, consulted in the order added before every transition. A
// guard may not be named "refusal": that is the annotation of the entry that records
// a refused approve or start (see [Engine.Fire]).
func WithGuard(gs ...Guard) Option {
	return func(e *Engine) error {
		for _, g := range gs {
			if g == nil {
				return &ValidationError{What: "engine options", Problems: []string{"WithGuard(nil): every guard must be non-nil"}}
			}
			if g.Name() == refusalAnnotation {
				return &ValidationError{What: "engine options", Problems: []string{fmt.Sprintf("WithGuard: a guard named %q: the name is the engine's annotation of a recorded refusal; name the guard otherwise", refusalAnnotation)}}
			}
			e.guards = append(e.guards, g)
		}
		return nil
	}
}

// WithPipeline enforces a promotion path: a version may not start in an environment
// before it was verified in the previous one (see [Pipeline]).
func WithPipeline(p Pipeline) Option {
	return func(e *Engine) error {
		if err := p.Validate(); err != nil {
			return err
		}
		e.guards = append(e.guards, pipelineGuard{store: e.store, pipeline: p})
		e.pipeline = slices.Clone(p)
		return nil
	}
}

// WithNotifyTimeout bounds each notification; the default is 10 seconds. The
// notification runs after the commit, with the caller's context values but not its
// cancellation, so that a caller giving up does not silence a committed change.
func WithNotifyTimeout(d time.Duration) Option {
	return func(e *Engine) error {
		if d <= 0 {
			return &ValidationError{What: "engine options", Problems: []string{fmt.Sprintf("WithNotifyTimeout(%v): the timeout must be positive", d)}}
		}
		e.notifyTimeout = d
		return nil
	}
}

// New returns an Engine over store. Every option is applied and checked; the first
// bad one is returned.
func New(store Store, opts ...Option) (*Engine, error) {
	if store == nil {
		return nil, &ValidationError{What: "engine options", Problems: []string{"release.New needs a Store (adapters/memory, adapters/bolt or adapters/postgres)"}}
	}
	e := &Engine{
		store:         store,
		clock:         SystemClock(),
		log:           slog.New(slog.DiscardHandler),
		policy:        DefaultPolicy(),
		notifyTimeout: 10 * time.Second,
	}
	for _, opt := range opts {
		if err := opt(e); err != nil {
			return nil, err
		}
	}
	e.stages = append(e.stages, reviewStage{required: e.requireReview})
	if _, ok := store.(LockdownStore); ok {
		e.stages = append(e.stages, lockdownStage{e: e})
	}
	return e, nil
}

// Store returns the engine's store.
func (e *Engine) Store() Store { return e.store }

// now is the engine clock's time in UTC, to the microsecond: the precision every
// store keeps, so that hashes computed now verify after a round trip.
func (e *Engine) now() time.Time { return e.clock.Now().UTC().Truncate(time.Microsecond) }

// Create validates spec and stores a new release in StateDraft, at revision 1 and
// scope version 1, with a history that starts with an EventCreate entry by the
// author. The only option it takes is [IdempotencyKey]: a retried Create with the
// same key and spec returns the release the first one created.
func (e *Engine) Create(ctx context.Context, spec Spec, opts ...FireOption) (Release, error) {
	o, err := fireOpts(opts)
	if err != nil {
		return Release{}, err
	}
	if err := o.only("Create"); err != nil {
		return Release{}, err
	}
	if err := ctx.Err(); err != nil {
		return Release{}, err
	}
	if err := spec.Validate(); err != nil {
		return Release{}, err
	}
	if spec.Duration == 0 && e.booksSlots() {
		return Release{}, &ValidationError{What: "spec", Problems: []string{
			"duration is zero, but this engine books a calendar slot of the release's Duration at schedule (WithCalendar); set Spec.Duration to how long the deployment takes, e.g. 30 * time.Minute"}}
	}
	return e.keyed(ctx, o, request{Op: "create", Spec: &spec}, func(k *KeyRecord) (Release, error) {
		return e.create(ctx, spec, k, nil)
	})
}

// create stores a new release made from spec; link, when set, makes it the promotion
// of another release (see Promote).
func (e *Engine) create(ctx context.Context, spec Spec, k *KeyRecord, link *lineage) (Release, error) {
	now := e.now()
	if spec.CommittedAt.After(now) {
		return Release{}, &ValidationError{What: "spec", Problems: []string{fmt.Sprintf(
			"committed at %s, after now (%s); give the time of the commit the release ships, or leave CommittedAt zero",
			spec.CommittedAt.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))}}
	}
	id, err := e.ids.next(now)
	if err != nil {
		return Release{}, err
	}
	class := spec.Class
	if class == "" {
		class = change.Normal
	}
	r := Release{
		ID: id, Name: spec.Name, Version: spec.Version, Environment: spec.Environment,
		Class: class, Author: spec.Author, State: StateDraft, Revision: 1, Scope: 1,
		CreatedAt: now, UpdatedAt: now, Reached: map[State]time.Time{StateDraft: now},
	}
	r.Team, r.Duration, r.CommittedAt = spec.Team, spec.Duration, spec.CommittedAt
	r.Needs = append([]Need(nil), spec.Needs...)
	r.Components = append([]Component(nil), spec.Components...)
	if len(spec.Labels) > 0 {
		r.Labels = make(map[string]string, len(spec.Labels))
		for k, v := range spec.Labels {
			r.Labels[k] = v
		}
	}
	entry := AuditEntry{
		ReleaseID: id, Sequence: 1, Event: EventCreate, To: StateDraft,
		Actor: Actor{ID: spec.Author, Kind: ActorPerson}, Time: now,
		HashVersion: CurrentHashVersion,
	}
	if link != nil {
		link.apply(&r, &entry)
	}
	entry.Snapshot = snapshotOf(r)
	if entry.Hash, err = entry.ComputeHash(); err != nil {
		return Release{}, err
	}
	r.Head = entry.Hash
	if k == nil {
		err = e.store.Create(ctx, r, entry)
	} else {
		k.Result = r.Clone()
		err = e.store.(KeyStore).CreateKeyed(ctx, r, entry, *k)
	}
	if err != nil {
		return Release{}, fmt.Errorf("release: create %s %s: %w", spec.Name, spec.Version, err)
	}
	e.afterCommit(id)
	return r, nil
}

// Get returns the release with the given ID, or an error matching ErrNotFound.
func (e *Engine) Get(ctx context.Context, id ID) (Release, error) {
	r, err := e.store.Get(ctx, id)
	return r, named(id, err)
}

// List returns the releases that match f, in ascending ID order (creation order),
// served by the store's indexes (see [Filter]). A filter that [Filter.Validate]
// rejects (an unknown state, an inverted creation range) is a *[ValidationError]
// (ErrInvalid), and the store is not asked.
func (e *Engine) List(ctx context.Context, f Filter) ([]Release, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	return e.store.List(ctx, f)
}

// History returns the release's hash-chained history, oldest first.
func (e *Engine) History(ctx context.Context, id ID) ([]AuditEntry, error) {
	h, err := e.store.History(ctx, id)
	return h, named(id, err)
}

// VerifyAudit reads the release and its history and checks both ([VerifyRelease]): the
// chain up to the release's head, and the stored release against what its history
// says (state, author, environment, class, version, components, revision, head and
// every other field). It returns nil, a *HistoryError naming the first bad entry, or
// a *MismatchError for each field of the release that differs from its history
// (joined; all match ErrTampered). The release and its history are read one after
// the other: a change committed in between shows as a mismatch, so verify what no one
// is changing, or verify again.
func (e *Engine) VerifyAudit(ctx context.Context, id ID) error {
	r, err := e.store.Get(ctx, id)
	if err != nil {
		return named(id, err)
	}
	h, err := e.store.History(ctx, id)
	if err != nil {
		return named(id, err)
	}
	return VerifyRelease(r, h)
}

// Verify is the old name of [Engine.VerifyAudit].
//
// Deprecated: use [Engine.VerifyAudit]; Verify read as the verify event
// ([EventVerify]), which moves a deployed release to verified.
func (e *Engine) Verify(ctx context.Context, id ID) error { return e.VerifyAudit(ctx, id) }

// FireOption qualifies one [Engine.Fire].
type FireOption func(*fireOptions)

type fireOptions struct {
	reason   string
	expected int64
	expect   bool // ExpectRevision was given
	data     json.RawMessage
	dataErr  error
	at       time.Time       // schedule: the slot's start
	override string          // start: the reason to override the calendar
	waivers  []gate.Waiver   // approve: waivers of failed gates
	review   *Review         // close: the post-implementation review
	failed   []string        // fail: the components that failed (partial rollback)
	report   json.RawMessage // finish_rollback, fail: the rollback run's report (engine only)
	key      string          // IdempotencyKey
	keyed    bool
}

// At asks schedule for a slot that starts at t, instead of the earliest free one.
func At(t time.Time) FireOption { return func(o *fireOptions) { o.at = t } }

// Override asks start to go ahead despite a freeze, a closed window or a missed slot
// (never a lockdown). The actor must hold one of CalendarConfig.OverrideRoles; the
// reason and the conflicts overridden are recorded in the history.
func Override(reason string) FireOption { return func(o *fireOptions) { o.override = reason } }

// Waive adds a waiver for a failed gate to an approve (see gate.Waiver).
func Waive(w gate.Waiver) FireOption {
	return func(o *fireOptions) { o.waivers = append(o.waivers, w) }
}

// WithReview records the post-implementation review with a close.
func WithReview(r Review) FireOption { return func(o *fireOptions) { o.review = &r } }

// FailedComponents names, with a fail, the components that failed: the rollback plan
// then covers those and what depends on them, nothing more.
func FailedComponents(names ...string) FireOption {
	return func(o *fireOptions) { o.failed = append(o.failed, names...) }
}

func withRollbackReport(b json.RawMessage) FireOption {
	return func(o *fireOptions) { o.report = b }
}

// Reason records why the actor fires the event.
func Reason(s string) FireOption { return func(o *fireOptions) { o.reason = s } }

// ExpectRevision makes Fire refuse with ErrStale unless the release is at
// revision n: the caller decided on what it saw at revision n and must not act on a
// release that changed since. n must be at least 1 (a *[ValidationError] otherwise:
// a zero must not switch the check off).
func ExpectRevision(n int64) FireOption {
	return func(o *fireOptions) { o.expected, o.expect = n, true }
}

// Data records v, encoded as JSON, in the history entry. A json.RawMessage that is
// not valid JSON, or a value that cannot be encoded, makes the call fail with a
// *[ValidationError] (ErrInvalid) before anything is read or written.
func Data(v any) FireOption {
	return func(o *fireOptions) {
		if raw, ok := v.(json.RawMessage); ok {
			if !json.Valid(raw) {
				o.dataErr = &ValidationError{What: "history data", Problems: []string{"the json.RawMessage is not valid JSON"}}
				return
			}
			o.data = compactJSON(raw)
			return
		}
		b, err := json.Marshal(v)
		if err != nil {
			o.dataErr = &ValidationError{What: "history data", Problems: []string{fmt.Sprintf("a %T cannot be encoded as JSON: %v", v, err)}}
			return
		}
		o.data = b
	}
}

func compactJSON(raw json.RawMessage) json.RawMessage {
	b, err := json.Marshal(raw) // compacts
	if err != nil {
		return raw
	}
	return b
}

// Fire moves release id along the lifecycle by event, on behalf of actor. In order,
// it: reads the release; refuses with ErrStale when ExpectRevision does not match;
// with a *TransitionError (ErrInvalidTransition) when the event cannot be fired in the
// release's state; with a *ForbiddenError (ErrForbidden) when the policy refuses the
// actor; with a *GuardError (ErrGuardRefused) listing every guard's refusal; then
// commits the new state and its history entry with compare-and-swap, returning
// ErrStale if another change won the race (nothing is written then; read again and
// decide again).
//
// A refused Fire changes nothing, with one exception: an approve or a start refused
// by a guard or by the engine's own checks (the gates' No-Go, the calendar, a runtime
// lockdown or freeze, the dependencies, the pipeline) is an operational decision, and
// is kept in the history as an [EventDecision] entry by the actor who asked, at the
// time of the attempt, with their reason and data: the state stays, the revision
// moves, and [AuditEntry.Refused] reads back the event and each refusal (guard,
// cause, reason). The entry is written with compare-and-swap into the hash chain like
// any other, and the refusal is returned as it is, a *GuardError (ErrGuardRefused),
// joined with the store's error only if the entry could not be written. A refusal for
// the same causes ([Refusal.Cause]) as the last decision recorded since the release
// last moved is not written again, so a scheduler that retries a refused start every
// minute leaves one entry. Nothing is written for the refusals that come before the
// guards: a stale revision, an invalid transition, a forbidden actor (someone without
// authority must not write to a release's history), invalid input; nor for a refusal
// of any other event. A caller that uses ExpectRevision reads the release again after
// a recorded refusal.
//
// With [IdempotencyKey], a retry returns the first committed result. A refused call
// keeps no key (a recorded refusal is not the call's result): retrying it decides
// again.
//
// After the commit, the notifier is told. If it fails, Fire returns the committed
// release together with a *NotifyError (ErrNotify); [Committed] tells the two cases
// apart.
func (e *Engine) Fire(ctx context.Context, id ID, event Event, actor Actor, opts ...FireOption) (Release, error) {
	o, err := fireOpts(opts)
	if err != nil {
		return Release{}, err
	}
	if err := ctx.Err(); err != nil {
		return Release{}, err
	}
	if p := actor.validate(); len(p) > 0 {
		return Release{}, validation("actor", p)
	}
	req := request{Op: "fire", ID: id, Event: event, Actor: &actor, Reason: o.reason, Data: o.data, Expected: o.expected,
		At: o.at, Override: o.override, Waivers: o.waivers, Review: o.review, Failed: o.failed}
	return e.keyed(ctx, o, req, func(k *KeyRecord) (Release, error) {
		for range maxLockdownAttempts - 1 {
			r, err := e.fire(ctx, id, event, actor, o, k)
			if !errors.Is(err, errLockdownsMoved) {
				return r, err
			}
		}
		return e.fire(ctx, id, event, actor, o, k)
	})
}

func (e *Engine) fire(ctx context.Context, id ID, event Event, actor Actor, o *fireOptions, k *KeyRecord) (Release, error) {
	cur, err := e.store.Get(ctx, id)
	if err != nil {
		return Release{}, named(id, err)
	}
	if o.expect && cur.Revision != o.expected {
		return Release{}, &StaleError{ID: id, Expected: o.expected, Actual: cur.Revision}
	}
	to, ok := Next(cur.State, event)
	if !ok {
		return Release{}, &TransitionError{ID: id, State: cur.State, Event: event, Available: Available(cur.State)}
	}
	if err := e.policy.Authorize(actor, event, cur); err != nil {
		return Release{}, err
	}
	now := e.now()
	p := &Proposal{Release: cur.Clone(), Event: event, To: to, Actor: actor, Reason: o.reason, Data: o.data, Now: now}
	next := cur.Clone()
	refusals, err := e.consult(ctx, p)
	if err != nil {
		return Release{}, err
	}
	more, err := e.checkStages(ctx, p, &next, o)
	if err != nil {
		return Release{}, err
	}
	if refusals = append(refusals, more...); len(refusals) > 0 {
		refused := &GuardError{ID: id, Event: event, Release: peopleName(cur), Refusals: refusals}
		return Release{}, e.recordDecision(ctx, cur, p, refused)
	}
	// The machine fires in the stored state (step sets a pooled machine to it) and
	// checks ctx first. It agrees with Next by construction (both read the same table).
	if to, err = step(ctx, cur.State, event); err != nil {
		return Release{}, err
	}
	undo, err := e.reserveStages(ctx, p, &next)
	if err != nil {
		return Release{}, err
	}

	next.State = to
	if slices.Contains(scopeEvents, event) {
		next.Scope = cur.Scope + 1
	}
	if next.Reached == nil {
		next.Reached = map[State]time.Time{}
	}
	if _, seen := next.Reached[to]; !seen {
		next.Reached[to] = now
	}
	entry := AuditEntry{Event: event, Actor: actor, Reason: o.reason, Time: now, Data: o.data, Annotations: p.annotations}
	if err := chain(cur, &next, &entry); err != nil {
		undo()
		return Release{}, err
	}
	if err := e.update(ctx, cur.Revision, next, entry, k, p); err != nil {
		switch e.committed(ctx, id, entry.Hash) {
		case commitAbsent:
			undo()
			return Release{}, e.fenceMoved(ctx, p, err)
		case commitUnknown:
			// Keep the reservations: a slot held by a release that did not move is
			// a smaller harm than a scheduled release whose slot was given away.
			return Release{}, err
		}
		// The store reported an error but the transition is there: it stands.
	}
	notifyErr := e.notify(ctx, Notification{Release: next, Entry: entry})
	for _, st := range e.stages {
		var err error
		if next, err = st.after(ctx, p, next, o); err != nil {
			return next, errors.Join(notifyErr, err)
		}
	}
	return next, notifyErr
}

// chain makes entry the next entry of cur's history and next the release it
// leaves: next at cur's revision + 1, updated at entry.Time, headed by entry's
// hash. The caller gives entry's event, actor, time, reason, data, annotations and
// evidence, and next's state; chain fills in the rest of entry (release, sequence,
// from cur's state to next's, the previous hash, next's snapshot, the hash version,
// its own copy of the actor's roles) and hashes it.
func chain(cur Release, next *Release, entry *AuditEntry) error {
	next.Revision = cur.Revision + 1
	next.UpdatedAt = entry.Time
	entry.ReleaseID, entry.Sequence = cur.ID, next.Revision
	entry.From, entry.To = cur.State, next.State
	entry.PrevHash, entry.Snapshot, entry.HashVersion = cur.Head, snapshotOf(*next), CurrentHashVersion
	entry.Actor.Roles = slices.Clone(entry.Actor.Roles)
	var err error
	if entry.Hash, err = entry.ComputeHash(); err != nil {
		return err
	}
	next.Head = entry.Hash
	return nil
}

type commitState int

const (
	commitAbsent commitState = iota
	commitPresent
	commitUnknown
)

// committed reads the release back after a failed Update, to tell a write that did
// not happen from one that happened but was reported as failed (a lost reply, a
// timeout after the commit).
func (e *Engine) committed(ctx context.Context, id ID, hash string) commitState {
	r, err := e.store.Get(context.WithoutCancel(ctx), id)
	switch {
	case err != nil:
		return commitUnknown
	case r.Head == hash:
		return commitPresent
	}
	return commitAbsent
}

// consult asks every guard and collects the refusals.
func (e *Engine) consult(ctx context.Context, p *Proposal) ([]Refusal, error) {
	var refusals []Refusal
	for _, g := range e.guards {
		p.guard = g.Name()
		err := g.Check(ctx, p)
		if err == nil {
			continue
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, ctxErr
		}
		refusals = append(refusals, newRefusal(g.Name(), err))
	}
	p.guard = ""
	return refusals, nil
}

func (e *Engine) notify(ctx context.Context, n Notification) error {
	e.afterCommit(n.Release.ID) // every commit notifies: the checkpoints count it here
	if e.notifier == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), e.notifyTimeout)
	defer cancel()
	err := e.notifier.Notify(ctx, n)
	if err == nil {
		if ob, ok := e.store.(Outbox); ok {
			// Delivered: the outbox row is done. Should the ack fail, a Dispatcher
			// delivers the notification again later (at least once).
			if aerr := ob.AckNotification(ctx, n.Key()); aerr != nil {
				e.log.LogAttrs(ctx, slog.LevelWarn, "release notification delivered but not acknowledged",
					slog.String("key", n.Key()), slog.Any("error", aerr))
			}
		}
		return nil
	}
	e.log.LogAttrs(ctx, slog.LevelError, "release notification failed",
		slog.String("release", n.Release.ID.String()), slog.Int64("sequence", n.Entry.Sequence),
		slog.String("event", string(n.Entry.Event)), slog.Any("error", err))
	return &NotifyError{ID: n.Release.ID, Sequence: n.Entry.Sequence, Err: err}
}

// named turns a store's bare ErrNotFound into a *NotFoundError naming the release.
func named(id ID, err error) error {
	if errors.Is(err, ErrNotFound) {
		var nf *NotFoundError
		if !errors.As(err, &nf) {
			return &NotFoundError{ID: id}
		}
	}
	return err
}

// booksSlots reports whether the engine books calendar slots (WithCalendar).
func (e *Engine) booksSlots() bool { return e.calendar != nil }
