package release

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/releasekit/releasekit/calendar"
)

// CalendarConfig wires the master release calendar into the lifecycle (see
// [WithCalendar]).
type CalendarConfig struct {
	// Calendar holds the rules (windows, freezes, lockdowns), capacities and
	// alignment. When the store is not a Booker, it also holds the bookings.
	Calendar *calendar.Calendar
	// OverrideRoles may start a release despite a freeze, a closed window or a
	// missed slot, with Override(reason). Nobody can override a lockdown.
	OverrideRoles []string
	// Soak is how long a release waits after the slot of a release it needs ends.
	Soak time.Duration
	// Horizon bounds the search for the earliest slot; zero means one year.
	Horizon time.Duration
}

// WithCalendar applies the release calendar to the lifecycle:
//
//   - schedule books a slot of the release's Duration: at At(t), or the earliest
//     feasible one from now (after the slots of the releases it needs, plus Soak). It
//     refuses with the calendar's conflicts as reasons. When the store is a [Booker]
//     the booking goes into the store before the transition commits (and is removed
//     if the commit fails), so engines in many replicas never double-book a service;
//     a [CapacityBooker] also enforces the environment's capacity in that step, so
//     concurrent schedules never overfill it. Otherwise the booking goes into the
//     Calendar.
//   - unschedule and cancel free the slot after they commit.
//   - start refuses outside the booked slot, inside a freeze or a lockdown, or when
//     the deployment (from now, for its Duration) no longer fits before the next
//     freeze, unless a rule's exception covers the change class. A start at most
//     five minutes after its slot opened may run past the slot's end by as much: a
//     booking that follows the slot, or the end of the window the slot was booked in,
//     does not refuse it (a freeze or a lockdown does). Override(reason) by
//     an actor with an OverrideRoles role passes everything but a lockdown, and is
//     recorded in the history.
//
// Rollbacks are never held back by the calendar. An engine takes one WithCalendar;
// a second is refused with [ErrInvalid].
func WithCalendar(cfg CalendarConfig) Option {
	return func(e *Engine) error {
		if cfg.Calendar == nil {
			return fmt.Errorf("%w: WithCalendar needs a Calendar", ErrInvalid)
		}
		if e.calendar != nil {
			return fmt.Errorf("%w: WithCalendar given twice: an engine books against one calendar (put every rule in it)", ErrInvalid)
		}
		if cfg.Soak < 0 || cfg.Horizon < 0 {
			return fmt.Errorf("%w: calendar soak and horizon must not be negative", ErrInvalid)
		}
		if cfg.Horizon == 0 {
			cfg.Horizon = 365 * 24 * time.Hour
		}
		e.calendar = &calendarStage{cfg: cfg, store: e.store}
		e.stages = append(e.stages, e.calendar)
		return nil
	}
}

type calendarStage struct {
	cfg   CalendarConfig
	store Store
}

func (*calendarStage) name() string { return "calendar" }

// booking is the calendar booking for r starting at start.
func booking(r Release, id string, start time.Time) calendar.Booking {
	services := make([]string, 0, len(r.Components))
	for _, c := range r.Components {
		services = append(services, c.Name)
	}
	if len(services) == 0 {
		services = []string{r.Name}
	}
	return calendar.Booking{ID: id, Environment: r.Environment, Services: services, Team: r.Team,
		Start: start, End: start.Add(r.Duration), Class: calendar.Class(r.Class), Action: calendar.ActionDeploy}
}

// view is the calendar with the store's bookings of env in [from, to) restored in it.
func (s *calendarStage) view(ctx context.Context, env string, from, to time.Time) (*calendar.Calendar, error) {
	b, ok := s.store.(Booker)
	if !ok {
		return s.cfg.Calendar, nil
	}
	stored, err := b.Bookings(ctx, env, from, to)
	if err != nil {
		return nil, fmt.Errorf("cannot read the bookings of %s: %w", env, err)
	}
	v := s.cfg.Calendar.Clone()
	var add []calendar.Booking
	for _, bk := range stored {
		if _, dup := v.Booking(bk.ID); !dup {
			add = append(add, bk)
		}
	}
	if err := v.Restore(add...); err != nil {
		return nil, fmt.Errorf("cannot load the bookings of %s: %w", env, err)
	}
	return v, nil
}

