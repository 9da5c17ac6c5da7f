package bolt

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/releasekit/releasekit/release"
)

// putOutbox stores row and its due-index entry.
func putOutbox(tx *bbolt.Tx, row outboxRow) error {
	key := row.Notification.Key()
	b, err := json.Marshal(row)
	if err != nil {
		return fmt.Errorf("%w: bolt: outbox row %s cannot be encoded: %v", release.ErrInvalid, key, err)
	}
	if err := tOutbox.put(tx.Bucket(bucketOutbox), []byte(key), b); err != nil {
		return err
	}
	return tOutboxDue.put(tx.Bucket(bucketOutboxDue), dueKey(row.Due, key), leaseValue(row.LeaseUntil))
}

// leaseValue is the outbox_due value of a row: its lease end, or one zero byte when it
// is not leased, so that claims skip leased rows without decoding them.
func leaseValue(until time.Time) []byte {
	if until.IsZero() {
		return []byte{0}
	}
	return appendTime(nil, until)
}

// ClaimNotifications implements [release.Outbox]. In one read-write transaction (bbolt
// runs one at a time, so two claims never see the same row unleased) it walks the due
// index from the oldest due time up to now-minAge, skips rows leased past now, and
// leases up to limit rows (every due row when limit <= 0) until now+lease, counting the
// attempt. Its cost is the number of due rows it walks over, leased ones included. A
// lease that is not positive would let the next claim take the same rows again; it is
// release.ErrInvalid.
func (s *Store) ClaimNotifications(ctx context.Context, now time.Time, minAge, lease time.Duration, limit int) ([]release.PendingNotification, error) {
	if lease <= 0 {
		return nil, fmt.Errorf("%w: bolt: claim notifications: lease %v is not positive; give the time a dispatcher needs to deliver", release.ErrInvalid, lease)
	}
	if limit <= 0 {
		limit = math.MaxInt
	}
	out := []release.PendingNotification{}
	cutoff := now.Add(-minAge)
	leaseUntil := now.Add(lease)
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		out = out[:0]
		rows := tx.Bucket(bucketOutbox)
		c := tx.Bucket(bucketOutboxDue).Cursor()
		var claimed []outboxRow
		var stale [][]byte
		for k, v := c.First(); k != nil && len(claimed) < limit; k, v = c.Next() {
			due, ok := parseTime(k[:min(len(k), timeKeyLen)])
			if !ok {
				return refuse(&release.CorruptError{What: fmt.Sprintf("outbox due index key %x (bucket %s)", k, bucketOutboxDue), Reason: "it does not start with a time; restore the file from a backup"})
			}
			if due.After(cutoff) {
				break
			}
			v, err := tOutboxDue.open(k, v)
			if err != nil {
				return refuse(err)
			}
			if len(v) != 1 || v[0] != 0 {
				until, ok := parseTime(v)
				if !ok {
					return refuse(&release.CorruptError{What: fmt.Sprintf("outbox due index key %x (bucket %s)", k, bucketOutboxDue), Reason: "its value is not a lease end; restore the file from a backup"})
				}
				if until.After(now) {
					continue // leased by someone else
				}
			}
			key := k[timeKeyLen:]
			rv, err := tOutbox.get(rows, key)
			if err != nil {
				return refuse(err)
			}
			if rv == nil {
				stale = append(stale, append([]byte(nil), k...)) // acknowledged meanwhile
				continue
			}
			row, err := decodeOutboxRow(key, rv)
			if err != nil {
				return refuse(err)
			}
			row.Attempts++
			row.LeaseUntil = leaseUntil
			claimed = append(claimed, row)
		}
		idx := tx.Bucket(bucketOutboxDue)
		for _, k := range stale {
			if err := idx.Delete(k); err != nil {
				return err
			}
		}
		for _, row := range claimed {
			if err := putOutbox(tx, row); err != nil {
				return err
			}
			out = append(out, row.PendingNotification)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// AckNotification implements [release.Outbox]: it deletes the row and its index
// entry; an unknown key is not an error.
func (s *Store) AckNotification(ctx context.Context, key string) error {
	return s.update(ctx, func(tx *bbolt.Tx) error {
		rows := tx.Bucket(bucketOutbox)
		v := rows.Get([]byte(key))
		if v == nil {
			return nil
		}
		// A damaged or corrupt row's index entry, if any, is dropped by the next claim.
		if payload, err := tOutbox.open([]byte(key), v); err == nil {
			if row, err := decodeOutboxRow([]byte(key), payload); err == nil {
				if err := tx.Bucket(bucketOutboxDue).Delete(dueKey(row.Due, key)); err != nil {
					return err
				}
			}
		}
		return rows.Delete([]byte(key))
	})
}

// RetryNotification implements [release.Outbox]: it ends the lease, records lastErr and
// moves the row to due in the index; an unknown key is not an error.
func (s *Store) RetryNotification(ctx context.Context, key string, due time.Time, lastErr string) error {
	return s.update(ctx, func(tx *bbolt.Tx) error {
		v, err := tOutbox.get(tx.Bucket(bucketOutbox), []byte(key))
		if err != nil {
			return refuse(err)
		}
		if v == nil {
			return nil
		}
		row, err := decodeOutboxRow([]byte(key), v)
		if err != nil {
			return refuse(err)
		}
		if err := tx.Bucket(bucketOutboxDue).Delete(dueKey(row.Due, key)); err != nil {
			return err
		}
		row.Due, row.LastError, row.LeaseUntil = due, lastErr, time.Time{}
		return putOutbox(tx, row)
	})
}

// Pending returns every notification in the outbox, leased or not, in key order,
// without claiming any: for operators and tests.
func (s *Store) Pending(ctx context.Context) ([]release.PendingNotification, error) {
	out := []release.PendingNotification{}
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketOutbox).ForEach(func(k, v []byte) error {
			v, err := tOutbox.open(k, v)
			if err != nil {
				return err
			}
			row, err := decodeOutboxRow(k, v)
			if err != nil {
				return err
			}
			out = append(out, row.PendingNotification)
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
