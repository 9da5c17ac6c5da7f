package postgres_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/adapters/postgres"
)

// TestMigrationsAreNumbered: the embedded files are numbered 1, 2, 3… and
// LatestVersion is the last one.
func TestMigrationsAreNumbered(t *testing.T) {
	t.Parallel()
	ms := postgres.Migrations()
	require.NotEmpty(t, ms)
	for i, m := range ms {
		assert.Equal(t, i+1, m.Version, "migration %s", m.Name)
		assert.True(t, strings.HasSuffix(m.Name, ".sql"), "migration %s", m.Name)
		assert.NotEmpty(t, strings.TrimSpace(m.SQL), "migration %s", m.Name)
	}
	assert.Equal(t, len(ms), postgres.LatestVersion())
}

func versionRows(t *testing.T, schema string) []int {
	t.Helper()
	rows, err := admin(t).Query(context.Background(), "SELECT version FROM "+table(schema, "releasekit_schema_version")+" ORDER BY version")
	require.NoError(t, err)
	defer rows.Close()
	var vs []int
	for rows.Next() {
		var v int
		require.NoError(t, rows.Scan(&v))
		vs = append(vs, v)
	}
	require.NoError(t, rows.Err())
	return vs
}

func wantVersions() []int {
	var vs []int
	for _, m := range postgres.Migrations() {
		vs = append(vs, m.Version)
	}
	return vs
}

// TestMigrateTwice: opening a migrated schema again and calling Migrate again change
// nothing; each migration is recorded once and the store works.
func TestMigrateTwice(t *testing.T) {
	t.Parallel()
	schema := freshSchema(t)
	ctx := context.Background()
	s1 := openStore(t, schema)
	assert.Equal(t, postgres.LatestVersion(), s1.SchemaVersion())
	s2 := openStore(t, schema)
	assert.Equal(t, postgres.LatestVersion(), s2.SchemaVersion())
	v, err := postgres.Migrate(ctx, admin(t), postgres.WithSchema(schema))
	require.NoError(t, err)
	assert.Equal(t, postgres.LatestVersion(), v)
	assert.Equal(t, wantVersions(), versionRows(t, schema))
	assert.Equal(t, schema, s2.Schema())
}

// TestMigrateConcurrently: eight pools migrating one fresh schema at the same moment
// all succeed, and every migration is applied exactly once.
func TestMigrateConcurrently(t *testing.T) {
	t.Parallel()
	schema := freshSchema(t)
	d := dsn(t)
	const n = 8
	var (
		wg   sync.WaitGroup
		errs [n]error
		vs   [n]int
	)
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			pool, err := pgxpool.New(ctx, d)
			if err != nil {
				errs[i] = err
				return
			}
			defer pool.Close()
			<-start
			vs[i], errs[i] = postgres.Migrate(ctx, pool, postgres.WithSchema(schema))
		})
	}
	close(start)
	wg.Wait()
	for i := range n {
		require.NoError(t, errs[i], "migrator %d", i)
		assert.Equal(t, postgres.LatestVersion(), vs[i], "migrator %d", i)
	}
	assert.Equal(t, wantVersions(), versionRows(t, schema))
}

// TestRefuseNewerSchema: a schema migrated by a newer release (a version this code
// does not know) is refused with a *SchemaVersionError matching ErrSchemaTooNew, and
// nothing is changed.
func TestRefuseNewerSchema(t *testing.T) {
	t.Parallel()
	schema := freshSchema(t)
	ctx := context.Background()
	openStore(t, schema)
	future := postgres.LatestVersion() + 1
	_, err := admin(t).Exec(ctx, "INSERT INTO "+table(schema, "releasekit_schema_version")+" (version, name) VALUES ($1, 'from the future')", future)
	require.NoError(t, err)

	_, err = postgres.Open(ctx, dsn(t), postgres.WithSchema(schema))
	require.ErrorIs(t, err, postgres.ErrSchemaTooNew)
	var sv *postgres.SchemaVersionError
	require.ErrorAs(t, err, &sv)
	assert.Equal(t, future, sv.Found)
	assert.Equal(t, postgres.LatestVersion(), sv.Known)
	assert.Contains(t, err.Error(), "upgrade")

	_, err = postgres.Open(ctx, dsn(t), postgres.WithSchema(schema), postgres.WithoutMigrate())
	require.ErrorIs(t, err, postgres.ErrSchemaTooNew)
	assert.Equal(t, append(wantVersions(), future), versionRows(t, schema))
}

