package memory

import (
	"context"
	"fmt"

	"github.com/releasekit/releasekit/release"
)

var _ release.KeyStore = (*Store)(nil)

// CreateKeyed implements [release.KeyStore]: Create and the key under one lock.
func (s *Store) CreateKeyed(ctx context.Context, r release.Release, first release.AuditEntry, k release.KeyRecord) error {
	return s.create(ctx, r, first, &k)
}

// UpdateKeyed implements [release.KeyStore]: Update and the key under one lock.
func (s *Store) UpdateKeyed(ctx context.Context, expected int64, r release.Release, e release.AuditEntry, k release.KeyRecord) error {
	return s.update(ctx, expected, r, e, &k, nil)
}

// LookupKey implements [release.KeyStore].
func (s *Store) LookupKey(ctx context.Context, key string) (release.KeyRecord, error) {
	if err := ctx.Err(); err != nil {
		return release.KeyRecord{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	k, ok := s.keys[key]
	if !ok {
		return release.KeyRecord{}, release.ErrNotFound
	}
	k.Result = k.Result.Clone()
	return k, nil
}

// keyFree returns ErrAlreadyExists when k is stored; s.mu is held.
func (s *Store) keyFree(k *release.KeyRecord) error {
	if k == nil {
		return nil
	}
	if _, ok := s.keys[k.Key]; ok {
		return fmt.Errorf("memory: idempotency key %q: %w", k.Key, release.ErrAlreadyExists)
	}
	return nil
}

// keep stores k when not nil; s.mu is held.
func (s *Store) keep(k *release.KeyRecord) {
	if k != nil {
		c := *k
		c.Result = k.Result.Clone()
		s.keys[k.Key] = c
	}
}
