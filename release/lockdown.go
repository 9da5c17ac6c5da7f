package release

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/releasekit/releasekit/change"
)

// LockdownKind says what a runtime stop of the line ([Lockdown]) holds back.
type LockdownKind string

// The kinds of [Lockdown].
const (
	// KindLockdown refuses every start in its scope. Nothing passes it: no change
	// class, no Override, no waiver.
	KindLockdown LockdownKind = "lockdown"
	// KindFreeze refuses starts in its scope as a calendar freeze does: a release of
	// one of its AllowClasses passes, and so does Override(reason) by an actor with
	// one of CalendarConfig.OverrideRoles (recorded in the history).
	KindFreeze LockdownKind = "freeze"
)

// LockdownKinds lists every [LockdownKind].
func LockdownKinds() []LockdownKind { return []LockdownKind{KindLockdown, KindFreeze} }

// The events of the lockdown history ([LockdownEntry]) and of the entry that marks a
// deploying release for halting. They cannot be fired; [Policy] permissions name
// EventDeclare and EventLift to say who may declare and lift lockdowns and freezes.
const (
	// EventDeclare declares a lockdown or freeze ([Engine.Lockdown]).
	EventDeclare Event = "declare"
	// EventLift lifts one ([Engine.Lift]).
	EventLift Event = "lift"
	// EventHalt is the entry a lockdown appends to the history of every release
	// that is deploying in its scope when it is declared: the release stays in
	// StateDeploying, and the entry's "lockdown" annotation says which lockdown asks
	// the host to halt it. The notifier is told, as after a transition.
	EventHalt Event = "halt"
)

// Lockdown stops the line while the engine runs: declared with [Engine.Lockdown],
// stored in the hash-chained lockdown history of a [LockdownStore], obeyed by every
// engine on that store from the moment it is declared, and lifted with [Engine.Lift].
type Lockdown struct {
	// ID identifies the lockdown; Engine.Lockdown sets it.
	ID ID `json:"id"`
	// Kind is KindLockdown (the zero value counts as such) or KindFreeze.
	Kind LockdownKind `json:"kind"`
	// Reason says why; it is required.
	Reason string `json:"reason"`
	// Environments are the environments it covers; none means every environment.
	Environments []string `json:"environments,omitempty"`
	// AllowClasses are the change classes that pass a freeze (never a lockdown).
	AllowClasses []change.Class `json:"allow_classes,omitempty"`
	// From is when it takes effect; zero means when it is declared.
	From time.Time `json:"from"`
	// Until is when it ends by itself; zero means when it is lifted.
	Until time.Time `json:"until,omitzero"`
	// DeclaredBy and DeclaredAt are set by Engine.Lockdown.
	DeclaredBy Actor     `json:"declared_by"`
	DeclaredAt time.Time `json:"declared_at"`
	// LiftedBy, LiftedAt and LiftReason are set by Engine.Lift; LiftedAt is zero
	// while the lockdown has not been lifted.
	LiftedBy   Actor     `json:"lifted_by,omitzero"`
	LiftedAt   time.Time `json:"lifted_at,omitzero"`
	LiftReason string    `json:"lift_reason,omitempty"`
}

// Active reports whether l is in effect at the instant at: from From, before Until, and not lifted
// at or before at.
func (l Lockdown) Active(at time.Time) bool {
	return !at.Before(l.From) && (l.Until.IsZero() || at.Before(l.Until)) &&
		(l.LiftedAt.IsZero() || at.Before(l.LiftedAt))
}

// end is when l stops being in effect (its Until or when it was lifted, whichever
// comes first), or zero when neither is set.
func (l Lockdown) end() time.Time {
	switch {
	case l.LiftedAt.IsZero():
		return l.Until
	case l.Until.IsZero() || l.LiftedAt.Before(l.Until):
		return l.LiftedAt
	}
	return l.Until
}

// covers reports whether l holds back a deployment of r from now for d (or at now,
// when d is not positive): the environment is in its scope, l has not been lifted,
// and the deployment's time overlaps the time l is in effect. A lift, and a
// lockdown declared to take effect at once, count from the moment they are in the
// history, whatever the clock of the engine that reads them says: a replica whose
// clock lags behind the declarer's still obeys at once.
func (l Lockdown) covers(r Release, now time.Time, d time.Duration) bool {
	if len(l.Environments) > 0 && !slices.Contains(l.Environments, r.Environment) || !l.LiftedAt.IsZero() {
		return false
	}
	if !l.Until.IsZero() && !now.Before(l.Until) {
		return false
	}
	return !l.From.After(l.DeclaredAt) || now.Add(max(d, 0)).After(l.From) || !now.Before(l.From)
}

func (l Lockdown) kind() LockdownKind {
	if l.Kind == "" {
		return KindLockdown
	}
	return l.Kind
}

// scope names the environments l covers, for people.
func (l Lockdown) scope() string {
	if len(l.Environments) == 0 {
		return "every environment"
	}
	return strings.Join(l.Environments, ", ")
}

