package bolt_test

import (
	"bytes"
	"context"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/adapters/bolt"
	"github.com/releasekit/releasekit/release"
)

// corruptFile replaces every occurrence of marker in the file by repl (same length)
// and reports how many it replaced.
func corruptFile(t *testing.T, path, marker, repl string) int {
	t.Helper()
	require.Len(t, repl, len(marker))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	n := bytes.Count(b, []byte(marker))
	require.Positive(t, n, "marker %q not found in the file", marker)
	require.NoError(t, os.WriteFile(path, bytes.ReplaceAll(b, []byte(marker), []byte(repl)), 0o600))
	return n
}

// Bytes corrupted in the file itself: the release row, a history entry, an outbox row
// and a booking each come back as release.ErrCorrupt naming what and where, never a
// panic; the untouched rows still read.
func TestCorruptRows(t *testing.T) {
	ctx := context.Background()
	s, path := openTemp(t)
	e := newEngine(t, s)

	relCorrupt, err := e.Create(ctx, spec("MARKERREL"))
	require.NoError(t, err)
	histCorrupt, err := e.Create(ctx, spec("history-victim"))
	require.NoError(t, err)
	_, err = e.Fire(ctx, histCorrupt.ID, release.EventPlan, bob, release.Reason("MARKERHIST"))
	require.NoError(t, err)
	healthy, err := e.Create(ctx, spec("healthy"))
	require.NoError(t, err)
	require.NoError(t, s.Book(ctx, booking("MARKERBOOK", "prod", t0, t0.Add(time.Hour), "svc")))
	require.NoError(t, s.Close())

	// A quote in the middle of the name ends the JSON string early: not JSON any more.
	corruptFile(t, path, "MARKERREL", `MARK"RREL`)
	// One letter of the reason: still JSON, but the row's checksum no longer matches
	// (nor would the entry's hash; the outbox row carrying the same entry is damaged
	// too).
	corruptFile(t, path, "MARKERHIST", "MARKERHIZT")
	// The booking's ID inside its JSON row (the quotes keep the keys untouched).
	corruptFile(t, path, `"MARKERBOOK"`, `"MARKER"OOK"`)

	s2, err := bolt.Open(path)
	require.NoError(t, err)
	defer s2.Close()

	_, err = s2.Get(ctx, relCorrupt.ID)
	require.ErrorIs(t, err, release.ErrCorrupt)
	var ce *release.CorruptError
	require.ErrorAs(t, err, &ce)
	assert.Contains(t, err.Error(), relCorrupt.ID.String(), "the error names the key")
	assert.Contains(t, err.Error(), "releases")

	_, err = s2.List(ctx, release.Filter{})
	require.ErrorIs(t, err, release.ErrCorrupt, "List meets the corrupt row")
	assert.Contains(t, err.Error(), relCorrupt.ID.String())

	_, err = s2.History(ctx, histCorrupt.ID)
	require.ErrorIs(t, err, release.ErrCorrupt)
	assert.Contains(t, err.Error(), histCorrupt.ID.String())
	assert.Contains(t, err.Error(), "key 0000000000000002", "names the sequence key")
	assert.Contains(t, err.Error(), "do not match their checksum")

	_, err = s2.Get(ctx, histCorrupt.ID)
	require.NoError(t, err, "the release row of the history victim is intact")
	_, err = s2.History(ctx, healthy.ID)
	require.NoError(t, err, "an untouched history still reads")
	got, err := s2.Get(ctx, healthy.ID)
	require.NoError(t, err)
	assert.Equal(t, healthy.Head, got.Head)

	_, err = s2.Bookings(ctx, "prod", t0.Add(-time.Hour), t0.Add(2*time.Hour))
	require.ErrorIs(t, err, release.ErrCorrupt)

	_, err = s2.Pending(ctx)
	require.ErrorIs(t, err, release.ErrCorrupt, "the outbox row carries the corrupted entry")

	err = s2.Check(ctx)
	require.ErrorIs(t, err, release.ErrCorrupt)
	assert.Contains(t, err.Error(), relCorrupt.ID.String())
	assert.Contains(t, err.Error(), histCorrupt.ID.String())
}

// Check finds a truncated history: the release's head names an entry that is gone.
func TestCheckFindsTamperedHistory(t *testing.T) {
	ctx := context.Background()
	s, path := openTemp(t)
	e := newEngine(t, s)
	r, err := e.Create(ctx, spec("checkout"))
	require.NoError(t, err)
	_, err = e.Fire(ctx, r.ID, release.EventPlan, bob, release.Reason("MARKERPLAN"))
	require.NoError(t, err)
	require.NoError(t, s.Check(ctx), "a fresh file checks clean")
	require.NoError(t, s.Close())
	// Change the plan entry's reason and fix nothing else: the hash breaks.
	corruptFile(t, path, "MARKERPLAN", "MARKERPLAM")
	s2, err := bolt.Open(path)
	require.NoError(t, err)
	defer s2.Close()
	err = s2.Check(ctx)
	require.Error(t, err)
	assert.ErrorIs(t, err, release.ErrCorrupt)
}
