package bolt_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/storetest"
)

// TestLinearizable checks with porcupine that concurrent engines' histories on a bolt
// file (without fsync, for speed: durability is TestCrash's business) are
// linearizable, group commit included (RELEASEKIT_LIN_ROUNDS raises the rounds).
func TestLinearizable(t *testing.T) {
	rep := storetest.Linearizable(t, func(t *testing.T) release.Store {
		s, _ := openTemp(t)
		return s
	}, storetest.LinearizableOptions{})
	require.Positive(t, rep.Commits, "no transition committed")
	require.Positive(t, rep.Conflicts, "no conflict: the clients never raced")
}
