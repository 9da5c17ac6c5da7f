package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Migration is one numbered schema change, embedded in the package.
type Migration struct {
	// Version numbers the migrations 1, 2, 3… in the order they apply.
	Version int
	// Name is the file name, e.g. "0001_init.sql".
	Name string
	// SQL is the file's content; it runs with search_path set to the store's schema.
	SQL string
}

// migrationLockKey is the pg_advisory_xact_lock key every migration takes, whatever
// the schema: migrations of one database run one at a time, so replicas starting
// together never race on CREATE EXTENSION, CREATE SCHEMA or the version table.
const migrationLockKey int64 = 0x72656c6b6974 // "relkit"

// migrations are the embedded files; migrationsErr is what was wrong with them (a
// build-time mistake that the package's tests catch, returned by every migration
// rather than panicking).
var migrations, migrationsErr = loadMigrations(migrationFS)

func loadMigrations(fsys fs.FS) ([]Migration, error) {
	names, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var ms []Migration
	for _, n := range names {
		base := path.Base(n)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v < 1 {
			return nil, fmt.Errorf("postgres: migration file %q does not start with a positive number and an underscore", base)
		}
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, err
		}
		ms = append(ms, Migration{Version: v, Name: base, SQL: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	for i, m := range ms {
		if m.Version != i+1 {
			return nil, fmt.Errorf("postgres: migration %s has version %d, want %d: versions must be 1, 2, 3… without gaps", m.Name, m.Version, i+1)
		}
	}
	return ms, nil
}

// Migrations returns the embedded migrations in the order they apply.
func Migrations() []Migration { return append([]Migration(nil), migrations...) }

// LatestVersion is the version of the newest embedded migration: the version a
// database is at after [Migrate].
func LatestVersion() int { return len(migrations) }

// Migrate applies the embedded migrations that the schema (see [WithSchema]; other
// options are ignored) lacks, in one transaction, and returns the version the schema
// is at. It is idempotent, and safe when many processes call it at once: a
// transaction-scoped advisory lock serialises them, and each later one finds the work
// done. A database at a newer version than this code knows is refused with a
// *[SchemaVersionError] matching [ErrSchemaTooNew], and nothing is changed. [Open]
// and [New] call it unless given [WithoutMigrate].
func Migrate(ctx context.Context, pool *pgxpool.Pool, opts ...Option) (int, error) {
	if pool == nil {
		return 0, &ConfigError{Problem: "postgres.Migrate needs a non-nil pool"}
	}
	c, err := newConfig(opts)
	if err != nil {
		return 0, err
	}
	return migrate(ctx, pool, c.schema)
}

func versionTable(schema string) string {
	return pgx.Identifier{schema, "releasekit_schema_version"}.Sanitize()
}

func migrate(ctx context.Context, pool *pgxpool.Pool, schema string) (int, error) {
	if migrationsErr != nil {
		return 0, migrationsErr
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	tx, err := pool.Begin(ctx)
	if err != nil {
		return 0, fail(ctx, "migrate: begin", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()

	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", migrationLockKey); err != nil {
		return 0, fail(ctx, "migrate: take the migration lock", err)
	}
	var exists bool
	if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)", schema).Scan(&exists); err != nil {
		return 0, fail(ctx, "migrate: look up the schema", err)
	}
	if !exists {
		if _, err := tx.Exec(ctx, "CREATE SCHEMA "+pgx.Identifier{schema}.Sanitize()); err != nil {
			return 0, fail(ctx, fmt.Sprintf("migrate: create schema %q", schema), err)
		}
	}
	vt := versionTable(schema)
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS `+vt+` (
	version    integer     PRIMARY KEY,
	name       text        NOT NULL,
	applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return 0, fail(ctx, "migrate: create the version table", err)
	}
	var current int
	if err := tx.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM "+vt).Scan(&current); err != nil {
		return 0, fail(ctx, "migrate: read the schema version", err)
	}
	if current > LatestVersion() {
		return 0, &SchemaVersionError{Schema: schema, Found: current, Known: LatestVersion()}
	}
	if current == LatestVersion() {
		// Nothing to do; end the transaction without leaving a trace.
		return current, nil
	}
	if _, err := tx.Exec(ctx, "SELECT set_config('search_path', $1, true)", pgx.Identifier{schema}.Sanitize()); err != nil {
		return 0, fail(ctx, "migrate: set search_path", err)
	}
	for _, m := range migrations[current:] {
		if _, err := tx.Exec(ctx, m.SQL); err != nil {
			return 0, fail(ctx, fmt.Sprintf("migrate: apply %s to schema %q", m.Name, schema), err)
		}
		if _, err := tx.Exec(ctx, "INSERT INTO "+vt+" (version, name) VALUES ($1, $2)", m.Version, m.Name); err != nil {
			return 0, fail(ctx, fmt.Sprintf("migrate: record %s", m.Name), err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, fail(ctx, "migrate: commit", err)
	}
	return LatestVersion(), nil
}

// currentVersion reads the schema's version without changing anything; 0 when the
// version table does not exist.
func currentVersion(ctx context.Context, pool *pgxpool.Pool, schema string) (int, error) {
	if migrationsErr != nil {
		return 0, migrationsErr
	}
	var reg *string
	if err := pool.QueryRow(ctx, "SELECT to_regclass($1)::text", versionTable(schema)).Scan(&reg); err != nil {
		return 0, fail(ctx, "read the schema version", err)
	}
	if reg == nil {
		return 0, nil
	}
	var v int
	err := pool.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM "+versionTable(schema)).Scan(&v)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return 0, fail(ctx, "read the schema version", err)
	}
	return v, nil
}
