package bolt_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"flag"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	bbolt "go.etcd.io/bbolt"

	"github.com/releasekit/releasekit/adapters/bolt"
	"github.com/releasekit/releasekit/adapters/internal/upgradetest"
	"github.com/releasekit/releasekit/release"
)

// writeUpgradeFixture rewrites testdata/upgrade from the code as it is: run it only
// when the stored format is about to change, with the code before the change.
var writeUpgradeFixture = flag.String("write-upgrade-fixture", "", "write testdata/upgrade with this code; the value says which commit it is")

const upgradeDir = "testdata/upgrade"

// TestWriteUpgradeFixture writes the upgrade fixture when asked to (see
// -write-upgrade-fixture); otherwise it is skipped.
func TestWriteUpgradeFixture(t *testing.T) {
	if *writeUpgradeFixture == "" {
		t.Skip("run with -write-upgrade-fixture=<commit> to rewrite testdata/upgrade")
	}
	path := filepath.Join(t.TempDir(), "store.db")
	s, err := bolt.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := upgradetest.Write(context.Background(), s, "adapters/bolt at commit "+*writeUpgradeFixture)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := copyFile(filepath.Join(upgradeDir, "store.db"), path); err != nil {
		t.Fatal(err)
	}
	if err := upgradetest.WriteManifest(filepath.Join(upgradeDir, "manifest.json"), m); err != nil {
		t.Fatal(err)
	}
}

// UpgradeFixture copies the upgrade fixture (a store file written by an earlier
// version of this package) to a temporary directory and returns its path and the
// manifest of what it holds. Tests of later format changes open it with the current
// code.
func UpgradeFixture(t testing.TB) (string, upgradetest.Manifest) {
	t.Helper()
	return upgradeFixtureIn(t, upgradeDir)
}

// upgradeSchema2Dir holds a file written by the schema-2 code (before the releases'
// index).
const upgradeSchema2Dir = "testdata/upgrade-schema2"

// upgradeFixtureIn copies the fixture in dir to a temporary directory and returns
// its path and manifest.
func upgradeFixtureIn(t testing.TB, dir string) (string, upgradetest.Manifest) {
	t.Helper()
	m, err := upgradetest.ReadManifest(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "store.db")
	if err := copyFile(path, filepath.Join(dir, "store.db")); err != nil {
		t.Fatal(err)
	}
	return path, m
}

