package postgres_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/adapters/postgres"
	"github.com/releasekit/releasekit/release"
)

// previousVersion is the write path of an earlier version of this package: its create
// and update statements and their arguments, copied from that version's store.go,
// releases.go and append.go (the tables qualified the same way). A replica running it
// keeps writing during a rolling upgrade, after a newer replica has migrated.
type previousVersion struct {
	commit string
	// sql returns the create and update (with the outbox row) statements.
	sql func(rel, hist, out string) (create, update string)
	// derived says whether the version writes releases.components and created_at
	// itself (arguments 12, 13 of create; 14, 15 of update, before the outbox's).
	derived bool
	// checksHistory says whether its update refuses to append to a history that is
	// not whole (a count of the entries).
	checksHistory bool
}

// countedHistory is the condition of an update up to migration 0006, from
// append.go's wholeHistory at c222209^ and b2df5af^: the history is counted.
func countedHistory(hist string) string {
	return `(SELECT count(*) FROM ` + hist + ` WHERE release_id = $1) = $2
	AND EXISTS (SELECT 1 FROM ` + hist + ` h,
		LATERAL (SELECT convert_from(h.entry, 'UTF8')::jsonb AS e, convert_from(doc, 'UTF8')::jsonb AS d) j
		WHERE h.release_id = $1 AND h.seq = $2
		AND j.e ->> 'hash' = $13 AND j.d ->> 'head' = $13
		AND j.d ->> 'state' = j.e ->> 'to'
		AND (j.d ->> 'updated_at')::timestamptz = (j.e ->> 'time')::timestamptz
		AND (j.e -> 'snapshot' IS NULL OR j.e -> 'snapshot' = j.d - '{id,state,revision,head,created_at,updated_at,reached}'::text[]))`
}

// createWithoutLists is the create statement of the versions before migration 0004,
// from store.go at b469d9e and c222209^ (the same in both).
func createWithoutLists(rel, hist string) string {
	return `WITH r AS (
	INSERT INTO ` + rel + ` (id, name, version, environment, class, state, revision, doc, labels)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $11) RETURNING id)
INSERT INTO ` + hist + ` (release_id, seq, entry) SELECT id, $9, $10 FROM r`
}

var previousVersions = []previousVersion{
	{
		// The code of the upgrade fixture (testdata/upgrade): migration 1, no check of
		// the history in the update.
		commit: "b469d9e",
		sql: func(rel, hist, out string) (string, string) {
			return createWithoutLists(rel, hist),
				`WITH u AS (
	UPDATE ` + rel + ` SET name = $3, version = $4, environment = $5, class = $6, state = $7, revision = $8, doc = $9, labels = $12
	WHERE id = $1 AND revision = $2 RETURNING id),
h AS (INSERT INTO ` + hist + ` (release_id, seq, entry) SELECT id, $10, $11 FROM u),
o AS (INSERT INTO ` + out + ` (key, release_id, seq, release, entry, due) SELECT $13, id, $10, $9, $11, $14 FROM u)
SELECT count(*) FROM u`
		},
	},
	{
		// The last code before migration 0004 (list columns): migration 3.
		commit: "c222209^", checksHistory: true,
		sql: func(rel, hist, out string) (string, string) {
			return createWithoutLists(rel, hist),
				`WITH u AS (
	UPDATE ` + rel + ` SET name = $3, version = $4, environment = $5, class = $6, state = $7, revision = $8, doc = $9, labels = $12
	WHERE id = $1 AND revision = $2 AND ` + countedHistory(hist) + ` RETURNING id),
h AS (INSERT INTO ` + hist + ` (release_id, seq, entry) SELECT id, $10, $11 FROM u),
o AS (INSERT INTO ` + out + ` (key, release_id, seq, release, entry, due) SELECT $14, id, $10, $9, $11, $15 FROM u)
SELECT count(*) FROM u`
		},
	},
	{
		// The last code before migration 0006 (history links): migration 5.
		commit: "b2df5af^", derived: true, checksHistory: true,
		sql: func(rel, hist, out string) (string, string) {
			return `WITH r AS (
	INSERT INTO ` + rel + ` (id, name, version, environment, class, state, revision, doc, labels, components, created_at)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $11, $12, $13) RETURNING id)
INSERT INTO ` + hist + ` (release_id, seq, entry) SELECT id, $9, $10 FROM r`,
				`WITH u AS (
	UPDATE ` + rel + ` SET name = $3, version = $4, environment = $5, class = $6, state = $7, revision = $8, doc = $9, labels = $12,
		components = $14, created_at = $15
	WHERE id = $1 AND revision = $2 AND ` + countedHistory(hist) + ` RETURNING id),
h AS (INSERT INTO ` + hist + ` (release_id, seq, entry) SELECT id, $10, $11 FROM u),
o AS (INSERT INTO ` + out + ` (key, release_id, seq, release, entry, due) SELECT $16, id, $10, $9, $11, $17 FROM u)
SELECT count(*) FROM u`
		},
	},
}

