// Package lockdownrow holds what the stores share about the lockdown history they
// keep (release.LockdownStore): the errors of an append or a fenced update that
// finds the history moved. It is shared by
// adapters/memory, adapters/bolt and adapters/postgres and is not part of the public
// API.
package lockdownrow

import (
	"fmt"

	"github.com/releasekit/releasekit/release"
)

// NotNext is the error of an append of entry seq to a history of n entries (any
// but seq-1): another append came first. It matches release.ErrStale.
func NotNext(seq, n int64) error {
	return fmt.Errorf("%w: lockdown entry %d, but the lockdown history holds %d entries", release.ErrStale, seq, n)
}

// FenceMoved is the error of an update fenced on a lockdown history of fence
// entries when it holds n: the start was decided on another history and is decided
// again. It matches release.ErrStale.
func FenceMoved(n, fence int64) error {
	return fmt.Errorf("%w: the lockdown history holds %d entries, not %d: decide again", release.ErrStale, n, fence)
}
