package bolt

import (
	"bytes"
	"fmt"
	"sync"

	bbolt "go.etcd.io/bbolt"

	"github.com/releasekit/releasekit/release"
)

// known is what the store last wrote (or read) of one release: the exact stored
// value of its row, the row decoded, and, when entry is set, the exact stored value
// of its last history entry, the pair having passed release.VerifyAppend. It is never
// modified once made.
//
// A read or an append that finds the stored values byte for byte equal to a known's
// uses it instead of decoding and verifying them again: the same bytes decode to the
// same release and verify the same way, so the outcome is the one the full check
// gives, only cheaper. Anything else (a row written by another version of the code,
// a row or entry edited behind the store's back, a value this process never saw)
// differs in its bytes and takes the full path. The history's keys are counted
// (so that a deleted entry is refused) unless the known's epoch is the Store's:
// then every write transaction since the history was last counted was the Store's
// own, none of which deletes an entry, and the append looks at the last key only.
type known struct {
	row  []byte          // the row's stored value (payload and checksum)
	rel  release.Release // the row decoded (decodeRelease); shared, read only
	keys [][]byte        // rel's index keys (indexKeys), nil when not computed
	// entry is the stored value (payload and checksum) of history entry
	// rel.Revision, nil when the pair was not verified.
	entry []byte
	// epoch is the Store's epoch (see [Store.own]) of the write transaction that
	// stored entry after checking that the history held rel.Revision-1 entries
	// before it; 0 when none did. Within that epoch only the Store's own writes
	// have changed the file, and they never delete an entry.
	epoch uint64
}

// knownCap bounds how many releases the store remembers: the ones being worked on.
const knownCap = 1024

// knownSet is the store's knowns by release, safe for concurrent use.
type knownSet struct {
	mu sync.Mutex
	m  map[release.ID]*known
}

func (s *knownSet) get(id release.ID) *known {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[id]
}

// put remembers k, forgetting some other release when the set is full.
func (s *knownSet) put(k *known) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = make(map[release.ID]*known)
	}
	if _, ok := s.m[k.rel.ID]; !ok && len(s.m) >= knownCap {
		for id := range s.m {
			delete(s.m, id)
			break
		}
	}
	s.m[k.rel.ID] = k
}

// written returns what the store will know of a release once a write that stores
// the row value row (payload rv) and, as its last history entry, the value entry
// (last: that entry as a read returns it, from entrycodec.Encode) commits. It decodes rv
// once, as a read would, so a later read or append that finds these bytes gets what
// decoding them gives; a row that would not read back is release.ErrInvalid (the
// write must then store nothing: a store never holds a row it cannot return). The
// known keeps entry only when the pair passes release.VerifyAppend (otherwise the
// next append checks the stored pair in full and refuses it). The caller computes it
// before the write's transaction, so that concurrent writers do this work in
// parallel, and remembers it once that transaction has committed.
func written(id release.ID, row, rv, entry []byte, last release.AuditEntry) (*known, error) {
	rel, err := decodeRelease(id[:], rv)
	if err != nil {
		return nil, fmt.Errorf("%w: bolt: release %s would not read back: %v", release.ErrInvalid, id, err)
	}
	k := &known{row: row, rel: rel, keys: indexKeys(rel)}
	if release.VerifyAppend(rel, rel.Revision, last) == nil {
		k.entry = entry
	}
	return k, nil
}

// readRow returns the release stored under id in b: the known's release (cloned)
// when the stored value is k's row, else the row decoded, with the known it makes
// (nil on a hit). A missing row is release.ErrNotFound.
func readRow(b *bbolt.Bucket, id release.ID, k *known) (release.Release, *known, error) {
	v := b.Get(id[:])
	if v == nil {
		return release.Release{}, nil, release.ErrNotFound
	}
	if k != nil && bytes.Equal(v, k.row) {
		return k.rel.Clone(), nil, nil
	}
	payload, err := tReleases.open(id[:], v)
	if err != nil {
		return release.Release{}, nil, err
	}
	r, err := decodeRelease(id[:], payload)
	if err != nil {
		return release.Release{}, nil, err
	}
	return r, &known{row: bytes.Clone(v), rel: r.Clone()}, nil
}