// errNotSwapped is what previousStore.Update returns when its statement swapped no
// row (the earlier version then told a conflict from a broken history; the test only
// needs to know that nothing was written).
var errNotSwapped = fmt.Errorf("previous version: no row swapped: %w", release.ErrStale)

// previousStore writes as a replica of v does; it reads through the current store
// (the reads' SQL did not change). It implements only release.Store, as those
// versions' engines found no lockdown store.
type previousStore struct {
	v              previousVersion
	pool           *pgxpool.Pool
	create, update string
	cur            *postgres.Store
}

func newPreviousStore(t *testing.T, v previousVersion, cur *postgres.Store) *previousStore {
	t.Helper()
	create, update := v.sql(table(cur.Schema(), "releases"), table(cur.Schema(), "history"), table(cur.Schema(), "outbox"))
	return &previousStore{v: v, pool: admin(t), create: create, update: update, cur: cur}
}

// encode is encodeRelease of those versions.
func (p *previousStore) encode(r release.Release) (doc, labels []byte, err error) {
	if doc, err = json.Marshal(r); err != nil {
		return nil, nil, err
	}
	labels = []byte("{}")
	if len(r.Labels) > 0 {
		labels, err = json.Marshal(r.Labels)
	}
	return doc, labels, err
}

// derived is componentNames(r), r.CreatedAt of b2df5af^.
func derived(r release.Release) []any {
	names := make([]string, 0, len(r.Components))
	for _, c := range r.Components {
		names = append(names, c.Name)
	}
	slices.Sort(names)
	return []any{slices.Compact(names), r.CreatedAt}
}

func (p *previousStore) Create(ctx context.Context, r release.Release, first release.AuditEntry) error {
	doc, labels, err := p.encode(r)
	if err != nil {
		return err
	}
	entry, err := release.EncodeEntry(first)
	if err != nil {
		return err
	}
	args := []any{[16]byte(r.ID), r.Name, r.Version, r.Environment,
		string(r.Class), string(r.State), r.Revision, doc, first.Sequence, entry, labels}
	if p.v.derived {
		args = append(args, derived(r)...)
	}
	_, err = p.pool.Exec(ctx, p.create, args...)
	return err
}

func (p *previousStore) Update(ctx context.Context, expected int64, r release.Release, e release.AuditEntry) error {
	doc, labels, err := p.encode(r)
	if err != nil {
		return err
	}
	entry, err := release.EncodeEntry(e)
	if err != nil {
		return err
	}
	args := []any{[16]byte(r.ID), expected, r.Name, r.Version, r.Environment,
		string(r.Class), string(r.State), r.Revision, doc, e.Sequence, entry, labels}
	if p.v.checksHistory {
		args = append(args, e.PrevHash)
	}
	if p.v.derived {
		args = append(args, derived(r)...)
	}
	args = append(args, release.Notification{Release: r, Entry: e}.Key(), e.Time)
	var n int64
	if err := p.pool.QueryRow(ctx, p.update, args...).Scan(&n); err != nil {
		return err
	}
	if n != 1 {
		return errNotSwapped
	}
	return nil
}

func (p *previousStore) Get(ctx context.Context, id release.ID) (release.Release, error) {
	return p.cur.Get(ctx, id)
}

func (p *previousStore) List(ctx context.Context, f release.Filter) ([]release.Release, error) {
	return p.cur.List(ctx, f)
}

func (p *previousStore) History(ctx context.Context, id release.ID) ([]release.AuditEntry, error) {
	return p.cur.History(ctx, id)
}

// listed returns the IDs List returns for f.
func listed(t *testing.T, s release.Store, f release.Filter) []release.ID {
	t.Helper()
	rs, err := s.List(context.Background(), f)
	require.NoError(t, err)
	ids := make([]release.ID, len(rs))
	for i, r := range rs {
		ids[i] = r.ID
	}
	return ids
}

// unlinkedEntries returns the sequences of the release's entries after the first
// that are not linked to their predecessor.
func unlinkedEntries(t *testing.T, schema string, id release.ID) []int64 {
	t.Helper()
	rows, err := admin(t).Query(context.Background(), "SELECT seq FROM "+table(schema, "history")+
		" WHERE release_id = $1 AND seq > 1 AND prev_seq IS NULL ORDER BY seq", [16]byte(id))
	require.NoError(t, err)
	seqs, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	require.NoError(t, err)
	return seqs
}

