package postgres_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/adapters/internal/upgradetest"
	"github.com/releasekit/releasekit/adapters/postgres"
)

// writeUpgradeFixture rewrites testdata/upgrade from the code as it is: run it only
// when the stored format is about to change, with the code before the change.
var writeUpgradeFixture = flag.String("write-upgrade-fixture", "", "write testdata/upgrade with this code; the value says which commit it is")

const upgradeDir = "testdata/upgrade"

// fixtureTables are the tables of the fixture at its schema version, in the order
// they load (referenced tables first), each with its row order.
var fixtureTables = []struct{ name, order string }{
	{"releases", "id"},
	{"history", "release_id, seq"},
	{"outbox", "key"},
	{"bookings", "id"},
	{"booking_slots", "booking_id, service"},
}

// fixtureDump is the fixture's rows as PostgreSQL's own JSON of each row
// (row_to_json: bytea as "\x…" hex, times as ISO 8601 in UTC), loaded back with
// json_populate_recordset into tables made by the migrations up to SchemaVersion.
type fixtureDump struct {
	WrittenBy     string                     `json:"written_by"`
	SchemaVersion int                        `json:"schema_version"`
	Tables        map[string]json.RawMessage `json:"tables"`
}

// TestWriteUpgradeFixture writes the upgrade fixture when asked to (see
// -write-upgrade-fixture); otherwise it is skipped.
func TestWriteUpgradeFixture(t *testing.T) {
	if *writeUpgradeFixture == "" {
		t.Skip("run with -write-upgrade-fixture=<commit> to rewrite testdata/upgrade")
	}
	ctx := context.Background()
	schema := freshSchema(t)
	s := openStore(t, schema)
	by := "adapters/postgres at commit " + *writeUpgradeFixture
	m, err := upgradetest.Write(ctx, s, by)
	require.NoError(t, err)
	d := fixtureDump{WrittenBy: by, SchemaVersion: s.SchemaVersion(), Tables: map[string]json.RawMessage{}}
	err = pgx.BeginFunc(ctx, admin(t), func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SET LOCAL TimeZone = 'UTC'"); err != nil {
			return err
		}
		for _, tb := range fixtureTables {
			var rows json.RawMessage
			q := fmt.Sprintf("SELECT coalesce(json_agg(t ORDER BY %s), '[]'::json) FROM %s t", tb.order, table(schema, tb.name))
			if err := tx.QueryRow(ctx, q).Scan(&rows); err != nil {
				return err
			}
			d.Tables[tb.name] = rows
		}
		return nil
	})
	require.NoError(t, err)
	b, err := json.MarshalIndent(d, "", "  ")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(upgradeDir, "dump.json"), append(b, '\n'), 0o644))
	require.NoError(t, upgradetest.WriteManifest(filepath.Join(upgradeDir, "manifest.json"), m))
}

// loadUpgradeFixture loads the upgrade fixture (rows written by an earlier version of
// this package) into a fresh schema at the fixture's schema version, without opening
// a store, and returns the schema and the manifest of what it holds. Tests of later
// migrations open the schema with the current code (openStore), which migrates it.
func loadUpgradeFixture(t testing.TB) (string, upgradetest.Manifest) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	m, err := upgradetest.ReadManifest(filepath.Join(upgradeDir, "manifest.json"))
	require.NoError(t, err)
	raw, err := os.ReadFile(filepath.Join(upgradeDir, "dump.json"))
	require.NoError(t, err)
	var d fixtureDump
	require.NoError(t, json.Unmarshal(raw, &d))
	ms := postgres.Migrations()
	require.LessOrEqual(t, d.SchemaVersion, len(ms), "the fixture is newer than this code's migrations")
	schema := freshSchema(t)
	err = pgx.BeginFunc(ctx, admin(t), func(tx pgx.Tx) error {
		// The key migrations take, so this never races with one.
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(0x72656c6b6974)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "CREATE SCHEMA "+pgx.Identifier{schema}.Sanitize()); err != nil {
			return err
		}
		vt := table(schema, "releasekit_schema_version")
		if _, err := tx.Exec(ctx, `CREATE TABLE `+vt+` (
	version    integer     PRIMARY KEY,
	name       text        NOT NULL,
	applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "SELECT set_config('search_path', $1, true)", pgx.Identifier{schema}.Sanitize()); err != nil {
			return err
		}
		for _, mg := range ms[:d.SchemaVersion] {
			if _, err := tx.Exec(ctx, mg.SQL); err != nil {
				return fmt.Errorf("migration %s: %w", mg.Name, err)
			}
			if _, err := tx.Exec(ctx, "INSERT INTO "+vt+" (version, name) VALUES ($1, $2)", mg.Version, mg.Name); err != nil {
				return err
			}
		}
		for _, tb := range fixtureTables {
			rows, ok := d.Tables[tb.name]
			if !ok {
				return fmt.Errorf("the fixture has no table %s", tb.name)
			}
			q := fmt.Sprintf("INSERT INTO %[1]s SELECT * FROM json_populate_recordset(NULL::%[1]s, $1::json)", table(schema, tb.name))
			if _, err := tx.Exec(ctx, q, string(rows)); err != nil {
				return fmt.Errorf("load %s: %w", tb.name, err)
			}
		}
		return nil
	})
	require.NoError(t, err, "load the upgrade fixture")
	return schema, m
}

// TestUpgrade opens the fixture written by an earlier version with this code (which
// migrates it): migration 0004 fills the components and creation times of the rows
// written before it, so List finds every release by name, component, state,
// environment and creation range; every release reads and verifies, and the store
// keeps working (a transition, a booking, an outbox claim).
func TestUpgrade(t *testing.T) {
	t.Parallel()
	schema, m := loadUpgradeFixture(t)
	s := openStore(t, schema)
	require.Equal(t, postgres.LatestVersion(), s.SchemaVersion())
	upgradetest.CheckList(t, s, m)
	upgradetest.Check(t, s, m)
}
