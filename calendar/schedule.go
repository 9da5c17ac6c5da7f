package calendar

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/releasekit/releasekit/depgraph"
)

// Plan is the result of [Calendar.Schedule]: where each request goes, and why the
// others could not be placed. A Plan does not change the calendar; [Calendar.Apply]
// books it.
type Plan struct {
	// Requests are the scheduled requests in input order; each one's DependsOn
	// includes the dependencies the graph gave it.
	Requests []Request
	// Bookings are the placed requests, in the order they were placed (dependencies
	// first; within a wave, input order). Each has its request's ID.
	Bookings []Booking
	// Unplaced are the requests that could not be placed, in the order they were tried.
	Unplaced []Unplaced
}

// Unplaced is a request [Calendar.Schedule] could not place.
type Unplaced struct {
	Request Request
	// Reason is a sentence a person can act on.
	Reason string
	// Err is the error behind Reason: a [*NoSlotError], [*RequestError] or [*DependencyError].
	Err error
}

// Booking returns the placed booking of the request with the given ID, and whether
// it was placed.
func (p *Plan) Booking(id string) (Booking, bool) {
	for _, b := range p.Bookings {
		if b.ID == id {
			return cloneBooking(b), true
		}
	}
	return Booking{}, false
}

// Schedule places many requests at once; it is [Calendar.ScheduleContext] without a deadline.
func (c *Calendar) Schedule(requests []Request, g *depgraph.Graph[string]) (*Plan, error) {
	return c.ScheduleContext(context.Background(), requests, g)
}

// ScheduleContext places requests at their earliest feasible slots, dependencies
// first. A request depends on what its DependsOn names and, when g is not nil, on
// what g says it depends on (g's nodes are request IDs; g may be nil). A dependency
// is another request of the batch or an existing booking; the dependent starts no
// earlier than the end of its dependencies' slots plus its own Soak.
//
// Requests are placed greedily in dependency waves (see depgraph's Graph.Waves),
// in input order within a wave, each at its earliest feasible slot (as
// [Calendar.NextSlot]) given the bookings already in the calendar and those placed
// before it, so capacity, windows, freezes and overlaps are respected. The result is
// deterministic. A request that cannot be placed is listed in [Plan.Unplaced] with
// the reason; so is every request that depends on it ("dependency X could not be
// placed").
//
// Many requests sharing an earliest start cost near-linear time, not quadratic: a
// request that would wait behind the requests placed before it jumps over a whole
// stretch where its environment is at capacity, or one of its services busy, at once,
// and the reasons of an [Unplaced] request are gathered only when it cannot be placed.
//
// The calendar is not changed; pass the plan to [Calendar.Apply] to book it.
// Schedule fails as a whole only when two requests share an ID ([ErrDuplicateID]),
// when the dependencies form a cycle (a *depgraph.CycleError[string], unwrapping to
// depgraph.ErrCycle), or when ctx ends.
func (c *Calendar) ScheduleContext(ctx context.Context, requests []Request, g *depgraph.Graph[string]) (*Plan, error) {
	index := make(map[string]int, len(requests))
	for i, r := range requests {
		if j, dup := index[r.ID]; dup && r.ID != "" {
			return nil, fmt.Errorf("calendar: requests %d and %d are both called %q; give every request a unique ID: %w", j, i, r.ID, ErrDuplicateID)
		}
		index[r.ID] = i
	}
	plan := &Plan{Requests: make([]Request, len(requests))}
	h := depgraph.New[string]()
	for i, r := range requests {
		r.Services = slices.Clone(r.Services)
		r.DependsOn = slices.Clone(r.DependsOn)
		if g != nil && r.ID != "" {
			for _, d := range g.DirectDependencies(r.ID) {
				if !slices.Contains(r.DependsOn, d) {
					r.DependsOn = append(r.DependsOn, d)
				}
			}
		}
		plan.Requests[i] = r
		h.AddNode(r.ID)
	}
	for _, r := range plan.Requests {
		for _, d := range r.DependsOn {
			if _, ok := index[d]; ok && d != r.ID {
				if err := h.AddDependency(r.ID, d); err != nil {
					return nil, fmt.Errorf("calendar: %w", err)
				}
			}
		}
	}
	waves, err := h.Waves()
	if err != nil {
		return nil, fmt.Errorf("calendar: the requests' dependencies form a cycle, so they cannot be ordered: %w", err)
	}

	c.mu.RLock()
	work := c.cloneLocked()
	c.mu.RUnlock()
	work.sched = newSchedIndex()

	placed := map[string]int64{} // request ID -> end of its slot
	failed := map[string]bool{}
	fail := func(r Request, err error) {
		failed[r.ID] = true
		plan.Unplaced = append(plan.Unplaced, Unplaced{Request: r, Reason: err.Error(), Err: err})
	}
	for _, wave := range waves {
		order := make([]int, 0, len(wave))
		for _, id := range wave {
			order = append(order, index[id])
		}
		slices.Sort(order)
		for _, i := range order {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			r := plan.Requests[i]
			if err := r.Validate(); err != nil {
				fail(r, err)
				continue
			}
			lo := nanos(r.NotBefore)
			var depErr error
			for _, d := range r.DependsOn {
				if _, inBatch := index[d]; inBatch {
					if failed[d] {
						depErr = &DependencyError{Request: r.ID, Dependency: d, Problem: "which could not be placed; fix that request first"}
						break
					}
					lo = max(lo, placed[d]+int64(r.Soak))
					continue
				}
				dep := work.book.get(d)
				if dep == nil {
					depErr = &DependencyError{Request: r.ID, Dependency: d, Problem: "which is neither a request of this batch nor a booking; add it or drop the dependency"}
					break
				}
				lo = max(lo, dep.e+int64(r.Soak))
			}
			if depErr != nil {
				fail(r, depErr)
				continue
			}
			b, err := work.slotLocked(r, lo)
			if err != nil {
				fail(r, err)
				continue
			}
			if err := work.bookLocked(b); err != nil {
				// Cannot happen: slotLocked only returns admissible slots. Report it
				// rather than panic.
				fail(r, fmt.Errorf("calendar: internal error placing %q: %w", r.ID, err))
				continue
			}
			work.sched.placed(work, b)
			placed[r.ID] = nanos(b.End)
			plan.Bookings = append(plan.Bookings, b)
		}
	}
	return plan, nil
}

