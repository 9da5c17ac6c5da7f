package memory

import (
	"context"
	"fmt"

	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/storetest"
)

// Tamper edits a Store behind its methods, for the conformance suite's integrity
// cases.
var Tamper = storetest.Tamper{
	SetRelease: func(_ context.Context, st release.Store, r release.Release) error {
		s := st.(*Store)
		s.mu.Lock()
		defer s.mu.Unlock()
		var old release.Release
		var hist []packedEntry
		if rec := s.record(r.ID); rec != nil {
			old, hist = rec.view(), rec.hist
		}
		s.put(newRecord(r, hist))
		s.reindex(&old, r)
		return nil
	},
	SetEntry: func(_ context.Context, st release.Store, e release.AuditEntry) error {
		s := st.(*Store)
		s.mu.Lock()
		defer s.mu.Unlock()
		rec := s.record(e.ReleaseID)
		if rec == nil || e.Sequence < 1 || e.Sequence > int64(len(rec.hist)) {
			return fmt.Errorf("no entry %d", e.Sequence)
		}
		rec.hist[e.Sequence-1] = packEntry(e.Clone()) // as an attacker writes it: unchecked
		return nil
	},
	DeleteEntry: func(_ context.Context, st release.Store, id release.ID, seq int64) error {
		s := st.(*Store)
		s.mu.Lock()
		defer s.mu.Unlock()
		rec := s.record(id)
		if rec == nil || seq < 1 || seq > int64(len(rec.hist)) {
			return fmt.Errorf("no entry %d", seq)
		}
		rec.hist = append(rec.hist[:seq-1:seq-1], rec.hist[seq:]...)
		return nil
	},
}
