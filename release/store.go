package release

import (
	"context"
	"strconv"
	"time"
)

// Store keeps releases and their histories. Implementations must be safe for
// concurrent use by many goroutines (and, for shared databases, many processes).
// release/storetest holds the conformance suite every implementation runs.
//
// Contract, for every method:
//   - Values are copied in and out: a caller mutating a Release or entry after a
//     call never changes what is stored, and a returned value is the caller's own.
//   - A cancelled or expired context makes the method return ctx.Err() (wrapped or
//     not) without changing anything, or complete the change fully; never half of it.
//   - Errors map onto the package's sentinels: ErrNotFound, ErrAlreadyExists,
//     ErrStale; decoding failures of stored data onto ErrCorrupt.
type Store interface {
	// Create stores a new release together with the first entry of its history (the
	// EventCreate entry, Sequence 1). It returns ErrAlreadyExists when a release with
	// r.ID is stored; nothing is changed then.
	Create(ctx context.Context, r Release, first AuditEntry) error

	// Get returns the release with the given ID, or ErrNotFound.
	Get(ctx context.Context, id ID) (Release, error)

	// List returns the releases that match f ([Filter.Match]), in ascending ID order
	// (creation order for IDs made by an Engine), at most f.Limit of them when
	// f.Limit > 0, only those with an ID greater than f.After when it is set. No
	// match is an empty slice and a nil error. A filter that [Filter.Validate]
	// rejects returns its *ValidationError (ErrInvalid).
	List(ctx context.Context, f Filter) ([]Release, error)

	// Update is compare-and-swap on the revision: when the stored release r.ID is at
	// revision expected, it atomically replaces it with r and appends e to its
	// history; otherwise it changes nothing and returns an error matching
	// ErrStale (a *StaleError). ErrNotFound when r.ID is not stored. Callers
	// pass r.Revision == expected+1 and e.Sequence == r.Revision. Of many concurrent
	// Updates with the same expected revision, exactly one succeeds.
	//
	// In the same transaction it refuses to append to a history that does not end at
	// the stored head: entries missing (the history holds other than expected
	// entries), or a last entry that is not the head e chains to. It then changes
	// nothing and returns a *HistoryError (ErrTampered). A store that reads the last
	// entry back checks that it verifies too ([VerifyAppend] does all of it).
	Update(ctx context.Context, expected int64, r Release, e AuditEntry) error

	// History returns the release's entries in sequence order, or ErrNotFound.
	History(ctx context.Context, id ID) ([]AuditEntry, error)
}

// Notification is what a Notifier is told after a transition commits.
type Notification struct {
	// Release is the release as committed by the transition.
	Release Release `json:"release"`
	// Entry is the history entry the transition appended; (Entry.ReleaseID,
	// Entry.Sequence) identifies the notification and serves as an idempotency key.
	Entry AuditEntry `json:"entry"`
}

// Key returns a stable idempotency key for n: "<release id>/<sequence>".
func (n Notification) Key() string {
	return n.Entry.ReleaseID.String() + "/" + strconv.FormatInt(n.Entry.Sequence, 10)
}

// Notifier tells the outside world about committed transitions. Notify may be called
// more than once for the same notification (delivery is at least once); receivers
// deduplicate with [Notification.Key]. It must honour ctx. An error never undoes the
// transition.
type Notifier interface {
	Notify(ctx context.Context, n Notification) error
}

// NotifierFunc adapts a function to [Notifier].
type NotifierFunc func(ctx context.Context, n Notification) error

// Notify calls f.
func (f NotifierFunc) Notify(ctx context.Context, n Notification) error { return f(ctx, n) }

// Clock tells the time. The engine never reads the system clock itself, so tests
// control time (release/releasetest has a steppable clock).
type Clock interface {
	Now() time.Time
}

// ClockFunc adapts a function to [Clock].
type ClockFunc func() time.Time

// Now calls f.
func (f ClockFunc) Now() time.Time { return f() }

// SystemClock returns the wall clock.
func SystemClock() Clock { return ClockFunc(time.Now) }
