// Package storetest is the conformance suite for [release.Store] implementations, in
// the manner of testing/fstest: an implementation's own test calls
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) release.Store { return mystore.Open(t.TempDir()) })
//	}
//
// and every case runs as a subtest against a fresh store from newStore. Each case's
// comment says what part of the Store contract it checks.
//
// [Linearizable] goes further: many concurrent clients fire transitions through an
// engine on the store, and the recorded history is checked for linearizability with
// porcupine, so a lost update or a stale read anywhere shows.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/releasekit/releasekit/release"
)

// Run runs every conformance case as a subtest of t. newStore must return an empty
// store; it is called once per case, and the store is not used after the case ends
// (register cleanup with t.Cleanup). The cases that edit the store behind its back
// run only with [WithTamper]; without it they are skipped with a message.
func Run(t *testing.T, newStore func(t *testing.T) release.Store, opts ...Option) {
	t.Helper()
	var c config
	for _, o := range opts {
		o(&c)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, newStore(t)) })
	}
	for _, tc := range tamperCases {
		t.Run(tc.name, func(t *testing.T) {
			if c.tamper == nil {
				t.Skip("this case edits the stored data behind the store's back: give storetest.Run a storetest.WithTamper for your store to run it")
			}
			tc.run(t, newStore(t), c.tamper)
		})
	}
}

// Option configures [Run].
type Option func(*config)

type config struct {
	tamper *Tamper
}

// WithTamper gives Run the means to edit a store's data behind its back, as someone
// with write access to its database would, so that the cases checking that such
// edits are detected (and never built upon) run.
func WithTamper(tp Tamper) Option { return func(c *config) { c.tamper = &tp } }

// Tamper edits what a store holds without going through the store's methods. Each
// function works on the store it is given (the one the case runs on); the adapters in
// this repository implement them over their own storage, in their tests.
type Tamper struct {
	// SetRelease overwrites the stored row of r.ID with r, encoded as the store
	// encodes releases, and leaves the history alone.
	SetRelease func(ctx context.Context, s release.Store, r release.Release) error
	// SetEntry overwrites entry e.Sequence in the history of e.ReleaseID with e,
	// encoded as the store encodes entries, and leaves the release alone.
	SetEntry func(ctx context.Context, s release.Store, e release.AuditEntry) error
	// DeleteEntry removes entry seq from the history of id and leaves the release
	// alone.
	DeleteEntry func(ctx context.Context, s release.Store, id release.ID, seq int64) error
}

type testCase struct {
	name string
	run  func(t *testing.T, s release.Store)
}

// tamperCase is a case that edits the store's data behind its back (see [Tamper]).
type tamperCase struct {
	name string
	run  func(t *testing.T, s release.Store, tp *Tamper)
}

var cases = []testCase{
	// Get of an unknown ID returns ErrNotFound; so do History and Update.
	{"NotFound", testNotFound},
	// Create then Get returns the release exactly as created (every field, times to
	// the microsecond) and History returns the first entry.
	{"CreateGet", testCreateGet},
	// An Update that sets every field of a release (slot, risk, rollback record with
	// raw JSON, review, needs, labels) is read back exactly.
	{"EveryField", testEveryField},
	// An entry whose stored form would read back with another hash (an empty,
	// non-nil Annotations map) is either refused with ErrInvalid, leaving the
	// release and its history as they were, or kept so that it still verifies.
	{"EntryReadsBack", testEntryReadsBack},
	// A second Create with the same ID returns ErrAlreadyExists and leaves the first
	// release and its history as they were.
	{"AlreadyExists", testAlreadyExists},
	// Values are copied in and out: mutating what was passed or returned does not
	// change the store.
	{"Copies", testCopies},
	// Update with the stored revision succeeds; with any other revision it returns
	// ErrStale and changes neither the release nor its history.
	{"CompareAndSwap", testCompareAndSwap},
	// A history written through the engine comes back in sequence order, byte-exact,
	// and verifies against the release's head (hashes, payloads and annotations kept).
	{"HistoryVerifies", testHistoryVerifies},
	// List filters by environment, name, version, class, states and labels, returns
	// ascending ID order, honours Limit, pages with After, and returns an empty slice
	// (not an error) when nothing matches.
	{"ListFilters", testListFilters},
	// 64 writers racing on one release with compare-and-swap: every Update either
	// commits or returns ErrStale, the revision counts exactly the commits, and the
	// history has no gap and verifies (no lost update).
	{"ConcurrentWriters", testConcurrentWriters},
	// 64 writers each on its own release never conflict with each other.
	{"ConcurrentIndependent", testConcurrentIndependent},
	// Every method returns an error on a cancelled context, and a cancelled Create or
	// Update changes nothing.
	{"CancelledContext", testCancelled},
}

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 123456000, time.UTC)