func (s *calendarStage) check(ctx context.Context, p *Proposal, next *Release, o *fireOptions) error {
	switch p.Event {
	case EventSchedule:
		return s.schedule(ctx, p, next, o)
	case EventUnschedule, EventCancel:
		next.Slot = nil
	case EventStart:
		return s.start(ctx, p, o)
	}
	return nil
}

func (s *calendarStage) schedule(ctx context.Context, p *Proposal, next *Release, o *fireOptions) error {
	r := p.Release
	if r.Duration <= 0 {
		return errors.New("the release has no duration; set Spec.Duration so that a slot of the right length can be booked")
	}
	notBefore, err := s.afterNeeds(ctx, r)
	if err != nil {
		return err
	}
	if notBefore.Before(p.Now) {
		notBefore = p.Now
	}
	id := fmt.Sprintf("%s#%d", r.ID, r.Revision+1)
	var b calendar.Booking
	if !o.at.IsZero() {
		if o.at.Before(notBefore) {
			return fmt.Errorf("the slot at %s starts before %s, when the releases it needs are done", o.at.Format(time.RFC3339), notBefore.Format(time.RFC3339))
		}
		b = booking(r, id, o.at)
		v, err := s.view(ctx, r.Environment, b.Start, b.End)
		if err != nil {
			return err
		}
		if cs := v.Check(b); len(cs) > 0 {
			return &calendar.ConflictError{Booking: id, Conflicts: cs}
		}
	} else {
		b, err = s.earliest(ctx, r, id, notBefore)
		var ns *calendar.NoSlotError
		if errors.As(err, &ns) {
			return &noSlotError{err: ns, horizon: s.cfg.Horizon}
		}
		if err != nil {
			return err
		}
	}
	next.Slot = &Slot{Booking: id, Start: b.Start.UTC(), End: b.End.UTC()}
	return p.Annotate(next.Slot)
}

// earliest finds the earliest slot for r that starts from notBefore to notBefore plus
// the horizon. It reads the bookings of a window from notBefore, four times the
// release's duration long (at least an hour), and searches the slots that end inside it:
// such a slot can only conflict with bookings that overlap the window. When none fits,
// the window grows fourfold, up to the horizon. So the cost follows the bookings
// between notBefore and the slot found, not every booking of the horizon, and a
// release that finds no slot gets the calendar's explanation over the whole horizon.
func (s *calendarStage) earliest(ctx context.Context, r Release, id string, notBefore time.Time) (calendar.Booking, error) {
	req := booking(r, id, notBefore)
	latest := notBefore.Add(s.cfg.Horizon)
	for window := max(4*r.Duration, time.Hour); ; window *= 4 {
		last := notBefore.Add(window - r.Duration) // the latest start whose slot ends inside the window
		final := !last.Before(latest)
		if final {
			last = latest
		}
		v, err := s.view(ctx, r.Environment, notBefore, last.Add(r.Duration))
		if err != nil {
			return calendar.Booking{}, err
		}
		b, err := v.NextSlot(calendar.Request{ID: id, Environment: req.Environment, Services: req.Services, Team: req.Team,
			Class: req.Class, Action: req.Action, Duration: r.Duration, NotBefore: notBefore, NotAfter: last})
		if err == nil || final || !errors.Is(err, calendar.ErrNoSlot) {
			return b, err
		}
	}
}

// afterNeeds is when the releases r needs are done in its environment: the latest
// end of their slots plus the soak, or zero when they are deployed already.
func (s *calendarStage) afterNeeds(ctx context.Context, r Release) (time.Time, error) {
	var at time.Time
	for _, n := range r.Needs {
		found, err := s.store.List(ctx, Filter{Environment: r.Environment, Name: n.Name})
		if err != nil {
			return time.Time{}, fmt.Errorf("cannot look up %s in %s: %w", n.Name, r.Environment, err)
		}
		var deployed, slotted bool
		var end time.Time
		for _, f := range found {
			if !satisfies(f.Version, n.Version) || f.State == StateCancelled || f.State == StateFailed || f.State == StateRolledBack {
				continue
			}
			if _, ok := f.Reached[StateDeployed]; ok {
				deployed = true
				break
			}
			if f.Slot != nil {
				slotted = true
				if f.Slot.End.After(end) {
					end = f.Slot.End
				}
			}
		}
		switch {
		case deployed:
		case slotted:
			if e := end.Add(s.cfg.Soak); e.After(at) {
				at = e
			}
		default:
			return time.Time{}, fmt.Errorf("it needs %s in %s, which is neither deployed nor scheduled there; schedule it first", needString(n), r.Environment)
		}
	}
	return at, nil
}

