package storetest

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/releasekit/releasekit/release"
)

func init() {
	cases = append(cases,
		// AppendLockdown appends only the next sequence (ErrStale otherwise, nothing
		// changed); LockdownHistory returns the entries in order, copied out, and an
		// empty history as no entries and no error.
		testCase{"Lockdown/History", lockdownCase(testLockdownHistory)},
		// 12 concurrent AppendLockdown of the same sequence: exactly one succeeds, the
		// others are ErrStale, and the history holds the winner.
		// LockdownHistoryFrom returns the entries from a sequence on, in order and
		// copied out: all of them from 0 or 1, the tail from inside, none past the end.
		testCase{"Lockdown/HistoryFrom", lockdownCase(testLockdownHistoryFrom)},
		testCase{"Lockdown/AppendConcurrent", lockdownCase(testLockdownAppendConcurrent)},
		// UpdateFenced commits with the fence the history has (with and without an
		// idempotency key), and with a stale fence changes nothing and returns
		// ErrStale; a stale revision is still ErrStale.
		testCase{"Lockdown/Fence", lockdownCase(testLockdownFence)},
		// Two engines over the store (two replicas): a lockdown declared on one
		// refuses the other's start in its environment at once, not in another
		// environment; an unauthorized lift is a *ForbiddenError; after the lift the
		// start goes; the history verifies.
		testCase{"Lockdown/Replicas", lockdownCase(testLockdownReplicas)},
		// A lockdown marks the releases deploying in its scope with a halt entry and
		// notifies; the release stays deploying and still verifies.
		testCase{"Lockdown/Halt", lockdownCase(testLockdownHalt)},
		// 12 goroutines start releases through a second engine while the first declares
		// a lockdown once 4 of them are done: no start that began after the
		// declaration returned commits, and every release that is deploying was marked
		// to halt.
		testCase{"Lockdown/DeclareStartRace", lockdownCase(testLockdownRace)},
		// A start decided on the lockdown history before a declaration, whose commit
		// comes after it (the store is paused between the two), is not committed: the
		// fenced update refuses it, the engine decides again and refuses the start.
		testCase{"Lockdown/StaleStart", lockdownCase(testLockdownStaleStart)},
	)
}

func lockdownCase(f func(*testing.T, release.Store)) func(*testing.T, release.Store) {
	return func(t *testing.T, s release.Store) {
		if _, ok := s.(release.LockdownStore); !ok {
			t.Skip("the store does not implement release.LockdownStore")
		}
		f(t, s)
	}
}

// lockdownEntry is a valid entry declaring a lockdown, chained to prev.
func lockdownEntry(t *testing.T, seq int64, prev, reason string) release.LockdownEntry {
	t.Helper()
	at := t0.Add(time.Duration(seq) * time.Minute)
	e := release.LockdownEntry{Sequence: seq, Event: release.EventDeclare, PrevHash: prev, Lockdown: release.Lockdown{
		ID: release.ID{byte(seq), 1}, Kind: release.KindLockdown, Reason: reason, Environments: []string{"prod"},
		From: at, DeclaredBy: bob, DeclaredAt: at,
	}}
	var err error
	if e.Hash, err = e.ComputeHash(); err != nil {
		t.Fatal(err)
	}
	return e
}

func testLockdownHistory(t *testing.T, s release.Store) {
	ctx := context.Background()
	ls := s.(release.LockdownStore)
	h, err := ls.LockdownHistory(ctx)
	if err != nil || len(h) != 0 {
		t.Fatalf("empty store: LockdownHistory = %d entries, %v; want none and nil", len(h), err)
	}
	if err := ls.AppendLockdown(ctx, lockdownEntry(t, 2, "", "skip")); !errors.Is(err, release.ErrStale) {
		t.Fatalf("AppendLockdown of entry 2 on an empty history = %v, want ErrStale", err)
	}
	first := lockdownEntry(t, 1, "", "incident 42")
	if err := ls.AppendLockdown(ctx, first); err != nil {
		t.Fatal(err)
	}
	if err := ls.AppendLockdown(ctx, lockdownEntry(t, 1, "", "again")); !errors.Is(err, release.ErrStale) {
		t.Fatalf("a second entry 1 = %v, want ErrStale", err)
	}
	second := lockdownEntry(t, 2, first.Hash, "incident 43")
	if err := ls.AppendLockdown(ctx, second); err != nil {
		t.Fatal(err)
	}
	h, err = ls.LockdownHistory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 2 || h[0].Hash != first.Hash || h[1].Hash != second.Hash || h[1].Lockdown.Reason != "incident 43" {
		t.Fatalf("history = %+v, want the two entries in order", h)
	}
	if err := release.VerifyLockdownHistory(h); err != nil {
		t.Fatalf("the stored history does not verify after a round trip: %v", err)
	}
	h[0].Lockdown.Environments[0] = "edited"
	again, err := ls.LockdownHistory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if again[0].Lockdown.Environments[0] != "prod" {
		t.Fatal("editing a returned entry changed the stored one")
	}
}

