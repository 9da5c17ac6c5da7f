package servicenow_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/releasekit/releasekit/adapters/servicenow"
	"github.com/releasekit/releasekit/adapters/servicenow/snowtest"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/dispatch"
)

// actorFor is who fires each event in the properties.
func actorFor(ev release.Event) release.Actor {
	switch ev {
	case release.EventPlan, release.EventSchedule, release.EventUnschedule, release.EventCancel:
		return ana
	case release.EventApprove, release.EventRevoke, release.EventClose:
		return rui
	}
	return bot
}

// walk fires a random lifecycle path of up to 14 events on r. Before each event
// down(i) decides whether the instance is down. Every event must commit and move
// the release as the lifecycle says, whatever the instance does.
func walk(t *rapid.T, f *fixture, r release.Release, down func(i int) bool) release.Release {
	for i := 0; i < 14 && !r.State.Terminal(); i++ {
		events := release.Available(r.State)
		ev := rapid.SampledFrom(events).Draw(t, "event")
		f.srv.SetDown(down(i))
		var opts []release.FireOption
		switch ev {
		case release.EventStart:
			f.clock.Set(r.Slot.Start)
		case release.EventClose:
			opts = append(opts, release.WithReview(release.Review{Outcome: "done"}))
		}
		want, _ := release.Next(r.State, ev)
		got, err := f.eng.Fire(f.ctx, r.ID, ev, actorFor(ev), opts...)
		if !release.Committed(err) {
			t.Fatalf("%s from %s was not committed (instance down: %v): %v", ev, r.State, down(i), err)
		}
		if got.State != want {
			t.Fatalf("%s from %s: state %s, want %s", ev, r.State, got.State, want)
		}
		r = got
	}
	return r
}

// drain runs a dispatcher over the outbox until nothing is pending.
func drain(t *rapid.T, f *fixture) {
	d, err := dispatch.New(f.store, f.sync, dispatch.Config{Clock: f.clock, MinAge: time.Nanosecond, BaseDelay: time.Nanosecond, MaxDelay: time.Nanosecond})
	require.NoError(t, err)
	for range 20 {
		f.clock.Advance(time.Minute)
		st, err := d.RunOnce(f.ctx)
		require.NoError(t, err)
		if st.Claimed == 0 {
			return
		}
	}
	t.Fatalf("the outbox still holds notifications after 20 rounds")
}

// requireInStep checks that the release has exactly one change request, in the
// state its release's state maps to (none for a release that never left draft).
func requireInStep(t *rapid.T, f *fixture, r release.Release) {
	got := f.srv.ChangesFor(r.ID.String())
	if r.State == release.StateCancelled && len(got) == 0 {
		return // cancelled before its change request was made
	}
	if _, planned := r.Reached[release.StatePlanned]; !planned {
		require.Empty(t, got, "a release that never left draft has no change request")
		return
	}
	require.Len(t, got, 1, "one change request per release")
	require.Equal(t, servicenow.StateFor(r.State, r.Class), got[0]["state"], "release %s (%s), trail %v", r.State, r.Class, f.srv.Trail(got[0]["sys_id"]))
}

// No transition is ever blocked by the instance being down, and every transition
// reaches the change request once the instance is up again (the outbox's
// dispatcher delivers what the engine could not).
func TestPropertyDownNeverBlocksAndEverythingArrives(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		f := newFixture(t, fixtureOpt{synOpts: []servicenow.Option{servicenow.WithRetry(2, time.Nanosecond, time.Nanosecond)}})
		class := rapid.SampledFrom(release.Classes()).Draw(t, "class")
		downs := rapid.SliceOfN(rapid.Bool(), 14, 14).Draw(t, "down")
		r := walk(t, f, f.create(class), func(i int) bool { return downs[i] })
		f.srv.SetDown(false)
		drain(t, f)
		requireInStep(t, f, r)
	})
}

// A retry never creates a second record: whatever faults the instance injects
// (rate limits, 5xx, answers lost after the write was applied, dropped
// connections) and however often each notification is delivered, concurrently
// or not, every release has at most one change request, and it ends in step.
func TestPropertyRetriesNeverDuplicate(t *testing.T) {
	kinds := []snowtest.Fault{
		{Kind: snowtest.FaultStatus, Status: 429, RetryAfter: "1"},
		{Kind: snowtest.FaultStatus, Status: 500},
		{Kind: snowtest.FaultStatus, Status: 503},
		{Kind: snowtest.FaultAppliedThenStatus, Status: 503},
		{Kind: snowtest.FaultAppliedThenStatus, Status: 502},
		{Kind: snowtest.FaultDrop},
	}
	methods := []string{"", "GET", "POST", "PATCH"}
	rapid.Check(t, func(t *rapid.T) {
		var mu sync.Mutex
		var notes []release.Notification
		f := newFixture(t, fixtureOpt{
			synOpts: []servicenow.Option{servicenow.WithRetry(3, time.Nanosecond, time.Nanosecond)},
			notifier: release.NotifierFunc(func(_ context.Context, n release.Notification) error {
				mu.Lock()
				notes = append(notes, n)
				mu.Unlock()
				return nil
			}),
		})
		r := walk(t, f, f.create(rapid.SampledFrom(release.Classes()).Draw(t, "class")), func(int) bool { return false })
		for _, n := range notes {
			for range rapid.IntRange(0, 3).Draw(t, "faults") {
				fault := rapid.SampledFrom(kinds).Draw(t, "fault")
				fault.Method = rapid.SampledFrom(methods).Draw(t, "method")
				f.srv.Inject(fault)
			}
			f.clock.Advance(time.Minute) // past the cooldown a failure leaves
			copies := rapid.IntRange(1, 3).Draw(t, "copies")
			var wg sync.WaitGroup
			for range copies {
				wg.Go(func() { _ = f.sync.Notify(f.ctx, n) }) // a failure is retried below
			}
			wg.Wait()
		}
		// Whatever failed is delivered again once the faults are spent.
		f.clock.Advance(time.Minute)
		for _, n := range notes {
			require.NoError(t, f.sync.Notify(f.ctx, n))
		}
		requireInStep(t, f, r)
	})
}