// lateStartGrace is how long after its slot opened a start may come and still run
// past the slot's end (by as much) into the booking that follows the slot or past
// the window's end.
const lateStartGrace = 5 * time.Minute

// afterSlot reports whether c, found for a start within lateStartGrace of its slot's
// opening, lies wholly after the slot's end and is with a booking or a window: the
// start does not clash with the booking that follows the slot (what the earliest-slot
// search books back to back) nor with the end of the window the slot was booked in,
// because a bot never starts at the slot's first instant. A freeze or a lockdown
// after the slot's end still counts: the deployment must fit before it.
func afterSlot(c calendar.Conflict, slot Slot) bool {
	switch c.Kind {
	case calendar.ConflictOverlap, calendar.ConflictCapacity, calendar.ConflictOutsideWindow:
		return !c.Start.Before(slot.End)
	}
	return false
}

func (s *calendarStage) start(ctx context.Context, p *Proposal, o *fireOptions) error {
	r := p.Release
	if r.Slot == nil {
		return &causedError{msg: "the release has no booked slot; unschedule and schedule it again", why: "no booked slot"}
	}
	// The problems are what a person reads; the causes name the same in words that
	// do not change with the time of the attempt (a refused start is recorded once
	// per cause, see Engine.Fire).
	var problems, why []string
	var missed *SlotError
	if p.Now.Before(r.Slot.Start) || !p.Now.Before(r.Slot.End) {
		missed = &SlotError{Slot: *r.Slot, Now: p.Now}
		problems = append(problems, missed.Error())
		if p.Now.Before(r.Slot.Start) {
			why = append(why, fmt.Sprintf("slot %s not open yet", r.Slot.Booking))
		} else {
			why = append(why, fmt.Sprintf("slot %s closed", r.Slot.Booking))
		}
	}
	b := booking(r, r.Slot.Booking, p.Now)
	v, err := s.view(ctx, r.Environment, b.Start, b.End)
	if err != nil {
		return err
	}
	lockdown := false
	cs := v.Check(b)
	if missed == nil && p.Now.Sub(r.Slot.Start) <= lateStartGrace {
		cs = slices.DeleteFunc(cs, func(c calendar.Conflict) bool { return afterSlot(c, *r.Slot) })
	}
	for _, c := range cs {
		lockdown = lockdown || c.Kind == calendar.ConflictLockdown
		problems = append(problems, c.Reason)
		why = append(why, conflictCause(c))
	}
	if len(problems) == 0 {
		return nil
	}
	if o.override == "" || lockdown || !slices.ContainsFunc(s.cfg.OverrideRoles, p.Actor.HasRole) {
		msg := strings.Join(problems, "; ")
		switch {
		case lockdown:
			msg += " (a lockdown cannot be overridden)"
		case o.override != "":
			msg += fmt.Sprintf(" (%s may not override the calendar: it takes one of the roles %s)", p.Actor.ID, strings.Join(s.cfg.OverrideRoles, ", "))
			why = append(why, "override not allowed")
		}
		var err error
		if missed != nil {
			err = missed
		}
		return &causedError{msg: msg, why: causes(why), err: err}
	}
	return p.Annotate(map[string]any{"override": o.override, "by": p.Actor.ID, "overridden": problems})
}

func (s *calendarStage) reserve(ctx context.Context, p *Proposal, next *Release) (func(), error) {
	if p.Event != EventSchedule || next.Slot == nil {
		return nil, nil
	}
	b := booking(*next, next.Slot.Booking, next.Slot.Start)
	if bk, ok := s.store.(Booker); ok {
		if err := s.book(ctx, bk, b); err != nil {
			return nil, err
		}
		return func() { _ = bk.Unbook(context.WithoutCancel(ctx), b.ID) }, nil
	}
	if err := s.cfg.Calendar.Book(b); err != nil {
		return nil, err
	}
	return func() { _ = s.cfg.Calendar.Cancel(b.ID) }, nil
}