// TestWithoutMigrate: WithoutMigrate refuses a schema that was never migrated (not
// as "too new") and accepts one that is current.
func TestWithoutMigrate(t *testing.T) {
	t.Parallel()
	schema := freshSchema(t)
	ctx := context.Background()
	_, err := postgres.Open(ctx, dsn(t), postgres.WithSchema(schema), postgres.WithoutMigrate())
	require.ErrorIs(t, err, postgres.ErrSchemaVersion)
	assert.NotErrorIs(t, err, postgres.ErrSchemaTooNew)
	assert.Contains(t, err.Error(), "postgres.Migrate")

	_, err = postgres.Migrate(ctx, admin(t), postgres.WithSchema(schema))
	require.NoError(t, err)
	s, err := postgres.Open(ctx, dsn(t), postgres.WithSchema(schema), postgres.WithoutMigrate())
	require.NoError(t, err)
	s.Close()
}

// TestNewLeavesPoolOpen: a store made with New over a host's pool does not close it.
func TestNewLeavesPoolOpen(t *testing.T) {
	t.Parallel()
	schema := freshSchema(t)
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, dsn(t))
	require.NoError(t, err)
	defer pool.Close()
	s, err := postgres.New(ctx, pool, postgres.WithSchema(schema))
	require.NoError(t, err)
	assert.Same(t, pool, s.Pool())
	s.Close()
	s.Close()
	require.NoError(t, pool.Ping(ctx), "the host's pool was closed by Store.Close")
}

// TestBadConfiguration: bad options and connection strings are *ConfigError values
// (ErrConfig) that say what is wrong; they need no database.
func TestBadConfiguration(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tc := range []struct {
		why  string
		open func() error
		want string
	}{
		{"empty schema name", func() error {
			_, err := postgres.Open(ctx, "postgres://127.0.0.1:1/x", postgres.WithSchema(""))
			return err
		}, "schema name"},
		{"schema name over 63 bytes", func() error {
			_, err := postgres.Open(ctx, "postgres://127.0.0.1:1/x", postgres.WithSchema(strings.Repeat("s", 64)))
			return err
		}, "1 to 63 bytes"},
		{"connection string that does not parse", func() error {
			_, err := postgres.Open(ctx, "postgres://%zz")
			return err
		}, "connection string"},
		{"nil pool", func() error {
			_, err := postgres.New(ctx, nil)
			return err
		}, "non-nil pool"},
		{"nil pool to Migrate", func() error {
			_, err := postgres.Migrate(ctx, nil)
			return err
		}, "non-nil pool"},
	} {
		err := tc.open()
		require.Error(t, err, tc.why)
		assert.True(t, errors.Is(err, postgres.ErrConfig), "%s: %v does not match ErrConfig", tc.why, err)
		var ce *postgres.ConfigError
		assert.ErrorAs(t, err, &ce, tc.why)
		assert.Contains(t, err.Error(), tc.want, tc.why)
	}
}

// TestOpenCancelled: Open with a cancelled context returns the context's error.
func TestOpenCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := postgres.Open(ctx, dsn(t), postgres.WithSchema(freshSchema(t)))
	require.ErrorIs(t, err, context.Canceled)
}

// TestLoadMigrationsRejectsBadFiles: file names must start with a positive number and
// an underscore, and the numbers must run 1, 2, 3… without gaps or repeats.
func TestLoadMigrationsRejectsBadFiles(t *testing.T) {
	t.Parallel()
	file := &fstest.MapFile{Data: []byte("SELECT 1;")}
	for _, tc := range []struct {
		why   string
		files fstest.MapFS
		want  string
	}{
		{"no number", fstest.MapFS{"migrations/init.sql": file}, "positive number"},
		{"zero", fstest.MapFS{"migrations/0000_init.sql": file}, "positive number"},
		{"a gap", fstest.MapFS{"migrations/0001_a.sql": file, "migrations/0003_c.sql": file}, "without gaps"},
		{"a repeat", fstest.MapFS{"migrations/0001_a.sql": file, "migrations/0001_b.sql": file}, "without gaps"},
	} {
		_, err := postgres.LoadMigrations(tc.files)
		require.Error(t, err, tc.why)
		assert.Contains(t, err.Error(), tc.want, tc.why)
	}
	ms, err := postgres.LoadMigrations(fstest.MapFS{"migrations/0002_b.sql": file, "migrations/0001_a.sql": file})
	require.NoError(t, err)
	require.Len(t, ms, 2)
	assert.Equal(t, "0001_a.sql", ms[0].Name)
}
