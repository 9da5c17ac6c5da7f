package jira_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/releasekit/releasekit/adapters/jira"
	"github.com/releasekit/releasekit/release"
)

// A refused start is history, and the issue gets one comment naming the event and
// why, however often the start is retried for the same cause.
func TestRefusedStartIsCommented(t *testing.T) {
	f := setup(t, jira.Cloud, nil)
	r := f.create(t)
	r, _ = f.fire(t, r, release.EventPlan, release.EventSchedule, release.EventApprove)
	board := release.OnEvents(release.GuardFunc("change-board", func(context.Context, *release.Proposal) error {
		return errors.New("CHG-7 is not signed off")
	}), release.EventStart)
	held, err := release.New(f.store, release.WithNotifier(f.n), release.WithClock(f.clock), release.WithPolicy(release.AllowAll()), release.WithGuard(board))
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := held.Fire(context.Background(), r.ID, release.EventStart, rui); !errors.Is(err, release.ErrGuardRefused) {
			t.Fatalf("start = %v, want ErrGuardRefused", err)
		}
	}
	is := f.only(t)
	if len(is.Comments) != int(r.Revision) {
		t.Fatalf("%d comments, want %d: one per entry, the refusal once", len(is.Comments), r.Revision)
	}
	last := texts(is)[len(is.Comments)-1]
	if !strings.Contains(last, "start refused: rui asked in state approved; change-board: CHG-7 is not signed off") {
		t.Errorf("the refusal's comment = %q", last)
	}
}
