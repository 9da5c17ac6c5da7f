package calfile_test

import (
	"slices"
	"testing"
	"time"

	"github.com/releasekit/releasekit/calendar"
	"github.com/releasekit/releasekit/calendar/calendartest"
	"github.com/releasekit/releasekit/calendar/calfile"
	"github.com/releasekit/releasekit/internal/calfiletest"
	"pgregory.net/rapid"
)

// A calendar written as a file and loaded back has the same rules, settings and
// bookings, and answers every booking exactly as the original does.
func TestLoadMeansTheSameAsGo(t *testing.T) {
	cfg := calendartest.DefaultConfig()
	rapid.Check(t, func(t *rapid.T) {
		orig := cfg.Calendar().Draw(t, "calendar")
		src := calfiletest.Calendar(orig, cfg.Environments)
		f, err := calfile.Load("drawn.yaml", src)
		if err != nil {
			t.Fatalf("%v\n%s", err, src)
		}
		got := f.Calendar
		for _, r := range orig.Rules() {
			lr, ok := got.Rule(r.Name)
			if !ok {
				t.Fatalf("rule %q is missing after loading\n%s", r.Name, src)
			}
			if !sameRule(r, lr) {
				t.Fatalf("rule %q changed:\n want %+v\n  got %+v\n%s", r.Name, r, lr, src)
			}
		}
		if len(got.Rules()) != len(orig.Rules()) {
			t.Fatalf("%d rules loaded, want %d", len(got.Rules()), len(orig.Rules()))
		}
		if got.Alignment() != orig.Alignment() {
			t.Fatalf("alignment %v, want %v", got.Alignment(), orig.Alignment())
		}
		for _, env := range cfg.Environments {
			if got.Capacity(env) != orig.Capacity(env) {
				t.Fatalf("capacity of %s %d, want %d", env, got.Capacity(env), orig.Capacity(env))
			}
		}
		if len(got.Bookings()) != len(orig.Bookings()) {
			t.Fatalf("%d bookings loaded, want %d", len(got.Bookings()), len(orig.Bookings()))
		}
		b := cfg.Booking().Draw(t, "probe")
		want, have := kinds(orig.Check(b)), kinds(got.Check(b))
		if !slices.Equal(want, have) {
			t.Fatalf("Check(%+v): loaded calendar says %v, original %v\n%s", b, have, want, src)
		}
	})
}

func kinds(cs []calendar.Conflict) []string {
	var out []string
	for _, c := range cs {
		out = append(out, string(c.Kind)+" "+c.Rule+" "+c.Start.UTC().Format(time.RFC3339))
	}
	slices.Sort(out)
	return out
}

func sameRule(a, b calendar.Rule) bool {
	eq := func(x, y []string) bool { return len(x) == 0 && len(y) == 0 || slices.Equal(x, y) }
	return a.Name == b.Name && a.Kind == b.Kind && a.Zone == b.Zone && a.Start == b.Start && a.End == b.End &&
		a.Duration == b.Duration && a.RRule == b.RRule && slices.Equal(a.ExDates, b.ExDates) &&
		eq(a.Scope.Environments, b.Scope.Environments) && eq(a.Scope.Services, b.Scope.Services) && eq(a.Scope.Teams, b.Scope.Teams) &&
		slices.Equal(a.AllowClasses, b.AllowClasses) && slices.Equal(a.AllowActions, b.AllowActions) &&
		a.SkipNonexistent == b.SkipNonexistent
}