func newEngine(t *testing.T, s release.Store, opts ...release.Option) *release.Engine {
	t.Helper()
	var mu sync.Mutex
	now := t0
	clock := release.ClockFunc(func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(time.Second + 7*time.Microsecond)
		return now
	})
	e, err := release.New(s, append([]release.Option{release.WithClock(clock), release.WithPolicy(release.AllowAll())}, opts...)...)
	if err != nil {
		t.Fatalf("release.New: %v", err)
	}
	return e
}

func spec(name, env string) release.Spec {
	return release.Spec{
		Name: name, Version: "1.0.0", Environment: env, Class: release.ClassNormal, Author: "ana",
		Components: []release.Component{{Name: name + "-api", Version: "1.0.0", PreviousVersion: "0.9.0"}},
		Labels:     map[string]string{"team": "payments"},
		Team:       "payments", Duration: 45 * time.Minute,
		Needs: []release.Need{{Name: "ledger", Version: ">= 1.2.0"}},
	}
}

var bob = release.Person("bob", release.RoleReleaseManager)

func mustCreate(t *testing.T, e *release.Engine, sp release.Spec) release.Release {
	t.Helper()
	r, err := e.Create(context.Background(), sp)
	if err != nil {
		t.Fatalf("Create(%s): %v", sp.Name, err)
	}
	return r
}

func mustFire(t *testing.T, e *release.Engine, id release.ID, ev release.Event, opts ...release.FireOption) release.Release {
	t.Helper()
	r, err := e.Fire(context.Background(), id, ev, bob, opts...)
	if err != nil {
		t.Fatalf("Fire(%s): %v", ev, err)
	}
	return r
}

// normalize makes releases comparable across stores: UTC times, nil for empty maps
// and slices.
func normalize(r release.Release) release.Release {
	r = r.Clone()
	r.CreatedAt, r.UpdatedAt = r.CreatedAt.UTC(), r.UpdatedAt.UTC()
	if len(r.Components) == 0 {
		r.Components = nil
	}
	if len(r.Labels) == 0 {
		r.Labels = nil
	}
	if len(r.Reached) == 0 {
		r.Reached = nil
	}
	for k, v := range r.Reached {
		r.Reached[k] = v.UTC()
	}
	if r.Slot != nil {
		r.Slot.Start, r.Slot.End = r.Slot.Start.UTC(), r.Slot.End.UTC()
	}
	return r
}

func requireEqual(t *testing.T, what string, want, got release.Release) {
	t.Helper()
	w, g := normalize(want), normalize(got)
	if !reflect.DeepEqual(w, g) {
		wj, _ := json.Marshal(w)
		gj, _ := json.Marshal(g)
		t.Fatalf("%s: stored release differs (a field was not stored exactly)\nwant %s\n got %s", what, wj, gj)
	}
}

