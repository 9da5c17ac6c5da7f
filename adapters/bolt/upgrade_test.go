package bolt_test

import (
	"context"
	"flag"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
	m, err := upgradetest.ReadManifest(filepath.Join(upgradeDir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "store.db")
	if err := copyFile(path, filepath.Join(upgradeDir, "store.db")); err != nil {
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

// TestUpgrade opens the fixture written by an earlier version with this code: every
// release reads and verifies, and the store keeps working (a transition, a booking,
// an outbox claim).
func TestUpgrade(t *testing.T) {
	path, m := UpgradeFixture(t)
	s, err := bolt.Open(path)
	if err != nil {
		t.Fatalf("open the fixture: %v", err)
	}
	defer s.Close()
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
