package release_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/adapters/bolt"
	"github.com/releasekit/releasekit/adapters/checkpointfile"
	"github.com/releasekit/releasekit/release"
)

// TestCheckpointsOverAnUpgradedStore: a bolt file written by the previous version
// (adapters/bolt/testdata/upgrade, never rewritten) is anchored by the first
// checkpoint: every entry already in it becomes a leaf, the store verifies against
// the checkpoints, and later commits extend the tree.
func TestCheckpointsOverAnUpgradedStore(t *testing.T) {
	ctx := context.Background()
	old, err := os.ReadFile("../adapters/bolt/testdata/upgrade/store.db")
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "store.db")
	require.NoError(t, os.WriteFile(path, old, 0o600))
	store, err := bolt.Open(path)
	require.NoError(t, err)
	defer store.Close()

	signer, key := testKeys(t)
	sink := checkpointfile.New(filepath.Join(t.TempDir(), "checkpoints.jsonl"))
	eng, err := release.New(store, release.WithPolicy(release.AllowAll()),
		release.WithCheckpoints(signer, sink, release.CheckpointEvery(0), release.CheckpointInterval(0)))
	require.NoError(t, err)
	rs, err := eng.List(ctx, release.Filter{})
	require.NoError(t, err)
	require.NotEmpty(t, rs)
	entries := int64(0)
	var open release.Release
	for _, r := range rs {
		entries += r.Revision
		if _, ok := release.Next(r.State, release.EventCancel); ok {
			open = r
		}
	}
	cp, err := eng.Checkpoint(ctx)
	require.NoError(t, err)
	require.Equal(t, entries, cp.Size, "every entry of the old file is anchored")

	_, err = eng.Fire(ctx, open.ID, release.EventCancel, rui)
	require.NoError(t, err)
	cp2, err := eng.Checkpoint(ctx)
	require.NoError(t, err)
	require.Equal(t, entries+1, cp2.Size)
	cps, err := sink.Checkpoints(ctx)
	require.NoError(t, err)
	require.NoError(t, release.VerifyCheckpoints(ctx, store, key, cps))
	requireConsistent(t, cps)
}
