package memory_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/storetest"
)

// TestLinearizable checks with porcupine that concurrent engines' histories on the
// memory store are linearizable (RELEASEKIT_LIN_ROUNDS raises the rounds).
func TestLinearizable(t *testing.T) {
	rep := storetest.Linearizable(t, func(*testing.T) release.Store { return memory.New() }, storetest.LinearizableOptions{})
	require.Positive(t, rep.Commits, "no transition committed")
	require.Positive(t, rep.Conflicts, "no conflict: the clients never raced")
}
