package postgres_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/adapters/internal/upgradetest"
	"github.com/releasekit/releasekit/adapters/postgres"
	"github.com/releasekit/releasekit/release"
)

// firedTwice returns a release of e at revision 4 (created, planned, scheduled,
// unscheduled): four history entries.
func firedTwice(t *testing.T, e *release.Engine, name string) release.Release {
	t.Helper()
	ctx := context.Background()
	r, err := e.Create(ctx, spec(name))
	require.NoError(t, err)
	for _, ev := range []release.Event{release.EventPlan, release.EventSchedule, release.EventUnschedule} {
		r, err = e.Fire(ctx, r.ID, ev, manager)
		require.NoError(t, err)
	}
	require.EqualValues(t, 4, r.Revision)
	return r
}

// requireRefused checks that a transition of r is refused as a tampered history
// (ErrTampered, a *HistoryError naming entry seq) and that nothing was written.
func requireRefused(t *testing.T, s *postgres.Store, e *release.Engine, r release.Release, seq int64) {
	t.Helper()
	ctx := context.Background()
	rows := func() (n int) {
		q := "SELECT count(*) FROM " + table(s.Schema(), "history") + " WHERE release_id = $1"
		require.NoError(t, admin(t).QueryRow(ctx, q, [16]byte(r.ID)).Scan(&n))
		return n
	}
	before := rows()
	_, err := e.Fire(ctx, r.ID, release.EventCancel, manager)
	var he *release.HistoryError
	require.ErrorIs(t, err, release.ErrTampered)
	require.ErrorAs(t, err, &he)
	require.Equal(t, seq, he.Sequence, "the entry the error names: %v", err)
	got, err := s.Get(ctx, r.ID)
	require.NoError(t, err)
	require.Equal(t, r.Revision, got.Revision, "a refused append moved the release")
	require.Equal(t, before, rows(), "a refused append wrote an entry")
}

// TestHistoryLinks: the update appends only to a history that holds exactly the
// release's revision in entries, which the store checks without counting them,
// through the links of migration 0006 that the database keeps. Every way of making a
// history other than whole with SQL is refused: an entry removed (even when it is put
// back), an entry's key changed, an entry past the end, an entry written past a gap
// (refused by the database itself). A history linked again by hand takes appends
// again.
func TestHistoryLinks(t *testing.T) {
	t.Parallel()
	schema := freshSchema(t)
	s := openStore(t, schema)
	e := newEngine(t, s)
	ctx := context.Background()
	db := admin(t)
	hist := table(schema, "history")
	exec := func(sql string, args ...any) error {
		_, err := db.Exec(ctx, sql, args...)
		return err
	}

	t.Run("an entry removed and put back", func(t *testing.T) {
		r := firedTwice(t, e, "put-back")
		var entry []byte
		require.NoError(t, db.QueryRow(ctx, "SELECT entry FROM "+hist+" WHERE release_id = $1 AND seq = 2", [16]byte(r.ID)).Scan(&entry))
		require.NoError(t, exec("DELETE FROM "+hist+" WHERE release_id = $1 AND seq = 2", [16]byte(r.ID)))
		requireRefused(t, s, e, r, 4) // three entries at revision 4: entry 4 is not where it should be
		require.NoError(t, exec("INSERT INTO "+hist+" (release_id, seq, entry, prev_release, prev_seq) VALUES ($1, 2, $2, $1, 1)", [16]byte(r.ID), entry))
		requireRefused(t, s, e, r, 3) // whole again, but entry 3 lost its link
		// Linked again (after checking the history, as the error says), it takes appends.
		require.NoError(t, e.VerifyAudit(ctx, r.ID))
		require.NoError(t, exec("UPDATE "+hist+" SET prev_release = release_id, prev_seq = seq - 1 WHERE release_id = $1 AND seq = 3", [16]byte(r.ID)))
		_, err := e.Fire(ctx, r.ID, release.EventCancel, manager)
		require.NoError(t, err)
	})

	t.Run("the first entry removed", func(t *testing.T) {
		r := firedTwice(t, e, "first-removed")
		require.NoError(t, exec("DELETE FROM "+hist+" WHERE release_id = $1 AND seq = 1", [16]byte(r.ID)))
		requireRefused(t, s, e, r, 4)
	})

	t.Run("an entry's key changed", func(t *testing.T) {
		r := firedTwice(t, e, "renumbered")
		// The key of a linked entry cannot change to another place in the chain…
		err := exec("UPDATE "+hist+" SET seq = 100 WHERE release_id = $1 AND seq = 3", [16]byte(r.ID))
		requireViolation(t, err, "23514") // history_prev_is_previous
		// …and an unlinked one that moves unlinks its successor.
		require.NoError(t, exec("UPDATE "+hist+" SET seq = 100, prev_release = NULL, prev_seq = NULL WHERE release_id = $1 AND seq = 3", [16]byte(r.ID)))
		require.NoError(t, exec("UPDATE "+hist+" SET seq = 3 WHERE release_id = $1 AND seq = 100", [16]byte(r.ID)))
		requireRefused(t, s, e, r, 3)
	})

	t.Run("an entry past the end", func(t *testing.T) {
		r := firedTwice(t, e, "past-the-end")
		require.NoError(t, exec("INSERT INTO "+hist+" (release_id, seq, entry, prev_release, prev_seq) SELECT release_id, 5, entry, release_id, 4 FROM "+hist+" WHERE release_id = $1 AND seq = 4", [16]byte(r.ID)))
		requireRefused(t, s, e, r, 5) // five entries at revision 4
	})

	t.Run("an entry past a gap", func(t *testing.T) {
		r := firedTwice(t, e, "past-a-gap")
		err := exec("INSERT INTO "+hist+" (release_id, seq, entry, prev_release, prev_seq) SELECT release_id, 6, entry, release_id, 5 FROM "+hist+" WHERE release_id = $1 AND seq = 4", [16]byte(r.ID))
		requireViolation(t, err, "23503") // history_prev_stored
		// The link is the database's to set (migration 0007): one naming another entry
		// than the one before, or none, is replaced, and the insert is refused the same.
		err = exec("INSERT INTO "+hist+" (release_id, seq, entry, prev_release, prev_seq) SELECT release_id, 6, entry, release_id, 4 FROM "+hist+" WHERE release_id = $1 AND seq = 4", [16]byte(r.ID))
		requireViolation(t, err, "23503")
		err = exec("INSERT INTO "+hist+" (release_id, seq, entry) SELECT release_id, 6, entry FROM "+hist+" WHERE release_id = $1 AND seq = 4", [16]byte(r.ID))
		requireViolation(t, err, "23503")
		// Written unlinked past the trigger (as someone who may disable it could), it is
		// refused by the next append.
		require.NoError(t, pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
			for _, q := range []string{
				"ALTER TABLE " + hist + " DISABLE TRIGGER history_link",
				"INSERT INTO " + hist + " (release_id, seq, entry) SELECT release_id, 6, entry FROM " + hist + " WHERE release_id = '" + r.ID.String() + "' AND seq = 4",
				"ALTER TABLE " + hist + " ENABLE TRIGGER history_link",
			} {
				if _, err := tx.Exec(ctx, q); err != nil {
					return err
				}
			}
			return nil
		}))
		requireRefused(t, s, e, r, 5) // the count is still 5 at revision 4: VerifyAppend names it
	})

	t.Run("untouched histories are linked", func(t *testing.T) {
		r := firedTwice(t, e, "untouched")
		var linked, entries int
		require.NoError(t, db.QueryRow(ctx, "SELECT count(prev_seq), count(*) FROM "+hist+" WHERE release_id = $1", [16]byte(r.ID)).Scan(&linked, &entries))
		require.Equal(t, 4, entries)
		require.Equal(t, 3, linked, "every entry after the first names its predecessor")
	})
}