// TestRollingUpgrade: a replica of an earlier version keeps writing, with that
// version's own statements, to a database that a replica of this version has
// migrated. Its releases are found by List through every index (name, component,
// creation range), its history entries are linked like this version's, the current
// code verifies its histories and appends after its entries (and it after the
// current code's), and an entry removed from its history is still refused.
func TestRollingUpgrade(t *testing.T) {
	t.Parallel()
	for _, v := range previousVersions {
		t.Run(v.commit, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			schema := freshSchema(t)
			cur := openStore(t, schema)
			require.Equal(t, postgres.LatestVersion(), cur.SchemaVersion())
			prev := newPreviousStore(t, v, cur)
			curEng, prevEng := newEngine(t, cur), newEngine(t, prev)

			sp := spec("legacy")
			sp.Components = []release.Component{{Name: "worker", Version: "1.0.0"}, {Name: "api", Version: "1.0.0"}}
			r, err := prevEng.Create(ctx, sp)
			require.NoError(t, err, "the previous version creates a release")
			for _, ev := range []release.Event{release.EventPlan, release.EventSchedule} {
				r, err = prevEng.Fire(ctx, r.ID, ev, manager)
				require.NoError(t, err, "the previous version fires %s", ev)
			}
			other, err := curEng.Create(ctx, spec("current"))
			require.NoError(t, err)

			// Found through every index, by the current code.
			only := []release.ID{r.ID}
			require.Equal(t, only, listed(t, cur, release.Filter{Name: "legacy"}))
			require.Equal(t, only, listed(t, cur, release.Filter{Component: "api"}))
			require.Equal(t, only, listed(t, cur, release.Filter{Component: "worker", Name: "legacy", States: []release.State{release.StateScheduled}}))
			require.Equal(t, only, listed(t, cur, release.Filter{CreatedFrom: r.CreatedAt, CreatedTo: r.CreatedAt.Add(time.Microsecond), Environment: "prod"}))
			require.Empty(t, listed(t, cur, release.Filter{Component: "legacy"}))
			require.ElementsMatch(t, []release.ID{r.ID, other.ID}, listed(t, cur, release.Filter{Environment: "prod"}))
			var (
				components []string
				createdAt  time.Time
			)
			require.NoError(t, admin(t).QueryRow(ctx, "SELECT components, created_at FROM "+table(schema, "releases")+" WHERE id = $1", [16]byte(r.ID)).Scan(&components, &createdAt))
			require.Equal(t, []string{"api", "worker"}, components)
			require.True(t, createdAt.Equal(r.CreatedAt), "created_at %v, the release's %v", createdAt, r.CreatedAt)

			// Linked like the current code's entries, verified, and appended to by
			// either version in turn.
			require.Empty(t, unlinkedEntries(t, schema, r.ID))
			require.NoError(t, curEng.VerifyAudit(ctx, r.ID))
			r, err = curEng.Fire(ctx, r.ID, release.EventUnschedule, manager)
			require.NoError(t, err, "the current code appends after the previous version's entries")
			r, err = prevEng.Fire(ctx, r.ID, release.EventSchedule, manager)
			require.NoError(t, err, "the previous version appends after the current code's entry")
			r, err = curEng.Fire(ctx, r.ID, release.EventUnschedule, manager)
			require.NoError(t, err)
			require.EqualValues(t, 6, r.Revision)
			require.Empty(t, unlinkedEntries(t, schema, r.ID))
			require.NoError(t, curEng.VerifyAudit(ctx, r.ID))
			require.Equal(t, only, listed(t, cur, release.Filter{Component: "worker", States: []release.State{release.StatePlanned}}))

			// An entry removed from a history the previous version wrote is still
			// refused by the current code, whoever appends after it.
			_, err = admin(t).Exec(ctx, "DELETE FROM "+table(schema, "history")+" WHERE release_id = $1 AND seq = 2", [16]byte(r.ID))
			require.NoError(t, err)
			require.Equal(t, []int64{3}, unlinkedEntries(t, schema, r.ID))
			requireRefused(t, cur, curEng, r, r.Revision)
			_, err = prevEng.Fire(ctx, r.ID, release.EventSchedule, manager)
			if v.checksHistory {
				require.ErrorIs(t, err, errNotSwapped, "the previous version's own check refuses it too")
			} else {
				// That version never checked the history: it appends, and the entry
				// it leaves unlinked still stops the current code.
				require.NoError(t, err)
				r, err = cur.Get(ctx, r.ID)
				require.NoError(t, err)
				requireRefused(t, cur, curEng, r, r.Revision)
			}
			require.Equal(t, []int64{3}, unlinkedEntries(t, schema, r.ID))

			// An entry written past a gap by the previous version is refused by the
			// database: the link the trigger gives it names a missing entry.
			_, err = admin(t).Exec(ctx, "DELETE FROM "+table(schema, "history")+" WHERE release_id = $1 AND seq = $2", [16]byte(other.ID), int64(1))
			require.NoError(t, err)
			_, err = prevEng.Fire(ctx, other.ID, release.EventPlan, manager)
			if v.checksHistory {
				require.ErrorIs(t, err, errNotSwapped)
			} else {
				requireViolation(t, err, "23503") // history_prev_stored
			}
		})
	}
}

