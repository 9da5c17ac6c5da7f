package calendar_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/releasekit/releasekit/calendar"
)

// TestNoSlotNamesTheLongestWindow: a change longer than every window open to it is
// told so, with the longest window (windows that touch count as one) and the rule
// that opens it; a change that fits a window but finds no room gets the blockers,
// without a longest window.
func TestNoSlotNamesTheLongestWindow(t *testing.T) {
	berlin := zone(t, "Europe/Berlin")
	rule := func(name string, from, to int) calendar.Rule {
		return calendar.Rule{Name: name, Kind: calendar.Window, Zone: "Europe/Berlin",
			Start: calendar.Wall(2026, 6, 2, from, 0, 0), End: calendar.Wall(2026, 6, 2, to, 0, 0),
			RRule: "FREQ=WEEKLY;BYDAY=TU", Scope: calendar.Scope{Environments: []string{"prod"}}}
	}
	// Tuesdays 08:00–10:00 and 10:00–13:00 touch: one five-hour window. 15:00–16:00 is apart.
	cal, err := calendar.New(rule("early", 8, 10), rule("late morning", 10, 13), rule("afternoon", 15, 16))
	if err != nil {
		t.Fatal(err)
	}
	req := calendar.Request{ID: "big", Environment: "prod", NotBefore: at(t, berlin, "2026-06-01 00:00"), NotAfter: at(t, berlin, "2026-06-30 00:00")}

	req.Duration = 5 * time.Hour
	if b, err := cal.NextSlot(req); err != nil || !b.Start.Equal(at(t, berlin, "2026-06-02 08:00")) {
		t.Fatalf("a five-hour change across the touching windows: %v, %v; want 2026-06-02 08:00", b.Start, err)
	}

	req.Duration = 6 * time.Hour
	_, err = cal.NextSlot(req)
	var ns *calendar.NoSlotError
	if !errors.As(err, &ns) || !errors.Is(err, calendar.ErrNoSlot) {
		t.Fatalf("got %v, want a *NoSlotError", err)
	}
	if ns.LongestWindow != 5*time.Hour || ns.LongestRule != "early" {
		t.Errorf("LongestWindow %v opened by %q, want 5h opened by \"early\"", ns.LongestWindow, ns.LongestRule)
	}
	for _, want := range []string{"it takes 6h0m0s, longer than the longest window open to it", "(5h0m0s, rule \"early\")", "add a window at least 6h0m0s long"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message does not say %q:\n%s", want, err)
		}
	}
	if strings.Contains(err.Error(), "NotAfter") {
		t.Errorf("the range is not the cause, yet the message suggests widening it:\n%s", err)
	}

	// Fits a window, but the range closes before one opens: no longest window.
	req.Duration, req.NotAfter = time.Hour, at(t, berlin, "2026-06-01 12:00")
	_, err = cal.NextSlot(req)
	if !errors.As(err, &ns) || ns.LongestWindow != 0 {
		t.Fatalf("got %v, want a *NoSlotError without a longest window", err)
	}
}
