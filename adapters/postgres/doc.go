// Package postgres is a shared [release.Store] on PostgreSQL (pgx v5), for platforms
// that run several replicas of a release engine over one database. It also implements
// [release.Outbox] (a transactional outbox, so a crash between commit and
// notification loses nothing), [release.Booker] (calendar bookings that two
// replicas can never double-book) and [release.LockdownStore] (runtime lockdowns
// that every replica obeys at once). It lives in its own Go module so that the core
// module does not depend on pgx.
//
// # Configuration
//
// [Open] takes a connection string, a URL or key=value pairs, with every libpq and
// pgxpool setting:
//
//	postgres://releasekit:secret@db.internal:5432/releasekit?sslmode=verify-full&pool_max_conns=16
//
// [WithSchema] keeps the tables in a schema of their own (created when missing), so
// several stores can share a database. Hosts that own a *pgxpool.Pool pass it to
// [New] instead; [Store.Close] then leaves it open.
//
// # Schema and migrations
//
// The schema is created and upgraded by numbered SQL files embedded in the package
// ([Migrations]); [Open] and [New] apply the missing ones in one transaction and record
// each in the table releasekit_schema_version. Migrating is idempotent and safe when
// many replicas start at once: a transaction-scoped advisory lock serialises them.
// A database migrated by a newer release of this package is refused with a
// *[SchemaVersionError] ([ErrSchemaTooNew]) instead of being misread. [WithoutMigrate]
// and [Migrate] split migration off into a deployment step. The tables:
//
//   - releases (id uuid primary key, name, version, environment, class, state,
//     revision, labels jsonb, components text[], created_at, doc bytea): one row per
//     release; doc is the release's JSON form, kept as bytes. Never jsonb for what
//     must come back exactly: jsonb reorders keys and normalises numbers, which would
//     change the raw JSON payloads a release carries. The other columns copy fields
//     of doc for List, which they serve through indexes (migration 0004): (name, id),
//     (environment, id), (state, id) and (created_at, id) btrees, which return a
//     filter's matches in page order so that LIMIT stops the scan, and a GIN index on
//     components. components (the sorted names of the release's components) and
//     created_at are derived from doc by the database, on every insert and update
//     (a trigger, migration 0007), whatever the writer sets: a doc that is not JSON
//     with a creation time is refused.
//   - history (release_id, seq, entry bytea, prev_release, prev_seq, primary key
//     (release_id, seq)): the audit entries exactly as [release.EncodeEntry] wrote
//     them; they are hash-chained over their content. Since migration 0006 every
//     entry after the first is linked to its predecessor by a foreign key
//     ((prev_release, prev_seq) = (release_id, seq-1), ON DELETE and ON UPDATE SET
//     NULL): the database refuses an entry written past a gap, and removing an entry
//     unlinks the one after it, which the update then refuses to append after. The
//     database sets the link as it inserts an entry (a trigger, migration 0007),
//     whatever the insert says.
//   - outbox (key primary key, release, entry, due, leased_until, attempts,
//     last_error): one row per committed transition until it is acknowledged.
//   - bookings (id primary key, environment, start_at, end_at, doc bytea, found by
//     environment and period through a GiST index, migration 0002) and
//     booking_slots (booking_id, environment, service, period tstzrange) with the
//     exclusion constraint EXCLUDE USING gist (environment WITH =, service WITH =,
//     period WITH &&), one slot row per (booking, service). It needs the btree_gist
//     extension, which the first migration creates when missing (PostgreSQL 13 and
//     later let a database owner create it). When stores in several schemas share a
//     database, create it once beforehand, e.g. CREATE EXTENSION btree_gist WITH
//     SCHEMA public, so that dropping one store's schema does not take it away.
//   - lockdowns (seq primary key, entry bytea) and lockdown_head (one row: how many
//     entries the lockdown history holds), migration 0005: the runtime lockdown
//     history, each entry the JSON of release.LockdownEntry exactly.
//
// # Rolling upgrades
//
// Replicas of an earlier version may keep running while a newer one migrates the
// database, and be replaced one at a time. What they write stays correct: the
// columns later migrations added for List and for the history links are derived by
// the database from each row (migration 0007), so their releases are found by every
// filter, their entries are linked, newer replicas verify and append to the
// histories they wrote (and they to the newer replicas'), and an entry removed from
// any history is still refused. The tests write with the statements of three
// earlier versions (the one that wrote testdata/upgrade, and the last ones before
// migrations 0004 and 0006) and read with this one. What is not true during the
// overlap:
//
//   - A replica of an earlier version that restarts refuses the migrated database
//     (*[SchemaVersionError], [ErrSchemaTooNew]): start it with the new version.
//   - It knows only its own features. A replica from before migration 0005 does not
//     read the lockdowns, so its starts do not obey a lockdown declared meanwhile;
//     replace those replicas before declaring one. The version that wrote
//     testdata/upgrade checks no history in its update, so it may append to a
//     release whose history was cut, as it always could; the entry the cut unlinked
//     still stops every newer replica's append.
//   - A replica of an earlier version cannot read a lockdown entry written with an
//     idempotency key (it refuses the entry's unknown fields): once one is written,
//     its starts are refused and its lockdown reads fail. Declare and lift without
//     [release.IdempotencyKey] until every replica runs this version. No migration
//     marks this: the entries live in the same table.
//   - Entries that a replica from before 0006 wrote after 0006 was applied and
//     before 0007 (when the upgrade notes said to stop such replicas first) are
//     unlinked, like an entry a removal unlinked, and stay so: their releases take
//     no appends until someone has verified the history and linked them again, as
//     below.
//
// # Guarantees
//
//   - [Store.Update] is one SQL statement: the compare-and-swap on the revision
//     (UPDATE … WHERE id = $1 AND revision = $2), the history row and the outbox row
//     commit together or not at all. Of concurrent updates from any number of
//     processes with the same expected revision, exactly one succeeds; the others get
//     a *[release.ConflictError]. No update is lost and no history has a gap.
//   - The same statement appends only to a whole history (the release's revision in
//     entries, the last one its head, the row what that entry says), or returns a
//     *[release.HistoryError] ([release.ErrTampered]). It finds out in a constant
//     number of index probes, whatever the history's length: entry $revision is
//     stored, none after it, and none is unlinked. An entry removed with SQL and put
//     back stays unlinked, so the release takes no appends until someone has verified
//     its history ([release.Engine.VerifyAudit]) and linked the entry again:
//     UPDATE history SET prev_release = release_id, prev_seq = seq - 1 WHERE
//     release_id = … AND seq = …. Someone who may drop the foreign key or disable its
//     triggers can rewrite a history unseen by the update, as someone who may rewrite
//     the rows could before; the signed checkpoints ([release.WithCheckpoints]) are
//     what finds a rewrite.
//   - Backend errors map onto release's sentinels: a duplicate ID on create is
//     [release.ErrAlreadyExists], a missing row [release.ErrNotFound], a stale
//     revision [release.ErrStale], stored bytes that do not decode or verify
//     [release.ErrCorrupt], an overlapping booking a *[release.SlotTakenError]. A
//     cancelled or expired context is returned as the context's error.
//   - A context that ends during a write cancels the statement on the server (the
//     pool [Open] makes sends a cancel request and waits for the answer), so a write
//     that returned the context's error did not commit and will not commit later. If
//     the statement had committed before the cancel arrived, the write returns nil.
//     Pools given to [New] need the same setting (see [New]).
//   - Every transition leaves an outbox row until it is delivered: the engine
//     acknowledges what its notifier delivered right after the commit, and a
//     [dispatch.Dispatcher] delivers the rest. A host that runs neither a notifier nor
//     a dispatcher opens the store [WithoutOutbox], or the rows accumulate.
//   - A lockdown declared on any replica is obeyed by every replica's next start, and
//     by every start already under way that has not committed: [Store.AppendLockdown]
//     moves the one row of lockdown_head (a row lock held to its commit) and
//     [Store.UpdateFenced], the update of a start, swaps only while that row still
//     holds the count of entries the start was decided on, taking it FOR SHARE in
//     the same statement. At read committed a row updated by a committed append is
//     re-read, so the swap does not happen; an append that comes later waits for the
//     start's transaction. A start thus commits before the lockdown or not at all.
//   - [Store.ClaimNotifications] leases rows with SELECT … FOR UPDATE SKIP LOCKED, so
//     dispatchers in many replicas share the outbox and never hold the same row at
//     once while its lease runs. Delivery is at least once.
//   - [Store.BookWithin] enforces an environment's capacity across every replica: one
//     transaction, at read committed whatever the database's default isolation, takes
//     a transaction-scoped advisory lock of (schema, environment), reads the bookings
//     that overlap, and inserts. Books of one environment take turns; Books of
//     different environments do not wait for each other.
//   - A write the server aborts as a deadlock (SQLSTATE 40P01) or a serialization
//     failure (40001) wrote nothing; the store tries it again, up to [MaxAttempts]
//     times in all with a random backoff of at most 64 ms, and returns a
//     *[ContentionError] ([ErrContention]) only when every attempt was aborted. The
//     caller never sees the raw driver error. The tests provoke both on the server:
//     a deadlock between a Book and another session, a serialization failure under a
//     serializable default isolation.
//   - Times are kept to the microsecond (the engine already truncates to it).
//     Bookings keep their exact times; the exclusion constraint sees them widened to
//     whole microseconds, so it never misses an overlap.
//
// The tests of this module run against a real PostgreSQL named by the environment
// variable RELEASEKIT_POSTGRES_DSN; .ci/postgres.sh starts a throwaway cluster and
// sets it.
package postgres
