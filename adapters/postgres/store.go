package postgres

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/releasekit/releasekit/release"
)

// cancelGrace is how long a statement whose context ended may take to acknowledge
// the cancel request before its connection is dropped; and how long the store takes
// to find out whether an interrupted write committed.
const cancelGrace = 5 * time.Second

// DefaultSchema is the schema a [Store] uses unless [WithSchema] names another.
const DefaultSchema = "public"

// Store is a [release.Store], [release.Outbox] and [release.Booker] on PostgreSQL,
// safe for concurrent use by many goroutines and by many processes sharing one
// database. Make one with [Open] or [New]; the zero value is not usable.
type Store struct {
	pool     *pgxpool.Pool
	owned    bool
	schema   string
	q        queries
	version  int
	noOutbox bool
	// onRetry, when set (by the tests), sees every aborted attempt that is retried
	// or given up on.
	onRetry func(op string, attempt int, err error)
}

var (
	_ release.Store          = (*Store)(nil)
	_ release.Outbox         = (*Store)(nil)
	_ release.Booker         = (*Store)(nil)
	_ release.CapacityBooker = (*Store)(nil)
)

// Option configures [Open] and [New].
type Option func(*config) error

type config struct {
	schema   string
	migrate  bool
	noOutbox bool
}

// WithSchema keeps the store's tables in the named schema (created when missing),
// instead of [DefaultSchema]. Several stores can share one database in separate
// schemas. The name is used as it is (case-sensitive, quoted); it must be 1 to 63
// bytes without NUL.
func WithSchema(name string) Option {
	return func(c *config) error {
		if name == "" || len(name) > 63 || strings.ContainsRune(name, 0) {
			return &ConfigError{Problem: fmt.Sprintf("schema name %q must be 1 to 63 bytes without NUL", name)}
		}
		c.schema = name
		return nil
	}
}

// WithoutMigrate makes [Open] and [New] skip applying migrations; they still check
// that the schema is at exactly the version this code knows, and fail with a
// *[SchemaVersionError] otherwise. Use it where migrations run as a separate
// deployment step ([Migrate]).
func WithoutMigrate() Option {
	return func(c *config) error { c.migrate = false; return nil }
}

// WithoutOutbox makes [Store.Update] record no outbox rows, for hosts that run no
// [dispatch.Dispatcher] and accept that a crash between a commit and its notification
// loses the notification. Without it, every transition leaves a row until a notifier
// has delivered it (the engine acknowledges what it delivers) or a dispatcher has.
// [Store.ClaimNotifications] then finds only rows written before.
func WithoutOutbox() Option {
	return func(c *config) error { c.noOutbox = true; return nil }
}

func newConfig(opts []Option) (config, error) {
	c := config{schema: DefaultSchema, migrate: true}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&c); err != nil {
			return config{}, err
		}
	}
	return c, nil
}

// Open connects to the database named by dsn (a PostgreSQL URL or key=value
// connection string, with any pgxpool setting such as pool_max_conns), applies the
// schema migrations, and returns a Store that owns its connection pool: [Store.Close]
// closes it.
func Open(ctx context.Context, dsn string, opts ...Option) (*Store, error) {
	c, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	pc, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, &ConfigError{Problem: "the connection string does not parse", Err: err}
	}
	// On a cancelled context, ask the server to cancel the statement and wait (up to
	// cancelGrace) for its answer, instead of only dropping the connection: a dropped
	// connection leaves a statement that waits on a lock running, to commit later.
	pc.ConnConfig.BuildContextWatcherHandler = func(c *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: c, DeadlineDelay: cancelGrace}
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	s, err := newStore(ctx, pool, c)
	if err != nil {
		pool.Close()
		return nil, err
	}
	s.owned = true
	return s, nil
}

// New returns a Store over a pool the host owns (and closes), after applying the
// schema migrations. [Store.Close] leaves the pool open.
//
// Configure the pool as [Open] does, so that a cancelled context cancels the statement
// on the server rather than only dropping the connection (with pgx's default, a write
// that waits on a lock when its context ends can still commit after the method
// returned the context's error):
//
//	cfg.ConnConfig.BuildContextWatcherHandler = func(c *pgconn.PgConn) ctxwatch.Handler {
//		return &pgconn.CancelRequestContextWatcherHandler{Conn: c, DeadlineDelay: 5 * time.Second}
//	}
func New(ctx context.Context, pool *pgxpool.Pool, opts ...Option) (*Store, error) {
	if pool == nil {
		return nil, &ConfigError{Problem: "postgres.New needs a non-nil pool"}
	}
	c, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	return newStore(ctx, pool, c)
}

