package release_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/releasetest"
)

// A start on a store that keeps lockdowns commits fenced on the lockdown history;
// with an idempotency key, the key still holds the release the start returned, so a
// retry returns it (and a store that decodes key records finds a whole record).
func TestKeyedStartOnLockdownStoreKeepsItsResult(t *testing.T) {
	ctx := context.Background()
	store := memory.New()
	eng, err := release.New(store, release.WithClock(releasetest.NewClock(monday, 0)))
	require.NoError(t, err)
	r := approvedIn(t, eng, "checkout", "prod", release.ClassNormal)
	first, err := eng.Fire(ctx, r.ID, release.EventStart, bot, release.IdempotencyKey("start-1"))
	require.NoError(t, err)
	k, err := store.LookupKey(ctx, "start-1")
	require.NoError(t, err)
	require.Equal(t, first, k.Result)
	again, err := eng.Fire(ctx, r.ID, release.EventStart, bot, release.IdempotencyKey("start-1"))
	require.NoError(t, err)
	require.Equal(t, first, again)
}
