package bolt

import (
	"bytes"
	"context"
	"fmt"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/releasekit/releasekit/adapters/internal/entrycodec"
	"github.com/releasekit/releasekit/adapters/internal/listplan"
	"github.com/releasekit/releasekit/release"
)

// Create implements [release.Store]. In one read-write transaction it stores r, its
// index keys, the first history entry, and nothing else; ErrAlreadyExists when r.ID
// is stored. It refuses (release.ErrInvalid, nothing stored) a release or entry it
// could not read back: a zero ID, a revision other than 1, an entry of another
// release or with another sequence than 1, an entry whose hash does not match its
// content.
func (s *Store) Create(ctx context.Context, r release.Release, first release.AuditEntry) error {
	return s.create(ctx, r, first, nil)
}

// create is Create that also stores k, when not nil, in the same transaction.
func (s *Store) create(ctx context.Context, r release.Release, first release.AuditEntry, k *release.KeyRecord) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if r.ID.IsZero() {
		return fmt.Errorf("%w: bolt: create: the release ID is zero", release.ErrInvalid)
	}
	if r.Revision != 1 || first.Sequence != 1 || first.ReleaseID != r.ID || r.Head != first.Hash {
		return fmt.Errorf("%w: bolt: create %s: want revision 1 with entry 1 of the same release as its head, got revision %d with entry %d of release %s", release.ErrInvalid, r.ID, r.Revision, first.Sequence, first.ReleaseID)
	}
	rv, err := release.EncodeRelease(r)
	if err != nil {
		return err
	}
	ev, decoded, err := entrycodec.Encode("bolt", first)
	if err != nil {
		return err
	}
	kv, err := encodeKey(k)
	if err != nil {
		return err
	}
	// Seal the values and read the row back outside the transaction, so that
	// concurrent writers do it in parallel.
	id := r.ID[:]
	row, entry := tReleases.seal(id, rv), historyTable(id).seal(seqKey(1), ev)
	known, err := written(r.ID, row, rv, entry, decoded)
	if err != nil {
		return err
	}
	keys := known.keys
	err = s.update(ctx, func(tx *bbolt.Tx) error {
		rel := tx.Bucket(bucketReleases)
		if rel.Get(id) != nil {
			return refuse(release.ErrAlreadyExists)
		}
		if err := putKey(tx, k, kv); err != nil {
			return err
		}
		hist := tx.Bucket(bucketHistory)
		if hist.Bucket(id) != nil {
			return refuse(&release.CorruptError{What: fmt.Sprintf("history of release %s (bucket %s)", r.ID, bucketHistory), Reason: "a history exists without its release row; restore the file from a backup"})
		}
		if err := rel.Put(id, row); err != nil {
			return err
		}
		if err := reindexKeys(tx, nil, keys); err != nil {
			return err
		}
		hb, err := hist.CreateBucket(id)
		if err != nil {
			return err
		}
		known.epoch = s.epoch.Load()
		return hb.Put(seqKey(1), entry)
	})
	if err == nil {
		s.known.put(known)
	}
	return err
}

// Get implements [release.Store]: one read transaction. A row that is byte for byte
// the one this store last wrote or read is not decoded again.
func (s *Store) Get(ctx context.Context, id release.ID) (release.Release, error) {
	var r release.Release
	var next *known
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		var err error
		r, next, err = readRow(tx.Bucket(bucketReleases), id, s.known.get(id))
		return err
	})
	if err != nil {
		return release.Release{}, err
	}
	if next != nil {
		s.known.put(next)
	}
	return r, nil
}

