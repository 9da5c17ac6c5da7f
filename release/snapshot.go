package release

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/releasekit/releasekit/change"
)

// Snapshot is what a history entry records of its release right after the change:
// every field of the [Release] that the history does not already give. The chain
// gives the ID, the state (the last entry's To), the revision (its sequence), the
// head (its hash), when the release was created (the first entry's time), updated
// (the last entry's time) and first reached each state; the snapshot gives the rest.
// [VerifyRelease] compares a stored release with both, so a release row edited in
// the database without a history entry is detected, and the field named.
//
// Every entry the engine writes carries one (hash version 2); entries written by
// releasekit before snapshots existed carry none, and for them only what the chain
// gives is compared until the next entry.
type Snapshot struct {
	Name        string            `json:"name"`
	Version     string            `json:"version"`
	Components  []Component       `json:"components,omitempty"`
	Environment string            `json:"environment"`
	Class       change.Class      `json:"class"`
	Author      string            `json:"author"`
	Labels      map[string]string `json:"labels,omitempty"`
	Team        string            `json:"team,omitempty"`
	Duration    time.Duration     `json:"duration,omitempty"`
	Needs       []Need            `json:"needs,omitempty"`
	Slot        *Slot             `json:"slot,omitempty"`
	Risk        *RiskSummary      `json:"risk,omitempty"`
	Rollback    *RollbackRecord   `json:"rollback,omitempty"`
	Review      *Review           `json:"review,omitempty"`
	Scope       int64             `json:"scope,omitempty"`
	Predecessor ID                `json:"predecessor,omitzero"`
	CommittedAt time.Time         `json:"committed_at,omitzero"`
}

// Snapshot returns r's fields as a history entry records them (see [Snapshot]),
// normalised (UTC times, no empty lists or maps) so that it encodes the same
// whichever store returned r. Code that writes entries itself (a store's tests, a
// migration) puts it in the entry with HashVersion [CurrentHashVersion].
func (r Release) Snapshot() *Snapshot { return snapshotOf(r) }

// snapshotOf is r's snapshot; see [Release.Snapshot].
func snapshotOf(r Release) *Snapshot {
	s := sharedSnapshot(r)
	return s.Clone().normalized()
}

// sharedSnapshot is r's snapshot fields, not normalised, sharing r's lists and maps.
func sharedSnapshot(r Release) Snapshot {
	return Snapshot{
		Name: r.Name, Version: r.Version, Components: r.Components, Environment: r.Environment,
		Class: r.Class, Author: r.Author, Labels: r.Labels, Team: r.Team, Duration: r.Duration,
		Needs: r.Needs, Slot: r.Slot, Risk: r.Risk, Rollback: r.Rollback, Review: r.Review,
		Scope: r.Scope, Predecessor: r.Predecessor, CommittedAt: r.CommittedAt,
	}
}

// normalized returns a copy of s with UTC times and nil for empty lists and maps.
func (s *Snapshot) normalized() *Snapshot {
	if s == nil {
		return nil
	}
	c := *s
	if len(c.Components) == 0 {
		c.Components = nil
	}
	if len(c.Labels) == 0 {
		c.Labels = nil
	}
	if len(c.Needs) == 0 {
		c.Needs = nil
	}
	c.CommittedAt = c.CommittedAt.UTC()
	if c.Slot != nil {
		sl := *c.Slot
		sl.Start, sl.End = sl.Start.UTC(), sl.End.UTC()
		c.Slot = &sl
	}
	return &c
}

// Clone returns a deep copy of s.
func (s *Snapshot) Clone() *Snapshot {
	if s == nil {
		return nil
	}
	r := Release{Components: s.Components, Labels: s.Labels, Needs: s.Needs, Slot: s.Slot, Risk: s.Risk, Rollback: s.Rollback, Review: s.Review}.Clone()
	c := *s
	c.Components, c.Labels, c.Needs, c.Slot, c.Risk, c.Rollback, c.Review = r.Components, r.Labels, r.Needs, r.Slot, r.Risk, r.Rollback, r.Review
	return &c
}

