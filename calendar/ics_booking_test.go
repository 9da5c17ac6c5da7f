package calendar_test

import (
	"strings"
	"testing"
	"time"

	"github.com/releasekit/releasekit/calendar"
)

// TestICSBookingText: a booking's event is named by its services and environment by
// default, and by WithBookingText when given (SUMMARY and DESCRIPTION, escaped); the
// booking's ID stays in X-RELEASEKIT-BOOKING.
func TestICSBookingText(t *testing.T) {
	from := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	b := calendar.Booking{ID: "01a24fbb#3", Environment: "prod", Services: []string{"payments", "ledger"},
		Start: from.Add(10 * time.Hour), End: from.Add(11 * time.Hour)}
	cal, err := calendar.NewWithOptions(nil, calendar.WithBookings(b))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		why  string
		opts []calendar.ICSOption
		want []string
		not  []string
	}{
		{"default", nil, []string{"SUMMARY:payments\\, ledger in prod\r\n", "X-RELEASEKIT-BOOKING:01a24fbb#3\r\n"}, []string{"DESCRIPTION:", "SUMMARY:Booking"}},
		{"named", []calendar.ICSOption{calendar.WithBookingText(func(b calendar.Booking) (string, string) {
			return "payments 2.4.0 in " + b.Environment, "promoted; from staging"
		})}, []string{"SUMMARY:payments 2.4.0 in prod\r\n", "DESCRIPTION:promoted\\; from staging\r\n", "X-RELEASEKIT-BOOKING:01a24fbb#3\r\n"}, nil},
		{"empty summary keeps the default", []calendar.ICSOption{calendar.WithBookingText(func(calendar.Booking) (string, string) { return "", "" })},
			[]string{"SUMMARY:payments\\, ledger in prod\r\n"}, []string{"DESCRIPTION:"}},
	} {
		var w strings.Builder
		if err := cal.WriteICS(&w, from, from.Add(24*time.Hour), tc.opts...); err != nil {
			t.Fatal(err)
		}
		for _, s := range tc.want {
			if !strings.Contains(w.String(), s) {
				t.Errorf("%s: the export lacks %q:\n%s", tc.why, s, w.String())
			}
		}
		for _, s := range tc.not {
			if strings.Contains(w.String(), s) {
				t.Errorf("%s: the export has %q:\n%s", tc.why, s, w.String())
			}
		}
	}
}
