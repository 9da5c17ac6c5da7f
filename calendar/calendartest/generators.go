package calendartest

import (
	"fmt"
	"time"

	"pgregory.net/rapid"

	"github.com/releasekit/releasekit/calendar"
)

// Config bounds what the generators produce. Small sets and a short range make
// collisions (overlaps, freezes hitting bookings, full capacity) frequent, which is
// what finds bugs. The zero value is not useful; start from [DefaultConfig].
type Config struct {
	// From and To bound rule starts, booking starts and request ranges.
	From, To time.Time
	// Zones are the IANA zones rules are written in.
	Zones []string
	// Environments, Services and Teams are the names bookings, requests and rule
	// scopes draw from.
	Environments, Services, Teams []string
	// MaxRules and MaxBookings bound the size of generated calendars.
	MaxRules, MaxBookings int
	// Alignments are the slot alignments generated calendars use.
	Alignments []time.Duration
}

// DefaultConfig covers March 2026 to mid-April 2026, which holds the spring-forward
// transitions of America/New_York (8 March) and Europe/Berlin (29 March) and the
// fall-back of Australia/Sydney (5 April), in the zones of [Zones], with two
// environments, three services and two teams.
func DefaultConfig() Config {
	return Config{
		From:         time.Date(2026, time.March, 1, 0, 0, 0, 0, time.UTC),
		To:           time.Date(2026, time.April, 15, 0, 0, 0, 0, time.UTC),
		Zones:        Zones(),
		Environments: []string{"prod", "staging"},
		Services:     []string{"api", "web", "db"},
		Teams:        []string{"core", "growth"},
		MaxRules:     5,
		MaxBookings:  8,
		Alignments:   []time.Duration{15 * time.Minute, 30 * time.Minute, time.Hour},
	}
}

// Zones lists the zones the default generators use: UTC and three zones with DST
// transitions in different directions and at different times of day.
func Zones() []string {
	return []string{"UTC", "Europe/Berlin", "America/New_York", "Australia/Sydney"}
}

// Rule generates valid rules with the default [Config]; see [Config.Rule].
func Rule() *rapid.Generator[calendar.Rule] { return DefaultConfig().Rule() }

// Booking generates well-formed bookings with the default [Config]; see [Config.Booking].
func Booking() *rapid.Generator[calendar.Booking] { return DefaultConfig().Booking() }

// Request generates well-formed requests with the default [Config]; see [Config.Request].
func Request() *rapid.Generator[calendar.Request] { return DefaultConfig().Request() }

// Calendar generates calendars with the default [Config]; see [Config.Calendar].
func Calendar() *rapid.Generator[*calendar.Calendar] { return DefaultConfig().Calendar() }

func (cfg Config) days() int {
	d := int(cfg.To.Sub(cfg.From) / (24 * time.Hour))
	return max(d, 1)
}

// instant draws an instant in [From, To) on a quarter-hour grid.
func (cfg Config) instant(t *rapid.T, label string) time.Time {
	quarters := int(cfg.To.Sub(cfg.From) / (15 * time.Minute))
	return cfg.From.Add(time.Duration(rapid.IntRange(0, max(quarters-1, 0)).Draw(t, label)) * 15 * time.Minute)
}

func subset[T any](t *rapid.T, label string, from []T, maxLen int) []T {
	if len(from) == 0 {
		return nil
	}
	return rapid.SliceOfNDistinct(rapid.SampledFrom(from), 0, min(maxLen, len(from)), func(x T) string { return fmt.Sprint(x) }).Draw(t, label)
}

var recurrences = []struct {
	rrule  string
	maxLen time.Duration // longest occurrence that keeps occurrences apart
}{
	{"", 3 * 24 * time.Hour},
	{"FREQ=DAILY", 20 * time.Hour},
	{"FREQ=DAILY;INTERVAL=2;COUNT=6", 40 * time.Hour},
	{"FREQ=WEEKLY;BYDAY=TU,TH", 40 * time.Hour},
	{"FREQ=WEEKLY;BYDAY=MO,WE,FR", 40 * time.Hour},
	{"FREQ=WEEKLY", 6 * 24 * time.Hour},
}

