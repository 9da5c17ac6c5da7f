package memory

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/releasekit/releasekit/release"
)

var _ release.Outbox = (*Store)(nil)

// outboxRow is a pending notification: the release as the transition committed it
// (the store's copy, shared), the entry (shared with the history),
// and the delivery state.
type outboxRow struct {
	key         string
	release     *stored
	entry       packedEntry
	attempts    int
	due         time.Time
	lastError   string
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
		if !row.due.After(cutoff) && !row.leasedUntil.After(now) {
			due = append(due, row)
		}
	}
	slices.SortFunc(due, func(a, b *outboxRow) int {
		return cmp.Or(a.due.Compare(b.due), cmp.Compare(a.key, b.key))
	})
	if limit > 0 && len(due) > limit {
		due = due[:limit]
	}
	out := make([]release.PendingNotification, len(due))
	for i, row := range due {
		out[i] = release.PendingNotification{Notification: release.Notification{Release: row.release.release()},
			Attempts: row.attempts + 1, Due: row.due, LastError: row.lastError}
		row.entry.copyTo(&out[i].Notification.Entry)
	}
	for _, row := range due {
		row.leasedUntil = now.Add(lease)
		row.attempts++
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
		row.due = due
		row.lastError = lastErr
		row.leasedUntil = time.Time{}
	}
	return nil
}
