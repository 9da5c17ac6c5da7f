package bolt

import (
	"context"
	"encoding/binary"
	"encoding/json"

	bbolt "go.etcd.io/bbolt"

	"github.com/releasekit/releasekit/adapters/internal/lockdownrow"
	"github.com/releasekit/releasekit/release"
)

// The lockdowns bucket holds the lockdown history: release.LockdownEntry as JSON
// under its sequence (8 bytes big-endian), sealed with its checksum like every other
// row.
var tLockdowns = table{name: bucketLockdowns}

var _ release.LockdownStore = (*Store)(nil)

// lockdownCount is how many entries the lockdown history holds: the sequence of the
// last one (AppendLockdown keeps them dense from 1).
func lockdownCount(tx *bbolt.Tx) int64 {
	k, _ := tx.Bucket(bucketLockdowns).Cursor().Last()
	if len(k) != 8 {
		return 0
	}
	return int64(binary.BigEndian.Uint64(k))
}

// checkFence refuses an update fenced on a lockdown history of fence entries when
// the history holds another number (see release.LockdownStore's UpdateFenced).
func checkFence(tx *bbolt.Tx, fence int64) error {
	if n := lockdownCount(tx); n != fence {
		return refuse(lockdownrow.FenceMoved(n, fence))
	}
	return nil
}

// AppendLockdown implements [release.LockdownStore] in one read-write transaction.
func (s *Store) AppendLockdown(ctx context.Context, e release.LockdownEntry) error {
	v, err := json.Marshal(e)
	if err != nil {
		return &release.CorruptError{What: "lockdown entry", Reason: err.Error()}
	}
	return s.update(ctx, func(tx *bbolt.Tx) error {
		if n := lockdownCount(tx); e.Sequence != n+1 {
			return refuse(lockdownrow.NotNext(e.Sequence, n))
		}
		return tLockdowns.put(tx.Bucket(bucketLockdowns), seqKey(e.Sequence), v)
	})
}

// LockdownHistory implements [release.LockdownStore]: one read transaction, in key
// (= sequence) order. A row that fails its checksum, does not decode or sits under
// another sequence's key is a *release.CorruptError.
func (s *Store) LockdownHistory(ctx context.Context) ([]release.LockdownEntry, error) {
	return s.LockdownHistoryFrom(ctx, 1)
}

// LockdownHistoryFrom implements [release.LockdownStore] as LockdownHistory does,
// seeking the cursor to sequence from: it reads only the rows from there on.
func (s *Store) LockdownHistoryFrom(ctx context.Context, from int64) ([]release.LockdownEntry, error) {
	out := []release.LockdownEntry{}
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		out = out[:0]
		c := tx.Bucket(bucketLockdowns).Cursor()
		for k, v := c.Seek(seqKey(max(from, 1))); k != nil; k, v = c.Next() {
			e, err := decodeLockdown(k, v)
			if err != nil {
				return err
			}
			out = append(out, e)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func decodeLockdown(k, v []byte) (release.LockdownEntry, error) {
	payload, err := tLockdowns.open(k, v)
	if err != nil {
		return release.LockdownEntry{}, err
	}
	if len(k) != 8 {
		return release.LockdownEntry{}, tLockdowns.damaged(k, "its key is not a sequence")
	}
	e, err := lockdownrow.Decode(payload, int64(binary.BigEndian.Uint64(k)))
	if err != nil {
		return release.LockdownEntry{}, tLockdowns.damaged(k, err.Error())
	}
	return e, nil
}

// UpdateFenced implements [release.LockdownStore]: Update (UpdateKeyed with k) that
// counts the lockdown history in the same transaction. bbolt runs one writer at a
// time, so no append can commit between the check and the update.
func (s *Store) UpdateFenced(ctx context.Context, expected int64, r release.Release, e release.AuditEntry, k *release.KeyRecord, fence int64) error {
	return s.updateRelease(ctx, expected, r, e, k, &fence)
}

// checkLockdowns checks every row of the lockdown history and the history as a
// whole (release.VerifyLockdownHistory).
func checkLockdowns(tx *bbolt.Tx, report reporter) error {
	var h []release.LockdownEntry
	err := tx.Bucket(bucketLockdowns).ForEach(func(k, v []byte) error {
		e, err := decodeLockdown(k, v)
		if err != nil {
			return report(err)
		}
		h = append(h, e)
		return nil
	})
	if err != nil {
		return err
	}
	if err := release.VerifyLockdownHistory(h); err != nil {
		return report(err)
	}
	return nil
}
