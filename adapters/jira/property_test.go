package jira_test

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/releasekit/releasekit/adapters/jira"
	"github.com/releasekit/releasekit/adapters/jira/jiratest"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/dispatch"
)

// stepClock is a clock the test moves by hand.
type stepClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *stepClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// faultGen draws what Jira does during one transition: nothing wrong, down, or a
// fault on some requests (429 with Retry-After, 5xx, a write applied but answered
// with an error so that it is delivered again).
func faultGen(t *rapid.T) (down bool, f *jiratest.Fault) {
	switch rapid.IntRange(0, 3).Draw(t, "jira") {
	case 0:
		return false, nil
	case 1:
		return true, nil
	case 2:
		return false, &jiratest.Fault{
			Method:     rapid.SampledFrom([]string{"", "GET", "POST", "PUT"}).Draw(t, "method"),
			Status:     rapid.SampledFrom([]int{429, 500, 502, 503}).Draw(t, "status"),
			RetryAfter: rapid.SampledFrom([]string{"", "0", "2"}).Draw(t, "retryAfter"),
			Times:      rapid.IntRange(1, 8).Draw(t, "times"),
		}
	default:
		return false, &jiratest.Fault{
			Method:  "POST",
			Path:    rapid.SampledFrom([]string{"/issue", "/comment", "/transitions", "/version", "/search"}).Draw(t, "path"),
			Applied: true,
			Times:   rapid.IntRange(1, 3).Draw(t, "times"),
		}
	}
}

// uniqueTransition names the ReleaseWorkflow transition of the states that one
// event alone reaches.
var uniqueTransition = map[release.State]string{
	release.StateApproved: "Approve", release.StateDeploying: "Start deployment", release.StateDeployed: "Complete",
	release.StateVerified: "Verify", release.StateFailed: "Fail", release.StateRollingBack: "Roll back",
	release.StateRolledBack: "Finish rollback", release.StateClosed: "Close", release.StateCancelled: "Cancel",
}

