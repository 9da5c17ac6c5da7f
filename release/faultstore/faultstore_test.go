package faultstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/calendar"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/faultstore"
	"github.com/releasekit/releasekit/release/releasetest"
	"github.com/releasekit/releasekit/release/storetest"
)

var (
	t0  = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	bob = release.Person("bob", release.RoleReleaseManager)
)

// Inner stores with exactly one combination of the optional interfaces.
type (
	plainStore  struct{ release.Store }
	bookerOnlyS struct {
		release.Store
		release.Booker
	}
)

// newOutboxOnly hides memory's Booker methods behind interface-typed embedding.
func newOutboxOnly() release.Store {
	m := memory.New()
	return struct {
		release.Store
		release.Outbox
	}{m, m}
}

func newBookerOnly() release.Store {
	m := memory.New()
	return bookerOnlyS{m, m}
}

func newEngine(t *testing.T, s release.Store, opts ...release.Option) *release.Engine {
	t.Helper()
	e, err := release.New(s, append([]release.Option{release.WithClock(releasetest.NewClock(t0, time.Second)), release.WithPolicy(release.AllowAll())}, opts...)...)
	require.NoError(t, err)
	return e
}

func spec(name string) release.Spec {
	return release.Spec{Name: name, Version: "1.0.0", Environment: "prod", Author: "ana"}
}

func TestImplementsExactlyWhatTheInnerDoes(t *testing.T) {
	for _, tc := range []struct {
		why            string
		inner          release.Store
		outbox, booker bool
	}{
		{"memory has both", memory.New(), true, true},
		{"a plain store has neither", plainStore{memory.New()}, false, false},
		{"an outbox-only store", newOutboxOnly(), true, false},
		{"a booker-only store", newBookerOnly(), false, true},
	} {
		s, err := faultstore.New(tc.inner)
		require.NoError(t, err, tc.why)
		_, isOutbox := s.(release.Outbox)
		_, isBooker := s.(release.Booker)
		assert.Equal(t, tc.outbox, isOutbox, "%s: Outbox", tc.why)
		assert.Equal(t, tc.booker, isBooker, "%s: Booker", tc.why)
		assert.Equal(t, tc.inner, s.Inner(), tc.why)
	}
}

// TestConformanceWithoutFaults: with no faults the wrapper is invisible, so the
// conformance suite passes through it (optional interfaces included).
func TestConformanceWithoutFaults(t *testing.T) {
	storetest.Run(t, func(*testing.T) release.Store {
		s, err := faultstore.New(memory.New())
		require.NoError(t, err)
		return s
	})
}

