package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/adapters/postgres"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/storetest"
)

// dsnEnv names the database the tests use.
const dsnEnv = "RELEASEKIT_POSTGRES_DSN"

// dsn returns the test database's connection string. Without one, a local run skips
// the test and a CI run (CI=true) fails it.
func dsn(t testing.TB) string {
	t.Helper()
	d := os.Getenv(dsnEnv)
	if d != "" {
		return d
	}
	const how = dsnEnv + " is not set: these tests need a PostgreSQL database. " +
		"Start a throwaway cluster with `source .ci/postgres.sh && pg_start` from the repository root " +
		"(it exports " + dsnEnv + "), or point it at a database you own, e.g. " +
		"postgres://user@127.0.0.1:5432/releasekit_test?sslmode=disable"
	if os.Getenv("CI") == "true" {
		t.Fatal(how + " (CI=true: a missing database is a failure)")
	}
	t.Skip(how)
	return ""
}

var (
	adminOnce sync.Once
	adminPool *pgxpool.Pool
	adminErr  error
)

// admin returns a pool shared by the tests for setup and inspection. On first use it
// creates btree_gist in public, so the per-test schemas share it.
func admin(t testing.TB) *pgxpool.Pool {
	t.Helper()
	d := dsn(t)
	adminOnce.Do(func() {
		ctx := context.Background()
		adminPool, adminErr = pgxpool.New(ctx, d)
		if adminErr != nil {
			return
		}
		adminErr = pgx.BeginFunc(ctx, adminPool, func(tx pgx.Tx) error {
			// The key migrations take, so this never races with one.
			if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(0x72656c6b6974)); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS btree_gist WITH SCHEMA public")
			return err
		})
	})
	require.NoError(t, adminErr, "connect to %s", dsnEnv)
	return adminPool
}

// freshSchema returns the name of a schema no other test uses, dropped when t ends.
func freshSchema(t testing.TB) string {
	t.Helper()
	pool := admin(t)
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "rk_test_" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, err := pool.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{name}.Sanitize()+" CASCADE")
		if err != nil {
			t.Errorf("drop test schema %s: %v", name, err)
		}
	})
	return name
}

// openStore opens a store with its own pool in schema (a fresh one when "").
func openStore(t testing.TB, schema string, opts ...postgres.Option) *postgres.Store {
	t.Helper()
	if schema == "" {
		schema = freshSchema(t)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := postgres.Open(ctx, dsn(t), append([]postgres.Option{postgres.WithSchema(schema)}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(s.Close)
	return s
}

// table qualifies a table name with schema for raw queries.
func table(schema, name string) string { return pgx.Identifier{schema, name}.Sanitize() }

// tamper edits a store's tables behind its methods, for the conformance suite's
// integrity cases.
func tamper(t testing.TB) storetest.Tamper {
	return storetest.Tamper{
		SetRelease: func(ctx context.Context, st release.Store, r release.Release) error {
			doc, err := json.Marshal(r)
			if err != nil {
				return err
			}
			_, err = admin(t).Exec(ctx, "UPDATE "+table(st.(*postgres.Store).Schema(), "releases")+
				" SET doc = $2, state = $3, revision = $4, environment = $5, class = $6, name = $7, version = $8, created_at = $9 WHERE id = $1",
				[16]byte(r.ID), doc, string(r.State), r.Revision, r.Environment, string(r.Class), r.Name, r.Version, r.CreatedAt)
			return err
		},
		SetEntry: func(ctx context.Context, st release.Store, e release.AuditEntry) error {
			b, err := release.EncodeEntry(e)
			if err != nil {
				return err
			}
			_, err = admin(t).Exec(ctx, "UPDATE "+table(st.(*postgres.Store).Schema(), "history")+" SET entry = $3 WHERE release_id = $1 AND seq = $2",
				[16]byte(e.ReleaseID), e.Sequence, b)
			return err
		},
		DeleteEntry: func(ctx context.Context, st release.Store, id release.ID, seq int64) error {
			_, err := admin(t).Exec(ctx, "DELETE FROM "+table(st.(*postgres.Store).Schema(), "history")+" WHERE release_id = $1 AND seq = $2",
				[16]byte(id), seq)
			return err
		},
	}
}

// setDoc writes doc as the stored document of release id in schema as bytes gone bad
// would be, or an attacker who may disable triggers would write it: past the trigger
// of migration 0007, which refuses a document that is not JSON with a creation time.
func setDoc(ctx context.Context, db *pgxpool.Pool, schema string, id release.ID, doc []byte) error {
	rel := table(schema, "releases")
	return pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
		for _, q := range []string{
			"ALTER TABLE " + rel + " DISABLE TRIGGER releases_list_columns",
			"UPDATE " + rel + " SET doc = $1 WHERE id = $2",
			"ALTER TABLE " + rel + " ENABLE TRIGGER releases_list_columns",
		} {
			var args []any
			if strings.Contains(q, "$1") {
				args = []any{doc, [16]byte(id)}
			}
			if _, err := tx.Exec(ctx, q, args...); err != nil {
				return err
			}
		}
		return nil
	})
}
