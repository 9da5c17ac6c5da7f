package postgres_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/calendar"
	"github.com/releasekit/releasekit/release"
)

var manager = release.Person("bob", release.RoleReleaseManager)

func newEngine(t testing.TB, s release.Store, opts ...release.Option) *release.Engine {
	t.Helper()
	e, err := release.New(s, append([]release.Option{release.WithPolicy(release.AllowAll())}, opts...)...)
	require.NoError(t, err)
	return e
}

func spec(name string) release.Spec {
	return release.Spec{Name: name, Version: "1.0.0", Environment: "prod", Author: "ana", Labels: map[string]string{"team": "core"}}
}

// TestCorruptRows: stored bytes that do not decode, or decode but do not verify, are
// reported as ErrCorrupt by every read, naming what is corrupt; other rows still
// read fine.
func TestCorruptRows(t *testing.T) {
	t.Parallel()
	schema := freshSchema(t)
	s := openStore(t, schema)
	ctx := context.Background()
	e := newEngine(t, s)
	bad, err := e.Create(ctx, spec("bad"))
	require.NoError(t, err)
	_, err = e.Fire(ctx, bad.ID, release.EventPlan, manager)
	require.NoError(t, err)
	good, err := e.Create(ctx, spec("good"))
	require.NoError(t, err)
	db := admin(t)
	exec := func(sql string, args ...any) {
		t.Helper()
		_, err := db.Exec(ctx, sql, args...)
		require.NoError(t, err)
	}

	orig, err := s.History(ctx, bad.ID)
	require.NoError(t, err)
	setEntry := func(raw []byte) {
		t.Helper()
		exec("UPDATE "+table(schema, "history")+" SET entry = $1 WHERE release_id = $2 AND seq = 2", raw, [16]byte(bad.ID))
	}
	edited := orig[1]
	edited.Reason = "edited after the fact"
	editedRaw, err := release.EncodeEntry(edited)
	require.NoError(t, err)
	origRaw, err := release.EncodeEntry(orig[1])
	require.NoError(t, err)
	for _, tc := range []struct {
		why   string
		entry []byte
	}{
		{"an entry that is not JSON", []byte(`not json`)},
		{"an entry with a field the format does not have", []byte(`{"release_id":"` + bad.ID.String() + `","sequence":2,"bogus":1}`)},
		{"an entry whose hash does not match its content", editedRaw},
	} {
		setEntry(tc.entry)
		_, err := s.History(ctx, bad.ID)
		require.ErrorIs(t, err, release.ErrCorrupt, tc.why)
		assert.Contains(t, err.Error(), "history entry 2 of release "+bad.ID.String(), tc.why)
		assert.ErrorIs(t, e.Verify(ctx, bad.ID), release.ErrCorrupt, tc.why)
		setEntry(origRaw)
		require.NoError(t, e.Verify(ctx, bad.ID), "restored: %s", tc.why)
	}

	// An entry moved to another sequence decodes and verifies on its own, but the row
	// says otherwise.
	h, err := s.History(ctx, bad.ID)
	require.NoError(t, err)
	first, err := release.EncodeEntry(h[0])
	require.NoError(t, err)
	exec("UPDATE "+table(schema, "history")+" SET entry = $1 WHERE release_id = $2 AND seq = 2", first, [16]byte(bad.ID))
	_, err = s.History(ctx, bad.ID)
	require.ErrorIs(t, err, release.ErrCorrupt)
	assert.Contains(t, err.Error(), "holds entry 1")

	// A release document that is not a release, or is another release's.
	for _, doc := range []string{`{"id": 5}`, `{"id":"` + good.ID.String() + `"}`, `[]`, `not json`, ``} {
		require.NoError(t, setDoc(ctx, db, schema, bad.ID, []byte(doc)))
		_, err = s.Get(ctx, bad.ID)
		require.ErrorIs(t, err, release.ErrCorrupt, doc)
		_, err = s.List(ctx, release.Filter{})
		require.ErrorIs(t, err, release.ErrCorrupt, doc)
		_, err = e.Fire(ctx, bad.ID, release.EventSchedule, manager)
		require.ErrorIs(t, err, release.ErrCorrupt, doc)
	}
	got, err := s.Get(ctx, good.ID)
	require.NoError(t, err, "a corrupt row must not spoil the others")
	assert.Equal(t, good.Head, got.Head)

	// A release whose history rows are gone.
	exec("DELETE FROM "+table(schema, "history")+" WHERE release_id = $1", [16]byte(good.ID))
	_, err = s.History(ctx, good.ID)
	require.ErrorIs(t, err, release.ErrCorrupt)
}