// book stores b within its environment's capacity: in one step with a
// [CapacityBooker]; with another Booker it books, reads the environment back and
// frees b again when the environment is over capacity (so two concurrent schedules
// may both be refused, but the environment is never overfilled).
func (s *calendarStage) book(ctx context.Context, bk Booker, b calendar.Booking) error {
	capacity := s.cfg.Calendar.Capacity(b.Environment)
	if cb, ok := bk.(CapacityBooker); ok {
		return cb.BookWithin(ctx, b, capacity)
	}
	if err := bk.Book(ctx, b); err != nil || capacity <= 0 {
		return err
	}
	stored, err := bk.Bookings(ctx, b.Environment, b.Start, b.End)
	if err == nil {
		err = CheckCapacity(b, capacity, stored)
	}
	if err != nil {
		_ = bk.Unbook(context.WithoutCancel(ctx), b.ID)
		return err
	}
	return nil
}

func (s *calendarStage) after(ctx context.Context, p *Proposal, next Release, _ *fireOptions) (Release, error) {
	old := p.Release.Slot
	if old == nil || (p.Event != EventUnschedule && p.Event != EventCancel) {
		return next, nil
	}
	// The transition stands either way; a slot left behind is freed by a later
	// unschedule or by hand, and shows in Bookings.
	if bk, ok := s.store.(Booker); ok {
		if err := bk.Unbook(context.WithoutCancel(ctx), old.Booking); err != nil && !errors.Is(err, ErrNotFound) {
			return next, fmt.Errorf("release %s: %s committed but its slot %s was not freed: %w", next.ID, p.Event, old.Booking, err)
		}
		return next, nil
	}
	_ = s.cfg.Calendar.Cancel(old.Booking)
	return next, nil
}

// conflictCause names what c is about without the times in its reason: its kind,
// the rule and the other bookings involved.
func conflictCause(c calendar.Conflict) string {
	s := string(c.Kind)
	if c.Rule != "" {
		s += " " + strconv.Quote(c.Rule)
	}
	if len(c.With) > 0 {
		s += " with " + strings.Join(c.With, ", ")
	}
	if c.Rule == "" && len(c.With) == 0 {
		s += ": " + oneLine(c.Reason)
	}
	return s
}

// noSlotError words the calendar's [*calendar.NoSlotError] for the engine: the range
// searched is now to the horizon (CalendarConfig.Horizon), which is what a host can
// change, and the message does not repeat the calendar guard's name. It unwraps to
// the calendar's error.
type noSlotError struct {
	err     *calendar.NoSlotError
	horizon time.Duration
}

func (e *noSlotError) Unwrap() error { return e.err }

func (e *noSlotError) Error() string {
	const at = "2006-01-02 15:04 MST"
	n := e.err
	from, to := n.NotBefore.UTC().Format(at), n.NotAfter.UTC().Format(at)
	if n.LongestWindow > 0 {
		return fmt.Sprintf("it takes %v (Spec.Duration), longer than the longest window open to it in %s from %s to %s (%v, rule %q): no slot can hold it; shorten or split the change, or add a window at least %v long to the calendar",
			n.Duration, n.Environment, from, to, n.LongestWindow, n.LongestRule, n.Duration)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "no slot of %v in %s starting from %s to %s", n.Duration, n.Environment, from, to)
	if !n.Ready.IsZero() {
		fmt.Fprintf(&b, " (the releases it needs, plus the soak, end at %s)", n.Ready.UTC().Format(at))
	}
	quoted := func(xs []string) string {
		q := make([]string, len(xs))
		for i, x := range xs {
			q[i] = strconv.Quote(x)
		}
		return strings.Join(q, ", ")
	}
	var why []string
	if len(n.Rules) > 0 {
		why = append(why, "rules "+quoted(n.Rules))
	}
	if len(n.Bookings) > 0 {
		why = append(why, "bookings "+quoted(n.Bookings))
	}
	if len(why) > 0 {
		kinds := make([]string, len(n.Kinds))
		for i, k := range n.Kinds {
			kinds[i] = string(k)
		}
		fmt.Fprintf(&b, ": blocked by %s (%s)", strings.Join(why, " and "), strings.Join(kinds, ", "))
	}
	fmt.Fprintf(&b, "; shorten the change, move the blocking bookings, or search further than %v ahead (CalendarConfig.Horizon)", e.horizon)
	return b.String()
}
