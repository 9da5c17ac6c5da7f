package bolt

import (
	"context"
	"encoding/json"

	bbolt "go.etcd.io/bbolt"

	"github.com/releasekit/releasekit/adapters/internal/listplan"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/storetest"
)

// Decoders of stored rows, exported for the fuzz targets in package bolt_test.
var (
	DecodeRelease    = decodeRelease
	DecodeOutboxRow  = func(key, val []byte) error { _, err := decodeOutboxRow(key, val); return err }
	DecodeBooking    = decodeBooking
	DecodeHistoryRow = decodeHistoryEntry
)

// Tamper edits a Store's file behind its methods (in a transaction of its own), for
// the conformance suite's integrity cases. It recomputes the rows' checksums, as an
// attacker who knows the (public, unkeyed) format would.
var Tamper = storetest.Tamper{
	SetRelease: func(_ context.Context, st release.Store, r release.Release) error {
		b, err := release.EncodeRelease(r)
		if err != nil {
			return err
		}
		return st.(*Store).db.Update(func(tx *bbolt.Tx) error {
			rel := tx.Bucket(bucketReleases)
			if v, err := tReleases.get(rel, r.ID[:]); err == nil && v != nil {
				if old, err := decodeRelease(r.ID[:], v); err == nil {
					if err := reindex(tx, &old, r); err != nil {
						return err
					}
				}
			}
			return tReleases.put(rel, r.ID[:], b)
		})
	},
	SetEntry: func(_ context.Context, st release.Store, e release.AuditEntry) error {
		b, err := release.EncodeEntry(e)
		if err != nil {
			return err
		}
		return st.(*Store).db.Update(func(tx *bbolt.Tx) error {
			return historyTable(e.ReleaseID[:]).put(tx.Bucket(bucketHistory).Bucket(e.ReleaseID[:]), seqKey(e.Sequence), b)
		})
	},
	DeleteEntry: func(_ context.Context, st release.Store, id release.ID, seq int64) error {
		return st.(*Store).db.Update(func(tx *bbolt.Tx) error {
			return tx.Bucket(bucketHistory).Bucket(id[:]).Delete(seqKey(seq))
		})
	},
}

// IndexKey is the key of the releases' index under which release id carries value v
// of the field with tag ('n' name, 'c' component, 'e' environment, 's' state).
func IndexKey(tag byte, v string, id release.ID) []byte {
	return append(valuePrefix(listplan.Field(tag), v), id[:]...)
}

// PutIndexKey writes k (sealed) into the releases' index behind the store's methods;
// DeleteIndexKey removes it.
func PutIndexKey(s *Store, k []byte) error {
	return s.db.Update(func(tx *bbolt.Tx) error { return tIndex.put(tx.Bucket(bucketIndex), k, nil) })
}

func DeleteIndexKey(s *Store, k []byte) error {
	return s.db.Update(func(tx *bbolt.Tx) error { return tx.Bucket(bucketIndex).Delete(k) })
}

// EditLockdown rewrites lockdown entry seq with edit applied, resealed, as someone
// with write access to the file would.
func EditLockdown(s *Store, seq int64, edit func(*release.LockdownEntry)) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketLockdowns)
		e, err := decodeLockdown(seqKey(seq), b.Get(seqKey(seq)))
		if err != nil {
			return err
		}
		edit(&e)
		v, err := json.Marshal(e)
		if err != nil {
			return err
		}
		return tLockdowns.put(b, seqKey(seq), v)
	})
}
