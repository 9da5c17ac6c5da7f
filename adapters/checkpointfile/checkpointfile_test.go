package checkpointfile_test

import (
	"context"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/note"

	"github.com/releasekit/releasekit/adapters/checkpointfile"
	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/release"
)

// engine returns an engine over a memory store that checkpoints to sink on demand.
func engine(t *testing.T, sink release.CheckpointSink) (*release.Engine, release.Store, note.Verifier) {
	t.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, "audit.example")
	require.NoError(t, err)
	signer, err := note.NewSigner(skey)
	require.NoError(t, err)
	key, err := note.NewVerifier(vkey)
	require.NoError(t, err)
	store := memory.New()
	eng, err := release.New(store, release.WithCheckpoints(signer, sink, release.CheckpointEvery(0), release.CheckpointInterval(0)))
	require.NoError(t, err)
	return eng, store, key
}

func create(t *testing.T, eng *release.Engine) {
	t.Helper()
	_, err := eng.Create(context.Background(), release.Spec{Name: "checkout", Version: "1.0.0", Environment: "prod", Author: "ana"})
	require.NoError(t, err)
}

func TestSinkRoundTrip(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "checkpoints.jsonl")
	sink := checkpointfile.New(path)
	require.Equal(t, path, sink.Path())
	cps, err := sink.Checkpoints(ctx)
	require.NoError(t, err)
	require.Empty(t, cps, "a missing file holds none")
	require.NotNil(t, cps)

	eng, store, key := engine(t, sink)
	for range 3 {
		create(t, eng)
		_, err := eng.Checkpoint(ctx)
		require.NoError(t, err)
	}
	cps, err = sink.Checkpoints(ctx)
	require.NoError(t, err)
	require.Len(t, cps, 3)
	require.NoError(t, release.VerifyCheckpoints(ctx, store, key, cps))

	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	read, err := release.ReadCheckpoints(f)
	require.NoError(t, err)
	require.Equal(t, cps, read, "the file is what ReadCheckpoints reads")
}

// A checkpoint that does not extend the file's last one is refused with ErrStale
// and changes nothing.
func TestSinkConflict(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "checkpoints.jsonl")
	eng, _, _ := engine(t, checkpointfile.New(path))
	create(t, eng)
	c, err := eng.Checkpoint(ctx)
	require.NoError(t, err)
	before, err := os.ReadFile(path)
	require.NoError(t, err)
	c.Leaves = make([]release.CheckpointLeaf, c.Size) // it claims to extend size 0; the file ends at 1
	err = checkpointfile.New(path).Publish(ctx, c)
	require.ErrorIs(t, err, release.ErrStale)
	after, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, before, after)
}

// A line cut short by a crash is ignored, and the next Publish replaces it.
func TestSinkTornLine(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "checkpoints.jsonl")
	sink := checkpointfile.New(path)
	eng, store, key := engine(t, sink)
	create(t, eng)
	_, err := eng.Checkpoint(ctx)
	require.NoError(t, err)
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString(`{"origin":"audit.example","size":2,"ro`)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	cps, err := sink.Checkpoints(ctx)
	require.NoError(t, err)
	require.Len(t, cps, 1)

	create(t, eng)
	_, err = eng.Checkpoint(ctx)
	require.NoError(t, err)
	cps, err = sink.Checkpoints(ctx)
	require.NoError(t, err)
	require.Len(t, cps, 2)
	require.NoError(t, release.VerifyCheckpoints(ctx, store, key, cps))
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NotContains(t, string(data), `"ro`+"\n")
}

// A line that is not a checkpoint in the middle of the file is an error, not skipped.
func TestSinkDamagedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "checkpoints.jsonl")
	require.NoError(t, os.WriteFile(path, []byte("not json\n"), 0o644))
	_, err := checkpointfile.New(path).Checkpoints(context.Background())
	require.ErrorIs(t, err, release.ErrCorrupt)
}

// Many sinks on one file (as many processes would open it) publishing at once from
// engines over one store: the file holds one tree, and every checkpoint extends the
// one before it.
func TestSinkConcurrentPublishers(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "checkpoints.jsonl")
	skey, vkey, err := note.GenerateKey(rand.Reader, "audit.example")
	require.NoError(t, err)
	signer, err := note.NewSigner(skey)
	require.NoError(t, err)
	key, err := note.NewVerifier(vkey)
	require.NoError(t, err)
	store := memory.New()
	var wg sync.WaitGroup
	for range 4 {
		eng, err := release.New(store, release.WithCheckpoints(signer, checkpointfile.New(path), release.CheckpointEvery(0), release.CheckpointInterval(0)))
		require.NoError(t, err)
		wg.Go(func() {
			for range 5 {
				if _, err := eng.Create(ctx, release.Spec{Name: "checkout", Version: "1.0.0", Environment: "prod", Author: "ana"}); err != nil {
					t.Error(err)
				}
				// Losing the race again and again is a conflict, never a fork.
				if _, err := eng.Checkpoint(ctx); err != nil && !errors.Is(err, release.ErrStale) {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	last, err := release.New(store, release.WithCheckpoints(signer, checkpointfile.New(path)))
	require.NoError(t, err)
	_, err = last.Checkpoint(ctx)
	require.NoError(t, err)
	cps, err := checkpointfile.New(path).Checkpoints(ctx)
	require.NoError(t, err)
	require.NoError(t, release.VerifyCheckpoints(ctx, store, key, cps))
	require.Equal(t, int64(20), cps[len(cps)-1].Size)
}
