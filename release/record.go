package release

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
)

// maxRecordAttempts bounds how often Record reads again after losing a race with
// another change of the same release (without ExpectRevision).
const maxRecordAttempts = 16

// Record keeps one piece of evidence about release id (an approval, a rejection, a
// withdrawal, a check result, a metric observation, a waiver) in its history: the
// evidence is the [EventRecord] entry, written with compare-and-swap in the same
// store transaction as the release's new revision, so it is hash-chained with every
// other entry and verified by [VerifyHistory] and [Engine.VerifyAudit]. The release's
// state and scope do not change; its Revision grows by one. It returns the release
// as committed.
//
// Recording evidence never invalidates other evidence. Approvals, rejections and
// withdrawals are pinned to the release's scope version ([Release.Scope]) and stop
// counting when it changes; checks, metrics and waivers stand until a later record
// of the same check or metric replaces them (a waiver until it expires). The gates
// of [WithGates] read what is recorded.
//
// Separation of duties holds at record time: an approval or rejection by the
// release's author (one person in any spelling, as [SamePerson] and the gates
// count), or by an automation, and a waiver by the author or an automation, are
// refused with a *ForbiddenError (ErrForbidden) saying why. A withdrawal with no
// standing approval or rejection of the person's to withdraw is a *ValidationError.
//
// Errors: a *ValidationError (ErrInvalid) naming every bad field of ev; a
// *NotFoundError for an unknown release; a *TransitionError on a closed or cancelled
// release; ErrStale when ExpectRevision does not match (without it, Record reads
// again and retries when another change wins the race). A refused record writes
// nothing. Options: [IdempotencyKey], [ExpectRevision], [Reason], [Data]; the others
// are refused. The notifier is told as after a transition.
func (e *Engine) Record(ctx context.Context, id ID, ev Evidence, opts ...FireOption) (Release, error) {
	o, err := fireOpts(opts)
	if err != nil {
		return Release{}, err
	}
	if err := o.only("Record", "ExpectRevision", "Reason", "Data"); err != nil {
		return Release{}, err
	}
	if err := ev.Validate(); err != nil {
		return Release{}, err
	}
	if err := ctx.Err(); err != nil {
		return Release{}, err
	}
	return e.keyed(ctx, o, request{Op: "record", ID: id, Evidence: &ev, Reason: o.reason, Data: o.data, Expected: o.expected}, func(k *KeyRecord) (Release, error) {
		var err error
		for range maxRecordAttempts {
			var r Release
			r, err = e.record(ctx, id, ev, o, k)
			if !errors.Is(err, ErrStale) || o.expect {
				return r, err
			}
		}
		return Release{}, err
	})
}

func (e *Engine) record(ctx context.Context, id ID, ev Evidence, o *fireOptions, k *KeyRecord) (Release, error) {
	cur, err := e.store.Get(ctx, id)
	if err != nil {
		return Release{}, named(id, err)
	}
	if o.expect && cur.Revision != o.expected {
		return Release{}, &StaleError{ID: id, Expected: o.expected, Actual: cur.Revision}
	}
	if cur.State.Terminal() {
		return Release{}, &TransitionError{ID: id, State: cur.State, Event: EventRecord, Available: Available(cur.State)}
	}
	if err := e.dutiesAllow(ctx, cur, ev); err != nil {
		return Release{}, err
	}
	now := e.now()
	ev = *ev.Clone()
	ev.At, ev.Expires = now, ev.Expires.UTC()
	switch ev.Kind {
	case EvidenceApproval, EvidenceRejection, EvidenceWithdrawal:
		ev.Scope = cur.Scope
	}
	next := cur.Clone()
	entry := AuditEntry{Event: EventRecord, Actor: ev.By, Reason: o.reason, Time: now, Data: o.data, Evidence: &ev}
	if err := chain(cur, &next, &entry); err != nil {
		return Release{}, err
	}
	if err := e.update(ctx, cur.Revision, next, entry, k, nil); err != nil {
		if e.committed(ctx, id, entry.Hash) != commitPresent {
			return Release{}, err
		}
	}
	return next, e.notify(ctx, Notification{Release: next, Entry: entry})
}