// TestPropertyOutbox checks, over random lifecycles of one or two releases with
// Jira down, rate limiting, failing, or applying writes whose answers are lost,
// and with duplicate and out-of-order deliveries:
//   - no transition is ever blocked or undone by Jira: every Fire commits;
//   - once Jira is up, the Dispatcher brings every issue to the release's state,
//     with exactly one comment per commented history entry;
//   - no retry ever creates a second issue for a release.
func TestPropertyOutbox(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		ctx := context.Background()
		// Map every state to the status it leads to (Jira takes whichever offered
		// transition goes there: unschedule and plan both lead to Planned), or,
		// where one transition alone reaches the state, maybe to its name.
		mapping := map[release.State]string{}
		for st, status := range statusOf {
			mapping[st] = status
			if name, ok := uniqueTransition[st]; ok && rapid.Bool().Draw(rt, "by name "+string(st)) {
				mapping[st] = name
			}
		}
		f := setup(t, rapid.SampledFrom(jira.Editions()).Draw(rt, "edition"), func(c *jira.Config) { c.Transitions = mapping })
		defer f.srv.Close()

		rels := make([]release.Release, rapid.IntRange(1, 2).Draw(rt, "releases"))
		for i := range rels {
			rels[i] = f.create(t)
		}
		steps := rapid.IntRange(1, 14).Draw(rt, "steps")
		for range steps {
			i := rapid.IntRange(0, len(rels)-1).Draw(rt, "release")
			r := rels[i]
			evs := release.Available(r.State)
			if len(evs) == 0 {
				continue
			}
			ev := rapid.SampledFrom(evs).Draw(rt, "event")
			down, fault := faultGen(rt)
			f.srv.SetDown(down)
			if fault != nil {
				f.srv.Inject(*fault)
			}
			next, err := f.eng.Fire(ctx, r.ID, ev, rui)
			if !release.Committed(err) {
				rt.Fatalf("fire %s on %s with Jira down=%v fault=%+v: %v (the transition was blocked)", ev, r.State, down, fault, err)
			}
			want, _ := release.Next(r.State, ev)
			if stored, gerr := f.store.Get(ctx, r.ID); gerr != nil || stored.State != want || next.State != want {
				rt.Fatalf("after %s: stored %s, returned %s, want %s (%v)", ev, stored.State, next.State, want, gerr)
			}
			rels[i] = next
			if rapid.Bool().Draw(rt, "redeliver") {
				// A duplicate or late delivery of an earlier notification.
				h, _ := f.store.History(ctx, r.ID)
				e := h[rapid.IntRange(0, len(h)-1).Draw(rt, "entry")]
				_ = f.n.Notify(ctx, release.Notification{Release: next, Entry: e})
			}
			f.srv.ClearFaults()
		}

		// Jira is up again: the Dispatcher delivers what is pending.
		f.srv.SetDown(false)
		f.srv.ClearFaults()
		clk := &stepClock{t: t0.Add(24 * time.Hour)}
		d, err := dispatch.New(f.store, f.n, dispatch.Config{Clock: clk, MinAge: time.Nanosecond, BaseDelay: time.Nanosecond, MaxDelay: time.Nanosecond})
		if err != nil {
			rt.Fatal(err)
		}
		for round := 0; ; round++ {
			st, err := d.RunOnce(ctx)
			if err != nil {
				rt.Fatal(err)
			}
			if st.Claimed == 0 {
				break
			}
			if st.Failed > 0 && round > 3 {
				rt.Fatalf("round %d: %d deliveries still fail with Jira up", round, st.Failed)
			}
			clk.add(time.Hour)
		}

		// Create is not notified: a release's issue comes with its first transition.
		issues, moved := f.srv.Issues(), 0
		for _, r := range rels {
			if r.Revision > 1 {
				moved++
			}
		}
		if len(issues) != moved {
			rt.Fatalf("%d issues for %d releases that moved", len(issues), moved)
		}
		for _, r := range rels {
			if r.Revision == 1 {
				continue
			}
			var mine []jiratest.Issue
			for _, is := range issues {
				for _, l := range is.Labels {
					if l == "releasekit-"+r.ID.String() {
						mine = append(mine, is)
					}
				}
			}
			if len(mine) != 1 {
				rt.Fatalf("release %s has %d issues", r.ID, len(mine))
			}
			is := mine[0]
			if is.Status != statusOf[r.State] {
				rt.Fatalf("release %s is %s, its issue %s is %q, want %q", r.ID, r.State, is.Key, is.Status, statusOf[r.State])
			}
			m := markers(t, is, r.ID)
			for seq := int64(2); seq <= r.Revision; seq++ {
				if m[seq] != 1 {
					rt.Fatalf("issue %s: entry %d has %d comments, want 1 (all: %v)", is.Key, seq, m[seq], m)
				}
			}
			if len(m) != int(r.Revision-1) || len(is.Comments) != int(r.Revision-1) {
				rt.Fatalf("issue %s: %d comments for %d entries", is.Key, len(is.Comments), r.Revision-1)
			}
			_, verified := r.Reached[release.StateVerified]
			_, rolledBack := r.Reached[release.StateRolledBack]
			shipped := r.State == release.StateClosed && verified && !rolledBack
			for _, v := range f.srv.Versions() {
				if v.Name == "checkout 2.4.0" && v.Released != shipped && len(rels) == 1 {
					rt.Fatalf("version released=%v, want %v (state %s)", v.Released, shipped, r.State)
				}
			}
		}
	})
}

// TestPropertyNotifyIsIdempotent delivers a release's notifications in a random
// order, each any number of times: the issue ends as the history says.
func TestPropertyNotifyIsIdempotent(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		ctx := context.Background()
		f := setup(t, jira.Cloud, nil)
		defer f.srv.Close()
		f.srv.SetDown(true) // the engine's own deliveries all fail
		r := f.create(t)
		path := []release.Event{release.EventPlan, release.EventSchedule, release.EventApprove, release.EventStart,
			release.EventComplete, release.EventVerify, release.EventClose}
		r, _ = f.fire(t, r, path[:rapid.IntRange(1, len(path)).Draw(rt, "length")]...)
		f.srv.SetDown(false)
		h, _ := f.store.History(ctx, r.ID)
		order := rapid.SliceOfN(rapid.IntRange(0, len(h)-1), 1, 20).Draw(rt, "deliveries")
		order = append(order, len(h)-1)
		for _, i := range order {
			if err := f.n.Notify(ctx, release.Notification{Release: r, Entry: h[i]}); err != nil {
				rt.Fatal(err)
			}
		}
		is := f.only(t)
		if is.Status != statusOf[r.State] || len(is.Comments) != len(h)-1 {
			rt.Fatalf("issue status %q with %d comments; want %q with %d", is.Status, len(is.Comments), statusOf[r.State], len(h)-1)
		}
		for i, s := range texts(is) {
			if want := "#" + strconv.Itoa(i+2) + "]"; !strings.Contains(s, want) {
				rt.Fatalf("comment %d = %q, want entry %d's (in history order)", i, s, i+2)
			}
		}
	})
}