func testNotFound(t *testing.T, s release.Store) {
	ctx := context.Background()
	var id release.ID
	id[0], id[6], id[8] = 1, 0x70, 0x80
	if _, err := s.Get(ctx, id); !errors.Is(err, release.ErrNotFound) {
		t.Fatalf("Get(unknown) = %v, want ErrNotFound", err)
	}
	if _, err := s.History(ctx, id); !errors.Is(err, release.ErrNotFound) {
		t.Fatalf("History(unknown) = %v, want ErrNotFound", err)
	}
	r := release.Release{ID: id, Name: "x", Version: "1", Environment: "dev", Class: release.ClassNormal, State: release.StatePlanned, Revision: 2}
	if err := s.Update(ctx, 1, r, release.AuditEntry{ReleaseID: id, Sequence: 2}); !errors.Is(err, release.ErrNotFound) {
		t.Fatalf("Update(unknown) = %v, want ErrNotFound", err)
	}
}

func testCreateGet(t *testing.T, s release.Store) {
	e := newEngine(t, s)
	created := mustCreate(t, e, spec("checkout", "prod"))
	got, err := s.Get(context.Background(), created.ID)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	requireEqual(t, "after Create", created, got)
	h, err := s.History(context.Background(), created.ID)
	if err != nil {
		t.Fatalf("History: %v", err)
	}
	if len(h) != 1 || h[0].Event != release.EventCreate || h[0].Hash != created.Head {
		t.Fatalf("History after Create = %+v, want one %s entry with hash %s", h, release.EventCreate, created.Head)
	}
}

