package bolt

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"slices"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/releasekit/releasekit/adapters/internal/listplan"
	"github.com/releasekit/releasekit/release"
)

// bucketIndex is the releases' index (schema 3): one key per indexed field value of
// each release, written in the transaction that writes the release row.
//
//	'n' | 'c' | 'e' | 's', then a 4-byte big-endian length and the name, a component
//	name, the environment or the state, then the 16-byte release ID
//	't', then the 12-byte creation time, then the 16-byte release ID
//
// A value longer than maxIndexedValue bytes is indexed by its SHA-256 (length field
// 0xFFFFFFFF, then the 32-byte digest), so that no key outgrows bbolt's limit; List
// checks every candidate against the filter, so two values sharing a digest could
// never mix. The value of every key is its checksum alone (an empty sealed payload).
var (
	bucketIndex = []byte("releases_index")
	tIndex      = table{name: bucketIndex}
)

// createdTag tags the creation-time keys.
const createdTag = 't'

// maxIndexedValue is the longest field value indexed as it is.
const maxIndexedValue = 512

const hashedLen = 0xFFFFFFFF

// valuePrefix is the key prefix of field f's value v: every key of a release that
// carries it starts with it, followed by the release ID.
func valuePrefix(f listplan.Field, v string) []byte {
	b := make([]byte, 0, 1+4+min(len(v), maxIndexedValue)+16)
	b = append(b, byte(f))
	if len(v) > maxIndexedValue {
		sum := sha256.Sum256([]byte(v))
		b = binary.BigEndian.AppendUint32(b, hashedLen)
		return append(b, sum[:]...)
	}
	b = binary.BigEndian.AppendUint32(b, uint32(len(v)))
	return append(b, v...)
}

// indexKeys returns every index key of r.
func indexKeys(r release.Release) [][]byte {
	keys := [][]byte{
		append(valuePrefix(listplan.Name, r.Name), r.ID[:]...),
		append(valuePrefix(listplan.Environment, r.Environment), r.ID[:]...),
		append(valuePrefix(listplan.State, string(r.State)), r.ID[:]...),
		append(appendTime([]byte{createdTag}, r.CreatedAt), r.ID[:]...),
	}
	for _, c := range r.Components {
		k := append(valuePrefix(listplan.Component, c.Name), r.ID[:]...)
		if !slices.ContainsFunc(keys, func(o []byte) bool { return bytes.Equal(o, k) }) {
			keys = append(keys, k)
		}
	}
	return keys
}

// reindex replaces old's index keys (none when old is nil) with r's, in tx: it
// deletes the keys r no longer has and puts the ones it gains, so an update that
// changes only the state rewrites two keys.
func reindex(tx *bbolt.Tx, old *release.Release, r release.Release) error {
	var oldKeys [][]byte
	if old != nil {
		oldKeys = indexKeys(*old)
	}
	return reindexKeys(tx, oldKeys, indexKeys(r))
}

// reindexKeys replaces the index keys oldKeys with newKeys in tx, deleting and
// putting only the keys that differ.
func reindexKeys(tx *bbolt.Tx, oldKeys, newKeys [][]byte) error {
	b := tx.Bucket(bucketIndex)
	has := func(keys [][]byte, k []byte) bool {
		return slices.ContainsFunc(keys, func(o []byte) bool { return bytes.Equal(o, k) })
	}
	for _, k := range oldKeys {
		if !has(newKeys, k) {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
	}
	for _, k := range newKeys {
		if !has(oldKeys, k) {
			if err := tIndex.put(b, k, nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// indexes reads the index in one read transaction for listplan.
type indexes struct{ tx *bbolt.Tx }

func (x indexes) Values(f listplan.Field, v string) listplan.Stream {
	return &keyStream{c: x.tx.Bucket(bucketIndex).Cursor(), prefix: valuePrefix(f, v), t: tIndex}
}

func (x indexes) All() listplan.Stream {
	return &keyStream{c: x.tx.Bucket(bucketReleases).Cursor(), rows: true, t: tReleases}
}

func (x indexes) Created(from, to time.Time) (listplan.Stream, error) {
	c := x.tx.Bucket(bucketIndex).Cursor()
	lo := []byte{createdTag}
	if !from.IsZero() {
		lo = appendTime(lo, from)
	}
	var hi []byte
	if !to.IsZero() {
		hi = appendTime([]byte{createdTag}, to)
	}
	var ids []release.ID
	for k, v := c.Seek(lo); k != nil && k[0] == createdTag; k, v = c.Next() {
		if hi != nil && bytes.Compare(k, hi) >= 0 {
			break
		}
		if _, err := tIndex.open(k, v); err != nil {
			return nil, err
		}
		if len(k) != 1+timeKeyLen+16 {
			return nil, tIndex.damaged(k, "a creation-time key is not 29 bytes long")
		}
		ids = append(ids, release.ID(k[1+timeKeyLen:]))
	}
	return listplan.Sorted(listplan.SortIDs(ids)), nil
}

// keyStream is a listplan.Stream over the keys of a bucket that start with prefix
// and end with a release ID: the index's keys of one field value, or (rows) the
// releases bucket's own keys, whose values are checked when the row is read.
type keyStream struct {
	c      *bbolt.Cursor
	prefix []byte
	rows   bool
	t      table
	cur    []byte // the key the cursor is at, nil before the first seek
	done   bool
}

func (s *keyStream) Seek(target release.ID) (release.ID, bool, error) {
	if s.done {
		return release.ID{}, false, nil
	}
	if s.cur != nil {
		if bytes.Compare(s.cur[len(s.prefix):], target[:]) >= 0 {
			return release.ID(s.cur[len(s.prefix):]), true, nil
		}
		// Walks move one key at a time; a seek from the root handles the jumps.
		k, v := s.c.Next()
		if ok, err := s.at(k, v); err != nil || !ok {
			return release.ID{}, false, err
		}
		if bytes.Compare(s.cur[len(s.prefix):], target[:]) >= 0 {
			return release.ID(s.cur[len(s.prefix):]), true, nil
		}
	}
	k, v := s.c.Seek(append(slices.Clip(s.prefix), target[:]...))
	if ok, err := s.at(k, v); err != nil || !ok {
		return release.ID{}, false, err
	}
	return release.ID(s.cur[len(s.prefix):]), true, nil
}

// at moves the stream to key k (value v): false at the end of its keys.
func (s *keyStream) at(k, v []byte) (bool, error) {
	if k == nil || !bytes.HasPrefix(k, s.prefix) {
		s.done = true
		return false, nil
	}
	if len(k) != len(s.prefix)+16 {
		return false, s.t.damaged(k, fmt.Sprintf("the key is %d bytes long, want %d (the field value and a release ID)", len(k), len(s.prefix)+16))
	}
	if !s.rows {
		if _, err := s.t.open(k, v); err != nil {
			return false, err
		}
	}
	s.cur = k
	return true, nil
}

// buildIndex writes the index of every release in the file (the upgrade to schema
// 3). A release row that does not read stops it with that error.
func buildIndex(tx *bbolt.Tx) error {
	return tx.Bucket(bucketReleases).ForEach(func(k, v []byte) error {
		payload, err := tReleases.open(k, v)
		if err != nil {
			return err
		}
		r, err := decodeRelease(k, payload)
		if err != nil {
			return err
		}
		return reindex(tx, nil, r)
	})
}