func (l Lockdown) describe() string {
	s := fmt.Sprintf("%s %s in %s, declared by %s at %s: %s", l.kind(), l.ID, l.scope(), l.DeclaredBy.ID, l.DeclaredAt.Format(time.RFC3339), l.Reason)
	if !l.Until.IsZero() {
		s += fmt.Sprintf(" (until %s)", l.Until.Format(time.RFC3339))
	}
	return s
}

// clone returns a deep copy of l.
func (l Lockdown) clone() Lockdown {
	l.Environments = slices.Clone(l.Environments)
	l.AllowClasses = slices.Clone(l.AllowClasses)
	l.DeclaredBy.Roles = slices.Clone(l.DeclaredBy.Roles)
	l.LiftedBy.Roles = slices.Clone(l.LiftedBy.Roles)
	return l
}

// validate reports every problem of a lockdown about to be declared at now.
func (l Lockdown) validate(now time.Time) error {
	var probs []string
	if strings.TrimSpace(l.Reason) == "" {
		probs = append(probs, "the reason is empty: say why the line stops (people read it in the history and the calendar)")
	}
	if !slices.Contains(LockdownKinds(), l.kind()) {
		probs = append(probs, fmt.Sprintf("kind %q is not one of %v", l.Kind, LockdownKinds()))
	}
	if l.kind() == KindLockdown && len(l.AllowClasses) > 0 {
		probs = append(probs, "a lockdown lets no change class through; declare a freeze to allow some")
	}
	for _, c := range l.AllowClasses {
		if !c.Valid() {
			probs = append(probs, fmt.Sprintf("%q is not a change class (one of %v)", c, change.Classes()))
		}
	}
	seen := map[string]bool{}
	for _, env := range l.Environments {
		switch {
		case strings.TrimSpace(env) == "" || strings.TrimSpace(env) != env:
			probs = append(probs, fmt.Sprintf("environment %q is empty or has surrounding white space", env))
		case seen[env]:
			probs = append(probs, fmt.Sprintf("environment %q is named twice", env))
		}
		seen[env] = true
	}
	from := l.From
	if from.IsZero() {
		from = now
	}
	if !l.Until.IsZero() {
		switch {
		case !l.Until.After(from):
			probs = append(probs, fmt.Sprintf("it ends at %s, not after it starts at %s", l.Until.UTC().Format(time.RFC3339), from.UTC().Format(time.RFC3339)))
		case !l.Until.After(now):
			probs = append(probs, fmt.Sprintf("it ends at %s, which has passed (it is %s)", l.Until.UTC().Format(time.RFC3339), now.Format(time.RFC3339)))
		}
	}
	return validation("lockdown", probs)
}

// LockdownEntry is one entry of the lockdown history: a declaration or a lift. Like a
// release's history it is hash-chained: each Hash is SHA-256 over the entry's
// canonical encoding, which includes the previous entry's hash.
type LockdownEntry struct {
	// Sequence numbers the entries 1, 2, 3…
	Sequence int64 `json:"sequence"`
	// Event is EventDeclare or EventLift.
	Event Event `json:"event"`
	// Lockdown is the lockdown as this entry leaves it (with LiftedBy, LiftedAt and
	// LiftReason set by a lift).
	Lockdown Lockdown `json:"lockdown"`
	// Key and Request are the idempotency key the entry was written with
	// ([IdempotencyKey]) and the hex SHA-256 of its request; both empty without one.
	Key     string `json:"key,omitempty"`
	Request string `json:"request,omitempty"`
	// PrevHash is the previous entry's Hash ("" for the first); Hash is this
	// entry's (ComputeHash).
	PrevHash string `json:"prev_hash"`
	Hash     string `json:"hash"`
}

// canonicalLockdown is the hashed form of a LockdownEntry: version, fields in a fixed
// order, times in UTC.
type canonicalLockdown struct {
	V        int      `json:"v"`
	Sequence int64    `json:"sequence"`
	Event    Event    `json:"event"`
	Lockdown Lockdown `json:"lockdown"`
	Key      string   `json:"key,omitempty"`
	Request  string   `json:"request,omitempty"`
	PrevHash string   `json:"prev_hash"`
}

