package bolt

import (
	"bytes"
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
// differs in its bytes and takes the full path. The history's length is counted on
// every append all the same, so that a deleted entry is still refused.
type known struct {
	row  []byte          // the row's stored value (payload and checksum)
	rel  release.Release // the row decoded (decodeRelease); shared, read only
	keys [][]byte        // rel's index keys (indexKeys), nil when not computed
	// entry is the stored value (payload and checksum) of history entry
	// rel.Revision, nil when the pair was not verified.
	entry []byte
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

// written returns the known of a release about to be written as the stored row
// value row (payload rv) with its last history entry stored as the value entry
// (decoded: last), or nil when the pair does not verify (release.VerifyAppend: the
// next append then checks it in full and refuses it) or the row does not read back.
// It decodes the row as a read would, so a later read or append that finds these
// bytes gets what decoding them gives.
func written(id release.ID, row, rv, entry []byte, last release.AuditEntry) *known {
	rel, err := decodeRelease(id[:], rv)
	if err != nil || release.VerifyAppend(rel, rel.Revision, last) != nil {
		return nil
	}
	return &known{row: row, rel: rel, keys: indexKeys(rel), entry: entry}
}

// remember starts checking, in a goroutine of its own, what a write is about to store
// (see [written]), so that the check runs while the write's transaction commits (a
// lone writer's CPU is otherwise idle during the fsync). Once the write has committed,
// call the function it returns: it waits for the check and remembers the result.
func (s *Store) remember(id release.ID, row, rv, entry []byte, last release.AuditEntry) func() {
	done := make(chan *known, 1)
	go func() { done <- written(id, row, rv, entry, last) }()
	return func() {
		if k := <-done; k != nil {
			s.known.put(k)
		}
	}
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
