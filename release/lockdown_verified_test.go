package release_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/releasetest"
)

// editing is a memory store whose lockdown history reads pass through edit (an
// attacker with write access to the database), and that records from where starts
// read the history.
type editing struct {
	*memory.Store
	mu    sync.Mutex
	edit  func([]release.LockdownEntry) []release.LockdownEntry
	froms []int64
}

func (s *editing) tamper(h []release.LockdownEntry) []release.LockdownEntry {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.edit == nil {
		return h
	}
	return s.edit(h)
}

func (s *editing) LockdownHistory(ctx context.Context) ([]release.LockdownEntry, error) {
	h, err := s.Store.LockdownHistory(ctx)
	return s.tamper(h), err
}

func (s *editing) LockdownHistoryFrom(ctx context.Context, from int64) ([]release.LockdownEntry, error) {
	s.mu.Lock()
	s.froms = append(s.froms, from)
	s.mu.Unlock()
	h, err := s.LockdownHistory(ctx)
	if err != nil {
		return nil, err
	}
	var out []release.LockdownEntry
	for _, e := range h {
		if e.Sequence >= from {
			out = append(out, e)
		}
	}
	return out, nil
}

func (s *editing) lastFrom() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.froms[len(s.froms)-1]
}

// lockdownHistoryOf declares and lifts n staging drills on a fresh engine over s.
func drills(t *testing.T, s release.Store, n int) *release.Engine {
	t.Helper()
	eng, err := release.New(s, release.WithClock(releasetest.NewClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC), time.Millisecond)))
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		l, err := eng.Lockdown(context.Background(), rui, release.Lockdown{Reason: fmt.Sprint("drill ", i), Environments: []string{"staging"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := eng.Lift(context.Background(), l.ID, rui, "over"); err != nil {
			t.Fatal(err)
		}
	}
	return eng
}

// A start reads the lockdown history only from the last entry its engine verified,
// and still obeys what another engine declared since.
func TestStartReadsLockdownTail(t *testing.T) {
	ctx := context.Background()
	s := &editing{Store: memory.New()}
	eng := drills(t, s, 5) // 10 entries
	r := approvedIn(t, eng, "payments", "prod", release.ClassNormal)
	if _, err := eng.Fire(ctx, r.ID, release.EventStart, rui); err != nil {
		t.Fatal(err)
	}
	if got := s.lastFrom(); got != 1 {
		t.Fatalf("the engine's first start read the history from %d, want 1 (all of it)", got)
	}
	r = approvedIn(t, eng, "search", "prod", release.ClassNormal)
	if _, err := eng.Fire(ctx, r.ID, release.EventStart, rui); err != nil {
		t.Fatal(err)
	}
	if got := s.lastFrom(); got != 10 {
		t.Fatalf("the second start read the history from %d, want 10 (the last verified entry)", got)
	}
	other := drills(t, s, 0)
	l, err := other.Lockdown(ctx, rui, release.Lockdown{Reason: "incident 7", Environments: []string{"prod"}})
	if err != nil {
		t.Fatal(err)
	}
	r = approvedIn(t, eng, "ledger", "prod", release.ClassNormal)
	if _, err := eng.Fire(ctx, r.ID, release.EventStart, rui); !errors.Is(err, release.ErrGuardRefused) {
		t.Fatalf("a start after another engine's lockdown = %v, want ErrGuardRefused", err)
	}
	if _, err := other.Lift(ctx, l.ID, rui, "fixed"); err != nil {
		t.Fatal(err)
	}
	if _, err := eng.Fire(ctx, r.ID, release.EventStart, rui); err != nil {
		t.Fatalf("a start after the lift = %v", err)
	}
	if got := s.lastFrom(); got != 11 {
		t.Fatalf("the start after the lift read the history from %d, want 11", got)
	}
}

// What a running engine's starts detect of an edited lockdown history, and what the
// full reads detect.
func TestStartLockdownTampering(t *testing.T) {
	ctx := context.Background()
	edits := map[string]struct {
		edit      func([]release.LockdownEntry) []release.LockdownEntry
		seenByRun bool // a running engine's next start refuses
		// a new engine's first start refuses: a chain cut back, or whose last entry
		// was rewritten and rehashed, still verifies as a chain (it has no signed head)
		seenByFresh bool
	}{
		"the last verified entry edited": {func(h []release.LockdownEntry) []release.LockdownEntry {
			h[len(h)-1].Lockdown.LiftReason = "edited"
			return h
		}, true, true},
		"the last verified entry removed": {func(h []release.LockdownEntry) []release.LockdownEntry { return h[:len(h)-1] }, true, false},
		"the last verified entry rehashed": {func(h []release.LockdownEntry) []release.LockdownEntry {
			h[len(h)-1].Lockdown.LiftReason = "edited"
			h[len(h)-1].Hash, _ = h[len(h)-1].ComputeHash()
			return h
		}, true, false},
		"an older entry edited": {func(h []release.LockdownEntry) []release.LockdownEntry {
			h[0].Lockdown.Reason = "edited"
			return h
		}, false, true},
	}
	for name, tc := range edits {
		t.Run(name, func(t *testing.T) {
			s := &editing{Store: memory.New()}
			eng := drills(t, s, 3)
			r := approvedIn(t, eng, "payments", "prod", release.ClassNormal)
			if _, err := eng.Fire(ctx, r.ID, release.EventStart, rui); err != nil {
				t.Fatal(err)
			}
			s.mu.Lock()
			s.edit = tc.edit
			s.mu.Unlock()
			r = approvedIn(t, eng, "search", "prod", release.ClassNormal)
			_, err := eng.Fire(ctx, r.ID, release.EventStart, rui)
			if tc.seenByRun != errors.Is(err, release.ErrTampered) {
				t.Fatalf("the running engine's next start = %v, want ErrTampered: %v", err, tc.seenByRun)
			}
			if _, err := eng.Lockdowns(ctx); !errors.Is(err, release.ErrTampered) {
				t.Fatalf("Lockdowns = %v, want ErrTampered (it verifies the whole chain and the engine's last verified entry)", err)
			}
			if tc.seenByFresh {
				fresh := drills(t, s, 0)
				if !tc.seenByRun {
					r = approvedIn(t, eng, "ledger", "prod", release.ClassNormal)
				}
				if _, err := fresh.Fire(ctx, r.ID, release.EventStart, rui); !errors.Is(err, release.ErrTampered) {
					t.Fatalf("a new engine's first start = %v, want ErrTampered", err)
				}
			}
			if got, err := s.Get(ctx, r.ID); err != nil || tc.seenByRun && got.State != release.StateApproved {
				t.Fatalf("the refused release is %s (%v), want approved", got.State, err)
			}
		})
	}
}

// A running engine keeps obeying a lockdown it verified even when the store's copy
// of its declaration is later edited to look lifted: the edit is in an entry it
// does not read again.
func TestStartKeepsVerifiedLockdown(t *testing.T) {
	ctx := context.Background()
	s := &editing{Store: memory.New()}
	eng := drills(t, s, 0)
	if _, err := eng.Lockdown(ctx, rui, release.Lockdown{Reason: "incident 9", Environments: []string{"prod"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := eng.Lockdown(ctx, rui, release.Lockdown{Reason: "drill", Environments: []string{"staging"}}); err != nil {
		t.Fatal(err)
	}
	r := approvedIn(t, eng, "payments", "prod", release.ClassNormal)
	if _, err := eng.Fire(ctx, r.ID, release.EventStart, rui); !errors.Is(err, release.ErrGuardRefused) {
		t.Fatalf("start under the lockdown = %v, want ErrGuardRefused", err)
	}
	s.mu.Lock()
	s.edit = func(h []release.LockdownEntry) []release.LockdownEntry {
		h[0].Lockdown.Environments = []string{"nowhere"}
		h[0].Hash, _ = h[0].ComputeHash()
		return h
	}
	s.mu.Unlock()
	if _, err := eng.Fire(ctx, r.ID, release.EventStart, rui); !errors.Is(err, release.ErrGuardRefused) {
		t.Fatalf("start after the declaration was edited in the store = %v, want ErrGuardRefused", err)
	}
}

// countingReads is a memory store that counts the whole reads of the lockdown
// history.
type countingReads struct {
	*memory.Store
	mu    sync.Mutex
	reads int
}

func (s *countingReads) LockdownHistory(ctx context.Context) ([]release.LockdownEntry, error) {
	s.mu.Lock()
	s.reads++
	s.mu.Unlock()
	return s.Store.LockdownHistory(ctx)
}

func (s *countingReads) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reads
}

// A declaration and a lift, keyed or not, read and verify the lockdown history
// once, and a retry with the key once more, to find what the first call wrote.
func TestLockdownReadsTheHistoryOnce(t *testing.T) {
	ctx := context.Background()
	s := &countingReads{Store: memory.New()}
	eng, err := release.New(s, release.WithClock(releasetest.NewClock(lockdownT0, 0)))
	if err != nil {
		t.Fatal(err)
	}
	reads := func(what string, want int, call func() error) {
		t.Helper()
		before := s.count()
		if err := call(); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if got := s.count() - before; got != want {
			t.Errorf("%s read the lockdown history %d times, want %d", what, got, want)
		}
	}
	var l release.Lockdown
	for _, opts := range [][]release.FireOption{nil, {release.IdempotencyKey("k1")}} {
		for attempt := range 2 {
			if attempt > 0 && opts == nil {
				continue
			}
			reads(fmt.Sprintf("lockdown with %d options, attempt %d", len(opts), attempt+1), 1, func() (err error) {
				l, err = eng.Lockdown(ctx, rui, release.Lockdown{Reason: "incident 7", Environments: []string{"prod"}}, opts...)
				return err
			})
		}
	}
	for attempt := range 2 {
		reads(fmt.Sprintf("keyed lift, attempt %d", attempt+1), 1, func() error {
			_, err := eng.Lift(ctx, l.ID, rui, "resolved", release.IdempotencyKey("k2"))
			return err
		})
	}
	h, err := eng.LockdownHistory(ctx)
	if err != nil || len(h) != 3 {
		t.Fatalf("lockdown history %v (%v), want 2 declarations and a lift", h, err)
	}
}
