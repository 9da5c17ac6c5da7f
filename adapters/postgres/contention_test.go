package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/adapters/postgres"
	"github.com/releasekit/releasekit/calendar"
	"github.com/releasekit/releasekit/release"
)

// aborts records the attempts a store retried (or gave up on) as "<op> <attempt>
// <SQLSTATE>".
type aborts struct {
	mu   sync.Mutex
	seen []string
}

func watchRetries(s *postgres.Store) *aborts {
	a := &aborts{}
	postgres.OnRetry(s, func(op string, attempt int, err error) {
		var pe *pgconn.PgError
		code := "not a server error"
		if errors.As(err, &pe) {
			code = pe.Code
		}
		a.mu.Lock()
		a.seen = append(a.seen, fmt.Sprintf("%s %d %s", op, attempt, code))
		a.mu.Unlock()
	})
	return a
}

func (a *aborts) list() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.seen...)
}

// waitForLockWait waits until a statement on schema's tables waits for a lock.
func waitForLockWait(t *testing.T, schema string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		var n int
		err := admin(t).QueryRow(context.Background(),
			`SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND strpos(query, $1) > 0`,
			pgx.Identifier{schema}.Sanitize()).Scan(&n)
		require.NoError(t, err)
		if n > 0 {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("no statement of the store waited for the lock")
}

// TestRetryDeadlock provokes a real deadlock (SQLSTATE 40P01) in a Book: another
// session holds a lock the booking's insert needs, the Book waits for it while
// holding its environment's lock, and the other session then asks for that lock. The
// server aborts the Book's transaction; the store retries it and the Book succeeds,
// with no error for the caller.
func TestRetryDeadlock(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	schema := freshSchema(t)
	s := openStore(t, schema)
	seen := watchRetries(s)

	conn, err := admin(t).Acquire(ctx)
	require.NoError(t, err)
	defer conn.Release()
	tx, err := conn.Begin(ctx)
	require.NoError(t, err)
	defer func() { _ = tx.Rollback(ctx) }()
	var super bool
	require.NoError(t, tx.QueryRow(ctx, `SELECT rolsuper FROM pg_roles WHERE rolname = current_user`).Scan(&super))
	if super {
		// The deadlock is then found, and broken, in the store's transaction, which
		// waits with the default deadlock_timeout (it also waits first).
		_, err = tx.Exec(ctx, `SET LOCAL deadlock_timeout = '30s'`)
		require.NoError(t, err)
	}
	_, err = tx.Exec(ctx, `LOCK TABLE `+table(schema, "bookings")+` IN SHARE MODE`)
	require.NoError(t, err)

	at := time.Date(2026, 10, 1, 10, 0, 0, 0, time.UTC)
	b := calendar.Booking{ID: "deadlocked", Environment: "prod", Services: []string{"api"}, Start: at, End: at.Add(time.Hour)}
	done := make(chan error, 1)
	go func() { done <- s.BookWithin(ctx, b, 1) }()
	waitForLockWait(t, schema) // the Book holds the environment's lock and waits for the table
	_, err = tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('releasekit booking ' || $1 || ' ' || $2, 0))`, schema, "prod")
	require.NoError(t, err, "the server aborted this session rather than the store's")
	require.NoError(t, tx.Rollback(ctx))

	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the Book did not return")
	}
	require.NoError(t, err, "the deadlock is retried, not returned")
	assert.Equal(t, []string{"book deadlocked 1 40P01"}, seen.list())
	got, err := s.Bookings(ctx, "prod", at, at.Add(time.Hour))
	require.NoError(t, err)
	assert.Len(t, got, 1)
}

// TestRetrySerializationFailure provokes a real serialization failure (SQLSTATE 40001)
// in a transition: on a database whose default isolation is serializable (a setting
// some hosts choose), another session updates the release row while the store's
// compare-and-swap waits for it. The server aborts the store's statement; the store
// retries it and the transition commits.
func TestRetrySerializationFailure(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	schema := freshSchema(t)
	d := dsn(t)
	s, err := postgres.Open(ctx, d+dsnParam(d, "default_transaction_isolation", "serializable"), postgres.WithSchema(schema))
	require.NoError(t, err)
	t.Cleanup(s.Close)
	seen := watchRetries(s)
	e := newEngine(t, s)
	r, err := e.Create(ctx, spec("serialized"))
	require.NoError(t, err)

	tx, err := admin(t).Begin(ctx)
	require.NoError(t, err)
	defer func() { _ = tx.Rollback(ctx) }()
	_, err = tx.Exec(ctx, `UPDATE `+table(schema, "releases")+` SET revision = revision WHERE id = $1`, [16]byte(r.ID))
	require.NoError(t, err)

	done := make(chan error, 1)
	go func() { _, err := e.Fire(ctx, r.ID, release.EventPlan, manager); done <- err }()
	waitForLockWait(t, schema)
	require.NoError(t, tx.Commit(ctx))

	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the transition did not return")
	}
	require.NoError(t, err, "the serialization failure is retried, not returned")
	assert.Equal(t, []string{"update release " + r.ID.String() + " 1 40001"}, seen.list())
	got, err := e.Get(ctx, r.ID)
	require.NoError(t, err)
	assert.Equal(t, release.StatePlanned, got.State)
	require.NoError(t, e.Verify(ctx, r.ID))
}

// abortInserts installs a trigger that makes the server abort the first n inserts
// into schema's table with SQLSTATE code, as a deadlock or serialization failure
// would (a sequence counts them: it does not roll back with the transaction).
func abortInserts(t *testing.T, schema, tableName, code string, n int) {
	t.Helper()
	seq, fn := table(schema, "aborts_"+tableName), table(schema, "abort_"+tableName)
	for _, q := range []string{
		`CREATE SEQUENCE ` + seq,
		fmt.Sprintf(`CREATE FUNCTION %s() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF nextval('%s') <= %d THEN
		RAISE EXCEPTION 'provoked by the test' USING ERRCODE = '%s';
	END IF;
	RETURN NEW;
END $$`, fn, seq, n, code),
		fmt.Sprintf(`CREATE TRIGGER abort_inserts BEFORE INSERT ON %s FOR EACH ROW EXECUTE FUNCTION %s()`, table(schema, tableName), fn),
	} {
		_, err := admin(t).Exec(context.Background(), q)
		require.NoError(t, err, q)
	}
}

// TestRetryBound: a write the server aborts a few times is retried until it
// commits; one it aborts every time is tried MaxAttempts times and then returned as a
// *ContentionError (ErrContention) with nothing written, never as the raw driver
// error.
func TestRetryBound(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	at := time.Date(2026, 10, 2, 10, 0, 0, 0, time.UTC)

	t.Run("transient", func(t *testing.T) {
		t.Parallel()
		schema := freshSchema(t)
		s := openStore(t, schema)
		seen := watchRetries(s)
		abortInserts(t, schema, "bookings", "40001", 3)
		require.NoError(t, s.Book(ctx, calendar.Booking{ID: "b1", Environment: "prod", Services: []string{"api"}, Start: at, End: at.Add(time.Hour)}))
		assert.Equal(t, []string{"book b1 1 40001", "book b1 2 40001", "book b1 3 40001"}, seen.list())
	})

	t.Run("persistent", func(t *testing.T) {
		t.Parallel()
		schema := freshSchema(t)
		s := openStore(t, schema)
		seen := watchRetries(s)
		e := newEngine(t, s)
		r, err := e.Create(ctx, spec("stuck"))
		require.NoError(t, err)
		abortInserts(t, schema, "bookings", "40P01", 1<<30)
		abortInserts(t, schema, "history", "40P01", 1<<30)

		err = s.Book(ctx, calendar.Booking{ID: "b2", Environment: "prod", Services: []string{"api"}, Start: at, End: at.Add(time.Hour)})
		var ce *postgres.ContentionError
		require.ErrorAs(t, err, &ce)
		assert.ErrorIs(t, err, postgres.ErrContention)
		assert.Equal(t, postgres.MaxAttempts, ce.Attempts)
		assert.Contains(t, err.Error(), "book b2")
		got, err := s.Bookings(ctx, "prod", at, at.Add(time.Hour))
		require.NoError(t, err)
		assert.Empty(t, got, "nothing written")

		_, err = e.Fire(ctx, r.ID, release.EventPlan, manager)
		require.ErrorIs(t, err, postgres.ErrContention)
		cur, err := e.Get(ctx, r.ID)
		require.NoError(t, err)
		assert.Equal(t, release.StateDraft, cur.State, "nothing written")
		assert.Len(t, seen.list(), 2*postgres.MaxAttempts)
	})
}

// TestCapacityWhateverTheDefaultIsolation: 12 concurrent BookWithin of one slot at
// capacity 1 store exactly one booking on a database whose default isolation is
// repeatable read or serializable, as under read committed: the booking transaction
// sets its own isolation, so its read after the environment's lock sees what the
// lock's previous holder committed.
func TestCapacityWhateverTheDefaultIsolation(t *testing.T) {
	t.Parallel()
	const writers, rounds = 12, 4
	for _, iso := range []string{"repeatable read", "serializable"} {
		t.Run(iso, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			schema := freshSchema(t)
			d := dsn(t)
			s, err := postgres.Open(ctx, d+dsnParam(d, "default_transaction_isolation", iso), postgres.WithSchema(schema))
			require.NoError(t, err)
			t.Cleanup(s.Close)
			for round := range rounds {
				at := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC).Add(time.Duration(round) * time.Hour)
				errs := race(writers, func(w int) error {
					return s.BookWithin(ctx, calendar.Booking{ID: fmt.Sprintf("r%d-w%d", round, w), Environment: "prod",
						Services: []string{fmt.Sprintf("svc-%d", w)}, Start: at, End: at.Add(30 * time.Minute)}, 1)
				})
				won := capacityWins(t, round, errs)
				got, err := s.Bookings(ctx, "prod", at, at.Add(time.Hour))
				require.NoError(t, err)
				assert.Equal(t, 1, won, "round %d: successes at capacity 1", round)
				assert.Len(t, got, 1, "round %d: bookings stored at capacity 1", round)
			}
		})
	}
}