// TestCorruptReleaseFields: a release document that is JSON and names the right
// release but holds what no store writes (an unknown state, a revision that is not
// positive, an unknown class) is ErrCorrupt, as it is on every store
// (release.DecodeRelease).
func TestCorruptReleaseFields(t *testing.T) {
	t.Parallel()
	schema := freshSchema(t)
	s := openStore(t, schema)
	ctx := context.Background()
	e := newEngine(t, s)
	r, err := e.Create(ctx, spec("victim"))
	require.NoError(t, err)
	for _, tc := range []struct {
		why  string
		edit func(r *release.Release)
	}{
		{"state bogus", func(r *release.Release) { r.State = "bogus" }},
		{"revision -1", func(r *release.Release) { r.Revision = -1 }},
		{"class urgent", func(r *release.Release) { r.Class = "urgent" }},
	} {
		bad := r.Clone()
		tc.edit(&bad)
		doc, err := json.Marshal(bad)
		require.NoError(t, err)
		_, err = admin(t).Exec(ctx, "UPDATE "+table(schema, "releases")+" SET doc = $1 WHERE id = $2", doc, [16]byte(r.ID))
		require.NoError(t, err)
		_, err = s.Get(ctx, r.ID)
		require.ErrorIs(t, err, release.ErrCorrupt, tc.why)
		assert.Contains(t, err.Error(), r.ID.String(), tc.why)
		_, err = s.List(ctx, release.Filter{})
		require.ErrorIs(t, err, release.ErrCorrupt, tc.why)
	}
}

// TestCorruptOutboxRow: a corrupt outbox row is reported as ErrCorrupt together with
// the rows that decode, which are delivered as usual.
func TestCorruptOutboxRow(t *testing.T) {
	t.Parallel()
	schema := freshSchema(t)
	s := openStore(t, schema)
	ctx := context.Background()
	e := newEngine(t, s)
	var keys []string
	for _, name := range []string{"a", "b", "c"} {
		r, err := e.Create(ctx, spec(name))
		require.NoError(t, err)
		r, err = e.Fire(ctx, r.ID, release.EventPlan, manager)
		require.NoError(t, err)
		keys = append(keys, r.ID.String()+"/2")
	}
	_, err := admin(t).Exec(ctx, "UPDATE "+table(schema, "outbox")+" SET entry = 'garbage' WHERE key = $1", keys[1])
	require.NoError(t, err)
	far := time.Now().Add(time.Hour)
	got, err := s.ClaimNotifications(ctx, far, 0, time.Minute, 10)
	require.ErrorIs(t, err, release.ErrCorrupt)
	assert.Contains(t, err.Error(), keys[1])
	var claimed []string
	for _, p := range got {
		claimed = append(claimed, p.Notification.Key())
		assert.Equal(t, 1, p.Attempts)
	}
	assert.ElementsMatch(t, []string{keys[0], keys[2]}, claimed)
}

// TestWriteChecks: a write whose entry does not belong to the release, or whose
// sequence is not the release's revision, is refused with ErrInvalid before anything
// is stored; Get, List and History of what was refused find nothing.
func TestWriteChecks(t *testing.T) {
	t.Parallel()
	s := openStore(t, "")
	ctx := context.Background()
	e := newEngine(t, s)
	r, err := e.Create(ctx, spec("checkout"))
	require.NoError(t, err)
	h, err := s.History(ctx, r.ID)
	require.NoError(t, err)

	other := r.Clone()
	other.ID[15] ^= 1
	require.ErrorIs(t, s.Create(ctx, other, h[0]), release.ErrInvalid, "entry of another release")
	_, err = s.Get(ctx, other.ID)
	require.ErrorIs(t, err, release.ErrNotFound)

	var zero release.Release
	require.ErrorIs(t, s.Create(ctx, zero, release.AuditEntry{}), release.ErrInvalid, "zero ID")

	next := r.Clone()
	next.Revision = 2
	entry := h[0]
	entry.Sequence = 3
	require.ErrorIs(t, s.Update(ctx, 1, next, entry), release.ErrInvalid, "sequence is not the revision")
	again, err := s.Get(ctx, r.ID)
	require.NoError(t, err)
	assert.Equal(t, int64(1), again.Revision)
}

// TestConflictNamesRevision: a stale Update says which revision is stored.
func TestConflictNamesRevision(t *testing.T) {
	t.Parallel()
	s := openStore(t, "")
	ctx := context.Background()
	e := newEngine(t, s)
	r, err := e.Create(ctx, spec("checkout"))
	require.NoError(t, err)
	r, err = e.Fire(ctx, r.ID, release.EventPlan, manager)
	require.NoError(t, err)
	stale := r.Clone()
	stale.Revision = 2
	h, err := s.History(ctx, r.ID)
	require.NoError(t, err)
	err = s.Update(ctx, 1, stale, h[1])
	var ce *release.ConflictError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, release.ConflictError{ID: r.ID, Expected: 1, Actual: 2}, *ce)
}

