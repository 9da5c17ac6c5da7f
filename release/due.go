package release

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"
)

// Due lists the work a scheduler has to start at now: the approved releases whose
// booked slot has opened (Slot.Start at or before now), earliest slot first (then in
// creation order). A release whose slot has already ended is listed too, so that a
// scheduler that was down does not lose it: start refuses it as a missed slot, and
// the scheduler unschedules it (to book a new slot) or starts it with [Override].
// Approved releases without a slot (an engine without [WithCalendar]) are due at
// once and come first. A zero now is a *[ValidationError].
//
// A bot's scheduler is a loop that calls Due and fires [EventStart] on what it
// returns; concurrent schedulers are safe, as one start wins and the others get
// ErrStale or ErrInvalidTransition. A start that a freeze, a lockdown or a guard
// refuses is recorded in the release's history once per cause, not at every retry
// (see [Engine.Fire]).
func (e *Engine) Due(ctx context.Context, now time.Time) ([]Release, error) {
	if now.IsZero() {
		return nil, &ValidationError{What: "due", Problems: []string{"now is the zero time; pass the clock's time"}}
	}
	var out []Release
	f := Filter{States: []State{StateApproved}, Limit: 1000}
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		page, err := e.store.List(ctx, f)
		if err != nil {
			return nil, fmt.Errorf("release: due: list approved releases: %w", err)
		}
		for _, r := range page {
			if r.Slot == nil || !r.Slot.Start.After(now) {
				out = append(out, r)
			}
		}
		if len(page) < f.Limit {
			break
		}
		f.After = page[len(page)-1].ID
	}
	slices.SortStableFunc(out, func(a, b Release) int {
		switch {
		case a.Slot == nil || b.Slot == nil:
			return cmp.Compare(slotRank(a), slotRank(b))
		}
		return a.Slot.Start.Compare(b.Slot.Start)
	})
	return out, nil
}

// slotRank puts releases without a slot first.
func slotRank(r Release) int {
	if r.Slot == nil {
		return 0
	}
	return 1
}