// TestWritePhases: a Before fault writes nothing; an After fault writes and reports
// failure (Committed); both match ErrInjected, and the next call passes.
func TestWritePhases(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		op     faultstore.Op
		phase  faultstore.Phase
		stored bool
	}{
		{faultstore.OpUpdate, faultstore.Before, false},
		{faultstore.OpUpdate, faultstore.After, true},
		{faultstore.OpAppend, faultstore.Before, false},
		{faultstore.OpAppend, faultstore.After, true},
		{faultstore.OpUpdate, "", false}, // the default phase is Before
	} {
		t.Run(string(tc.op)+"/"+string(tc.phase), func(t *testing.T) {
			inner := memory.New()
			s, err := faultstore.New(inner, faultstore.WithFaults(faultstore.Fault{Op: tc.op, Phase: tc.phase, Nth: 1}))
			require.NoError(t, err)
			// Create counts as an append too: use a clean engine over the inner store.
			r, err := newEngine(t, inner).Create(ctx, spec("checkout"))
			require.NoError(t, err)
			e := newEngine(t, s)
			_, err = e.Fire(ctx, r.ID, release.EventPlan, bob, release.Reason("first"))
			if tc.stored {
				// The engine reads the release back after a failed Update, finds its
				// transition, and reports the commit.
				require.NoError(t, err, "an After fault whose commit the engine reads back is a success")
				assert.Equal(t, 1, s.Injector().Stats().Total(), "the fault was injected")
			} else {
				var fe *faultstore.FaultError
				require.ErrorAs(t, err, &fe)
				require.ErrorIs(t, err, faultstore.ErrInjected)
				assert.False(t, fe.Committed, "FaultError.Committed")
				assert.Equal(t, 1, fe.Call)
			}
			got, err := inner.Get(ctx, r.ID)
			require.NoError(t, err)
			h, err := inner.History(ctx, r.ID)
			require.NoError(t, err)
			if tc.stored {
				assert.Equal(t, release.StatePlanned, got.State, "an After fault must leave the write stored")
				require.Len(t, h, 2)
				assert.Equal(t, "first", h[1].Reason, "the read-back finds the attempt by its reason")
			} else {
				assert.Equal(t, release.StateDraft, got.State, "a Before fault must write nothing")
				assert.Len(t, h, 1)
			}
			// A retry with the revision acted on never applies the change twice.
			_, err = e.Fire(ctx, r.ID, release.EventPlan, bob, release.ExpectRevision(1))
			if tc.stored {
				require.ErrorIs(t, err, release.ErrStale)
			} else {
				require.NoError(t, err, "the second call has no fault")
			}
			h, err = inner.History(ctx, r.ID)
			require.NoError(t, err)
			require.Len(t, h, 2)
			require.NoError(t, e.Verify(ctx, r.ID))
		})
	}
}

// TestReadFaults: a read fault fails the read (either phase) and changes nothing.
func TestReadFaults(t *testing.T) {
	ctx := context.Background()
	inner := memory.New()
	r, err := newEngine(t, inner).Create(ctx, spec("checkout"))
	require.NoError(t, err)
	for _, op := range []faultstore.Op{faultstore.OpGet, faultstore.OpList, faultstore.OpHistory} {
		for _, ph := range faultstore.Phases() {
			s, err := faultstore.New(inner, faultstore.WithFaults(faultstore.Fault{Op: op, Phase: ph, Nth: 2}))
			require.NoError(t, err)
			call := func() error {
				switch op {
				case faultstore.OpGet:
					_, err := s.Get(ctx, r.ID)
					return err
				case faultstore.OpList:
					_, err := s.List(ctx, release.Filter{})
					return err
				}
				_, err := s.History(ctx, r.ID)
				return err
			}
			require.NoError(t, call(), "%s %s: first call", op, ph)
			err = call()
			var fe *faultstore.FaultError
			require.ErrorAs(t, err, &fe, "%s %s: second call", op, ph)
			assert.False(t, fe.Committed, "a read commits nothing")
			require.NoError(t, call(), "%s %s: third call", op, ph)
			st := s.Injector().Stats()
			assert.Equal(t, 3, st.Calls[op])
			assert.Equal(t, 1, st.Injected[faultstore.Site{Op: op, Phase: ph}])
		}
	}
}

// TestBookerAndOutboxFaults: an After fault on Book stores the booking; a Before
// fault on Ack leaves the notification pending.
func TestBookerAndOutboxFaults(t *testing.T) {
	ctx := context.Background()
	inner := memory.New()
	s, err := faultstore.New(inner, faultstore.WithFaults(
		faultstore.Fault{Op: faultstore.OpBook, Phase: faultstore.After, Nth: 1},
		faultstore.Fault{Op: faultstore.OpAck, Nth: 1},
	))
	require.NoError(t, err)
	b := calendar.Booking{ID: "b1", Environment: "prod", Services: []string{"api"}, Start: t0, End: t0.Add(time.Hour)}
	require.ErrorIs(t, s.(release.Booker).Book(ctx, b), faultstore.ErrInjected)
	bs, err := inner.Bookings(ctx, "prod", t0, t0.Add(time.Hour))
	require.NoError(t, err)
	require.Len(t, bs, 1, "an After fault on Book stores the booking")

	e := newEngine(t, inner)
	r, err := e.Create(ctx, spec("checkout"))
	require.NoError(t, err)
	_, err = e.Fire(ctx, r.ID, release.EventPlan, bob)
	require.NoError(t, err)
	key := release.Notification{Entry: release.AuditEntry{ReleaseID: r.ID, Sequence: 2}}.Key()
	require.ErrorIs(t, s.(release.Outbox).AckNotification(ctx, key), faultstore.ErrInjected)
	ps, err := inner.ClaimNotifications(ctx, t0.Add(time.Hour), 0, time.Minute, 0)
	require.NoError(t, err)
	require.Len(t, ps, 1, "a Before fault on Ack leaves the notification pending")
}

