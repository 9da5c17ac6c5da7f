// Package lockdownrow holds what the stores share about the lockdown history they
// keep (release.LockdownStore): the strict decoding of a stored entry and the errors
// of an append or a fenced update that finds the history moved. It is shared by
// adapters/memory, adapters/bolt and adapters/postgres and is not part of the public
// API.
package lockdownrow

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/releasekit/releasekit/release"
)

// Decode decodes the stored entry raw, kept under sequence seq. Unknown fields are
// refused (a row written by a newer version, or edited, is not read as less than
// it says), and so is an entry of another sequence. The error says what is wrong,
// for the store to wrap in its own *release.CorruptError.
func Decode(raw []byte, seq int64) (release.LockdownEntry, error) {
	var e release.LockdownEntry
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return release.LockdownEntry{}, fmt.Errorf("it does not decode: %w", err)
	}
	if e.Sequence != seq {
		return release.LockdownEntry{}, fmt.Errorf("it holds entry %d under sequence %d", e.Sequence, seq)
	}
	return e, nil
}

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
