package calendartest

import (
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/releasekit/releasekit/calendar"
)

// TB is the part of testing.TB (and of *rapid.T) the checkers use.
type TB interface {
	Helper()
	Errorf(format string, args ...any)
}

// CheckBooking fails t when b breaks a constraint of cal (see [BookingViolations]).
func CheckBooking(t TB, cal *calendar.Calendar, b calendar.Booking) {
	t.Helper()
	for _, v := range BookingViolations(cal, b) {
		t.Errorf("calendartest: %s", v)
	}
}

// CheckSchedule fails t when plan breaks any constraint of cal or of its own requests
// (see [Violations]).
func CheckSchedule(t TB, cal *calendar.Calendar, plan *calendar.Plan) {
	t.Helper()
	for _, v := range Violations(cal, plan) {
		t.Errorf("calendartest: %s", v)
	}
}

// BookingViolations describes every constraint of cal that b breaks, as a reference
// implementation written independently of the calendar's own indexes: rule scopes,
// lockdowns, freezes and their exceptions, windows (b must lie inside the union of
// the window occurrences applying to it), overlaps on shared services, and capacity,
// all by brute force against cal's rules (expanded with [calendar.Rule.Occurrences])
// and bookings. A booking with b's ID already in cal does not count against it.
func BookingViolations(cal *calendar.Calendar, b calendar.Booking) []string {
	var others []calendar.Booking
	for _, o := range cal.Bookings() {
		if o.ID != b.ID {
			others = append(others, o)
		}
	}
	return violations(cal, others, b)
}

// Violations describes every way plan breaks the constraints of cal or of its
// requests: each placed booking must pass [BookingViolations] against cal's bookings
// and the plan's earlier ones; it must match its request (environment, services, team,
// class, action, duration), start in [NotBefore, NotAfter] on cal's alignment grid,
// and start no earlier than each dependency's end plus Soak; every request must be
// placed or unplaced exactly once, and a request whose dependency was not placed must
// not be placed either.
func Violations(cal *calendar.Calendar, plan *calendar.Plan) []string {
	if plan == nil {
		return []string{"plan is nil"}
	}
	var out []string
	reqs := map[string]calendar.Request{}
	for _, r := range plan.Requests {
		reqs[r.ID] = r
	}
	placed := map[string]calendar.Booking{}
	seen := map[string]int{}
	for _, b := range plan.Bookings {
		placed[b.ID] = b
		seen[b.ID]++
	}
	for _, u := range plan.Unplaced {
		seen[u.Request.ID]++
		if u.Reason == "" || u.Err == nil {
			out = append(out, fmt.Sprintf("request %q is unplaced without a reason", u.Request.ID))
		}
	}
	for _, r := range plan.Requests {
		if seen[r.ID] != 1 {
			out = append(out, fmt.Sprintf("request %q is placed or unplaced %d times; want exactly once", r.ID, seen[r.ID]))
		}
	}
	existing := cal.Bookings()
	existingByID := map[string]calendar.Booking{}
	for _, b := range existing {
		existingByID[b.ID] = b
	}
	grid, origin := cal.Alignment(), cal.AlignmentOrigin()
	var earlier []calendar.Booking
	for _, b := range plan.Bookings {
		ctx := append(slices.Clone(existing), earlier...)
		for _, v := range violations(cal, ctx, b) {
			out = append(out, "placed "+v)
		}
		earlier = append(earlier, b)
		r, ok := reqs[b.ID]
		if !ok {
			out = append(out, fmt.Sprintf("booking %q has no request in the plan", b.ID))
			continue
		}
		if b.Environment != r.Environment || !slices.Equal(b.Services, r.Services) || b.Team != r.Team || b.Class != r.Class || b.Action != r.Action {
			out = append(out, fmt.Sprintf("booking %q does not match its request: %+v vs %+v", b.ID, b, r))
		}
		if d := b.End.Sub(b.Start); d != r.Duration {
			out = append(out, fmt.Sprintf("booking %q lasts %v; its request asks for %v", b.ID, d, r.Duration))
		}
		latest := r.NotAfter
		if latest.IsZero() {
			latest = r.NotBefore.AddDate(1, 0, 0)
		}
		if b.Start.Before(r.NotBefore) || b.Start.After(latest) {
			out = append(out, fmt.Sprintf("booking %q starts at %s, outside its request's range [%s, %s]", b.ID, b.Start, r.NotBefore, latest))
		}
		if b.Start.Sub(origin)%grid != 0 {
			out = append(out, fmt.Sprintf("booking %q starts at %s, off the %v alignment grid", b.ID, b.Start, grid))
		}
		for _, d := range r.DependsOn {
			dep, ok := placed[d]
			if !ok {
				dep, ok = existingByID[d]
			}
			if !ok {
				out = append(out, fmt.Sprintf("booking %q is placed although its dependency %q is neither placed nor booked", b.ID, d))
				continue
			}
			if ready := dep.End.Add(r.Soak); b.Start.Before(ready) {
				out = append(out, fmt.Sprintf("booking %q starts at %s, before its dependency %q ends and soaks (%s)", b.ID, b.Start, d, ready))
			}
		}
	}
	return out
}

