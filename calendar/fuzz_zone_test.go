package calendar_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/releasekit/releasekit/calendar"
)

// FuzzLoadZone feeds arbitrary zone names (they arrive from configuration and from
// the TZID of imported iCalendar files) to LoadZone: it never panics; a refusal is a
// *ZoneError (ErrUnknownZone) naming the zone; an accepted name loads a location of
// that name; and a name that could walk the file system (an absolute path, "..", a
// backslash, a NUL byte) or depends on the machine ("", "Local") is always refused.
// Run with:
//
//	go test -run '^$' -fuzz '^FuzzLoadZone$' -fuzztime 60s ./calendar
func FuzzLoadZone(f *testing.F) {
	for _, s := range []string{"Europe/Berlin", "UTC", "America/Argentina/Buenos_Aires", "Etc/GMT+5", "", "Local",
		"../../etc/passwd", "/etc/localtime", "Europe/../Europe/Berlin", "Europe\\Berlin", "Europe/Berlin\x00", "Europe", "zone1970.tab", "posixrules"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		loc, err := calendar.LoadZone(name)
		unsafe := name == "" || name == "Local" || strings.HasPrefix(name, "/") || strings.Contains(name, "..") || strings.ContainsAny(name, "\x00\\")
		if err != nil {
			var ze *calendar.ZoneError
			if !errors.Is(err, calendar.ErrUnknownZone) || !errors.As(err, &ze) || ze.Zone != name {
				t.Fatalf("LoadZone(%q) = %v, want a *ZoneError naming it (ErrUnknownZone)", name, err)
			}
			return
		}
		if unsafe {
			t.Fatalf("LoadZone(%q) accepted a name that walks the file system or depends on the machine", name)
		}
		if loc == nil || loc.String() != name {
			t.Fatalf("LoadZone(%q) = %v, want a location of that name", name, loc)
		}
	})
}
