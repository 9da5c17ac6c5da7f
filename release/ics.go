package release

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/releasekit/releasekit/calendar"
)

// WriteICS writes the calendar people see over [from, to) as one iCalendar (RFC 5545)
// stream, valid for calendar clients:
//
//   - the rules of the [WithCalendar] calendar (windows, freezes, lockdowns), as the
//     calendar writes them (calendar.WriteRulesICS);
//   - every booking that overlaps the period: those the store holds when it is a
//     [Booker] (what every replica booked), else those of the calendar. A booking of
//     a release is named by its service, version and environment ("payments 2.4.0 in
//     prod"); its description names the release, its state and its promotion lineage
//     ([Release.Predecessor]: "promoted dev → staging → prod");
//   - the lockdowns and freezes declared at runtime ([Engine.Lockdown]) that are in
//     effect during the period, as one-off lockdown and freeze events over the time
//     they hold (until the period's end when they have no end yet).
//
// opts are the calendar's (calendar.WithCalendarName, calendar.WithStamp). An engine
// without a calendar writes its bookings and runtime lockdowns only. An empty period
// is calendar.ErrBadSpan.
func (e *Engine) WriteICS(ctx context.Context, w io.Writer, from, to time.Time, opts ...calendar.ICSOption) error {
	if !from.Before(to) {
		return calendar.ErrBadSpan
	}
	var rules []calendar.Rule
	var bookings []calendar.Booking
	if c := e.calendar; c != nil {
		rules = c.cfg.Calendar.Rules()
		for _, b := range c.cfg.Calendar.Bookings() {
			if b.End.After(from) && b.Start.Before(to) {
				bookings = append(bookings, b)
			}
		}
	}
	if bk, ok := e.store.(Booker); ok {
		stored, err := bk.Bookings(ctx, "", from, to)
		if err != nil {
			return fmt.Errorf("release: calendar export: read the bookings: %w", err)
		}
		seen := map[string]bool{}
		for _, b := range bookings {
			seen[b.ID] = true
		}
		for _, b := range stored {
			if !seen[b.ID] {
				bookings = append(bookings, b)
			}
		}
	}
	stops, err := e.Lockdowns(ctx)
	if err != nil {
		return err
	}
	for _, l := range stops {
		if r, ok := lockdownRule(l, from, to); ok {
			rules = append(rules, r)
		}
	}
	view, err := calendar.NewWithOptions(rules)
	if err != nil {
		return fmt.Errorf("release: calendar export: %w", err)
	}
	if err := view.Restore(bookings...); err != nil {
		return fmt.Errorf("release: calendar export: %w", err)
	}
	text, err := e.bookingText(ctx, bookings)
	if err != nil {
		return err
	}
	return view.WriteICS(w, from, to, append([]calendar.ICSOption{calendar.WithBookingText(text)}, opts...)...)
}

// lockdownRule is the one-off calendar rule of a runtime lockdown or freeze over the
// time it holds within [from, to), or false when it holds none of it.
func lockdownRule(l Lockdown, from, to time.Time) (calendar.Rule, bool) {
	start, end := l.From.UTC().Truncate(time.Second), l.end()
	if end.IsZero() || end.After(to) {
		end = to
	}
	end = end.UTC().Truncate(time.Second) // iCalendar times are to the second
	if !end.After(from) || !start.Before(to) || !end.After(start) {
		return calendar.Rule{}, false
	}
	kind, title := calendar.Lockdown, "Lockdown"
	if l.kind() == KindFreeze {
		kind, title = calendar.Freeze, "Freeze"
	}
	scope := l.scope()
	// The name (and so the event's UID) stays the same for the lockdown's life: a
	// client that subscribed sees its end move when it is lifted, not a new event.
	name := fmt.Sprintf("%s of %s: %s (%s by %s)", title, scope, l.Reason, l.ID, l.DeclaredBy.ID)
	r := calendar.Rule{Name: name, Kind: kind, Zone: "UTC",
		Start:    calendar.Wall(start.Year(), start.Month(), start.Day(), start.Hour(), start.Minute(), start.Second()),
		Duration: end.Sub(start), Scope: calendar.Scope{Environments: append([]string(nil), l.Environments...)}}
	for _, c := range l.AllowClasses {
		r.AllowClasses = append(r.AllowClasses, calendar.Class(c))
	}
	return r, true
}

// bookingText names the bookings of releases (IDs "<release id>#<revision>") by the
// release's service, version and environment, with its promotion lineage.
func (e *Engine) bookingText(ctx context.Context, bookings []calendar.Booking) (func(calendar.Booking) (string, string), error) {
	type named struct{ summary, description string }
	names := map[string]named{}
	cache := map[ID]Release{}
	get := func(id ID) (Release, bool, error) {
		if r, ok := cache[id]; ok {
			return r, true, nil
		}
		r, err := e.store.Get(ctx, id)
		switch {
		case err == nil:
			cache[id] = r
			return r, true, nil
		case errors.Is(err, ErrNotFound):
			return Release{}, false, nil
		}
		return Release{}, false, fmt.Errorf("release: calendar export: read release %s: %w", id, err)
	}
	for _, b := range bookings {
		head, _, ok := strings.Cut(b.ID, "#")
		if !ok {
			continue
		}
		id, err := ParseID(head)
		if err != nil {
			continue // not a release's booking
		}
		r, found, err := get(id)
		if err != nil {
			return nil, err
		}
		if !found {
			continue
		}
		desc := fmt.Sprintf("Release %s: %s %s in %s, %s, requested by %s.", r.ID, r.Name, r.Version, r.Environment, r.State, r.Author)
		if len(r.Components) > 0 {
			var cs []string
			for _, c := range r.Components {
				cs = append(cs, c.Name+" "+c.Version)
			}
			desc += " Components: " + strings.Join(cs, ", ") + "."
		}
		if !r.Predecessor.IsZero() {
			chain := []string{r.Environment}
			var from []string
			for p, seen := r.Predecessor, 0; !p.IsZero() && seen < 16; seen++ {
				pr, found, err := get(p)
				if err != nil {
					return nil, err
				}
				if !found {
					break
				}
				chain = append([]string{pr.Environment}, chain...)
				from = append(from, fmt.Sprintf("%s %s in %s (release %s, %s)", pr.Name, pr.Version, pr.Environment, pr.ID, pr.State))
				p = pr.Predecessor
			}
			desc += " Promoted " + strings.Join(chain, " → ") + "; from " + strings.Join(from, ", from ") + "."
		}
		names[b.ID] = named{summary: fmt.Sprintf("%s %s in %s", r.Name, r.Version, r.Environment), description: desc}
	}
	return func(b calendar.Booking) (string, string) {
		n := names[b.ID]
		return n.summary, n.description
	}, nil
}