func testLockdownHistoryFrom(t *testing.T, s release.Store) {
	ctx := context.Background()
	ls := s.(release.LockdownStore)
	if h, err := ls.LockdownHistoryFrom(ctx, 1); err != nil || len(h) != 0 {
		t.Fatalf("empty store: LockdownHistoryFrom(1) = %d entries, %v; want none and nil", len(h), err)
	}
	var want []release.LockdownEntry
	prev := ""
	for seq := int64(1); seq <= 4; seq++ {
		e := lockdownEntry(t, seq, prev, "drill")
		if err := ls.AppendLockdown(ctx, e); err != nil {
			t.Fatal(err)
		}
		want, prev = append(want, e), e.Hash
	}
	for _, tc := range []struct{ from, first, n int64 }{{-3, 1, 4}, {0, 1, 4}, {1, 1, 4}, {3, 3, 2}, {4, 4, 1}, {5, 0, 0}, {99, 0, 0}} {
		h, err := ls.LockdownHistoryFrom(ctx, tc.from)
		if err != nil {
			t.Fatalf("LockdownHistoryFrom(%d): %v", tc.from, err)
		}
		if int64(len(h)) != tc.n {
			t.Fatalf("LockdownHistoryFrom(%d) = %d entries, want %d", tc.from, len(h), tc.n)
		}
		for i, e := range h {
			if w := want[tc.first-1+int64(i)]; e.Sequence != w.Sequence || e.Hash != w.Hash {
				t.Fatalf("LockdownHistoryFrom(%d)[%d] = entry %d (%s), want entry %d (%s)", tc.from, i, e.Sequence, e.Hash, w.Sequence, w.Hash)
			}
		}
	}
	h, err := ls.LockdownHistoryFrom(ctx, 4)
	if err != nil {
		t.Fatal(err)
	}
	h[0].Lockdown.Environments[0] = "edited"
	if again, err := ls.LockdownHistoryFrom(ctx, 4); err != nil || again[0].Lockdown.Environments[0] != "prod" {
		t.Fatalf("editing a returned entry changed the stored one (%v)", err)
	}
}

func testLockdownAppendConcurrent(t *testing.T, s release.Store) {
	ctx := context.Background()
	ls := s.(release.LockdownStore)
	const n = 12
	var wg sync.WaitGroup
	var won atomic.Int32
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			errs[i] = ls.AppendLockdown(ctx, lockdownEntry(t, 1, "", "racer"))
			if errs[i] == nil {
				won.Add(1)
			}
		})
	}
	wg.Wait()
	if won.Load() != 1 {
		t.Fatalf("%d of %d concurrent appends of entry 1 succeeded, want exactly 1", won.Load(), n)
	}
	for _, err := range errs {
		if err != nil && !errors.Is(err, release.ErrStale) {
			t.Fatalf("a losing append = %v, want ErrStale", err)
		}
	}
	if h, err := ls.LockdownHistory(ctx); err != nil || len(h) != 1 {
		t.Fatalf("history after the race: %d entries, %v; want 1", len(h), err)
	}
}