// Rule generates valid rules (windows, freezes, lockdowns) starting within [From, To)
// in one of the zones, one-off or recurring, with wall-clock ends or exact durations,
// random scopes, and exceptions on freezes. Starts fall on quarter hours at any hour,
// so DST gaps and overlaps are hit. Names are "rule"; [Config.Calendar] makes them
// unique.
func (cfg Config) Rule() *rapid.Generator[calendar.Rule] {
	return rapid.Custom(func(t *rapid.T) calendar.Rule {
		day := cfg.From.AddDate(0, 0, rapid.IntRange(0, cfg.days()-1).Draw(t, "day"))
		start := calendar.Wall(day.Year(), day.Month(), day.Day(),
			rapid.IntRange(0, 23).Draw(t, "hour"), 15*rapid.IntRange(0, 3).Draw(t, "quarter"), 0)
		rec := rapid.SampledFrom(recurrences).Draw(t, "recurrence")
		length := time.Duration(rapid.IntRange(1, int(rec.maxLen/(15*time.Minute))).Draw(t, "quarters")) * 15 * time.Minute
		r := calendar.Rule{
			Name:            "rule",
			Kind:            rapid.SampledFrom(calendar.Kinds()).Draw(t, "kind"),
			Zone:            rapid.SampledFrom(cfg.Zones).Draw(t, "zone"),
			Start:           start,
			RRule:           rec.rrule,
			SkipNonexistent: rapid.Bool().Draw(t, "skipNonexistent"),
			Scope: calendar.Scope{
				Environments: subset(t, "environments", cfg.Environments, 1),
				Services:     subset(t, "services", cfg.Services, 2),
				Teams:        subset(t, "teams", cfg.Teams, 1),
			},
		}
		if rapid.Bool().Draw(t, "exactDuration") {
			r.Duration = length
		} else {
			u := time.Date(start.Year, start.Month, start.Day, start.Hour, start.Minute, 0, 0, time.UTC).Add(length)
			r.End = calendar.Wall(u.Year(), u.Month(), u.Day(), u.Hour(), u.Minute(), 0)
		}
		if r.Kind == calendar.Freeze {
			r.AllowClasses = subset(t, "allowClasses", calendar.Classes(), 1)
			r.AllowActions = subset(t, "allowActions", calendar.Actions(), 1)
		}
		if err := r.Validate(); err != nil {
			t.Fatalf("calendartest generated an invalid rule, a bug in calendartest: %v", err)
		}
		return r
	})
}

// Booking generates well-formed bookings starting within [From, To) on quarter hours,
// 15 minutes to 6 hours long, with one or two services, any class and action (zero
// values included). IDs are "b" followed by a number, not necessarily unique.
func (cfg Config) Booking() *rapid.Generator[calendar.Booking] {
	return rapid.Custom(func(t *rapid.T) calendar.Booking {
		start := cfg.instant(t, "start")
		return calendar.Booking{
			ID:          fmt.Sprintf("b%d", rapid.IntRange(0, 999).Draw(t, "id")),
			Environment: rapid.SampledFrom(cfg.Environments).Draw(t, "environment"),
			Services:    rapid.SliceOfNDistinct(rapid.SampledFrom(cfg.Services), 1, 2, rapid.ID[string]).Draw(t, "services"),
			Team:        rapid.SampledFrom(append([]string{""}, cfg.Teams...)).Draw(t, "team"),
			Start:       start,
			End:         start.Add(time.Duration(rapid.IntRange(1, 24).Draw(t, "quarters")) * 15 * time.Minute),
			Class:       rapid.SampledFrom(append([]calendar.Class{""}, calendar.Classes()...)).Draw(t, "class"),
			Action:      rapid.SampledFrom(append([]calendar.Action{""}, calendar.Actions()...)).Draw(t, "action"),
		}
	})
}