func TestHangHonoursContext(t *testing.T) {
	s, err := faultstore.New(memory.New(), faultstore.WithFaults(faultstore.Fault{Op: faultstore.OpGet, Nth: 1, Hang: true}))
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err = s.Get(ctx, release.ID{1})
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.ErrorIs(t, err, faultstore.ErrInjected)
	assert.Equal(t, 1, s.Injector().Stats().Hung)
}

func TestNotifier(t *testing.T) {
	ctx := context.Background()
	n := &releasetest.Notifier{}
	fn, err := faultstore.NewNotifier(n, faultstore.WithFaults(
		faultstore.Fault{Op: faultstore.OpNotify, Nth: 1},
		faultstore.Fault{Op: faultstore.OpNotify, Phase: faultstore.After, Nth: 2},
		faultstore.Fault{Op: faultstore.OpNotify, Nth: 3, Hang: true},
	))
	require.NoError(t, err)
	note := release.Notification{Entry: release.AuditEntry{Sequence: 2, Event: release.EventPlan}}
	require.ErrorIs(t, fn.Notify(ctx, note), faultstore.ErrInjected, "first: before")
	assert.Empty(t, n.Notifications(), "a Before fault does not deliver")
	require.ErrorIs(t, fn.Notify(ctx, note), faultstore.ErrInjected, "second: after")
	assert.Len(t, n.Notifications(), 1, "an After fault delivers and reports failure")
	hctx, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, fn.Notify(hctx, note), context.DeadlineExceeded, "third: hangs until the deadline")
	require.NoError(t, fn.Notify(ctx, note), "fourth: no fault")
	fn.Injector().Disable()
	require.NoError(t, fn.Notify(ctx, note))
	st := fn.Injector().Stats()
	assert.Equal(t, 5, st.Calls[faultstore.OpNotify])
	assert.Equal(t, 3, st.Total())
	assert.Equal(t, 1, st.Hung)
}

// TestEngineNotifyFaultIsCommitted: a failing notifier never undoes the commit; Fire
// returns a NotifyError that Committed recognises.
func TestEngineNotifyFaultIsCommitted(t *testing.T) {
	ctx := context.Background()
	fn, err := faultstore.NewNotifier(nil, faultstore.WithFaults(faultstore.Fault{Op: faultstore.OpNotify, Probability: 1}))
	require.NoError(t, err)
	e := newEngine(t, memory.New(), release.WithNotifier(fn))
	r, err := e.Create(ctx, spec("checkout"))
	require.NoError(t, err)
	got, err := e.Fire(ctx, r.ID, release.EventPlan, bob)
	require.ErrorIs(t, err, release.ErrNotify)
	require.ErrorIs(t, err, faultstore.ErrInjected)
	require.True(t, release.Committed(err))
	assert.Equal(t, int64(2), got.Revision)
}

