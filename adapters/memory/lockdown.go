package memory

import (
	"context"

	"github.com/releasekit/releasekit/adapters/internal/lockdownrow"
	"github.com/releasekit/releasekit/release"
)

var _ release.LockdownStore = (*Store)(nil)

// AppendLockdown implements [release.LockdownStore].
func (s *Store) AppendLockdown(ctx context.Context, e release.LockdownEntry) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if n := int64(len(s.lockdowns)); e.Sequence != n+1 {
		return lockdownrow.NotNext(e.Sequence, n)
	}
	s.lockdowns = append(s.lockdowns, e.Clone())
	return nil
}

// LockdownHistory implements [release.LockdownStore].
func (s *Store) LockdownHistory(ctx context.Context) ([]release.LockdownEntry, error) {
	return s.LockdownHistoryFrom(ctx, 1)
}

// LockdownHistoryFrom implements [release.LockdownStore]: it copies out the entries
// from sequence from on.
func (s *Store) LockdownHistoryFrom(ctx context.Context, from int64) ([]release.LockdownEntry, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	tail := s.lockdowns[min(max(from, 1)-1, int64(len(s.lockdowns))):]
	out := make([]release.LockdownEntry, len(tail))
	for i, e := range tail {
		out[i] = e.Clone()
	}
	return out, nil
}

// UpdateFenced implements [release.LockdownStore]: the fence is checked under the
// lock that every Update and AppendLockdown take.
func (s *Store) UpdateFenced(ctx context.Context, expected int64, r release.Release, e release.AuditEntry, k *release.KeyRecord, fence int64) error {
	return s.update(ctx, expected, r, e, k, func() error {
		if n := int64(len(s.lockdowns)); n != fence {
			return lockdownrow.FenceMoved(n, fence)
		}
		return nil
	})
}
