package postgres

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/releasekit/releasekit/release"
)

// ClaimNotifications implements [release.Outbox]. One statement selects the due,
// unleased rows with FOR UPDATE SKIP LOCKED (so concurrent claimers in any number of
// replicas pass over each other's rows instead of waiting) and marks them leased
// until now+lease, counting the attempt. Rows are returned oldest due first. Times
// are kept to the microsecond. A row that does not decode is reported as a
// *[release.CorruptError] (ErrCorrupt) returned together with the rows that did
// decode, so one bad row does not hold up the others; it stays leased and is offered
// again when its lease ends.
func (s *Store) ClaimNotifications(ctx context.Context, now time.Time, minAge, lease time.Duration, limit int) ([]release.PendingNotification, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if limit <= 0 || lease <= 0 || minAge < 0 {
		return nil, fmt.Errorf("%w: claim notifications: limit %d and lease %v must be positive, min age %v not negative", release.ErrInvalid, limit, lease, minAge)
	}
	type claimed struct {
		key, lastErr string
		doc, raw     []byte
		due          time.Time
		attempts     int
	}
	var got []claimed
	err := s.retry(ctx, "claim notifications", func(ctx context.Context) error {
		got = got[:0]
		rows, err := s.pool.Query(ctx, s.q.claim, now.Add(-minAge), now, limit, now.Add(lease))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var c claimed
			if err := rows.Scan(&c.key, &c.doc, &c.raw, &c.due, &c.attempts, &c.lastErr); err != nil {
				return err
			}
			got = append(got, c)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, failOrContention(ctx, "claim notifications", err)
	}
	out := []release.PendingNotification{}
	var bad error
	for _, c := range got {
		n, err := decodeNotification(c.key, c.doc, c.raw)
		if err != nil {
			bad = errors.Join(bad, err)
			continue
		}
		out = append(out, release.PendingNotification{Notification: n, Attempts: c.attempts, Due: c.due.UTC(), LastError: c.lastErr})
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Due.Equal(out[j].Due) {
			return out[i].Due.Before(out[j].Due)
		}
		return out[i].Notification.Key() < out[j].Notification.Key()
	})
	return out, bad
}

func decodeNotification(key string, doc, raw []byte) (release.Notification, error) {
	e, err := release.DecodeEntry(raw)
	if err != nil {
		var ce *release.CorruptError
		if errors.As(err, &ce) {
			ce.What = "outbox notification " + key
		}
		return release.Notification{}, err
	}
	r, err := decodeRelease(e.ReleaseID, doc)
	if err != nil {
		return release.Notification{}, &release.CorruptError{What: "outbox notification " + key, Reason: err.Error()}
	}
	n := release.Notification{Release: r, Entry: e}
	if n.Key() != key {
		return release.Notification{}, &release.CorruptError{What: "outbox notification " + key, Reason: "the row holds notification " + n.Key()}
	}
	return n, nil
}

// AckNotification implements [release.Outbox]: it deletes the row. Unknown keys
// return nil.
func (s *Store) AckNotification(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	op := "acknowledge notification " + key
	if err := s.retry(ctx, op, func(ctx context.Context) error { _, err := s.pool.Exec(ctx, s.q.ack, key); return err }); err != nil {
		return failOrContention(ctx, op, err)
	}
	return nil
}

// RetryNotification implements [release.Outbox]: it ends the lease, makes the row due
// at due and records lastErr. Unknown keys return nil.
func (s *Store) RetryNotification(ctx context.Context, key string, due time.Time, lastErr string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	op := "retry notification " + key
	if err := s.retry(ctx, op, func(ctx context.Context) error { _, err := s.pool.Exec(ctx, s.q.retry, key, due, lastErr); return err }); err != nil {
		return failOrContention(ctx, op, err)
	}
	return nil
}