// Request generates well-formed requests: 15 minutes to 4 hours long, not before an
// instant in [From, To), not after up to three days later, without dependencies. IDs
// are "r" followed by a number, not necessarily unique.
func (cfg Config) Request() *rapid.Generator[calendar.Request] {
	return rapid.Custom(func(t *rapid.T) calendar.Request {
		nb := cfg.instant(t, "notBefore").Add(time.Duration(rapid.IntRange(0, 14).Draw(t, "minutes")) * time.Minute)
		return calendar.Request{
			ID:          fmt.Sprintf("r%d", rapid.IntRange(0, 999).Draw(t, "id")),
			Environment: rapid.SampledFrom(cfg.Environments).Draw(t, "environment"),
			Services:    rapid.SliceOfNDistinct(rapid.SampledFrom(cfg.Services), 0, 2, rapid.ID[string]).Draw(t, "services"),
			Team:        rapid.SampledFrom(append([]string{""}, cfg.Teams...)).Draw(t, "team"),
			Class:       rapid.SampledFrom(append([]calendar.Class{""}, calendar.Classes()...)).Draw(t, "class"),
			Action:      rapid.SampledFrom(append([]calendar.Action{""}, calendar.Actions()...)).Draw(t, "action"),
			Duration:    time.Duration(rapid.IntRange(1, 16).Draw(t, "quarters")) * 15 * time.Minute,
			NotBefore:   nb,
			NotAfter:    nb.Add(time.Duration(rapid.IntRange(0, 72).Draw(t, "hours")) * time.Hour),
			Soak:        time.Duration(rapid.IntRange(0, 4).Draw(t, "soakQuarters")) * 15 * time.Minute,
		}
	})
}

// Requests generates a batch of up to n requests with unique IDs ("r0", "r1", …) in
// which each request may depend on earlier ones, so the batch has no cycle.
func (cfg Config) Requests(n int) *rapid.Generator[[]calendar.Request] {
	return rapid.Custom(func(t *rapid.T) []calendar.Request {
		k := rapid.IntRange(0, n).Draw(t, "n")
		out := make([]calendar.Request, k)
		for i := range out {
			r := cfg.Request().Draw(t, "request")
			r.ID = fmt.Sprintf("r%d", i)
			if i > 0 {
				for _, d := range rapid.SliceOfNDistinct(rapid.IntRange(0, i-1), 0, 2, rapid.ID[int]).Draw(t, "deps") {
					r.DependsOn = append(r.DependsOn, fmt.Sprintf("r%d", d))
				}
			}
			out[i] = r
		}
		return out
	})
}

// Calendar generates calendars of up to MaxRules rules (named "rule0", "rule1", …),
// with a capacity of 0 (unlimited) to 3 per environment, one of the Alignments, and up
// to MaxBookings bookings (IDs "b0", "b1", …) kept only when the calendar admits them.
func (cfg Config) Calendar() *rapid.Generator[*calendar.Calendar] {
	return rapid.Custom(func(t *rapid.T) *calendar.Calendar {
		rules := rapid.SliceOfN(cfg.Rule(), 0, cfg.MaxRules).Draw(t, "rules")
		for i := range rules {
			rules[i].Name = fmt.Sprintf("rule%d", i)
		}
		opts := []calendar.Option{calendar.WithAlignment(rapid.SampledFrom(cfg.Alignments).Draw(t, "alignment"))}
		for _, env := range cfg.Environments {
			opts = append(opts, calendar.WithCapacity(env, rapid.IntRange(0, 3).Draw(t, "capacity-"+env)))
		}
		cal, err := calendar.NewWithOptions(rules, opts...)
		if err != nil {
			t.Fatalf("calendartest generated an invalid calendar, a bug in calendartest: %v", err)
		}
		n := rapid.IntRange(0, cfg.MaxBookings).Draw(t, "bookings")
		for i := 0; i < n; i++ {
			b := cfg.Booking().Draw(t, "booking")
			b.ID = fmt.Sprintf("b%d", i)
			_ = cal.Book(b) // keep the admitted ones only
		}
		return cal
	})
}
