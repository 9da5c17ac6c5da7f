package bolt

import (
	"context"
	"fmt"

	bbolt "go.etcd.io/bbolt"

	"github.com/releasekit/releasekit/release"
)

// bucketKeys holds the idempotency keys (release.KeyRecord as JSON, by key, sealed
// with its checksum like every other row). Files written before keys existed get the
// bucket when they are next opened.
var (
	bucketKeys = []byte("idempotency_keys")
	tKeys      = table{name: bucketKeys}
)

var _ release.KeyStore = (*Store)(nil)

// upgradeKeys creates the keys bucket in a file that has none.
func upgradeKeys(tx *bbolt.Tx, path string) error {
	if _, err := tx.CreateBucketIfNotExists(bucketKeys); err != nil {
		return fmt.Errorf("bolt: create bucket %s in %s: %w", bucketKeys, path, err)
	}
	return nil
}

// CreateKeyed implements [release.KeyStore]: Create, and k in the same transaction.
func (s *Store) CreateKeyed(ctx context.Context, r release.Release, first release.AuditEntry, k release.KeyRecord) error {
	return s.create(ctx, r, first, &k)
}

// UpdateKeyed implements [release.KeyStore]: Update, and k in the same transaction.
func (s *Store) UpdateKeyed(ctx context.Context, expected int64, r release.Release, e release.AuditEntry, k release.KeyRecord) error {
	return s.updateRelease(ctx, expected, r, e, &k, nil)
}

// LookupKey implements [release.KeyStore]. A stored record that does not decode is
// a *release.CorruptError.
func (s *Store) LookupKey(ctx context.Context, key string) (release.KeyRecord, error) {
	var k release.KeyRecord
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		v, err := tKeys.get(tx.Bucket(bucketKeys), []byte(key))
		switch {
		case err != nil:
			return err
		case v == nil:
			return release.ErrNotFound
		}
		k, err = release.DecodeKeyRecord(v)
		return err
	})
	return k, err
}

func encodeKey(k *release.KeyRecord) ([]byte, error) {
	if k == nil {
		return nil, nil
	}
	return release.EncodeKeyRecord(*k)
}

// putKey stores k (encoded as kv) unless its key is stored, in which case it refuses
// the write with ErrAlreadyExists; nothing when k is nil.
func putKey(tx *bbolt.Tx, k *release.KeyRecord, kv []byte) error {
	if k == nil {
		return nil
	}
	b := tx.Bucket(bucketKeys)
	if b.Get([]byte(k.Key)) != nil {
		return refuse(fmt.Errorf("bolt: idempotency key %q: %w", k.Key, release.ErrAlreadyExists))
	}
	return tKeys.put(b, []byte(k.Key), kv)
}