func testEveryField(t *testing.T, s release.Store) {
	ctx := context.Background()
	e := newEngine(t, s)
	r := mustCreate(t, e, spec("checkout", "prod"))
	next := planned(r)
	next.Slot = &release.Slot{Booking: "checkout-1", Start: t0.Add(48 * time.Hour), End: t0.Add(49 * time.Hour)}
	next.Risk = &release.RiskSummary{Score: 42.5, Level: "medium", Reasons: []string{"3 components (+12)"}}
	next.Rollback = &release.RollbackRecord{Plan: json.RawMessage(`{"waves":[{"steps":["a"]}],"n":1.50}`), Duration: 7 * time.Minute, Report: json.RawMessage(`{"done":["a"]}`)}
	next.Review = &release.Review{Outcome: "success", Lessons: []string{"ünïcødé"}, FollowUps: []string{"CHG-9"}}
	entry := release.AuditEntry{ReleaseID: r.ID, Sequence: 2, Event: release.EventPlan, From: release.StateDraft, To: release.StatePlanned,
		Actor: bob, Time: next.UpdatedAt, PrevHash: r.Head,
		Annotations: map[string]json.RawMessage{"risk": json.RawMessage(`{"level":"medium"}`)},
		Snapshot:    next.Snapshot(), HashVersion: release.CurrentHashVersion}
	var err error
	if entry.Hash, err = entry.ComputeHash(); err != nil {
		t.Fatal(err)
	}
	next.Head = entry.Hash
	if err := s.Update(ctx, 1, next, entry); err != nil {
		t.Fatalf("Update: %v", err)
	}
	got, err := s.Get(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	requireEqual(t, "after an Update that sets every field", next, got)
	// The entry reads back exactly: its hash, over every field, snapshot included,
	// still matches. (This one entry sets fields no single event sets, so the history
	// as a whole is not a valid lifecycle: VerifyHistory would refuse it.)
	h, err := s.History(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 2 {
		t.Fatalf("history has %d entries, want 2", len(h))
	}
	if sum, err := h[1].ComputeHash(); err != nil || sum != entry.Hash || h[1].Hash != entry.Hash {
		t.Fatalf("the entry read back hashes to %s (%v), want %s: a field was not stored exactly", sum, err, entry.Hash)
	}
}

// planned is r planned a minute after it was created, at revision 2.
func planned(r release.Release) release.Release {
	next := r.Clone()
	next.State, next.Revision = release.StatePlanned, 2
	next.UpdatedAt = r.UpdatedAt.Add(time.Minute)
	next.Reached[release.StatePlanned] = next.UpdatedAt
	return next
}

func testEntryReadsBack(t *testing.T, s release.Store) {
	ctx := context.Background()
	e := newEngine(t, s)
	for i, tc := range []struct {
		name string
		edit func(*release.AuditEntry) // before the hash is computed
		hash func(*release.AuditEntry) // after: a hash the content does not have
	}{
		{name: "an empty annotations map", edit: func(a *release.AuditEntry) { a.Annotations = map[string]json.RawMessage{} }},
		{name: "a NUL character in the reason", edit: func(a *release.AuditEntry) { a.Reason = "ticket\x00 42" }},
		{name: "a NUL character in the data", edit: func(a *release.AuditEntry) { a.Data = json.RawMessage(`{"note":"a\u0000b"}`) }},
		{name: "invalid UTF-8 in the reason", edit: func(a *release.AuditEntry) { a.Reason = "caf\xe9" }},
		{name: "data that is not compact JSON", edit: func(a *release.AuditEntry) { a.Data = json.RawMessage(`{ "a" : 1 }`) }},
		{name: "a hash that is not the entry's", hash: func(a *release.AuditEntry) { a.Hash = strings.Repeat("ab", 32) }},
		{name: "hash version 3 without a snapshot", edit: func(a *release.AuditEntry) { a.Snapshot = nil }, hash: func(a *release.AuditEntry) {
			a.Hash = strings.Repeat("cd", 32) // it cannot be computed: the version hashes the snapshot
		}},
	} {
		r := mustCreate(t, e, spec("checkout-"+strconv.Itoa(i), "prod"))
		next := planned(r)
		entry := release.AuditEntry{ReleaseID: r.ID, Sequence: 2, Event: release.EventPlan, From: release.StateDraft, To: release.StatePlanned,
			Actor: bob, Time: next.UpdatedAt, PrevHash: r.Head, Snapshot: next.Snapshot(), HashVersion: release.CurrentHashVersion}
		if tc.edit != nil {
			tc.edit(&entry)
		}
		if tc.hash != nil {
			tc.hash(&entry)
		} else {
			var err error
			if entry.Hash, err = entry.ComputeHash(); err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
		}
		next.Head = entry.Hash
		// Either the store refuses the entry (ErrInvalid, nothing written) or it holds
		// it and returns it verified: never an entry that makes the history unreadable.
		err := s.Update(ctx, 1, next, entry)
		if err != nil && !errors.Is(err, release.ErrInvalid) {
			t.Fatalf("Update with %s = %v, want success or ErrInvalid", tc.name, err)
		}
		want, wantLen := next, 2
		if err != nil {
			want, wantLen = r, 1
		}
		got, gerr := s.Get(ctx, r.ID)
		if gerr != nil {
			t.Fatalf("%s: Get: %v", tc.name, gerr)
		}
		requireEqual(t, "after the Update with "+tc.name, want, got)
		h, herr := s.History(ctx, r.ID)
		if herr != nil || len(h) != wantLen {
			t.Fatalf("%s: History = %d entries, %v; want %d", tc.name, len(h), herr, wantLen)
		}
		if err := release.VerifyHistory(h, got.Head); err != nil {
			t.Fatalf("%s: the history read back does not verify: %v", tc.name, err)
		}
		// The release goes on: the next change appends after what was stored.
		if _, err := e.Fire(ctx, r.ID, release.EventCancel, bob, release.Reason("after "+tc.name)); err != nil {
			t.Fatalf("%s: the next Fire = %v, want success", tc.name, err)
		}
	}
}

func testAlreadyExists(t *testing.T, s release.Store) {
	ctx := context.Background()
	e := newEngine(t, s)
	first := mustCreate(t, e, spec("checkout", "prod"))
	h, _ := s.History(ctx, first.ID)
	dup := first.Clone()
	dup.Name = "impostor"
	if err := s.Create(ctx, dup, h[0]); !errors.Is(err, release.ErrAlreadyExists) {
		t.Fatalf("Create(duplicate ID) = %v, want ErrAlreadyExists", err)
	}
	got, _ := s.Get(ctx, first.ID)
	requireEqual(t, "after a refused duplicate Create", first, got)
	if h2, _ := s.History(ctx, first.ID); len(h2) != 1 {
		t.Fatalf("history has %d entries after a refused duplicate Create, want 1", len(h2))
	}
}

func testCopies(t *testing.T, s release.Store) {
	ctx := context.Background()
	e := newEngine(t, s)
	r := mustCreate(t, e, spec("checkout", "prod"))
	want := r.Clone()
	r.Labels["team"] = "mutated"
	r.Components[0].Version = "mutated"
	got, _ := s.Get(ctx, r.ID)
	requireEqual(t, "after mutating the created value", want, got)
	got.Labels["team"] = "mutated again"
	got.Reached[release.StateClosed] = t0
	again, _ := s.Get(ctx, r.ID)
	requireEqual(t, "after mutating a returned value", want, again)
	h, _ := s.History(ctx, r.ID)
	h[0].Actor.ID = "mallory"
	h2, _ := s.History(ctx, r.ID)
	if h2[0].Actor.ID != "ana" {
		t.Fatalf("mutating a returned history entry changed the store: actor is %q", h2[0].Actor.ID)
	}
}

func testCompareAndSwap(t *testing.T, s release.Store) {
	ctx := context.Background()
	e := newEngine(t, s)
	r := mustCreate(t, e, spec("checkout", "prod"))
	r = mustFire(t, e, r.ID, release.EventPlan)
	if r.Revision != 2 {
		t.Fatalf("revision after one transition = %d, want 2", r.Revision)
	}
	// A stale writer: expected revision 1 although the store is at 2.
	stale := r.Clone()
	stale.State = release.StateCancelled
	stale.Revision = 2
	entry := release.AuditEntry{ReleaseID: r.ID, Sequence: 2, Event: release.EventCancel, From: release.StateDraft, To: release.StateCancelled, Actor: bob, Time: t0}
	err := s.Update(ctx, 1, stale, entry)
	if !errors.Is(err, release.ErrStale) {
		t.Fatalf("Update with stale revision = %v, want ErrStale", err)
	}
	got, _ := s.Get(ctx, r.ID)
	requireEqual(t, "after a refused Update", r, got)
	if h, _ := s.History(ctx, r.ID); len(h) != 2 {
		t.Fatalf("history has %d entries after a refused Update, want 2", len(h))
	}
	// A writer from the future is refused too.
	if err := s.Update(ctx, 5, stale, entry); !errors.Is(err, release.ErrStale) {
		t.Fatalf("Update with a revision ahead of the store = %v, want ErrStale", err)
	}
	// The engine's ExpectRevision maps onto the same error.
	if _, err := e.Fire(ctx, r.ID, release.EventSchedule, bob, release.ExpectRevision(1)); !errors.Is(err, release.ErrStale) {
		t.Fatalf("Fire with ExpectRevision(1) at revision 2 = %v, want ErrStale", err)
	}
}

func testHistoryVerifies(t *testing.T, s release.Store) {
	ctx := context.Background()
	e := newEngine(t, s)
	r := mustCreate(t, e, spec("checkout", "prod"))
	payload := map[string]any{"ticket": "CHG-1042", "note": "ünïcødé <ok> & \"quoted\"", "n": 1.5}
	for _, ev := range []release.Event{release.EventPlan, release.EventSchedule, release.EventApprove, release.EventStart, release.EventComplete, release.EventVerify, release.EventClose} {
		r = mustFire(t, e, r.ID, ev, release.Reason("step "+string(ev)), release.Data(payload))
	}
	h, err := s.History(ctx, r.ID)
	if err != nil {
		t.Fatalf("History: %v", err)
	}
	if len(h) != 8 {
		t.Fatalf("history has %d entries, want 8", len(h))
	}
	for i, entry := range h {
		if entry.Sequence != int64(i+1) {
			t.Fatalf("entry %d has sequence %d: not in sequence order", i, entry.Sequence)
		}
	}
	if err := release.VerifyHistory(h, r.Head); err != nil {
		t.Fatalf("stored history does not verify (a field was not stored exactly): %v", err)
	}
	if err := e.VerifyAudit(ctx, r.ID); err != nil {
		t.Fatalf("Engine.VerifyAudit: %v", err)
	}
}

func testListFilters(t *testing.T, s release.Store) {
	ctx := context.Background()
	e := newEngine(t, s)
	a := mustCreate(t, e, spec("checkout", "prod"))
	b := mustCreate(t, e, spec("checkout", "staging"))
	sp := spec("payments", "prod")
	sp.Version, sp.Class, sp.Labels = "2.0.0", release.ClassEmergency, map[string]string{"team": "core", "tier": "1"}
	c := mustCreate(t, e, sp)
	d := mustCreate(t, e, spec("ledger", "prod"))
	mustFire(t, e, a.ID, release.EventPlan)
	mustFire(t, e, c.ID, release.EventCancel)

	ids := func(rs []release.Release) []release.ID {
		out := []release.ID{}
		for _, r := range rs {
			out = append(out, r.ID)
		}
		return out
	}
	for _, tc := range []struct {
		why  string
		f    release.Filter
		want []release.ID
	}{
		{"no filter lists everything in creation order", release.Filter{}, []release.ID{a.ID, b.ID, c.ID, d.ID}},
		{"environment", release.Filter{Environment: "prod"}, []release.ID{a.ID, c.ID, d.ID}},
		{"name", release.Filter{Name: "checkout"}, []release.ID{a.ID, b.ID}},
		{"version", release.Filter{Version: "2.0.0"}, []release.ID{c.ID}},
		{"class", release.Filter{Class: release.ClassEmergency}, []release.ID{c.ID}},
		{"one state", release.Filter{States: []release.State{release.StatePlanned}}, []release.ID{a.ID}},
		{"any of several states", release.Filter{States: []release.State{release.StateDraft, release.StateCancelled}}, []release.ID{b.ID, c.ID, d.ID}},
		{"labels must all match", release.Filter{Labels: map[string]string{"team": "core", "tier": "1"}}, []release.ID{c.ID}},
		{"a label value that nobody has", release.Filter{Labels: map[string]string{"team": "nobody"}}, []release.ID{}},
		{"fields combine with AND", release.Filter{Environment: "prod", Name: "checkout"}, []release.ID{a.ID}},
		{"limit", release.Filter{Limit: 2}, []release.ID{a.ID, b.ID}},
		{"after pages on from a cursor", release.Filter{After: b.ID}, []release.ID{c.ID, d.ID}},
		{"after and limit together", release.Filter{After: a.ID, Limit: 2}, []release.ID{b.ID, c.ID}},
		{"after the last gives nothing", release.Filter{After: d.ID}, []release.ID{}},
		{"nothing matches: empty slice, no error", release.Filter{Environment: "mars"}, []release.ID{}},
	} {
		got, err := s.List(ctx, tc.f)
		if err != nil {
			t.Fatalf("%s: List(%+v): %v", tc.why, tc.f, err)
		}
		if got == nil {
			t.Fatalf("%s: List returned a nil slice, want an empty one", tc.why)
		}
		if g := ids(got); !reflect.DeepEqual(g, tc.want) {
			t.Errorf("%s: List(%+v) = %v, want %v", tc.why, tc.f, g, tc.want)
		}
	}
}

func testConcurrentWriters(t *testing.T, s release.Store) {
	ctx := context.Background()
	e := newEngine(t, s)
	r := mustCreate(t, e, spec("checkout", "prod"))
	mustFire(t, e, r.ID, release.EventPlan)
	const writers, attempts = 64, 8
	var commits, conflicts atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, writers*attempts)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			actor := release.Person(fmt.Sprintf("writer-%d", w), release.RoleReleaseManager)
			for range attempts {
				cur, err := e.Get(ctx, r.ID)
				if err != nil {
					errs <- err
					return
				}
				ev := release.EventSchedule
				if cur.State == release.StateScheduled {
					ev = release.EventUnschedule
				}
				_, err = e.Fire(ctx, r.ID, ev, actor, release.ExpectRevision(cur.Revision))
				switch {
				case err == nil:
					commits.Add(1)
				case errors.Is(err, release.ErrStale):
					conflicts.Add(1)
				default:
					errs <- fmt.Errorf("writer %d: %s at revision %d: %w", w, ev, cur.Revision, err)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("a writer failed other than with ErrStale: %v", err)
	}
	final, err := s.Get(ctx, r.ID)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if want := 2 + commits.Load(); final.Revision != want {
		t.Fatalf("revision %d after %d commits, want %d: an update was lost or duplicated", final.Revision, commits.Load(), want)
	}
	if commits.Load() == 0 {
		t.Fatalf("no writer committed")
	}
	h, err := s.History(ctx, r.ID)
	if err != nil {
		t.Fatalf("History: %v", err)
	}
	if int64(len(h)) != final.Revision {
		t.Fatalf("history has %d entries at revision %d: a gap or an orphan entry", len(h), final.Revision)
	}
	if err := release.VerifyHistory(h, final.Head); err != nil {
		t.Fatalf("history does not verify after concurrent writers: %v", err)
	}
	t.Logf("%d commits, %d conflicts", commits.Load(), conflicts.Load())
}

func testConcurrentIndependent(t *testing.T, s release.Store) {
	ctx := context.Background()
	e := newEngine(t, s)
	const writers = 64
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := e.Create(ctx, spec(fmt.Sprintf("svc-%d", w), "prod"))
			if err != nil {
				errs <- err
				return
			}
			for _, ev := range []release.Event{release.EventPlan, release.EventSchedule, release.EventApprove} {
				if r, err = e.Fire(ctx, r.ID, ev, bob); err != nil {
					errs <- fmt.Errorf("writer %d: %s: %w", w, ev, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("independent writer failed: %v", err)
	}
	all, err := s.List(ctx, release.Filter{States: []release.State{release.StateApproved}})
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if len(all) != writers {
		t.Fatalf("%d approved releases, want %d", len(all), writers)
	}
	for i := 1; i < len(all); i++ {
		if all[i-1].ID.Compare(all[i].ID) >= 0 {
			t.Fatalf("List is not in ascending ID order at %d", i)
		}
	}
}

func testCancelled(t *testing.T, s release.Store) {
	e := newEngine(t, s)
	r := mustCreate(t, e, spec("checkout", "prod"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	h, _ := s.History(context.Background(), r.ID)

	other := r.Clone()
	other.ID[15] ^= 0xff
	first := h[0]
	first.ReleaseID = other.ID
	if err := s.Create(ctx, other, first); err == nil {
		t.Fatalf("Create with a cancelled context succeeded")
	}
	if _, err := s.Get(context.Background(), other.ID); !errors.Is(err, release.ErrNotFound) {
		t.Fatalf("a Create with a cancelled context stored the release (Get = %v)", err)
	}
	if _, err := s.Get(ctx, r.ID); err == nil {
		t.Fatalf("Get with a cancelled context succeeded")
	}
	if _, err := s.List(ctx, release.Filter{}); err == nil {
		t.Fatalf("List with a cancelled context succeeded")
	}
	if _, err := s.History(ctx, r.ID); err == nil {
		t.Fatalf("History with a cancelled context succeeded")
	}
	next := r.Clone()
	next.State, next.Revision = release.StatePlanned, 2
	entry := release.AuditEntry{ReleaseID: r.ID, Sequence: 2, Event: release.EventPlan, From: release.StateDraft, To: release.StatePlanned, Actor: bob, Time: t0, PrevHash: r.Head}
	if err := s.Update(ctx, 1, next, entry); err == nil {
		t.Fatalf("Update with a cancelled context succeeded")
	}
	got, _ := s.Get(context.Background(), r.ID)
	requireEqual(t, "after a cancelled Update", r, got)
	if _, err := e.Fire(ctx, r.ID, release.EventPlan, bob); !errors.Is(err, context.Canceled) {
		t.Fatalf("Engine.Fire with a cancelled context = %v, want context.Canceled", err)
	}
}