// dutiesAllow checks separation of duties for ev on release r: people approve,
// reject and waive, never the author; a withdrawal takes back a standing vote.
func (e *Engine) dutiesAllow(ctx context.Context, r Release, ev Evidence) error {
	forbid := func(format string, args ...any) error {
		return &ForbiddenError{Actor: ev.By.ID, Event: EventRecord, Environment: r.Environment, Rule: "separation-of-duties", Reason: fmt.Sprintf(format, args...)}
	}
	switch ev.Kind {
	case EvidenceApproval, EvidenceRejection, EvidenceWaiver:
		if ev.By.Kind != ActorPerson {
			return forbid("%s is an automation; a %s is a person's: record it for the person who gives it", ev.By.ID, ev.Kind)
		}
		if personKey(ev.By.ID) == personKey(r.Author) && !(ev.Kind != EvidenceWaiver && e.policy.AllowSelfApproval) {
			return forbid("%s wrote this release and may not give its %s; ask another person", ev.By.ID, ev.Kind)
		}
	case EvidenceWithdrawal:
		h, err := e.store.History(ctx, r.ID)
		if err != nil {
			return named(r.ID, err)
		}
		s := standingOf(h, r.Scope)
		for _, a := range s.approvals {
			if personKey(a.Actor) == personKey(ev.By.ID) {
				return nil
			}
		}
		for _, rj := range s.rejections {
			if personKey(rj.By.ID) == personKey(ev.By.ID) {
				return nil
			}
		}
		return &ValidationError{What: "evidence", Problems: []string{fmt.Sprintf("kind: %s has no approval or rejection of scope %d to withdraw", ev.By.ID, r.Scope)}}
	}
	return nil
}

// Evidence returns the evidence recorded about release id, oldest first (see
// [Engine.Record] and [Evidences]: recorded refusals are not evidence); the history
// holds it, this reads it out.
func (e *Engine) Evidence(ctx context.Context, id ID) ([]Evidence, error) {
	h, err := e.History(ctx, id)
	if err != nil {
		return nil, err
	}
	return Evidences(h), nil
}

// update commits a change, keyed when k is not nil.
func (e *Engine) update(ctx context.Context, expected int64, next Release, entry AuditEntry, k *KeyRecord, p *Proposal) error {
	if k != nil {
		// The key stores the result, fenced or not: a retry returns it.
		k.Result = next.Clone()
	}
	if p != nil && p.fenced {
		return e.store.(LockdownStore).UpdateFenced(ctx, expected, next, entry, k, p.fence)
	}
	if k == nil {
		return e.store.Update(ctx, expected, next, entry)
	}
	return e.store.(KeyStore).UpdateKeyed(ctx, expected, next, entry, *k)
}

