// Package wait sleeps until an instant read from an injected clock, on a timer
// that testing/synctest fakes, or on the clock's own After method when it has
// one (the shape of most fake clocks).
package wait

import (
	"context"
	"time"
)

// Clock tells the time.
type Clock interface{ Now() time.Time }

type afterClock interface {
	After(d time.Duration) <-chan time.Time
}

// Until returns when c reads t or later (at once if it already does), or with
// ctx's error when ctx is done first.
func Until(ctx context.Context, c Clock, t time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	d := t.Sub(c.Now())
	if d <= 0 {
		return nil
	}
	var ch <-chan time.Time
	if ac, ok := c.(afterClock); ok {
		ch = ac.After(d)
	} else {
		tm := time.NewTimer(d)
		defer tm.Stop()
		ch = tm.C
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-ch:
		return nil
	}
}