// MismatchError says that a stored release differs from what its verified history
// says: its row was changed without a history entry (by hand, or by an attacker with
// access to the database). It names the field, with both values as JSON.
type MismatchError struct {
	ID ID
	// Field is the field's JSON name, e.g. "author".
	Field string
	// Stored is the stored value; History is what the history says.
	Stored, History string
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("release %s: the stored %s is %s but its history says %s: the release was changed outside its history; restore it from a backup, or from what the history says",
		e.ID, e.Field, e.Stored, e.History)
}

// Unwrap returns [ErrTampered].
func (e *MismatchError) Unwrap() error { return ErrTampered }

// VerifyRelease checks a stored release against its history: the history must verify
// up to the release's head ([VerifyHistory]), and every field of the release must be
// what the history says: the ID, state, revision, author, creation, update and
// reached times from the chain, and every field of the last entry's [Snapshot]. It
// returns nil, the *HistoryError of a history that does not verify, or one
// *MismatchError per differing field (joined with errors.Join; errors.As finds the
// first: the ID, the snapshot's fields in their order, then state, revision and the
// times).
func VerifyRelease(r Release, entries []AuditEntry) error {
	if err := VerifyHistory(entries, r.Head); err != nil {
		return err
	}
	if len(entries) == 0 {
		return &HistoryError{ID: r.ID, Index: 0, Sequence: 1, Reason: "the release has no history"}
	}
	d := differ{id: r.ID}
	first, last := entries[0], entries[len(entries)-1]
	d.field("id", r.ID, first.ReleaseID)
	if last.Snapshot == nil {
		// A history from before snapshots: what the chain gives.
		d.field("author", r.Author, first.Actor.ID)
	}
	d.snapshot(r, last.Snapshot)
	d.field("state", r.State, last.To)
	d.field("revision", r.Revision, last.Sequence)
	d.field("created_at", r.CreatedAt.UTC(), first.Time.UTC())
	d.field("updated_at", r.UpdatedAt.UTC(), last.Time.UTC())
	d.field("reached", utcTimes(r.Reached), reachedBy(entries))
	return errors.Join(d.errs...)
}

// differ collects a *MismatchError for every field of a stored release that differs
// from what its history says.
type differ struct {
	id   ID
	errs []error
}

// field records a mismatch when stored and history differ. It is for fields that
// hold no floats: deeply equal values then render alike.
func (d *differ) field(name string, stored, history any) {
	if !reflect.DeepEqual(stored, history) {
		d.text(name, stored, history)
	}
}

// text records a mismatch when stored and history render as different JSON (0 and
// -0 are equal numbers, but stored apart).
func (d *differ) text(name string, stored, history any) {
	if s, h := jsonText(stored), jsonText(history); s != h {
		d.errs = append(d.errs, &MismatchError{ID: d.id, Field: name, Stored: s, History: h})
	}
}

// snapshot compares every field of r's snapshot with snap; nothing when snap is nil.
func (d *differ) snapshot(r Release, snap *Snapshot) {
	if snap == nil {
		return
	}
	// The snapshot's encoding is its fields' encodings in turn (an omitted field is
	// empty on both sides), so equal encodings mean that every field matches; the
	// fields are compared one by one, as text (they may hold floats), only to say
	// which differ.
	shared := sharedSnapshot(r)
	if sameSnapshot(&shared, snap) {
		return
	}
	got, want := reflect.ValueOf(*snapshotOf(r)), reflect.ValueOf(*snap.normalized())
	for i := range got.NumField() {
		d.text(fieldName(got.Type().Field(i)), got.Field(i).Interface(), want.Field(i).Interface())
	}
}

// reachedBy is when the entries first reached each state.
func reachedBy(entries []AuditEntry) map[State]time.Time {
	out := map[State]time.Time{}
	for _, e := range entries {
		if _, seen := out[e.To]; !seen && (e.Sequence == 1 || e.From != e.To) {
			out[e.To] = e.Time.UTC()
		}
	}
	return out
}

func utcTimes(m map[State]time.Time) map[State]time.Time {
	out := make(map[State]time.Time, len(m))
	for k, v := range m {
		out[k] = v.UTC()
	}
	return out
}

// jsonText renders v for comparison and for people: compact JSON (maps with sorted
// keys), "null" for nil.
func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%#v", v)
	}
	return string(b)
}