// recordDecision keeps a refused approve or start in the history (see [Engine.Fire]):
// an [EventDecision] entry that leaves the state as it is, by the actor who asked,
// at the time of the attempt, with the caller's reason and data, and a "refusal"
// annotation naming the event and each refusal (guard, cause, reason on one line).
// A refused approve keeps its guards' annotations too (the gates' decision, so that
// a No-Go replays like a Go); a refused start keeps none (an override the calendar
// accepted did not happen). It returns refused, joined with the store's error when
// the entry could not be written.
//
// A refusal for the same causes as the last decision since the release last moved
// is not written again: a scheduler retrying a refused start every minute leaves
// one entry. A refusal that loses the race with another change of the release is
// written on top of it, decided again on dedupe, as long as the release is still in
// the state, scope and slot it was refused in and, for an approve (whose gates read
// the evidence as it was), what was written meanwhile holds no evidence: only other
// refusals. Otherwise it is not written, and the error says why.
func (e *Engine) recordDecision(ctx context.Context, cur Release, p *Proposal, refused *GuardError) error {
	if !slices.Contains(recordedEvents, p.Event) {
		return refused
	}
	rec := recordOf(p.Event, refused.Refusals)
	note, err := json.Marshal(rec)
	if err != nil {
		return errors.Join(refused, err)
	}
	annotations := map[string]json.RawMessage{refusalAnnotation: note}
	if p.Event == EventApprove {
		for k, v := range p.annotations {
			if k != refusalAnnotation {
				annotations[k] = v
			}
		}
	}
	notRecorded := func(err error) error {
		return errors.Join(refused, fmt.Errorf("release %s: the refused %s was not recorded: %w", cur.ID, p.Event, err))
	}
	for range maxRecordAttempts {
		h, err := e.decidedOn(ctx, cur, p)
		if err != nil {
			return notRecorded(named(cur.ID, err))
		}
		if repeats(h, rec) {
			return refused
		}
		next := cur.Clone()
		entry := AuditEntry{Event: EventDecision, Actor: p.Actor, Reason: p.Reason, Time: p.Now, Data: p.Data, Annotations: annotations}
		if err := chain(cur, &next, &entry); err != nil {
			return errors.Join(refused, err)
		}
		err = e.store.Update(ctx, cur.Revision, next, entry)
		if err == nil || e.committed(ctx, cur.ID, entry.Hash) == commitPresent {
			_ = e.notify(ctx, Notification{Release: next, Entry: entry}) // logged; the refusal is the answer
			return refused
		}
		if !errors.Is(err, ErrStale) {
			return notRecorded(err)
		}
		now, gerr := e.store.Get(ctx, cur.ID)
		if gerr != nil {
			return notRecorded(errors.Join(err, named(cur.ID, gerr)))
		}
		if now.State != cur.State || now.Scope != cur.Scope || !sameSlot(now.Slot, cur.Slot) {
			return notRecorded(fmt.Errorf("the release moved on meanwhile: %w", err))
		}
		if p.Event == EventApprove {
			// The gates read the evidence as it was at cur: the refusal stands only
			// when what was written since holds no evidence (other refusals).
			h, herr := e.store.History(ctx, cur.ID)
			switch {
			case herr != nil:
				return notRecorded(errors.Join(err, named(cur.ID, herr)))
			case now.Revision < max(cur.Revision, 1) || int64(len(h)) < now.Revision || h[now.Revision-1].Hash != now.Head:
				return notRecorded(fmt.Errorf("the history read does not end at the release read (revision %d): %w", now.Revision, err))
			case !onlyDecisions(h[cur.Revision:now.Revision]):
				return notRecorded(fmt.Errorf("evidence was recorded meanwhile: %w", err))
			}
			p.history = h
		}
		cur = now
	}
	return notRecorded(fmt.Errorf("the release changed too often: %w", ErrStale))
}

// decidedOn is the history of cur up to its revision: the one a stage read while
// deciding p (the gates of an approve read the evidence), when it holds cur's
// entries, otherwise read from the store. [Store] has no read of a history's
// last entries, so a refused start reads it whole.
func (e *Engine) decidedOn(ctx context.Context, cur Release, p *Proposal) ([]AuditEntry, error) {
	if h := p.history; h != nil && p.Release.ID == cur.ID && int64(len(h)) >= cur.Revision && cur.Revision > 0 && h[cur.Revision-1].Hash == cur.Head {
		return h[:cur.Revision], nil
	}
	return e.store.History(ctx, cur.ID)
}

// onlyDecisions reports whether every entry of h is a recorded refusal.
func onlyDecisions(h []AuditEntry) bool {
	for _, e := range h {
		if e.Event != EventDecision {
			return false
		}
	}
	return true
}

// sameSlot reports whether a and b are the same booked slot (or both none).
func sameSlot(a, b *Slot) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Booking == b.Booking && a.Start.Equal(b.Start) && a.End.Equal(b.End)
}