func newStore(ctx context.Context, pool *pgxpool.Pool, c config) (*Store, error) {
	var (
		v   int
		err error
	)
	if c.migrate {
		v, err = migrate(ctx, pool, c.schema)
	} else {
		v, err = currentVersion(ctx, pool, c.schema)
		if err == nil && v != LatestVersion() {
			err = &SchemaVersionError{Schema: c.schema, Found: v, Known: LatestVersion()}
		}
	}
	if err != nil {
		return nil, err
	}
	s := &Store{pool: pool, schema: c.schema, q: newQueries(c.schema), version: v, noOutbox: c.noOutbox}
	if err := s.buildWrites(); err != nil {
		return nil, err
	}
	return s, nil
}

// Close closes the connection pool when the store opened it ([Open]); a pool given
// to [New] stays open. Close is idempotent.
func (s *Store) Close() {
	if s.owned {
		s.pool.Close()
	}
}

// Pool returns the store's connection pool, for hosts that need to run their own
// queries next to the store's.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Schema returns the schema the store's tables live in.
func (s *Store) Schema() string { return s.schema }

// SchemaVersion returns the migration version the database was at when the store
// was opened.
func (s *Store) SchemaVersion() int { return s.version }

// Errors.

// ErrSchemaTooNew: the database schema was migrated by a newer version of this
// package than the running one; upgrade the code before using the database.
var ErrSchemaTooNew = errors.New("postgres: database schema is newer than this code")

// ErrSchemaVersion: the database schema is not at the version this code needs.
var ErrSchemaVersion = errors.New("postgres: database schema version mismatch")

// ErrConfig: an option or the connection string is malformed.
var ErrConfig = errors.New("postgres: invalid configuration")

// SchemaVersionError says that the database schema is at another version than the
// code knows. It matches [ErrSchemaTooNew] when the database is ahead of the code,
// and [ErrSchemaVersion] in every case.
type SchemaVersionError struct {
	Schema string
	// Found is the version recorded in the database; Known the newest this code has.
	Found, Known int
}

func (e *SchemaVersionError) Error() string {
	if e.Found > e.Known {
		return fmt.Sprintf("postgres: schema %q is at migration %d but this code knows only up to %d: upgrade releasekit before using this database", e.Schema, e.Found, e.Known)
	}
	return fmt.Sprintf("postgres: schema %q is at migration %d but this code needs %d: run postgres.Migrate (or open without WithoutMigrate)", e.Schema, e.Found, e.Known)
}

// Unwrap returns [ErrSchemaVersion], and [ErrSchemaTooNew] when the database is ahead.
func (e *SchemaVersionError) Unwrap() []error {
	if e.Found > e.Known {
		return []error{ErrSchemaVersion, ErrSchemaTooNew}
	}
	return []error{ErrSchemaVersion}
}

// ConfigError says what is wrong with an option or the connection string.
type ConfigError struct {
	Problem string
	Err     error
}

func (e *ConfigError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("postgres: invalid configuration: %s: %v", e.Problem, e.Err)
	}
	return "postgres: invalid configuration: " + e.Problem
}

// Unwrap returns [ErrConfig] and the underlying error, if any.
func (e *ConfigError) Unwrap() []error {
	if e.Err != nil {
		return []error{ErrConfig, e.Err}
	}
	return []error{ErrConfig}
}

// SQLSTATE codes the store maps onto release's sentinels, and those it retries.
const (
	codeUniqueViolation      = "23505"
	codeExclusionViolation   = "23P01"
	codeDeadlockDetected     = "40P01"
	codeSerializationFailure = "40001"
)

// ErrContention: the database aborted a write as a deadlock or a serialization
// failure on every attempt the store made (see [ContentionError]). Nothing was
// written.
var ErrContention = errors.New("postgres: write aborted by contention")

// ContentionError says that the database aborted a write as a deadlock (SQLSTATE
// 40P01) or a serialization failure (40001) on each of its attempts: the store retries
// such a write, which wrote nothing, up to [MaxAttempts] times in all with a short
// random backoff before it gives up with this error. Nothing was written; the caller
// may try again later.
type ContentionError struct {
	// Op says what was attempted ("book <id>", "update release <id>").
	Op string
	// Attempts is how many times it was tried.
	Attempts int
	// Err is the last attempt's error.
	Err error
}

func (e *ContentionError) Error() string {
	return fmt.Sprintf("postgres: %s: aborted by the database as a deadlock or serialization failure %d times in a row, nothing written; try again later (last: %v)", e.Op, e.Attempts, e.Err)
}

// Unwrap returns [ErrContention] and the last attempt's error.
func (e *ContentionError) Unwrap() []error { return []error{ErrContention, e.Err} }