// nextEntry returns the next revision of r as an engine would commit it, with its entry.
func nextEntry(t *testing.T, r release.Release, ev release.Event, to release.State) (release.Release, release.AuditEntry) {
	t.Helper()
	next := r.Clone()
	next.Revision++
	next.State = to
	next.UpdatedAt = r.UpdatedAt.Add(time.Second)
	e := release.AuditEntry{ReleaseID: r.ID, Sequence: next.Revision, Event: ev, From: r.State, To: to,
		Actor: bob, Time: next.UpdatedAt, PrevHash: r.Head, Snapshot: next.Snapshot(), HashVersion: release.CurrentHashVersion}
	var err error
	if e.Hash, err = e.ComputeHash(); err != nil {
		t.Fatal(err)
	}
	next.Head = e.Hash
	return next, e
}

func testLockdownFence(t *testing.T, s release.Store) {
	ctx := context.Background()
	ls := s.(release.LockdownStore)
	e := newEngine(t, s)
	sp := spec("fenced", "prod")
	sp.Needs = nil
	r := mustCreate(t, e, sp)
	next, entry := nextEntry(t, r, release.EventPlan, release.StatePlanned)
	if err := ls.UpdateFenced(ctx, r.Revision, next, entry, nil, 0); err != nil {
		t.Fatalf("UpdateFenced with the current fence 0: %v", err)
	}
	if err := ls.AppendLockdown(ctx, lockdownEntry(t, 1, "", "incident")); err != nil {
		t.Fatal(err)
	}
	stale, staleEntry := nextEntry(t, next, release.EventCancel, release.StateCancelled)
	if err := ls.UpdateFenced(ctx, next.Revision, stale, staleEntry, nil, 0); !errors.Is(err, release.ErrStale) {
		t.Fatalf("UpdateFenced with a stale fence = %v, want ErrStale", err)
	}
	got, err := s.Get(ctx, r.ID)
	if err != nil || got.Revision != next.Revision || got.State != release.StatePlanned {
		t.Fatalf("after a refused fenced update the release is at revision %d in %s (%v), want %d in planned", got.Revision, got.State, err, next.Revision)
	}
	if h, err := s.History(ctx, r.ID); err != nil || len(h) != 2 {
		t.Fatalf("after a refused fenced update the history holds %d entries (%v), want 2", len(h), err)
	}
	if err := ls.UpdateFenced(ctx, r.Revision, stale, staleEntry, nil, 1); !errors.Is(err, release.ErrStale) {
		t.Fatalf("UpdateFenced with a stale revision = %v, want ErrStale", err)
	}
	if _, ok := s.(release.KeyStore); ok {
		k := release.KeyRecord{Key: "fenced-key", Request: strings.Repeat("ab", 32), Result: stale}
		if err := ls.UpdateFenced(ctx, next.Revision, stale, staleEntry, &k, 0); !errors.Is(err, release.ErrStale) {
			t.Fatalf("keyed UpdateFenced with a stale fence = %v, want ErrStale", err)
		}
		if _, err := s.(release.KeyStore).LookupKey(ctx, k.Key); !errors.Is(err, release.ErrNotFound) {
			t.Fatalf("a refused keyed update stored its key: LookupKey = %v", err)
		}
		if err := ls.UpdateFenced(ctx, next.Revision, stale, staleEntry, &k, 1); err != nil {
			t.Fatalf("keyed UpdateFenced with the current fence: %v", err)
		}
		if _, err := s.(release.KeyStore).LookupKey(ctx, k.Key); err != nil {
			t.Fatalf("a keyed fenced update did not store its key: %v", err)
		}
		return
	}
	if err := ls.UpdateFenced(ctx, next.Revision, stale, staleEntry, nil, 1); err != nil {
		t.Fatalf("UpdateFenced with the current fence 1: %v", err)
	}
}

// approved creates a release in env and takes it to approved.
func approved(t *testing.T, e *release.Engine, name, env string) release.Release {
	t.Helper()
	sp := spec(name, env)
	sp.Needs = nil
	r := mustCreate(t, e, sp)
	mustFire(t, e, r.ID, release.EventPlan)
	mustFire(t, e, r.ID, release.EventSchedule)
	return mustFire(t, e, r.ID, release.EventApprove)
}