func copyFile(dst, src string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// TestUpgrade opens the fixture written by an earlier version (schema 1) with this
// code: it is upgraded through schema 2 to 3, List finds every release through the
// index built on the way, every release reads and verifies, and the store keeps
// working (a transition, a booking, an outbox claim).
func TestUpgrade(t *testing.T) {
	path, m := UpgradeFixture(t)
	s, err := bolt.Open(path)
	if err != nil {
		t.Fatalf("open the fixture: %v", err)
	}
	defer s.Close()
	upgradetest.CheckList(t, s, m)
	upgradetest.Check(t, s, m)
	if err := s.Check(context.Background()); err != nil {
		t.Fatalf("Check after the upgrade: %v", err)
	}
}

// TestUpgradeSeals: once upgraded, the fixture's rows carry checksums. The upgraded
// file opens again as it is, and a byte edited by hand in a release row, which the
// schema-1 file could not detect when the edit kept the JSON valid, is found by Check
// and by a read.
func TestUpgradeSeals(t *testing.T) {
	ctx := context.Background()
	path, m := UpgradeFixture(t)
	s, err := bolt.Open(path)
	require.NoError(t, err)
	require.NoError(t, s.Close())

	s, err = bolt.Open(path)
	require.NoError(t, err, "the upgraded file opens again")
	upgradetest.Check(t, s, m)
	require.NoError(t, s.Close())

	// Every release row's environment (and any stale copy in freed pages), still
	// valid JSON and a valid environment.
	corruptFile(t, path, `"environment":"prod"`, `"environment":"prud"`)

	s, err = bolt.Open(path)
	require.NoError(t, err)
	defer s.Close()
	err = s.Check(ctx)
	require.ErrorIs(t, err, release.ErrCorrupt)
	assert.Contains(t, err.Error(), "do not match their checksum")
	_, err = s.List(ctx, release.Filter{})
	require.ErrorIs(t, err, release.ErrCorrupt, "a read of the edited row")
}

// TestUpgradeSchema2 opens a file written by the schema-2 code (no releases' index)
// with this code: the upgrade builds the index, List finds every release by name,
// component, state, environment and creation range through it, Check finds the index
// consistent, the file reopens as it is, and the store keeps working (and indexing).
func TestUpgradeSchema2(t *testing.T) { testUpgradeFixture(t, upgradeSchema2Dir) }

// testUpgradeFixture opens the fixture in dir, written by older code, with this
// code: every release lists, reads and verifies, Check finds the file consistent,
// the file reopens as it is, and the store keeps working.
func testUpgradeFixture(t *testing.T, dir string) {
	ctx := context.Background()
	path, m := upgradeFixtureIn(t, dir)
	s, err := bolt.Open(path)
	require.NoError(t, err, "open the fixture in %s", dir)
	upgradetest.CheckList(t, s, m)
	require.NoError(t, s.Check(ctx), "Check after the upgrade")
	require.NoError(t, s.Close())

	s, err = bolt.Open(path)
	require.NoError(t, err, "the upgraded file opens again")
	defer s.Close()
	upgradetest.CheckList(t, s, m)
	upgradetest.Check(t, s, m)
	require.NoError(t, s.Check(ctx), "Check after the store moved on")
	planned := m.Releases["planned"]
	got, err := s.List(ctx, release.Filter{Name: "planned"})
	require.NoError(t, err)
	require.Len(t, got, 1)
	require.Equal(t, planned.ID, got[0].ID)
	require.NotEqual(t, planned.State, got[0].State, "the transition after the upgrade moved the release")
	again, err := s.List(ctx, release.Filter{States: []release.State{got[0].State}, Name: "planned"})
	require.NoError(t, err)
	require.Len(t, again, 1, "found under its new state")
}

// TestUpgradeSchema2Refused: a schema-2 file whose release row does not match its
// checksum cannot be indexed; Open returns the row's *release.CorruptError and leaves
// the file as it was (schema 2, no index), all or nothing.
func TestUpgradeSchema2Refused(t *testing.T) {
	path, m := upgradeFixtureIn(t, upgradeSchema2Dir)
	id := m.Releases["planned"].ID
	db, err := bbolt.Open(path, 0o600, nil)
	require.NoError(t, err)
	require.NoError(t, db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte("releases"))
		v := bytes.Clone(b.Get(id[:]))
		v[10] ^= 0x01
		return b.Put(id[:], v)
	}))
	require.NoError(t, db.Close())

	_, err = bolt.Open(path)
	var ce *release.CorruptError
	require.ErrorAs(t, err, &ce)
	require.Contains(t, err.Error(), "schema 3")

	db, err = bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true})
	require.NoError(t, err)
	defer db.Close()
	require.NoError(t, db.View(func(tx *bbolt.Tx) error {
		require.Equal(t, uint64(2), binary.BigEndian.Uint64(tx.Bucket([]byte("meta")).Get([]byte("schema"))), "still schema 2")
		require.Nil(t, tx.Bucket([]byte("releases_index")), "no half-built index")
		return nil
	}))
}

// upgradeSchema3Dir holds a file written by the schema-3 code (before the history
// tail records).
const upgradeSchema3Dir = "testdata/upgrade-schema3"

// TestUpgradeSchema3 opens a file written by the schema-3 code with this code (the
// same schema; the store's faster append check must read it as it is).
func TestUpgradeSchema3(t *testing.T) { testUpgradeFixture(t, upgradeSchema3Dir) }