func TestValidate(t *testing.T) {
	_, err := faultstore.New(memory.New(), faultstore.WithFaults(
		faultstore.Fault{Op: "explode", Phase: "during", Probability: 2, Nth: -1},
		faultstore.Fault{Op: faultstore.OpGet},
		faultstore.Fault{Op: faultstore.OpNotify, Nth: 1},
	))
	require.ErrorIs(t, err, faultstore.ErrInvalid)
	require.ErrorIs(t, err, release.ErrInvalid)
	for _, want := range []string{`fault 0: op "explode"`, `phase "during"`, "probability 2", "nth -1", "fault 1: neither", "fault 2: op notify does not apply"} {
		assert.Contains(t, err.Error(), want)
	}
	_, err = faultstore.NewNotifier(nil, faultstore.WithFaults(faultstore.Fault{Op: faultstore.OpGet, Nth: 1}))
	require.ErrorIs(t, err, faultstore.ErrInvalid, "a notifier takes only notify faults")
	_, err = faultstore.New(nil)
	require.ErrorIs(t, err, faultstore.ErrInvalid)
	s, err := faultstore.New(memory.New())
	require.NoError(t, err)
	require.ErrorIs(t, s.Injector().SetFaults(faultstore.Fault{Op: faultstore.OpGet}), faultstore.ErrInvalid)
	for _, op := range faultstore.Ops() {
		assert.True(t, op.Valid(), op)
	}
}

// failures returns which of n Get calls fail for the given faults and seed.
func failures(t *rapid.T, seed uint64, n int, fs ...faultstore.Fault) []bool {
	s, err := faultstore.New(memory.New(), faultstore.WithSeed(seed), faultstore.WithFaults(fs...))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	out := make([]bool, n)
	for i := range out {
		_, err := s.Get(context.Background(), release.ID{1})
		out[i] = errors.Is(err, faultstore.ErrInjected)
		if !out[i] && !errors.Is(err, release.ErrNotFound) {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if got := s.Injector().Stats().Injected[faultstore.Site{Op: faultstore.OpGet, Phase: faultstore.Before}]; got != count(out) {
		t.Fatalf("Stats counts %d faults, %d calls failed", got, count(out))
	}
	return out
}

func count(bs []bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}

// TestPropertyDeterministic: for any seed and probability, two stores with the same
// seed fail the same calls; probability 0 and 1 fail none and all; an Nth fault fails
// exactly the Nth call.
func TestPropertyDeterministic(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		seed := rapid.Uint64().Draw(t, "seed")
		p := rapid.Float64Range(0.01, 1).Draw(t, "p")
		n := rapid.IntRange(1, 60).Draw(t, "calls")
		f := faultstore.Fault{Op: faultstore.OpGet, Probability: p}
		a, b := failures(t, seed, n, f), failures(t, seed, n, f)
		if !slicesEqual(a, b) {
			t.Fatalf("same seed, different failures:\n%v\n%v", a, b)
		}
		if p == 1 && count(a) != n {
			t.Fatalf("probability 1 failed %d of %d calls", count(a), n)
		}
		nth := rapid.IntRange(1, n).Draw(t, "nth")
		got := failures(t, seed, n, faultstore.Fault{Op: faultstore.OpGet, Nth: nth})
		for i, failed := range got {
			if failed != (i+1 == nth) {
				t.Fatalf("Nth=%d: call %d failed=%v", nth, i+1, failed)
			}
		}
	})
}

func slicesEqual(a, b []bool) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestLinearizableUnderFaults: with faults before and after the commit and on reads,
// every outcome is still explained by some order of the operations, taking the
// failed ones as ambiguous (they may or may not have happened).
func TestLinearizableUnderFaults(t *testing.T) {
	rep := storetest.Linearizable(t, func(*testing.T) release.Store {
		s, err := faultstore.New(memory.New(), faultstore.WithSeed(uint64(time.Now().UnixNano())), faultstore.WithFaults(
			faultstore.Fault{Op: faultstore.OpUpdate, Probability: 0.05},
			faultstore.Fault{Op: faultstore.OpUpdate, Phase: faultstore.After, Probability: 0.05},
			faultstore.Fault{Op: faultstore.OpGet, Probability: 0.03},
		))
		require.NoError(t, err)
		return s
	}, storetest.LinearizableOptions{Ambiguous: true})
	require.Positive(t, rep.Ambiguous, "no fault struck")
}
