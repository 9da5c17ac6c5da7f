package calendar_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/releasekit/releasekit/calendar"
)

// FuzzBookAndSlot feeds arbitrary bookings and requests to a calendar with rules and
// bookings: nothing may panic, Book must agree with Check, and a slot from NextSlot
// must pass Check.
func FuzzBookAndSlot(f *testing.F) {
	f.Add("b1", "prod", "api,web", "core", int64(1781000000), int64(3600), "emergency", "hotfix", int64(900))
	f.Add("", "", "", "", int64(0), int64(-5), "urgent", "redeploy", int64(0))
	f.Add("x", "prod", ",", "", int64(-1<<62), int64(1<<62), "", "", int64(-1))
	f.Add("b2", "staging", "db", "growth", int64(1798000000), int64(86400*20), "normal", "rollback", int64(1))
	cal, err := calendar.NewWithOptions(trainRules(), calendar.WithCapacity("prod", 2), calendar.WithAlignment(15*time.Minute))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, id, env, services, team string, start, length int64, class, action string, align int64) {
		var svcs []string
		if services != "" {
			svcs = strings.Split(services, ",")
		}
		b := calendar.Booking{ID: id, Environment: env, Services: svcs, Team: team,
			Start: time.Unix(start, 0), End: time.Unix(start, 0).Add(time.Duration(length) * time.Second),
			Class: calendar.Class(class), Action: calendar.Action(action)}
		cs := cal.Check(b)
		err := cal.Book(b)
		switch {
		case calendar.ValidateBooking(b) != nil:
			if !errors.Is(err, calendar.ErrInvalidBooking) || len(cs) != 1 || cs[0].Kind != calendar.ConflictInvalid {
				t.Fatalf("invalid booking: Book %v, Check %v", err, cs)
			}
		case err == nil && len(cs) > 0:
			t.Fatalf("Book accepted what Check refused: %v", cs)
		case err != nil && len(cs) == 0 && !errors.Is(err, calendar.ErrDuplicateID):
			t.Fatalf("Book refused what Check accepted: %v", err)
		}
		r := calendar.Request{ID: id + "-r", Environment: env, Services: svcs, Team: team, Class: b.Class, Action: b.Action,
			Duration: time.Duration(length) * time.Second, NotBefore: b.Start, NotAfter: b.Start.Add(14 * 24 * time.Hour)}
		slot, err := cal.NextSlot(r)
		if err == nil {
			if cs := cal.Check(slot); len(cs) > 0 {
				t.Fatalf("slot %v has conflicts %v", slot, cs)
			}
		} else if !errors.Is(err, calendar.ErrNoSlot) && !errors.Is(err, calendar.ErrInvalidRequest) {
			t.Fatalf("NextSlot: %v", err)
		}
		_, _ = calendar.NewWithOptions(nil, calendar.WithAlignment(time.Duration(align)), calendar.WithCapacity(env, int(align)))
	})
}