// MaxAttempts bounds how many times a write is tried when the database aborts it as
// a deadlock or a serialization failure.
const MaxAttempts = 8

// retry runs write until it does not fail with a deadlock or a serialization failure
// (either means the database rolled it back: nothing was written), at most
// MaxAttempts times, waiting a random 0 to 2^attempt milliseconds (at most 64 ms)
// between attempts. It returns write's last error, or a *ContentionError when every
// attempt was aborted. A context that ends stops the retries.
func (s *Store) retry(ctx context.Context, op string, write func(ctx context.Context) error) error {
	for attempt := 1; ; attempt++ {
		err := write(ctx)
		if code, _ := pgCode(err); code != codeDeadlockDetected && code != codeSerializationFailure {
			return err
		}
		if s.onRetry != nil {
			s.onRetry(op, attempt, err)
		}
		if attempt == MaxAttempts || ctx.Err() != nil {
			return &ContentionError{Op: op, Attempts: attempt, Err: err}
		}
		wait := time.Duration(rand.Int64N(int64(time.Millisecond) << min(attempt, 6)))
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
		case <-t.C:
		}
	}
}

func pgCode(err error) (string, string) {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code, pe.ConstraintName
	}
	return "", ""
}

// fail wraps a backend error for op. A cancelled or expired context is returned as
// the context's error (wrapped), so errors.Is(err, context.Canceled) holds.
func fail(ctx context.Context, op string, err error) error {
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("postgres: %s: %w (%v)", op, cerr, err)
	}
	return fmt.Errorf("postgres: %s: %w", op, err)
}

// failOrContention is fail, except that a *ContentionError is returned as it is.
func failOrContention(ctx context.Context, op string, err error) error {
	var te *ContentionError
	if errors.As(err, &te) {
		return te
	}
	return fail(ctx, op, err)
}

// settle decides the outcome of a write that failed while ctx ended: the statement
// may have committed before the server saw the cancel request. committed looks (on a
// context of its own) whether the write landed; if it did, the write is complete and
// settle returns nil, as the Store contract allows. Otherwise, or when that cannot be
// found out, it returns the context's error.
func settle(ctx context.Context, op string, err error, committed func(context.Context) (bool, error)) error {
	if ctx.Err() == nil {
		return fail(ctx, op, err)
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cancelGrace)
	defer cancel()
	if ok, cerr := committed(cctx); cerr == nil && ok {
		return nil
	}
	return fail(ctx, op, err)
}

// queries holds the store's SQL with the schema's tables qualified, built once when
// the store is made.
type queries struct {
	// create is the create statement, [1] with an idempotency key's row.
	create [2]string
	// update is the update statement, indexed by [writeVariant].
	update                            [8]string
	get, exists, history, revision    string
	entryAt, listBase                 string
	claim, ack, retry                 string
	book, unbook, overlapping, booked string
	bookingsEnv, bookingsAll          string
	lockEnv, running                  string
	tail                              string
}

// writeVariant indexes queries.update: with or without the outbox row, the
// idempotency key's row and the lockdown fence.
func writeVariant(outbox, keyed, fenced bool) int {
	v := 0
	if outbox {
		v |= 1
	}
	if keyed {
		v |= 2
	}
	if fenced {
		v |= 4
	}
	return v
}

// buildWrites builds the variants of the create and update statements that add the
// idempotency key's row, the lockdown fence or both to the bare ones newQueries made,
// once, rather than splicing them into every write. Their parameters follow the bare
// statement's: the key's four, then the fence.
func (s *Store) buildWrites() error {
	keys := s.keysTable()
	var err error
	if s.q.create[1], err = keyed(s.q.create[0], keys, "r"); err != nil {
		return err
	}
	for v := range s.q.update {
		outbox, key, fence := v&1 != 0, v&2 != 0, v&4 != 0
		if !key && !fence {
			continue // bare
		}
		q := s.q.update[writeVariant(outbox, false, false)]
		if key {
			if q, err = keyed(q, keys, "u"); err != nil {
				return err
			}
		}
		if fence {
			if q, _, err = s.fenced(q, make([]any, maxParam(q)), new(int64)); err != nil {
				return err
			}
		}
		s.q.update[v] = q
	}
	return nil
}

// maxParam returns the highest parameter number ($n) in q.
func maxParam(q string) int {
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] != '$' {
			continue
		}
		j := i + 1
		for j < len(q) && q[j] >= '0' && q[j] <= '9' {
			j++
		}
		if v, err := strconv.Atoi(q[i+1 : j]); err == nil {
			n = max(n, v)
		}
		i = j - 1
	}
	return n
}