// TestDerivedColumns: the columns of migration 0007 are the database's to derive,
// whatever a writer says: releases.components and created_at follow the document on
// every insert and update, the history links are set on insert, and a document that
// does not say when the release was created is refused.
func TestDerivedColumns(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	schema := freshSchema(t)
	s := openStore(t, schema)
	e := newEngine(t, s)
	sp := spec("derived")
	sp.Components = []release.Component{{Name: "zeta", Version: "1.0.0"}, {Name: "Alpha", Version: "1.0.0"}, {Name: "beta", Version: "1.0.0"}}
	r, err := e.Create(ctx, sp)
	require.NoError(t, err)
	db, rel := admin(t), table(schema, "releases")
	columns := func() ([]string, time.Time) {
		t.Helper()
		var (
			cs []string
			at time.Time
		)
		require.NoError(t, db.QueryRow(ctx, "SELECT components, created_at FROM "+rel+" WHERE id = $1", [16]byte(r.ID)).Scan(&cs, &at))
		return cs, at
	}
	cs, at := columns()
	require.Equal(t, []string{"Alpha", "beta", "zeta"}, cs, "sorted by bytes, as componentNames did")
	require.True(t, at.Equal(r.CreatedAt))

	// A writer that sets the columns to something else is overruled.
	_, err = db.Exec(ctx, "UPDATE "+rel+" SET components = '{forged}', created_at = '2000-01-01Z' WHERE id = $1", [16]byte(r.ID))
	require.NoError(t, err)
	cs, at = columns()
	require.Equal(t, []string{"Alpha", "beta", "zeta"}, cs)
	require.True(t, at.Equal(r.CreatedAt))

	// A document without components (Go leaves out an empty list), or with null, has none.
	for _, doc := range []string{
		`{"created_at": "2026-01-02T03:04:05.123456Z"}`,
		`{"created_at": "2026-01-02T04:04:05.123456+01:00", "components": null}`,
		// Nanoseconds are truncated to the microsecond, as pgx truncates List's
		// bounds; PostgreSQL alone would round this one up to .123457.
		`{"created_at": "2026-01-02T03:04:05.123456999Z"}`,
	} {
		_, err = db.Exec(ctx, "UPDATE "+rel+" SET doc = $1 WHERE id = $2", []byte(doc), [16]byte(r.ID))
		require.NoError(t, err, doc)
		cs, at = columns()
		require.Empty(t, cs, doc)
		require.True(t, at.Equal(time.Date(2026, 1, 2, 3, 4, 5, 123456000, time.UTC)), doc)
	}

	// A document the columns cannot be derived from is refused.
	for _, doc := range []string{`not json`, ``, `[]`, `{"id": 5}`, `{"created_at": "not a time"}`, "\xff"} {
		_, err = db.Exec(ctx, "UPDATE "+rel+" SET doc = $1 WHERE id = $2", []byte(doc), [16]byte(r.ID))
		require.Error(t, err, "%q", doc)
		var pe interface{ SQLState() string }
		require.True(t, errors.As(err, &pe), "%v", err)
	}

	// The first entry is unlinked whatever the insert says; the others are linked.
	hist := table(schema, "history")
	_, err = db.Exec(ctx, "DELETE FROM "+hist+" WHERE release_id = $1", [16]byte(r.ID))
	require.NoError(t, err)
	_, err = db.Exec(ctx, "INSERT INTO "+hist+" (release_id, seq, entry, prev_release, prev_seq) VALUES ($1, 1, 'x', $1, 0)", [16]byte(r.ID))
	require.NoError(t, err, "a link given for the first entry is dropped")
	_, err = db.Exec(ctx, "INSERT INTO "+hist+" (release_id, seq, entry) VALUES ($1, 2, 'x')", [16]byte(r.ID))
	require.NoError(t, err)
	var links []*int64
	rows, err := db.Query(ctx, "SELECT prev_seq FROM "+hist+" WHERE release_id = $1 ORDER BY seq", [16]byte(r.ID))
	require.NoError(t, err)
	links, err = pgx.CollectRows(rows, pgx.RowTo[*int64])
	require.NoError(t, err)
	require.Len(t, links, 2)
	require.Nil(t, links[0])
	require.NotNil(t, links[1])
	require.EqualValues(t, 1, *links[1])
}