// changedBy lists, for each snapshot field (by JSON name) that may change after
// create, the events whose entries may change it. Every other field is fixed when the
// release is created. [VerifyHistory] refuses a snapshot that changes a field with
// another event: a release row edited in the database and then built upon by the
// engine shows there.
var changedBy = map[string][]Event{
	"slot":     {EventSchedule, EventUnschedule, EventCancel},
	"risk":     {EventPlan},
	"rollback": {EventFail, EventRollback, EventFinishRollback},
	"review":   {EventClose},
	"scope":    scopeEvents,
}

// scopeEvents are the events that change a release's scope version ([Release.Scope]).
var scopeEvents = []Event{EventSchedule, EventUnschedule, EventRevoke, EventCancel}

// snapshotChanges returns the JSON names of the fields that differ between a and b.
func snapshotChanges(a, b *Snapshot) []string {
	va, vb := reflect.ValueOf(*a.normalized()), reflect.ValueOf(*b.normalized())
	var out []string
	for i := range va.NumField() {
		if jsonText(va.Field(i).Interface()) != jsonText(vb.Field(i).Interface()) {
			out = append(out, fieldName(va.Type().Field(i)))
		}
	}
	return out
}

func fieldName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	return name
}

// checkSnapshot checks entry i's snapshot against the history before it: the author
// is the creator, and no field changed but those the entry's event changes.
func checkSnapshot(entries []AuditEntry, i int, prev *Snapshot) error {
	e := entries[i]
	if e.Snapshot == nil {
		return nil
	}
	if e.Snapshot.Author != entries[0].Actor.ID {
		return fmt.Errorf("its snapshot's author %q is not the creator %q", e.Snapshot.Author, entries[0].Actor.ID)
	}
	if prev == nil {
		return nil
	}
	for _, f := range snapshotChanges(prev, e.Snapshot) {
		if !slices.Contains(changedBy[f], e.Event) {
			return fmt.Errorf("its snapshot changes %s, which %s does not change (the release was edited outside its history)", f, e.Event)
		}
	}
	return nil
}

// VerifyAppend is the check a [Store] makes inside the transaction of an Update,
// before it appends an entry to the history of cur (the release as stored): the
// stored history must end at cur's head. count is how many entries the stored
// history holds and last is its last entry as the store reads it back. It returns
// nil, or a *HistoryError or *MismatchError (both ErrTampered) saying what is
// missing, does not verify or was edited; the store must then append nothing and
// return that error.
//
// It checks that the history holds exactly cur.Revision entries (none missing, none
// extra), that the last one is cur's head and verifies on its own, and that cur is
// what that entry says (its state, update time and snapshot: a *MismatchError per
// field otherwise), so that an edited release is never built upon. Damage to an
// earlier entry is found by [VerifyRelease] (Engine.VerifyAudit) and by reading the
// history, which decodes and checks every entry; checking the whole chain on every
// append would make each write cost as much as the history is long.
func VerifyAppend(cur Release, count int64, last AuditEntry) error {
	bad := func(seq int64, format string, args ...any) error {
		return &HistoryError{ID: cur.ID, Index: int(seq - 1), Sequence: seq,
			Reason: fmt.Sprintf(format, args...) + "; refusing to append to it (restore the history from a backup)"}
	}
	switch {
	case count != cur.Revision:
		return bad(min(count, cur.Revision)+1, "the release is at revision %d but its history holds %d entries", cur.Revision, count)
	case last.Sequence != cur.Revision || last.ReleaseID != cur.ID:
		return bad(cur.Revision, "the last stored entry is entry %d of release %s", last.Sequence, last.ReleaseID)
	case last.Hash != cur.Head:
		return bad(cur.Revision, "the last stored entry is not the release's head")
	}
	if err := last.check(); err != nil {
		return bad(cur.Revision, "the last stored entry does not verify: %v", err)
	}
	d := differ{id: cur.ID}
	d.snapshot(cur, last.Snapshot)
	d.field("state", cur.State, last.To)
	d.field("updated_at", cur.UpdatedAt.UTC(), last.Time.UTC())
	return errors.Join(d.errs...)
}