// Apply books every booking of p, all or nothing: if one is refused, none is booked
// and the error ([*ConflictError], [*BookingError], or one unwrapping to
// [ErrDuplicateID]) names the first one refused.
func (c *Calendar) Apply(p *Plan) error {
	if p == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var done []string
	for _, b := range p.Bookings {
		err := b.Validate()
		if err == nil {
			err = c.bookLocked(b)
		}
		if err != nil {
			for _, id := range done {
				c.book.remove(id)
			}
			return fmt.Errorf("calendar: plan not applied, nothing booked: %w", err)
		}
		done = append(done, b.ID)
	}
	return nil
}

// CheckPlan returns every conflict of p's bookings against the calendar: each booking
// is checked as [Calendar.Check] would with the plan's earlier bookings added, and
// each must start no earlier than the end (plus the request's Soak) of every
// dependency its request names ([ConflictDependency]). A plan from
// [Calendar.Schedule] on an unchanged calendar has none.
func (c *Calendar) CheckPlan(p *Plan) []Conflict {
	if p == nil {
		return nil
	}
	c.mu.RLock()
	work := c.cloneLocked()
	c.mu.RUnlock()
	reqs := map[string]Request{}
	for _, r := range p.Requests {
		reqs[r.ID] = r
	}
	ends := map[string]Booking{}
	for _, b := range p.Bookings {
		ends[b.ID] = b
	}
	var out []Conflict
	for _, b := range p.Bookings {
		if err := b.Validate(); err != nil {
			out = append(out, Conflict{Kind: ConflictInvalid, Booking: b.ID, Start: b.Start, End: b.End, Reason: err.Error()})
			continue
		}
		out = append(out, work.checkLocked(b)...)
		if work.book.get(b.ID) == nil {
			work.book.insert(b)
		}
		r, ok := reqs[b.ID]
		if !ok {
			continue
		}
		for _, d := range r.DependsOn {
			dep, ok := ends[d]
			if !ok {
				if e, booked := c.bookingEnd(d); booked {
					dep = Booking{ID: d, End: e}
				} else {
					out = append(out, Conflict{Kind: ConflictDependency, Booking: b.ID, With: []string{d}, Start: b.Start, End: b.End,
						Reason: fmt.Sprintf("booking %q depends on %q, which is neither placed nor booked; place it first", b.ID, d)})
					continue
				}
			}
			ready := dep.End.Add(r.Soak)
			if b.Start.Before(ready) {
				out = append(out, Conflict{Kind: ConflictDependency, Booking: b.ID, With: []string{d}, Start: b.Start, End: ready,
					Reason: fmt.Sprintf("booking %q starts at %s, before its dependency %q has ended and soaked (%s); start it at %s or later",
						b.ID, b.Start.Format(timeLayout), d, ready.Format(timeLayout), ready.Format(timeLayout))})
			}
		}
	}
	return out
}

func (c *Calendar) bookingEnd(id string) (t time.Time, ok bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	e := c.book.get(id)
	if e == nil {
		return time.Time{}, false
	}
	return e.b.End, true
}