// newQueries returns the store's statements, with the bare create and update ones
// (no key, no fence; buildWrites adds the variants). They do not write the columns
// that the triggers of migration 0007 derive: releases.components and created_at,
// and the history links.
func newQueries(schema string) queries {
	t := func(name string) string { return pgx.Identifier{schema, name}.Sanitize() }
	rel, hist, out, bk, slots := t("releases"), t("history"), t("outbox"), t("bookings"), t("booking_slots")
	q := queries{
		get:      `SELECT doc FROM ` + rel + ` WHERE id = $1`,
		tail:     tailQuery(rel, hist),
		exists:   `SELECT EXISTS (SELECT 1 FROM ` + rel + ` WHERE id = $1)`,
		revision: `SELECT revision FROM ` + rel + ` WHERE id = $1`,
		entryAt:  `SELECT EXISTS (SELECT 1 FROM ` + hist + ` WHERE release_id = $1 AND seq = $2 AND entry = $3)`,
		history:  `SELECT seq, entry FROM ` + hist + ` WHERE release_id = $1 ORDER BY seq`,
		listBase: `SELECT id, doc FROM ` + rel,
		claim: `WITH c AS (
	SELECT key FROM ` + out + `
	WHERE due <= $1 AND (leased_until IS NULL OR leased_until <= $2)
	ORDER BY due, key LIMIT $3 FOR UPDATE SKIP LOCKED)
UPDATE ` + out + ` o SET leased_until = $4, attempts = o.attempts + 1 FROM c WHERE o.key = c.key
RETURNING o.key, o.release, o.entry, o.due, o.attempts, o.last_error`,
		ack:   `DELETE FROM ` + out + ` WHERE key = $1`,
		retry: `UPDATE ` + out + ` SET due = $2, last_error = $3, leased_until = NULL WHERE key = $1`,
		book: `WITH b AS (
	INSERT INTO ` + bk + ` (id, environment, start_at, end_at, doc) VALUES ($1, $2, $3, $4, $5) RETURNING id)
INSERT INTO ` + slots + ` (booking_id, environment, service, period)
SELECT b.id, $2, s, tstzrange($6, $7, '[)') FROM b, unnest($8::text[]) AS s`,
		unbook: `DELETE FROM ` + bk + ` WHERE id = $1`,
		booked: `SELECT EXISTS (SELECT 1 FROM ` + bk + ` WHERE id = $1 AND doc = $2)`,
		bookingsEnv: `SELECT doc FROM ` + bk + `
WHERE environment = $1 AND tstzrange(start_at, end_at, '[]') && tstzrange($2, $3, '[]')`,
		bookingsAll: `SELECT doc FROM ` + bk + `
WHERE tstzrange(start_at, end_at, '[]') && tstzrange($1, $2, '[]')`,
		// One lock per (schema, environment), across every replica: Books of one
		// environment take turns, so the capacity check and the insert are one step
		// and the exclusion constraint never has two in-flight inserts to deadlock on.
		lockEnv: `SELECT pg_advisory_xact_lock(hashtextextended('releasekit booking ' || $1 || ' ' || $2, 0))`,
		running: `SELECT id, start_at, end_at FROM ` + bk + `
WHERE environment = $1 AND tstzrange(start_at, end_at, '[]') && tstzrange($2, $3, '[]')`,
		overlapping: `SELECT booking_id, service FROM ` + slots + `
WHERE environment = $1 AND service = ANY($2::text[]) AND period && tstzrange($3, $4, '[)') AND booking_id <> $5
ORDER BY lower(period), booking_id, service LIMIT 1`,
	}
	q.create[0] = `WITH r AS (
	INSERT INTO ` + rel + ` (id, name, version, environment, class, state, revision, doc, labels)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $11) RETURNING id)
INSERT INTO ` + hist + ` (release_id, seq, entry) SELECT id, $9, $10 FROM r`
	swap := `WITH u AS (
	UPDATE ` + rel + ` SET name = $3, version = $4, environment = $5, class = $6, state = $7, revision = $8, doc = $9, labels = $12
	WHERE id = $1 AND revision = $2 AND ` + wholeHistory(hist) + ` RETURNING id),
h AS (INSERT INTO ` + hist + ` (release_id, seq, entry) SELECT id, $10, $11 FROM u)`
	q.update[writeVariant(true, false, false)] = swap + `,
o AS (INSERT INTO ` + out + ` (key, release_id, seq, release, entry, due) SELECT $14, id, $10, $9, $11, $15 FROM u)
SELECT count(*) FROM u`
	q.update[writeVariant(false, false, false)] = swap + `
SELECT count(*) FROM u`
	return q
}
