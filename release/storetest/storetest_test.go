package storetest_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/calendar"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/storetest"
)

// lostUpdate ignores the expected revision: the classic lost-update bug. It writes
// whatever it is given on top of what is stored now (renumbering and relinking the
// entry, so that the history stays a chain the store accepts).
type lostUpdate struct{ *memory.Store }

func (s lostUpdate) Update(ctx context.Context, _ int64, r release.Release, e release.AuditEntry) error {
	cur, err := s.Store.Get(ctx, r.ID)
	if err != nil {
		return err
	}
	e.Sequence, e.PrevHash = cur.Revision+1, cur.Head
	if e.Hash, err = e.ComputeHash(); err != nil {
		return err
	}
	r.Revision, r.Head = e.Sequence, e.Hash
	return s.Store.Update(ctx, cur.Revision, r, e)
}

// doubleBooker never refuses an overlapping booking.
type doubleBooker struct{ *memory.Store }

func (s doubleBooker) Book(ctx context.Context, b calendar.Booking) error {
	b.Start = b.Start.Add(-1000 * time.Hour) // move it out of everyone's way while storing
	b.End = b.Start.Add(time.Nanosecond)
	return s.Store.Book(ctx, b)
}

// aliasing returns the stored release itself, not a copy.
type aliasing struct {
	*memory.Store
	last *release.Release
}

func (s *aliasing) Get(ctx context.Context, id release.ID) (release.Release, error) {
	r, err := s.Store.Get(ctx, id)
	if s.last != nil && s.last.ID == id {
		return *s.last, err
	}
	s.last = &r
	return r, err
}

var broken = map[string]func() release.Store{
	"lost-update":   func() release.Store { return lostUpdate{memory.New()} },
	"double-booker": func() release.Store { return doubleBooker{memory.New()} },
	"aliasing":      func() release.Store { return &aliasing{Store: memory.New()} },
}

// TestSuiteCatchesBrokenStores runs the suite against stores with planted bugs, each in
// a child process, and requires it to fail on the case that covers the bug: the suite
// can fail.
func TestSuiteCatchesBrokenStores(t *testing.T) {
	if name := os.Getenv("STORETEST_BROKEN"); name != "" {
		storetest.Run(t, func(*testing.T) release.Store { return broken[name]() })
		return
	}
	for name, wantFailing := range map[string]string{
		"lost-update":   "CompareAndSwap", // deterministic; ConcurrentWriters catches it only when writers interleave
		"double-booker": "Booker/Overlap",
		"aliasing":      "Copies",
	} {
		t.Run(name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestSuiteCatchesBrokenStores$", "-test.v")
			cmd.Env = append(os.Environ(), "STORETEST_BROKEN="+name)
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("the suite passed a store with the %s bug", name)
			}
			if !strings.Contains(string(out), "--- FAIL: TestSuiteCatchesBrokenStores/"+wantFailing) {
				t.Fatalf("the suite did not fail case %s for the %s bug:\n%s", wantFailing, name, out)
			}
		})
	}
}
