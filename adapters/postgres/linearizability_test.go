package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/adapters/postgres"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/faultstore"
	"github.com/releasekit/releasekit/release/storetest"
)

// TestLinearizable checks with porcupine that 64 concurrent clients' histories on one
// PostgreSQL store (a pool of 16 connections, a fresh schema) are linearizable:
// compare-and-swap on the revision holds under real transactions
// (RELEASEKIT_LIN_ROUNDS raises the rounds).
func TestLinearizable(t *testing.T) {
	d := dsn(t)
	rep := storetest.Linearizable(t, func(t *testing.T) release.Store {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		s, err := postgres.Open(ctx, d+poolParam(d, 16), postgres.WithSchema(freshSchema(t)))
		require.NoError(t, err)
		t.Cleanup(s.Close)
		return s
	}, storetest.LinearizableOptions{})
	require.Positive(t, rep.Commits, "no transition committed")
	require.Positive(t, rep.Conflicts, "no conflict: the clients never raced")
}

// TestLinearizableUnderFaults runs the same check through faultstore: Updates fail
// before and after their commit and Gets fail, on real transactions; failed calls
// count as "may or may not have happened", and every outcome must still be explained.
func TestLinearizableUnderFaults(t *testing.T) {
	d := dsn(t)
	rep := storetest.Linearizable(t, func(t *testing.T) release.Store {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		s, err := postgres.Open(ctx, d+poolParam(d, 16), postgres.WithSchema(freshSchema(t)))
		require.NoError(t, err)
		t.Cleanup(s.Close)
		fs, err := faultstore.New(s, faultstore.WithSeed(uint64(time.Now().UnixNano())), faultstore.WithFaults(
			faultstore.Fault{Op: faultstore.OpUpdate, Probability: 0.05},
			faultstore.Fault{Op: faultstore.OpUpdate, Phase: faultstore.After, Probability: 0.05},
			faultstore.Fault{Op: faultstore.OpGet, Probability: 0.03},
		))
		require.NoError(t, err)
		return fs
	}, storetest.LinearizableOptions{Ambiguous: true})
	require.Positive(t, rep.Ambiguous, "no fault struck")
}