// TestBookingEdges: duplicate services in one booking are one slot each; bookings
// that touch at a whole microsecond are both accepted, while a nanosecond of overlap
// is refused; times come back exactly, in UTC; invalid bookings are ErrInvalid and
// store nothing.
func TestBookingEdges(t *testing.T) {
	t.Parallel()
	s := openStore(t, "")
	ctx := context.Background()
	berlin := time.FixedZone("CEST", 2*3600)
	t0 := time.Date(2026, 6, 1, 10, 0, 0, 123_456_789, berlin)
	a := calendar.Booking{ID: "a", Environment: "prod", Services: []string{"api", "api", "db"}, Team: "core", Start: t0, End: t0.Add(time.Hour)}
	require.NoError(t, s.Book(ctx, a))

	overlapByOneNs := calendar.Booking{ID: "b", Environment: "prod", Services: []string{"db"}, Start: a.End.Add(-time.Nanosecond), End: a.End.Add(time.Hour)}
	err := s.Book(ctx, overlapByOneNs)
	var taken *release.SlotTakenError
	require.ErrorAs(t, err, &taken)
	assert.Equal(t, release.SlotTakenError{Booking: "b", Existing: "a", Service: "db"}, *taken)

	// c starts one nanosecond after a ends: they do not overlap, but both sit in the
	// same microsecond, which the exclusion constraint cannot split.
	c := calendar.Booking{ID: "c", Environment: "prod", Services: []string{"db"}, Start: a.End.Add(time.Nanosecond), End: a.End.Add(time.Hour)}
	require.ErrorIs(t, s.Book(ctx, c), release.ErrSlotTaken, "documented limit: sub-microsecond gaps")

	whole := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	d := calendar.Booking{ID: "d", Environment: "prod", Services: []string{"web"}, Start: whole.Add(-time.Hour), End: whole}
	e := calendar.Booking{ID: "e", Environment: "prod", Services: []string{"web"}, Start: whole, End: whole.Add(time.Hour)}
	require.NoError(t, s.Book(ctx, d))
	require.NoError(t, s.Book(ctx, e), "bookings that touch do not overlap")

	got, err := s.Bookings(ctx, "prod", t0.Add(-time.Hour), whole.Add(2*time.Hour))
	require.NoError(t, err)
	require.Len(t, got, 3)
	assert.Equal(t, "a", got[0].ID)
	assert.True(t, got[0].Start.Equal(a.Start) && got[0].End.Equal(a.End), "times round-trip to the nanosecond: %v–%v", got[0].Start, got[0].End)
	assert.Equal(t, time.UTC, got[0].Start.Location())
	assert.Equal(t, []string{"api", "api", "db"}, got[0].Services)

	// The window's edges are exact too.
	got, err = s.Bookings(ctx, "prod", a.End, a.End.Add(time.Minute))
	require.NoError(t, err)
	assert.Empty(t, got, "a ends where the window starts")
	got, err = s.Bookings(ctx, "prod", a.End.Add(-time.Nanosecond), a.End)
	require.NoError(t, err)
	assert.Len(t, got, 1)
	got, err = s.Bookings(ctx, "prod", whole, whole)
	require.NoError(t, err)
	assert.NotNil(t, got)
	assert.Empty(t, got, "an empty window")

	for _, bad := range []calendar.Booking{
		{ID: "", Environment: "prod", Services: []string{"x"}, Start: whole, End: whole.Add(time.Hour)},
		{ID: "x", Environment: "prod", Services: nil, Start: whole, End: whole.Add(time.Hour)},
		{ID: "y", Environment: "prod", Services: []string{"x"}, Start: whole, End: whole},
	} {
		require.ErrorIs(t, s.Book(ctx, bad), release.ErrInvalid, "%+v", bad)
	}
	require.ErrorIs(t, s.Unbook(ctx, "x"), release.ErrNotFound)
	require.ErrorIs(t, s.Book(ctx, a), release.ErrAlreadyExists)
	require.NoError(t, s.Unbook(ctx, "a"))
	require.NoError(t, s.Book(ctx, overlapByOneNs), "a's slots went with it")

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	for name, err := range map[string]error{
		"Book":   s.Book(cctx, calendar.Booking{ID: "z", Environment: "prod", Services: []string{"q"}, Start: whole, End: whole.Add(time.Hour)}),
		"Unbook": s.Unbook(cctx, "d"),
	} {
		assert.True(t, errors.Is(err, context.Canceled), "%s with a cancelled context = %v", name, err)
	}
	_, err = s.Bookings(cctx, "", whole, whole.Add(time.Hour))
	assert.ErrorIs(t, err, context.Canceled)
	got, err = s.Bookings(ctx, "", time.Time{}, whole.Add(24*time.Hour))
	require.NoError(t, err)
	assert.Len(t, got, 3, "the cancelled calls changed nothing")
}