// requireViolation checks that err is the PostgreSQL error with SQLSTATE code.
func requireViolation(t *testing.T, err error, code string) {
	t.Helper()
	var pe *pgconn.PgError
	require.True(t, errors.As(err, &pe), "want SQLSTATE %s, got %v", code, err)
	require.Equal(t, code, pe.Code, "%v", err)
}

// TestUpgradeHistoryLinks: migration 0006 links the entries of the fixture's
// histories, written before the links, and leaves unlinked an entry whose predecessor
// was already missing: that release's next append is refused, as the count the
// store made before 0006 refused it; the others keep working and their new entries
// are linked.
func TestUpgradeHistoryLinks(t *testing.T) {
	t.Parallel()
	schema, m := loadUpgradeFixture(t)
	ctx := context.Background()
	db := admin(t)
	hist := table(schema, "history")
	broken, intact := m.Releases["approved"], m.Releases["planned"]
	require.GreaterOrEqual(t, broken.Revision, int64(3))
	_, err := db.Exec(ctx, "DELETE FROM "+hist+" WHERE release_id = $1 AND seq = 2", [16]byte(broken.ID))
	require.NoError(t, err)

	s := openStore(t, schema)
	e := newEngine(t, s)
	var unlinked []int64
	rows, err := db.Query(ctx, "SELECT seq FROM "+hist+" WHERE prev_seq IS NULL AND seq > 1")
	require.NoError(t, err)
	for rows.Next() {
		var seq int64
		require.NoError(t, rows.Scan(&seq))
		unlinked = append(unlinked, seq)
	}
	require.NoError(t, rows.Err())
	require.Equal(t, []int64{3}, unlinked, "only the entry after the gap is unlinked")

	r, err := s.Get(ctx, broken.ID)
	require.NoError(t, err)
	requireRefused(t, s, e, r, broken.Revision)

	got, err := e.Fire(ctx, intact.ID, release.EventCancel, upgradetest.Manager)
	require.NoError(t, err)
	require.Equal(t, intact.Revision+1, got.Revision)
	var prev *int64
	require.NoError(t, db.QueryRow(ctx, "SELECT prev_seq FROM "+hist+" WHERE release_id = $1 AND seq = $2", [16]byte(intact.ID), got.Revision).Scan(&prev))
	require.NotNil(t, prev)
	require.Equal(t, intact.Revision, *prev)
	require.NoError(t, e.VerifyAudit(ctx, intact.ID))
}
