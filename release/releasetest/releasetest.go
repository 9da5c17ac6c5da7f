// Package releasetest helps host applications test code built on the release engine:
// a clock the test steps by hand, a notifier that records what it was told, and
// assertions on a release's state.
package releasetest

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/releasekit/releasekit/release"
)

// Clock is a [release.Clock] that stands still until the test moves it. It is safe
// for concurrent use.
type Clock struct {
	mu   sync.Mutex
	now  time.Time
	step time.Duration
}

var _ release.Clock = (*Clock)(nil)

// NewClock returns a clock that reads t. With a non-zero step, every Now call moves it
// forward by step after reading (so consecutive events get distinct times).
func NewClock(t time.Time, step time.Duration) *Clock {
	return &Clock{now: t, step: step}
}

// Now returns the clock's time, then advances it by its step.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.now
	c.now = c.now.Add(c.step)
	return t
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// Notifier records every notification it is given. Set Err (or FailNext) to make it
// fail. It is safe for concurrent use.
type Notifier struct {
	mu   sync.Mutex
	got  []release.Notification
	err  error
	fail int
}

var _ release.Notifier = (*Notifier)(nil)

// ErrInjected is what a Notifier returns when told to fail without an error of its own.
var ErrInjected = errors.New("releasetest: injected notification failure")

// Notify records n, or fails as configured (a failed notification is not recorded).
func (n *Notifier) Notify(ctx context.Context, note release.Notification) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.fail > 0 {
		n.fail--
		return ErrInjected
	}
	if n.err != nil {
		return n.err
	}
	n.got = append(n.got, note)
	return nil
}

// FailWith makes every later Notify return err; nil makes it succeed again.
func (n *Notifier) FailWith(err error) {
	n.mu.Lock()
	n.err = err
	n.mu.Unlock()
}

// FailNext makes the next k notifications fail with ErrInjected.
func (n *Notifier) FailNext(k int) {
	n.mu.Lock()
	n.fail = k
	n.mu.Unlock()
}

// Notifications returns what was recorded, in order.
func (n *Notifier) Notifications() []release.Notification {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.got)
}

// Events returns the events of the recorded notifications, in order.
func (n *Notifier) Events() []release.Event {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := make([]release.Event, len(n.got))
	for i, note := range n.got {
		out[i] = note.Entry.Event
	}
	return out
}

// Getter is what RequireState reads from: an *release.Engine or a release.Store.
type Getter interface {
	Get(ctx context.Context, id release.ID) (release.Release, error)
}

// RequireState fails the test now unless the release is in state want.
func RequireState(t testing.TB, g Getter, id release.ID, want release.State) release.Release {
	t.Helper()
	r, err := g.Get(context.Background(), id)
	if err != nil {
		t.Fatalf("releasetest: get release %s: %v", id, err)
	}
	if r.State != want {
		t.Fatalf("releasetest: release %s (%s %s in %s) is %s, want %s", id, r.Name, r.Version, r.Environment, r.State, want)
	}
	return r
}

// RequireHistory fails the test now unless the release's history verifies against
// its head and holds exactly the events want (EventCreate first).
func RequireHistory(t testing.TB, e *release.Engine, id release.ID, want ...release.Event) {
	t.Helper()
	ctx := context.Background()
	if err := e.VerifyAudit(ctx, id); err != nil {
		t.Fatalf("releasetest: history of %s does not verify: %v", id, err)
	}
	h, err := e.History(ctx, id)
	if err != nil {
		t.Fatalf("releasetest: history of %s: %v", id, err)
	}
	got := make([]release.Event, len(h))
	for i, entry := range h {
		got[i] = entry.Event
	}
	if !slices.Equal(got, want) {
		t.Fatalf("releasetest: history of %s is %v, want %v", id, got, want)
	}
}