// TestDeadlineWhileBlocked: an Update that waits on a row lock held elsewhere and
// runs out of time returns the context's error and changes nothing; once the lock is
// gone the same Update commits.
func TestDeadlineWhileBlocked(t *testing.T) {
	t.Parallel()
	schema := freshSchema(t)
	s := openStore(t, schema)
	ctx := context.Background()
	e := newEngine(t, s)
	r, err := e.Create(ctx, spec("checkout"))
	require.NoError(t, err)
	h, err := s.History(ctx, r.ID)
	require.NoError(t, err)

	tx, err := admin(t).Begin(ctx)
	require.NoError(t, err)
	defer func() { _ = tx.Rollback(ctx) }()
	_, err = tx.Exec(ctx, "SELECT 1 FROM "+table(schema, "releases")+" WHERE id = $1 FOR UPDATE", [16]byte(r.ID))
	require.NoError(t, err)

	next := r.Clone()
	at := r.UpdatedAt.Add(time.Minute)
	next.State, next.Revision, next.UpdatedAt = release.StatePlanned, 2, at
	next.Reached[release.StatePlanned] = at
	entry := release.AuditEntry{ReleaseID: r.ID, Sequence: 2, Event: release.EventPlan, From: release.StateDraft, To: release.StatePlanned,
		Actor: manager, Time: at, PrevHash: h[0].Hash, Snapshot: next.Snapshot(), HashVersion: release.CurrentHashVersion}
	entry.Hash, err = entry.ComputeHash()
	require.NoError(t, err)
	next.Head = entry.Hash

	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	err = s.Update(short, 1, next, entry)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.NoError(t, tx.Rollback(ctx))

	got, err := s.Get(ctx, r.ID)
	require.NoError(t, err)
	require.Equal(t, int64(1), got.Revision, "a timed-out Update changed the release")
	require.NoError(t, s.Update(ctx, 1, next, entry))
	require.NoError(t, e.Verify(ctx, r.ID))
}

// TestNULText: text holding U+0000, which PostgreSQL's JSON cannot hold, is refused
// with ErrInvalid before anything is written; a history that holds it already
// (written by an earlier version) makes the next append fail as corrupt, not as a
// stale revision that a caller would retry forever.
func TestNULText(t *testing.T) {
	t.Parallel()
	schema := freshSchema(t)
	s := openStore(t, schema)
	ctx := context.Background()
	e := newEngine(t, s)

	sp := spec("nul")
	sp.Team = "core\x00ops"
	_, err := e.Create(ctx, sp)
	require.ErrorIs(t, err, release.ErrInvalid, "Create with U+0000 in the team")
	got, err := e.List(ctx, release.Filter{Name: "nul"})
	require.NoError(t, err)
	require.Empty(t, got, "a refused Create wrote a release")

	r, err := e.Create(ctx, spec("reason"))
	require.NoError(t, err)
	_, err = e.Fire(ctx, r.ID, release.EventPlan, manager, release.Reason("ticket\x00 42"))
	require.ErrorIs(t, err, release.ErrInvalid, "Fire with U+0000 in the reason")
	r, err = e.Fire(ctx, r.ID, release.EventPlan, manager, release.Reason("ticket 42"))
	require.NoError(t, err, "the release goes on after a refused write")

	// An earlier version stored U+0000 in entry 2: rewrite it so, hash and head included.
	h, err := s.History(ctx, r.ID)
	require.NoError(t, err)
	old := h[1]
	old.Reason = "ticket\x00 42"
	old.Hash, err = old.ComputeHash()
	require.NoError(t, err)
	raw, err := json.Marshal(old)
	require.NoError(t, err)
	r.Head = old.Hash
	doc, err := json.Marshal(r)
	require.NoError(t, err)
	_, err = admin(t).Exec(ctx, "UPDATE "+table(schema, "history")+" SET entry = $1 WHERE release_id = $2 AND seq = 2", raw, [16]byte(r.ID))
	require.NoError(t, err)
	_, err = admin(t).Exec(ctx, "UPDATE "+table(schema, "releases")+" SET doc = $1 WHERE id = $2", doc, [16]byte(r.ID))
	require.NoError(t, err)
	back, err := s.History(ctx, r.ID)
	require.NoError(t, err, "the stored history still reads")
	require.NoError(t, release.VerifyHistory(back, old.Hash))

	_, err = e.Fire(ctx, r.ID, release.EventCancel, manager)
	require.ErrorIs(t, err, release.ErrCorrupt, "append after a stored U+0000")
	require.NotErrorIs(t, err, release.ErrStale)
	require.Contains(t, err.Error(), "U+0000")
	after, err := s.History(ctx, r.ID)
	require.NoError(t, err)
	require.Len(t, after, 2, "nothing was written")
}