// ComputeHash returns the hash the entry should carry: hex SHA-256 over its canonical
// encoding (every field but Hash).
func (e LockdownEntry) ComputeHash() (string, error) {
	l := e.Lockdown.clone()
	for _, t := range []*time.Time{&l.From, &l.Until, &l.DeclaredAt, &l.LiftedAt} {
		if !t.IsZero() {
			*t = t.UTC()
		}
	}
	if len(l.Environments) == 0 {
		l.Environments = nil
	}
	if len(l.AllowClasses) == 0 {
		l.AllowClasses = nil
	}
	if len(l.DeclaredBy.Roles) == 0 {
		l.DeclaredBy.Roles = nil
	}
	if len(l.LiftedBy.Roles) == 0 {
		l.LiftedBy.Roles = nil
	}
	b, err := json.Marshal(canonicalLockdown{V: 1, Sequence: e.Sequence, Event: e.Event, Lockdown: l, Key: e.Key, Request: e.Request, PrevHash: e.PrevHash})
	if err != nil {
		return "", &CorruptError{What: "lockdown entry", Reason: err.Error()}
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// Clone returns a deep copy of e.
func (e LockdownEntry) Clone() LockdownEntry {
	e.Lockdown = e.Lockdown.clone()
	return e
}

// VerifyLockdownHistory checks a whole lockdown history: sequence numbers 1…n without
// gaps, every hash matching its content and chained to the one before, each
// declaration of a new lockdown with a reason, a declarer and no lift, each lift of a
// declared lockdown not lifted before, by someone, with a reason, that leaves every
// declared field as it was. It returns nil or a *LockdownHistoryError (ErrTampered)
// naming the first bad entry. Like a release history without its head, it cannot
// tell a history whose last entries were cut off from a shorter one.
func VerifyLockdownHistory(h []LockdownEntry) error {
	c := newLockdownChain()
	for _, e := range h {
		if err := c.add(e); err != nil {
			return err
		}
	}
	return nil
}

// lockdownChain is a verified prefix of a lockdown history: how many entries it
// holds, the last one's hash, every lockdown as its last entry leaves it, and the
// ones not lifted in the order they were declared. add verifies the next entry
// against it, so a history is verified once, entry by entry, as it grows.
type lockdownChain struct {
	n        int64
	head     string
	declared map[ID]Lockdown
	open     []ID // declared and not lifted, in declaration order
}

func newLockdownChain() *lockdownChain { return &lockdownChain{declared: map[ID]Lockdown{}} }

// add verifies e as the entry after the chain's last and appends it; when e does not
// verify it returns a *LockdownHistoryError and leaves the chain as it was.
func (c *lockdownChain) add(e LockdownEntry) error {
	seq := c.n + 1
	bad := func(format string, args ...any) error {
		return &LockdownHistoryError{Sequence: seq, Reason: fmt.Sprintf(format, args...)}
	}
	l := e.Lockdown
	switch {
	case e.Sequence != seq:
		return bad("has sequence %d (an entry was removed, inserted or moved)", e.Sequence)
	case e.PrevHash != c.head:
		return bad("does not chain to the entry before it")
	}
	if err := e.verifyHash(); err != nil {
		return bad("%v", err)
	}
	old, seen := c.declared[l.ID]
	switch e.Event {
	case EventDeclare:
		switch {
		case seen:
			return bad("declares %s a second time", l.ID)
		case strings.TrimSpace(l.Reason) == "" || l.DeclaredBy.ID == "" || l.DeclaredAt.IsZero():
			return bad("declares %s without a reason, a declarer or a time", l.ID)
		case !l.LiftedAt.IsZero() || l.LiftedBy.ID != "":
			return bad("declares %s as lifted already", l.ID)
		}
		c.open = append(c.open, l.ID)
	case EventLift:
		switch {
		case !seen:
			return bad("lifts %s, which was never declared", l.ID)
		case !old.LiftedAt.IsZero():
			return bad("lifts %s, which was lifted already", l.ID)
		case l.LiftedBy.ID == "" || l.LiftedAt.IsZero() || strings.TrimSpace(l.LiftReason) == "":
			return bad("lifts %s without a lifter, a time or a reason", l.ID)
		}
		decl := l.clone()
		decl.LiftedBy, decl.LiftedAt, decl.LiftReason = Actor{}, time.Time{}, ""
		a, _ := json.Marshal(decl)
		b, _ := json.Marshal(old)
		if string(a) != string(b) {
			return bad("lifts %s but changes what was declared", l.ID)
		}
		c.open = slices.DeleteFunc(c.open, func(id ID) bool { return id == l.ID })
	default:
		return bad("event %q is neither %s nor %s", e.Event, EventDeclare, EventLift)
	}
	c.declared[l.ID] = l.clone()
	c.n, c.head = seq, e.Hash
	return nil
}

// verifyHash checks that e's Hash matches its content.
func (e LockdownEntry) verifyHash() error {
	want, err := e.ComputeHash()
	if err != nil {
		return err
	}
	if want != e.Hash {
		return errors.New("its hash does not match its content (the entry was edited)")
	}
	return nil
}

// unlifted returns the lockdowns of the chain that are not lifted, in the order they
// were declared, copied out.
func (c *lockdownChain) unlifted() []Lockdown {
	out := make([]Lockdown, len(c.open))
	for i, id := range c.open {
		out[i] = c.declared[id].clone()
	}
	return out
}

// LockdownHistoryError says where a lockdown history does not verify.
type LockdownHistoryError struct {
	// Sequence is the first bad entry's place in the history (1-based).
	Sequence int64
	// Reason says what is wrong with it.
	Reason string
}

func (e *LockdownHistoryError) Error() string {
	return fmt.Sprintf("release: lockdown history entry %d does not verify: %s; restore the lockdown history from a backup", e.Sequence, e.Reason)
}

// Unwrap makes the error match ErrTampered.
func (e *LockdownHistoryError) Unwrap() error { return ErrTampered }

// LockdownStore is an optional interface of a [Store] (found by type assertion) that
// keeps runtime lockdowns and freezes. An Engine over a store without it refuses
// [Engine.Lockdown]; over one with it, every start reads the lockdown history from
// the store (from the last entry its engine verified on), so a lockdown declared by
// any engine on the store is obeyed by all of them at once.
//
// Contract (release/storetest checks it):
//   - AppendLockdown appends e when the history holds exactly e.Sequence-1 entries;
//     otherwise it changes nothing and returns an error matching ErrStale. Of
//     concurrent appends with the same sequence, exactly one succeeds.
//   - LockdownHistory returns every entry in sequence order (none: an empty slice and
//     a nil error). Entries are copied out; decoding failures are ErrCorrupt.
//   - LockdownHistoryFrom is LockdownHistory without the entries before sequence
//     from (from <= 1: all of them; past the last entry: none), reading only the
//     rest, so that its cost does not grow with the history. A start reads the
//     history from the last entry its engine verified.
//   - UpdateFenced is Update (UpdateKeyed when k is not nil, for a [KeyStore]) that,
//     in the same atomic step, checks that the lockdown history still holds exactly
//     fence entries; when it holds more it changes nothing and returns an error
//     matching ErrStale. So an Update that succeeds is ordered before every
//     append the caller did not see: a start decided on an older lockdown history
//     never commits after a newer declaration.
type LockdownStore interface {
	AppendLockdown(ctx context.Context, e LockdownEntry) error
	LockdownHistory(ctx context.Context) ([]LockdownEntry, error)
	LockdownHistoryFrom(ctx context.Context, from int64) ([]LockdownEntry, error)
	UpdateFenced(ctx context.Context, expected int64, r Release, e AuditEntry, k *KeyRecord, fence int64) error
}

// maxLockdownAttempts bounds how often a declaration, a lift, a halt mark or a start
// reads again after losing a race with another change of the lockdown history.
const maxLockdownAttempts = 16

// errLockdownsMoved says that a start lost its race with an append to the lockdown
// history: it is decided again on the new history. After the last attempt it reaches
// the caller, as a stale revision.
var errLockdownsMoved = fmt.Errorf("%w: the lockdown history changed while the start was decided; fire start again", ErrStale)

// fenceMoved turns the failed commit of a fenced start into errLockdownsMoved when
// the lockdown history grew since the start was decided (so Fire decides again), and
// returns err as it is otherwise.
func (e *Engine) fenceMoved(ctx context.Context, p *Proposal, err error) error {
	if !p.fenced || !errors.Is(err, ErrStale) {
		return err
	}
	h, rerr := e.store.(LockdownStore).LockdownHistoryFrom(context.WithoutCancel(ctx), p.fence+1)
	if rerr != nil || len(h) == 0 {
		return err
	}
	return errLockdownsMoved
}

func (e *Engine) lockdownStore() (LockdownStore, error) {
	ls, ok := e.store.(LockdownStore)
	if !ok {
		return nil, fmt.Errorf("%w: the store (%T) keeps no lockdowns; use adapters/memory, adapters/bolt or adapters/postgres, or implement release.LockdownStore", ErrInvalid, e.store)
	}
	return ls, nil
}

// authorizeLockdown asks the policy whether a may fire event (EventDeclare or
// EventLift) in every environment of l: a lockdown of every environment needs a
// permission that is not limited to some environments.
func (e *Engine) authorizeLockdown(a Actor, event Event, l Lockdown) error {
	envs := l.Environments
	if len(envs) == 0 {
		envs = []string{""}
	}
	for _, env := range envs {
		if err := e.policy.Authorize(a, event, Release{Environment: env}); err != nil {
			return err
		}
	}
	return nil
}

// Lockdown declares l on behalf of actor and returns it as stored (with its ID, From,
// DeclaredBy and DeclaredAt set). From then on, every engine on the store refuses
// every start in its scope (environments, and time from From to Until or the lift) as
// its Kind says: a lockdown with no override at all, a freeze as a calendar freeze
// does. The declaration is the next entry of the hash-chained lockdown history.
//
// A lockdown (not a freeze) that is in effect when declared also marks every release
// deploying in its scope: an [EventHalt] entry in the release's history, and a
// notification, so the host (a bot, a webhook, Slack) can halt the deployment.
// Rollbacks are never held back.
//
// The actor needs a permission for EventDeclare in every environment of l
// ([DefaultPolicy]: release managers); otherwise a *ForbiddenError (ErrForbidden). A
// lockdown without a reason, one whose Until is not after its From or has passed,
// an unknown kind or class, or classes allowed through a lockdown give a
// *ValidationError (ErrInvalid) naming every problem; a store that keeps no
// lockdowns, ErrInvalid. Nothing is written then. When some deploying releases could
// not be marked, the lockdown stands and is returned with the error.
//
// The one option it takes is [IdempotencyKey] (see [Engine.Lift] for how a key
// works on the lockdown history). A call whose key declared the lockdown already
// writes no second declaration: while the lockdown is in effect, it marks the
// deploying releases in its scope that carry no halt mark of it since they started,
// so a retry after an error finishes what the first call could not.
func (e *Engine) Lockdown(ctx context.Context, actor Actor, l Lockdown, opts ...FireOption) (Lockdown, error) {
	if err := ctx.Err(); err != nil {
		return Lockdown{}, err
	}
	if p := actor.validate(); len(p) > 0 {
		return Lockdown{}, validation("actor", p)
	}
	k, err := lockdownKeyOf("Lockdown", opts, request{Op: "lockdown", Actor: &actor, Lockdown: &l})
	if err != nil {
		return Lockdown{}, err
	}
	ls, err := e.lockdownStore()
	if err != nil {
		return Lockdown{}, err
	}
	prior, h, found, err := e.recallLockdown(ctx, ls, k, EventDeclare)
	if err != nil {
		return prior, err
	}
	if found { // a retry: mark what the first call could not
		return prior, e.haltAgain(ctx, ls, h, prior.ID)
	}
	now := e.now()
	if err := l.validate(now); err != nil {
		return Lockdown{}, err
	}
	if err := e.authorizeLockdown(actor, EventDeclare, l); err != nil {
		return Lockdown{}, err
	}
	l = l.clone()
	l.Kind = l.kind()
	if l.From.IsZero() {
		l.From = now
	}
	l.From = l.From.UTC().Truncate(time.Microsecond)
	if !l.Until.IsZero() {
		l.Until = l.Until.UTC().Truncate(time.Microsecond)
	}
	if l.ID, err = e.ids.next(now); err != nil {
		return Lockdown{}, err
	}
	l.DeclaredBy, l.DeclaredAt = actor, now
	l.DeclaredBy.Roles = slices.Clone(actor.Roles)
	l.LiftedBy, l.LiftedAt, l.LiftReason = Actor{}, time.Time{}, ""
	en, err := e.appendLockdown(ctx, ls, EventDeclare, l.ID, k, h, func([]LockdownEntry) (Lockdown, error) { return l, nil })
	switch {
	case err != nil:
		return Lockdown{}, err
	case en.Lockdown.ID != l.ID: // another call with the key declared it first
		return en.Lockdown, e.haltAgain(ctx, ls, nil, en.Lockdown.ID)
	}
	return l, e.haltIfActive(ctx, l, now, false)
}

// haltAgain marks, for a keyed call that finds lockdown id declared already, the
// deploying releases in its scope that carry no halt mark of it since they started:
// the first call may have failed to mark some, and a retry with its key is how a
// caller finishes the job. The lockdown is taken as the lockdown history h leaves it
// (read now when h is nil: it may have been lifted since it was declared).
func (e *Engine) haltAgain(ctx context.Context, ls LockdownStore, h []LockdownEntry, id ID) error {
	if h == nil {
		var err error
		if h, err = e.readLockdowns(ctx, ls); err != nil {
			return fmt.Errorf("release: lockdown %s is declared but the lockdown history could not be read to mark the deploying releases: %w", id, err)
		}
	}
	l, _ := lockdownIn(h, id)
	return e.haltIfActive(ctx, l, e.now(), true)
}

// haltIfActive marks the releases deploying in l's scope when l is a lockdown (not a
// freeze) in effect at the instant at; again, only those not marked yet.
func (e *Engine) haltIfActive(ctx context.Context, l Lockdown, at time.Time, again bool) error {
	if l.Kind != KindLockdown || !l.Active(at) {
		return nil
	}
	return e.haltDeploying(ctx, l, again)
}

// appendLockdown appends the entry of event (EventDeclare or EventLift) for
// lockdown id to the lockdown history h, as the caller read and verified it
// (readLockdowns), or reads it when h is nil; it reads it again when another append
// wins the race. A keyed call finds what its key wrote first. Otherwise next
// decides, on the history it appends to, the lockdown as the entry leaves it, or
// refuses.
func (e *Engine) appendLockdown(ctx context.Context, ls LockdownStore, event Event, id ID, k lockdownKey, h []LockdownEntry, next func(h []LockdownEntry) (Lockdown, error)) (LockdownEntry, error) {
	var err error
	for range maxLockdownAttempts {
		if h == nil {
			if h, err = e.readLockdowns(ctx, ls); err != nil {
				return LockdownEntry{}, err
			}
		}
		if prior, found, err := k.find(h, event); found || err != nil {
			return prior, err
		}
		var l Lockdown
		if l, err = next(h); err != nil {
			return LockdownEntry{}, err
		}
		en := LockdownEntry{Sequence: int64(len(h)) + 1, Event: event, Lockdown: l.clone(), Key: k.key, Request: k.request}
		if len(h) > 0 {
			en.PrevHash = h[len(h)-1].Hash
		}
		if en.Hash, err = en.ComputeHash(); err != nil {
			return LockdownEntry{}, err
		}
		if err = ls.AppendLockdown(ctx, en); err == nil {
			return en, nil
		}
		if !errors.Is(err, ErrStale) {
			return LockdownEntry{}, fmt.Errorf("release: %s %s: %w", event, id, err)
		}
		h = nil // another append won: read the history again
	}
	return LockdownEntry{}, fmt.Errorf("release: %s %s: %w", event, id, err)
}

// readLockdowns reads the whole lockdown history and verifies it, and checks that it
// still holds the last entry this engine's starts verified, unchanged (so a history
// cut back or whose last entry was replaced does not verify either). An empty
// history is an empty slice, not nil.
func (e *Engine) readLockdowns(ctx context.Context, ls LockdownStore) ([]LockdownEntry, error) {
	h, err := ls.LockdownHistory(ctx)
	if err != nil {
		return nil, fmt.Errorf("release: read the lockdown history: %w", err)
	}
	if h == nil {
		h = []LockdownEntry{}
	}
	if err := VerifyLockdownHistory(h); err != nil {
		return nil, err
	}
	e.verified.mu.Lock()
	n, head := int64(0), ""
	if c := e.verified.chain; c != nil {
		n, head = c.n, c.head
	}
	e.verified.mu.Unlock()
	if n > int64(len(h)) || n > 0 && h[n-1].Hash != head {
		return nil, &LockdownHistoryError{Sequence: n, Reason: "the store no longer holds the entry this engine verified there"}
	}
	return h, nil
}

// lockdownCache is what an engine's starts have verified of the lockdown history. A
// start reads only the entries from the last verified one on (one small read when
// nothing was appended), checks that the last verified entry is still there
// unchanged, verifies the new entries against the chain and decides on the
// lockdowns not lifted. So its cost does not grow with the history.
//
// What it does not see: an entry older than the last verified one, edited in the
// store after this engine verified it. The engine goes on obeying the lockdowns as
// it verified them (an edit cannot lift one for it), and every full read finds the
// edit: Engine.Lockdowns, Engine.Lift, Engine.Lockdown, Engine.AuditPack, a new
// engine's first start, and bolt's Check.
type lockdownCache struct {
	mu    sync.Mutex
	chain *lockdownChain // nil until the first start
}

// startView reads the lockdown history from the last entry the engine verified,
// verifies what is new and returns the lockdowns not lifted with the number of
// entries they were decided on (the fence of the start). A history that does not
// verify is an error (the start is refused) and the view stays as it was.
func (e *Engine) startView(ctx context.Context, ls LockdownStore) ([]Lockdown, int64, error) {
	c := &e.verified
	c.mu.Lock()
	var n int64
	if c.chain != nil {
		n = c.chain.n
	}
	c.mu.Unlock()
	tail, err := ls.LockdownHistoryFrom(ctx, max(n, 1))
	if err != nil {
		return nil, 0, fmt.Errorf("release: read the lockdown history: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.chain == nil {
		c.chain = newLockdownChain()
	}
	ch := c.chain
	if ch.n > 0 {
		// The tail must start with the last verified entry, unchanged, unless another
		// start of this engine verified further meanwhile from a newer read.
		i, found := slices.BinarySearchFunc(tail, ch.n, func(en LockdownEntry, seq int64) int { return cmp.Compare(en.Sequence, seq) })
		switch {
		case found && (tail[i].Hash != ch.head || tail[i].verifyHash() != nil):
			return nil, 0, &LockdownHistoryError{Sequence: ch.n, Reason: "the entry this engine verified last was changed in the store"}
		case found:
			tail = tail[i+1:]
		case n == ch.n:
			return nil, 0, &LockdownHistoryError{Sequence: ch.n, Reason: "the entry this engine verified last is missing from the store"}
		default:
			tail = nil // a read older than what is verified: decide on the newer
		}
	}
	for _, en := range tail {
		if err := ch.add(en); err != nil {
			return nil, 0, err
		}
	}
	return ch.unlifted(), ch.n, nil
}

// lockdownIn returns lockdown id as the last entry of history h that names it leaves
// it; ok is false when h never declared it.
func lockdownIn(h []LockdownEntry, id ID) (Lockdown, bool) {
	for i := len(h) - 1; i >= 0; i-- {
		if h[i].Lockdown.ID == id {
			return h[i].Lockdown, true
		}
	}
	return Lockdown{}, false
}

// lockdownsOf replays a history: every lockdown as its last entry leaves it.
func lockdownsOf(h []LockdownEntry) map[ID]Lockdown {
	m := make(map[ID]Lockdown, len(h))
	for _, en := range h {
		m[en.Lockdown.ID] = en.Lockdown
	}
	return m
}

// Lift lifts the lockdown or freeze id on behalf of actor, for reason, and returns it
// as lifted. The lift is the next entry of the lockdown history. The actor needs a
// permission for EventLift in every environment of the lockdown ([DefaultPolicy]:
// release managers); otherwise a *ForbiddenError (ErrForbidden) and nothing changes.
// An empty reason is a *ValidationError; an unknown id, ErrNotFound; one lifted
// already, ErrStale.
//
// The one option it takes is [IdempotencyKey]. The key is kept in the lockdown
// history, in the entry the call writes (one namespace for declarations and lifts,
// kept as long as the history). A call whose key is in the history with the same
// request (actor, and the lockdown or the id and reason) returns the lockdown as
// that entry left it and writes nothing, whatever the state now (a retried lift
// does not find the lockdown "lifted already"); with another request it is a
// *KeyReusedError (ErrKeyReused). A refused call keeps no key.
func (e *Engine) Lift(ctx context.Context, id ID, actor Actor, reason string, opts ...FireOption) (Lockdown, error) {
	if err := ctx.Err(); err != nil {
		return Lockdown{}, err
	}
	var probs []string
	if p := actor.validate(); len(p) > 0 {
		probs = append(probs, p...)
	}
	if strings.TrimSpace(reason) == "" {
		probs = append(probs, "the reason is empty: say why the line may move again")
	}
	if err := validation("lift", probs); err != nil {
		return Lockdown{}, err
	}
	k, err := lockdownKeyOf("Lift", opts, request{Op: "lift", ID: id, Actor: &actor, Reason: reason})
	if err != nil {
		return Lockdown{}, err
	}
	ls, err := e.lockdownStore()
	if err != nil {
		return Lockdown{}, err
	}
	now := e.now()
	en, err := e.appendLockdown(ctx, ls, EventLift, id, k, nil, func(h []LockdownEntry) (Lockdown, error) {
		l, ok := lockdownIn(h, id)
		if !ok {
			return Lockdown{}, fmt.Errorf("%w: no lockdown or freeze %s was declared", ErrNotFound, id)
		}
		if err := e.authorizeLockdown(actor, EventLift, l); err != nil {
			return Lockdown{}, err
		}
		if !l.LiftedAt.IsZero() {
			return Lockdown{}, fmt.Errorf("%w: %s %s was lifted already, by %s at %s: nothing to lift (declare a new one to stop the line again)", ErrStale, l.kind(), id, l.LiftedBy.ID, l.LiftedAt.Format(time.RFC3339))
		}
		l = l.clone()
		l.LiftedBy, l.LiftedAt, l.LiftReason = actor, now, reason
		l.LiftedBy.Roles = slices.Clone(actor.Roles)
		return l, nil
	})
	if err != nil {
		return Lockdown{}, err
	}
	return en.Lockdown, nil
}

// Lockdowns returns every lockdown and freeze declared at runtime, lifted or not, in
// the order they were declared, each as its last entry leaves it ([Lockdown.Active]
// tells which are in effect). It reads and verifies the whole lockdown history: a
// history that does not verify gives a *LockdownHistoryError (ErrTampered). A store
// that keeps no lockdowns has none.
func (e *Engine) Lockdowns(ctx context.Context) ([]Lockdown, error) {
	ls, ok := e.store.(LockdownStore)
	if !ok {
		return nil, nil
	}
	h, err := e.readLockdowns(ctx, ls)
	if err != nil {
		return nil, err
	}
	last := lockdownsOf(h)
	var out []Lockdown
	for _, en := range h {
		if en.Event == EventDeclare {
			out = append(out, last[en.Lockdown.ID])
		}
	}
	return out, nil
}

// LockdownHistory returns the lockdown history as stored, oldest first, for audit
// ([VerifyLockdownHistory] checks it). A store that keeps no lockdowns has none.
func (e *Engine) LockdownHistory(ctx context.Context) ([]LockdownEntry, error) {
	ls, ok := e.store.(LockdownStore)
	if !ok {
		return nil, nil
	}
	return ls.LockdownHistory(ctx)
}

// haltDeploying marks every release deploying in l's scope with an EventHalt entry
// and notifies. A start that commits after l cannot exist (UpdateFenced), and one
// that committed before is deploying by the time this lists, so none is missed.
func (e *Engine) haltDeploying(ctx context.Context, l Lockdown, again bool) error {
	envs := l.Environments
	if len(envs) == 0 {
		envs = []string{""}
	}
	var errs []error
	for _, env := range envs {
		rs, err := e.store.List(ctx, Filter{Environment: env, States: []State{StateDeploying}})
		if err != nil {
			errs = append(errs, fmt.Errorf("release: %s %s is declared but the deploying releases of %q could not be listed to be halted: %w", l.Kind, l.ID, env, err))
			continue
		}
		for _, r := range rs {
			if err := e.halt(ctx, r.ID, l, again); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// halt appends the EventHalt entry for l to release id while it is deploying; again,
// only when its history has no halt mark of l since it started.
func (e *Engine) halt(ctx context.Context, id ID, l Lockdown, again bool) error {
	note, err := json.Marshal(map[string]any{"id": l.ID, "kind": l.Kind, "reason": l.Reason, "by": l.DeclaredBy.ID})
	if err != nil {
		return err
	}
	for range maxLockdownAttempts {
		cur, err := e.store.Get(ctx, id)
		if err != nil {
			return named(id, err)
		}
		if cur.State != StateDeploying {
			return nil // it finished, failed or rolled back meanwhile: nothing to halt
		}
		if again {
			h, err := e.store.History(ctx, id)
			if err != nil {
				return fmt.Errorf("release %s: %s %s is declared but the release's history could not be read to mark it to halt: %w", id, l.Kind, l.ID, err)
			}
			if haltedBy(h, l.ID) {
				return nil
			}
		}
		next := cur.Clone()
		entry := AuditEntry{Event: EventHalt, Actor: l.DeclaredBy, Reason: l.Reason, Time: e.now(),
			Annotations: map[string]json.RawMessage{"lockdown": note}}
		if err := chain(cur, &next, &entry); err != nil {
			return err
		}
		err = e.store.Update(ctx, cur.Revision, next, entry)
		if err != nil && e.committed(ctx, id, entry.Hash) != commitPresent {
			if errors.Is(err, ErrStale) {
				continue
			}
			return fmt.Errorf("release %s: %s %s is declared but the release was not marked to halt: %w", id, l.Kind, l.ID, err)
		}
		if err := e.notify(ctx, Notification{Release: next, Entry: entry}); err != nil {
			return err
		}
		return nil
	}
	return fmt.Errorf("release %s: %s %s is declared but the release changed too often to be marked to halt", id, l.Kind, l.ID)
}

// haltedBy reports whether history h has a halt mark of lockdown id since the
// release last started deploying.
func haltedBy(h []AuditEntry, id ID) bool {
	for i := len(h) - 1; i >= 0; i-- {
		switch en := h[i]; {
		case en.Event == EventHalt:
			var note struct {
				ID ID `json:"id"`
			}
			if json.Unmarshal(en.Annotations["lockdown"], &note) == nil && note.ID == id {
				return true
			}
		case en.To == StateDeploying && en.From != StateDeploying:
			return false
		}
	}
	return false
}

// lockdownStage refuses starts that a runtime lockdown or freeze covers, and fences
// the start's commit on the lockdown history it decided on.
type lockdownStage struct {
	baseStage
	e *Engine
}

func (lockdownStage) name() string { return "lockdown" }

func (s lockdownStage) check(ctx context.Context, p *Proposal, _ *Release, o *fireOptions) error {
	if p.Event != EventStart {
		return nil
	}
	ls, ok := s.e.store.(LockdownStore)
	if !ok {
		return nil
	}
	// Fail closed: a start that cannot tell whether the line is stopped does not go.
	open, n, err := s.e.startView(ctx, ls)
	if err != nil {
		return err
	}
	p.fence, p.fenced = n, true
	var roles []string
	if c := s.e.calendar; c != nil {
		roles = c.cfg.OverrideRoles
	}
	var stops, freezes, stopIDs, freezeIDs []string
	var overridden []ID
	for _, l := range open {
		if !l.covers(p.Release, p.Now, p.Release.Duration) {
			continue
		}
		switch {
		case l.kind() == KindLockdown:
			stops = append(stops, l.describe())
			stopIDs = append(stopIDs, string(KindLockdown)+" "+l.ID.String())
		case slices.Contains(l.AllowClasses, p.Release.Class):
		case o.override != "" && slices.ContainsFunc(roles, p.Actor.HasRole):
			overridden = append(overridden, l.ID)
		default:
			freezes = append(freezes, l.describe())
			freezeIDs = append(freezeIDs, string(KindFreeze)+" "+l.ID.String())
		}
	}
	// The cause names the lockdowns and freezes by ID: a refused start is recorded
	// once per cause (see Engine.Fire).
	why := causes(append(stopIDs, freezeIDs...))
	switch {
	case len(stops) > 0:
		return &causedError{msg: strings.Join(append(stops, freezes...), "; ") + " (a lockdown cannot be overridden; it holds until it is lifted)", why: why}
	case len(freezes) > 0 && o.override != "":
		return &causedError{msg: fmt.Sprintf("%s (%s may not override a freeze: it takes one of the roles %s)", strings.Join(freezes, "; "), p.Actor.ID, strings.Join(roles, ", ")),
			why: why + "; override not allowed"}
	case len(freezes) > 0:
		return &causedError{msg: strings.Join(freezes, "; "), why: why}
	case len(overridden) > 0:
		return p.Annotate(map[string]any{"override": o.override, "by": p.Actor.ID, "overridden": overridden})
	}
	return nil
}