// List implements [release.Store] from the releases' index, in one read transaction
// that does not block writers. The fields f sets choose the index keys it walks from
// f.After (see listplan): one field value's keys, the intersection of several (each
// seeks past the others, so the shortest decides the cost), the union of f.States, or
// the creation-time keys in range when it sets none of those; only a filter on none
// of them walks the releases themselves. Each candidate's row is read and checked
// against f, until f.Limit match: O(log n) per candidate, independent of the number
// of releases the filter excludes.
func (s *Store) List(ctx context.Context, f release.Filter) ([]release.Release, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	out := []release.Release{}
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		plan, err := listplan.Plan(f, indexes{tx})
		if err != nil {
			return err
		}
		rel := tx.Bucket(bucketReleases)
		return listplan.Walk(plan, f.After, func(id release.ID) (bool, error) {
			if err := ctx.Err(); err != nil {
				return false, err
			}
			payload, err := tReleases.get(rel, id[:])
			if err != nil {
				return false, err
			}
			if payload == nil {
				return false, &release.CorruptError{What: fmt.Sprintf("index of bucket %s", bucketIndex),
					Reason: fmt.Sprintf("it lists release %s, which is not stored; run Check, and restore the file from a backup", id)}
			}
			r, err := decodeRelease(id[:], payload)
			if err != nil {
				return false, err
			}
			if f.Match(r) {
				out = append(out, r)
			}
			return f.Limit == 0 || len(out) < f.Limit, nil
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Update implements [release.Store]. In one read-write transaction it checks the
// stored revision (a *release.ConflictError when it is not expected), replaces the
// release and the index keys that changed with it, appends e to the history and
// inserts the pending notification into the outbox: all of it or nothing. It never overwrites a history entry. Beyond the
// contract it refuses (release.ErrInvalid, nothing stored) what would break the
// history: r.Revision other than expected+1, e.Sequence other than r.Revision, an
// entry of another release, one that does not chain to the stored head or does not
// start from the stored state, a release whose head is not e's hash, or a release or
// entry it could not read back. It refuses
// (a *release.HistoryError, nothing stored) to append to a history that does not end
// at the stored head: entries missing, or a last entry that is not the head or does
// not verify (release.VerifyAppend).
func (s *Store) Update(ctx context.Context, expected int64, r release.Release, e release.AuditEntry) error {
	return s.updateRelease(ctx, expected, r, e, nil, nil)
}

// updateRelease is Update that also stores k, when not nil, in the same transaction,
// and, when fence is not nil, first checks that the lockdown history holds *fence
// entries.
func (s *Store) updateRelease(ctx context.Context, expected int64, r release.Release, e release.AuditEntry, k *release.KeyRecord, fence *int64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	// Encode, check and seal outside the transaction, so that concurrent writers do
	// this work in parallel; an entry's problem is reported after the revision check,
	// so a stale writer learns about the conflict first.
	rv, err := release.EncodeRelease(r)
	if err != nil {
		return err
	}
	ev, decoded, evErr := entrycodec.Encode("bolt", e)
	var ov []byte
	if evErr == nil {
		if ov, err = encodeOutboxRow(rv, ev, e.Time); err != nil {
			return err
		}
	}
	kv, err := encodeKey(k)
	if err != nil {
		return err
	}
	key := []byte(release.Notification{Entry: e}.Key())
	id, sk := r.ID[:], seqKey(e.Sequence)
	row := tReleases.seal(id, rv)
	var entry, outbox []byte
	var next *known
	if evErr == nil {
		entry, outbox = historyTable(id).seal(sk, ev), tOutbox.seal(key, ov)
		next, evErr = written(r.ID, row, rv, entry, decoded)
	}
	dk := dueKey(e.Time, string(key))
	due := tOutboxDue.seal(dk, leaseValue(time.Time{}))
	prev := s.known.get(r.ID)
	err = s.update(ctx, func(tx *bbolt.Tx) error {
		rel := tx.Bucket(bucketReleases)
		cv := rel.Get(id)
		if cv == nil {
			return refuse(release.ErrNotFound)
		}
		// The stored row and last entry are the ones this store wrote or read last
		// (prev), or they are read and checked in full.
		hit := prev != nil && bytes.Equal(cv, prev.row)
		var cur release.Release
		var curKeys [][]byte
		if hit {
			cur, curKeys = prev.rel, prev.keys
		} else {
			payload, err := tReleases.open(id, cv)
			if err != nil {
				return refuse(err)
			}
			if cur, err = decodeRelease(id, payload); err != nil {
				return refuse(err)
			}
		}
		if curKeys == nil {
			curKeys = indexKeys(cur)
		}
		if cur.Revision != expected {
			return refuse(&release.ConflictError{ID: r.ID, Expected: expected, Actual: cur.Revision})
		}
		if err := checkUpdate(cur, r, e); err != nil {
			return refuse(err)
		}
		if evErr != nil {
			return refuse(evErr)
		}
		hb := tx.Bucket(bucketHistory).Bucket(id)
		if hb == nil {
			return refuse(&release.CorruptError{What: fmt.Sprintf("release %s", r.ID), Reason: "its history bucket is missing; restore the file from a backup"})
		}
		var lastEntry []byte
		epoch := s.epoch.Load()
		if hit {
			lastEntry = prev.entry
		}
		if err := checkTail(cur, hb, lastEntry, hit && prev.epoch == epoch); err != nil {
			return refuse(err)
		}
		if fence != nil {
			if err := checkFence(tx, *fence); err != nil {
				return err
			}
		}
		if hb.Get(sk) != nil {
			return refuse(&release.CorruptError{What: fmt.Sprintf("history of release %s", r.ID), Reason: fmt.Sprintf("entry %d already exists although the release is at revision %d; refusing to overwrite history", e.Sequence, cur.Revision)})
		}
		if err := putKey(tx, k, kv); err != nil {
			return err
		}
		if err := rel.Put(id, row); err != nil {
			return err
		}
		if err := reindexKeys(tx, curKeys, next.keys); err != nil {
			return err
		}
		if err := hb.Put(sk, entry); err != nil {
			return err
		}
		next.epoch = epoch
		if err := tx.Bucket(bucketOutbox).Put(key, outbox); err != nil {
			return err
		}
		return tx.Bucket(bucketOutboxDue).Put(dk, due)
	})
	if err == nil {
		s.known.put(next)
	}
	return err
}

func checkUpdate(cur, r release.Release, e release.AuditEntry) error {
	var p []string
	if r.Revision != cur.Revision+1 {
		p = append(p, fmt.Sprintf("new revision %d is not %d", r.Revision, cur.Revision+1))
	}
	if e.Sequence != r.Revision {
		p = append(p, fmt.Sprintf("entry sequence %d is not the new revision %d", e.Sequence, r.Revision))
	}
	if e.ReleaseID != r.ID {
		p = append(p, fmt.Sprintf("the entry belongs to release %s", e.ReleaseID))
	}
	if e.PrevHash != cur.Head {
		p = append(p, "the entry does not chain to the stored head")
	}
	if e.From != cur.State {
		p = append(p, fmt.Sprintf("the entry starts from %s but the release is %s", e.From, cur.State))
	}
	if r.State != e.To || r.Head != e.Hash {
		p = append(p, "the release's state and head are not the entry's")
	}
	if len(p) == 0 {
		return nil
	}
	return &release.ValidationError{What: fmt.Sprintf("update of release %s (nothing was stored)", r.ID), Problems: p}
}

// History implements [release.Store]: one read transaction over the release's history
// bucket, in key (= sequence) order. Every entry is checked by release.DecodeEntry; a
// bad one is a *release.CorruptError naming the release and the key.
func (s *Store) History(ctx context.Context, id release.ID) ([]release.AuditEntry, error) {
	var out []release.AuditEntry
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		if tx.Bucket(bucketReleases).Get(id[:]) == nil && tx.Bucket(bucketHistory).Bucket(id[:]) == nil {
			return release.ErrNotFound
		}
		var err error
		out, err = s.historyIn(tx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
