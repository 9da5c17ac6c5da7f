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
		old := s.releases[r.ID]
		s.reindex(&old, r)
		s.releases[r.ID] = r.Clone()
		return nil
	},
	SetEntry: func(_ context.Context, st release.Store, e release.AuditEntry) error {
		s := st.(*Store)
		s.mu.Lock()
		defer s.mu.Unlock()
		h := s.history[e.ReleaseID]
		if e.Sequence < 1 || e.Sequence > int64(len(h)) {
			return fmt.Errorf("no entry %d", e.Sequence)
		}
		h[e.Sequence-1] = e.Clone()
		return nil
	},
	DeleteEntry: func(_ context.Context, st release.Store, id release.ID, seq int64) error {
		s := st.(*Store)
		s.mu.Lock()
		defer s.mu.Unlock()
		h := s.history[id]
		if seq < 1 || seq > int64(len(h)) {
			return fmt.Errorf("no entry %d", seq)
		}
		s.history[id] = append(h[:seq-1:seq-1], h[seq:]...)
		return nil
	},
}