func matches(sc calendar.Scope, b calendar.Booking) bool {
	in := func(list []string, x string) bool { return len(list) == 0 || slices.Contains(list, x) }
	if !in(sc.Environments, b.Environment) || !in(sc.Teams, b.Team) {
		return false
	}
	if len(sc.Services) == 0 {
		return true
	}
	for _, s := range b.Services {
		if slices.Contains(sc.Services, s) {
			return true
		}
	}
	return false
}

func excepted(r calendar.Rule, b calendar.Booking) bool {
	class, action := b.Class, b.Action
	if class == "" {
		class = calendar.ClassNormal
	}
	if action == "" {
		action = calendar.ActionDeploy
	}
	return r.Kind == calendar.Freeze && (slices.Contains(r.AllowClasses, class) || slices.Contains(r.AllowActions, action))
}

func violations(cal *calendar.Calendar, others []calendar.Booking, b calendar.Booking) []string {
	var out []string
	if err := b.Validate(); err != nil {
		return []string{err.Error()}
	}
	var windows []calendar.Occurrence
	windowRules := 0
	for _, r := range cal.Rules() {
		if !matches(r.Scope, b) {
			continue
		}
		occs, err := r.Occurrences(b.Start, b.End)
		if err != nil {
			out = append(out, fmt.Sprintf("booking %q: rule %q cannot be expanded: %v", b.ID, r.Name, err))
			continue
		}
		switch r.Kind {
		case calendar.Window:
			windowRules++
			windows = append(windows, occs...)
		case calendar.Lockdown, calendar.Freeze:
			if len(occs) > 0 && !excepted(r, b) {
				out = append(out, fmt.Sprintf("booking %q (%s–%s) overlaps %s %q at %s–%s", b.ID, b.Start, b.End, r.Kind, r.Name, occs[0].Start, occs[0].End))
			}
		}
	}
	if windowRules > 0 {
		sort.Slice(windows, func(i, j int) bool { return windows[i].Start.Before(windows[j].Start) })
		cur := b.Start
		for _, w := range windows {
			if w.Start.After(cur) {
				break
			}
			if w.End.After(cur) {
				cur = w.End
			}
		}
		if cur.Before(b.End) {
			out = append(out, fmt.Sprintf("booking %q (%s–%s) is not inside its windows: uncovered from %s", b.ID, b.Start, b.End, cur))
		}
	}
	var same []calendar.Booking
	for _, o := range others {
		if o.Environment == b.Environment && o.Start.Before(b.End) && b.Start.Before(o.End) {
			same = append(same, o)
			for _, s := range b.Services {
				if slices.Contains(o.Services, s) {
					out = append(out, fmt.Sprintf("booking %q overlaps booking %q on service %s in %s", b.ID, o.ID, s, b.Environment))
					break
				}
			}
		}
	}
	if limit := cal.Capacity(b.Environment); limit > 0 {
		points := []time.Time{b.Start}
		for _, o := range same {
			if o.Start.After(b.Start) {
				points = append(points, o.Start)
			}
		}
		for _, p := range points {
			n := 0
			for _, o := range same {
				if !o.Start.After(p) && o.End.After(p) {
					n++
				}
			}
			if n >= limit {
				out = append(out, fmt.Sprintf("booking %q makes %d concurrent bookings in %s at %s; capacity is %d", b.ID, n+1, b.Environment, p, limit))
				break
			}
		}
	}
	return out
}
