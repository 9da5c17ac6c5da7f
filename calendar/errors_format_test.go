package calendar_test

import (
	"strings"
	"testing"

	"github.com/releasekit/releasekit/calendar"
)

func TestConflictErrorReadsAsOneSentence(t *testing.T) {
	err := &calendar.ConflictError{Booking: "b", Conflicts: []calendar.Conflict{{Reason: "one"}, {Reason: "two"}, {Reason: "three"}}}
	if got, want := err.Error(), `calendar: booking "b" refused, 3 conflicts: one; two; three`; got != want {
		t.Fatalf("Error() = %q, want %q", got, want)
	}
	if strings.Contains(err.Error(), ": ;") {
		t.Fatalf("stray separator in %q", err.Error())
	}
}
