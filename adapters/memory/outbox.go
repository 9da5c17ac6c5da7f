package memory

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/releasekit/releasekit/release"
)

var _ release.Outbox = (*Store)(nil)

type outboxRow struct {
	pending     release.PendingNotification
	leasedUntil time.Time
}

// ClaimNotifications implements [release.Outbox].
func (s *Store) ClaimNotifications(ctx context.Context, now time.Time, minAge, lease time.Duration, limit int) ([]release.PendingNotification, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cutoff := now.Add(-minAge)
	var due []*outboxRow
	for _, row := range s.outbox {
		if !row.pending.Due.After(cutoff) && !row.leasedUntil.After(now) {
			due = append(due, row)
		}
	}
	slices.SortFunc(due, func(a, b *outboxRow) int {
		return cmp.Or(a.pending.Due.Compare(b.pending.Due), cmp.Compare(a.pending.Notification.Key(), b.pending.Notification.Key()))
	})
	if limit > 0 && len(due) > limit {
		due = due[:limit]
	}
	out := make([]release.PendingNotification, len(due))
	for i, row := range due {
		row.leasedUntil = now.Add(lease)
		row.pending.Attempts++
		out[i] = clonePending(row.pending)
	}
	return out, nil
}

// AckNotification implements [release.Outbox].
func (s *Store) AckNotification(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.outbox, key)
	return nil
}

// RetryNotification implements [release.Outbox].
func (s *Store) RetryNotification(ctx context.Context, key string, due time.Time, lastErr string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if row, ok := s.outbox[key]; ok {
		row.pending.Due = due
		row.pending.LastError = lastErr
		row.leasedUntil = time.Time{}
	}
	return nil
}

func clonePending(p release.PendingNotification) release.PendingNotification {
	p.Notification.Release = p.Notification.Release.Clone()
	p.Notification.Entry = p.Notification.Entry.Clone()
	return p
}
