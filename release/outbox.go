package release

import (
	"context"
	"time"
)

// Outbox is an optional interface a [Store] implements to make notifications durable:
// a transactional outbox. A store that implements it records, in the same atomic step
// as every successful Update, a pending notification (the committed release and the
// new entry, keyed by [Notification.Key]). A crash between the commit and the
// notification then loses nothing: a [Dispatcher] delivers what is pending, at least
// once, with retries.
//
// With an Outbox store the Engine still notifies right after the commit and
// acknowledges the row when that succeeds; the Dispatcher picks up only what the
// engine could not deliver (rows older than its MinAge).
//
// Contract (release/storetest checks it for stores that implement Outbox):
//   - ClaimNotifications leases up to limit pending notifications that were due at or
//     before now.Add(-minAge) and are not leased by anyone else at now, oldest due
//     first; it marks them leased until now.Add(lease) and counts the attempt. Two
//     concurrent claims never return the same notification while its lease runs, so
//     many dispatchers (in many replicas) share the work.
//   - AckNotification removes a notification for good; acknowledging an unknown or
//     already acknowledged key returns nil (acks are idempotent).
//   - RetryNotification ends the lease and makes the notification due again at due,
//     recording lastErr; an unknown key returns nil.
type Outbox interface {
	ClaimNotifications(ctx context.Context, now time.Time, minAge, lease time.Duration, limit int) ([]PendingNotification, error)
	AckNotification(ctx context.Context, key string) error
	RetryNotification(ctx context.Context, key string, due time.Time, lastErr string) error
}

// PendingNotification is a notification waiting in an [Outbox].
type PendingNotification struct {
	Notification Notification `json:"notification"`
	// Attempts counts the claims so far, this one included.
	Attempts int `json:"attempts"`
	// Due is when the notification became (or becomes again) deliverable.
	Due time.Time `json:"due"`
	// LastError is the error of the previous failed attempt, if any.
	LastError string `json:"last_error,omitempty"`
}