func testLockdownReplicas(t *testing.T, s release.Store) {
	ctx := context.Background()
	a := newEngine(t, s)
	b, err := release.New(s, release.WithClock(release.ClockFunc(func() time.Time { return t0.Add(time.Hour) })))
	if err != nil {
		t.Fatal(err)
	}
	inProd := approved(t, a, "payments", "prod")
	inStaging := approved(t, a, "search", "staging")
	l, err := a.Lockdown(ctx, bob, release.Lockdown{Reason: "incident 42: payments double-charge", Environments: []string{"prod"}})
	if err != nil {
		t.Fatalf("Lockdown: %v", err)
	}
	_, err = b.Fire(ctx, inProd.ID, release.EventStart, bob, release.Override("it is urgent"))
	if !errors.Is(err, release.ErrGuardRefused) {
		t.Fatalf("start in prod on the other engine during the lockdown = %v, want ErrGuardRefused", err)
	}
	if _, err := b.Fire(ctx, inStaging.ID, release.EventStart, bob); err != nil {
		t.Fatalf("start in staging, outside the lockdown: %v", err)
	}
	dev := release.Person("dave", release.RoleDeveloper)
	var fe *release.ForbiddenError
	if _, err := b.Lift(ctx, l.ID, dev, "I think it is fine"); !errors.As(err, &fe) {
		t.Fatalf("lift by a developer = %v, want a *ForbiddenError", err)
	}
	if _, err := b.Fire(ctx, inProd.ID, release.EventStart, bob); !errors.Is(err, release.ErrGuardRefused) {
		t.Fatalf("start after a refused lift = %v, want ErrGuardRefused", err)
	}
	lifted, err := b.Lift(ctx, l.ID, bob, "fixed in 2.4.1")
	if err != nil {
		t.Fatalf("Lift by a release manager: %v", err)
	}
	if lifted.LiftedBy.ID != bob.ID || lifted.Active(t0.Add(2*time.Hour)) {
		t.Fatalf("lifted lockdown = %+v", lifted)
	}
	if _, err := b.Lift(ctx, l.ID, bob, "again"); !errors.Is(err, release.ErrStale) {
		t.Fatalf("a second lift = %v, want ErrStale", err)
	}
	if _, err := a.Fire(ctx, inProd.ID, release.EventStart, bob); err != nil {
		t.Fatalf("start after the lift: %v", err)
	}
	all, err := a.Lockdowns(ctx)
	if err != nil || len(all) != 1 || all[0].LiftReason != "fixed in 2.4.1" {
		t.Fatalf("Lockdowns = %+v, %v", all, err)
	}
	h, err := a.LockdownHistory(ctx)
	if err != nil || len(h) != 2 || h[0].Event != release.EventDeclare || h[1].Event != release.EventLift {
		t.Fatalf("LockdownHistory = %+v, %v; want declare then lift", h, err)
	}
	if err := release.VerifyLockdownHistory(h); err != nil {
		t.Fatal(err)
	}
}

func testLockdownHalt(t *testing.T, s release.Store) {
	ctx := context.Background()
	var mu sync.Mutex
	var told []release.Notification
	e := newEngine(t, s, release.WithNotifier(release.NotifierFunc(func(_ context.Context, n release.Notification) error {
		mu.Lock()
		defer mu.Unlock()
		told = append(told, n)
		return nil
	})))
	r := approved(t, e, "payments", "prod")
	r = mustFire(t, e, r.ID, release.EventStart)
	other := approved(t, e, "search", "staging")
	mustFire(t, e, other.ID, release.EventStart)
	l, err := e.Lockdown(ctx, bob, release.Lockdown{Reason: "incident 42", Environments: []string{"prod"}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.Get(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != release.StateDeploying || got.Revision != r.Revision+1 {
		t.Fatalf("the deploying release is %s at revision %d, want deploying at %d", got.State, got.Revision, r.Revision+1)
	}
	h, err := e.History(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	last := h[len(h)-1]
	if last.Event != release.EventHalt || len(last.Annotations["lockdown"]) == 0 || last.Reason != "incident 42" {
		t.Fatalf("the last entry is %s with annotations %v, want a halt naming the lockdown", last.Event, last.Annotations)
	}
	if err := e.Verify(ctx, r.ID); err != nil {
		t.Fatalf("the halted release does not verify: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	var halts int
	for _, n := range told {
		if n.Entry.Event == release.EventHalt {
			halts++
			if n.Release.ID != r.ID {
				t.Errorf("a halt notification for %s, which is outside the lockdown", n.Release.Name)
			}
		}
	}
	if halts != 1 {
		t.Fatalf("%d halt notifications, want 1 (lockdown %s)", halts, l.ID)
	}
	if oh, _ := e.History(ctx, other.ID); oh[len(oh)-1].Event == release.EventHalt {
		t.Fatal("a release outside the lockdown's environments was marked to halt")
	}
}

func testLockdownRace(t *testing.T, s release.Store) {
	ctx := context.Background()
	a := newEngine(t, s)
	b := newEngine(t, s)
	const n = 12
	rs := make([]release.Release, n)
	for i := range rs {
		rs[i] = approved(t, a, "svc"+string(rune('a'+i)), "prod")
	}
	var declared atomic.Bool
	var done sync.WaitGroup // the first 4 starts to finish
	done.Add(4)
	var finished atomic.Int32
	type outcome struct {
		after bool // the start began after the declaration returned
		err   error
	}
	outs := make([]outcome, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			after := declared.Load()
			_, err := b.Fire(ctx, rs[i].ID, release.EventStart, bob)
			outs[i] = outcome{after: after, err: err}
			if finished.Add(1) <= 4 {
				done.Done()
			}
		})
	}
	done.Wait()
	l, err := a.Lockdown(ctx, bob, release.Lockdown{Reason: "stop everything"})
	declared.Store(true)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	for i, o := range outs {
		if o.after && o.err == nil {
			t.Errorf("start %d began after the lockdown was declared and committed", i)
		}
		if o.err != nil && !errors.Is(o.err, release.ErrGuardRefused) {
			t.Errorf("start %d = %v, want success or ErrGuardRefused", i, o.err)
		}
	}
	for _, r := range rs {
		got, err := a.Get(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.State != release.StateDeploying {
			continue
		}
		h, err := a.History(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if h[len(h)-1].Event != release.EventHalt {
			t.Errorf("%s started (committed before lockdown %s) but was not marked to halt", r.Name, l.ID)
		}
	}
}

// pausing is a LockdownStore whose first UpdateFenced waits, after the engine has
// decided, until release is closed.
type pausing struct {
	release.Store
	ls      release.LockdownStore
	decided chan struct{}
	release chan struct{}
	once    sync.Once
}

func (p *pausing) AppendLockdown(ctx context.Context, e release.LockdownEntry) error {
	return p.ls.AppendLockdown(ctx, e)
}

func (p *pausing) LockdownHistory(ctx context.Context) ([]release.LockdownEntry, error) {
	return p.ls.LockdownHistory(ctx)
}

func (p *pausing) LockdownHistoryFrom(ctx context.Context, from int64) ([]release.LockdownEntry, error) {
	return p.ls.LockdownHistoryFrom(ctx, from)
}

func (p *pausing) UpdateFenced(ctx context.Context, expected int64, r release.Release, e release.AuditEntry, k *release.KeyRecord, fence int64) error {
	p.once.Do(func() {
		close(p.decided)
		<-p.release
	})
	return p.ls.UpdateFenced(ctx, expected, r, e, k, fence)
}

func testLockdownStaleStart(t *testing.T, s release.Store) {
	ctx := context.Background()
	a := newEngine(t, s)
	p := &pausing{Store: s, ls: s.(release.LockdownStore), decided: make(chan struct{}), release: make(chan struct{})}
	b := newEngine(t, p)
	r := approved(t, a, "payments", "prod")
	errc := make(chan error, 1)
	go func() {
		_, err := b.Fire(ctx, r.ID, release.EventStart, bob)
		errc <- err
	}()
	<-p.decided // b read an empty lockdown history and found nothing against the start
	_, err := a.Lockdown(ctx, bob, release.Lockdown{Reason: "incident 42", Environments: []string{"prod"}})
	close(p.release)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-errc; !errors.Is(err, release.ErrGuardRefused) {
		t.Fatalf("a start decided before the lockdown and committed after it = %v, want ErrGuardRefused", err)
	}
	got, err := s.Get(ctx, r.ID)
	if err != nil || got.State != release.StateApproved {
		t.Fatalf("the release is %s (%v), want approved", got.State, err)
	}
}
