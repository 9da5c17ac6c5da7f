package fanout_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/releasekit/releasekit/adapters/fanout"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/notifytest"
)

// pair is the receiver of a fan-out to two recorders: it shows the first's
// deliveries when the second saw exactly the same, and sets both modes.
type pair struct{ a, b *notifytest.Recorder }

func (p pair) SetMode(m notifytest.Mode) { p.a.SetMode(m); p.b.SetMode(m) }

func (p pair) Deliveries() []notifytest.Delivery {
	da, db := p.a.Deliveries(), p.b.Deliveries()
	key := func(d notifytest.Delivery) string { return d.Key }
	ka, kb := mapKeys(da, key), mapKeys(db, key)
	slices.Sort(ka)
	slices.Sort(kb)
	if !slices.Equal(ka, kb) {
		return nil // the two disagree: the suite sees no deliveries and fails
	}
	return da
}

func mapKeys(ds []notifytest.Delivery, f func(notifytest.Delivery) string) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = f(d)
	}
	return out
}

func TestConformance(t *testing.T) {
	for _, mode := range []struct {
		name string
		new  func(...release.Notifier) *fanout.Notifier
	}{{"concurrent", fanout.New}, {"in order", fanout.InOrder}} {
		t.Run(mode.name, func(t *testing.T) {
			notifytest.Run(t, func(t *testing.T) (release.Notifier, notifytest.Receiver) {
				a, b := notifytest.NewRecorder(), notifytest.NewRecorder()
				t.Cleanup(a.Close)
				t.Cleanup(b.Close)
				return mode.new(nil, a.Notifier(), nil, fanout.Named("second", b.Notifier())), pair{a, b}
			})
		})
	}
}

func TestErrorsJoinedAndNamed(t *testing.T) {
	boom := errors.New("boom")
	ok := notifytest.NewRecorder()
	f := fanout.New(
		fanout.Named("webhook", release.NotifierFunc(func(context.Context, release.Notification) error { return boom })),
		nil,
		ok.Notifier(),
		release.NotifierFunc(func(context.Context, release.Notification) error { panic("nil map") }),
	)
	assert.Equal(t, 3, f.Len())
	err := f.Notify(context.Background(), notifytest.Sample(0)[0])
	require.Error(t, err)
	assert.ErrorIs(t, err, boom)
	assert.ErrorIs(t, err, fanout.ErrPanic)
	assert.Len(t, ok.Deliveries(), 1, "the healthy notifier still delivered")
	assert.Equal(t, "notifier 0 (webhook): boom\nnotifier 3 (release.NotifierFunc): fanout: notifier panicked: nil map", err.Error())
	var ne *fanout.NotifierError
	require.ErrorAs(t, err, &ne)
	assert.Equal(t, 0, ne.Index)
}

func TestConcurrentNotifiesInParallel(t *testing.T) {
	// New: each notifier waits until all four are running, which only happens when
	// they run at once; run one at a time, the first would wait until the deadline.
	var arrived sync.WaitGroup
	arrived.Add(4)
	all := make(chan struct{})
	go func() { arrived.Wait(); close(all) }()
	meet := release.NotifierFunc(func(ctx context.Context, _ release.Notification) error {
		arrived.Done()
		select {
		case <-all:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	require.NoError(t, fanout.New(meet, meet, meet, meet).Notify(ctx, notifytest.Sample(0)[0]), "New runs every notifier at once")

	// InOrder: never more than one running, however long each takes.
	var running, peak atomic.Int32
	slow := release.NotifierFunc(func(context.Context, release.Notification) error {
		n := running.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(5 * time.Millisecond)
		running.Add(-1)
		return nil
	})
	require.NoError(t, fanout.InOrder(slow, slow, slow).Notify(context.Background(), notifytest.Sample(0)[0]))
	assert.Equal(t, int32(1), peak.Load(), "InOrder runs one at a time")
}

func TestEmpty(t *testing.T) {
	assert.NoError(t, fanout.New().Notify(context.Background(), notifytest.Sample(0)[0]))
	assert.NoError(t, fanout.New(nil, nil).Notify(context.Background(), notifytest.Sample(0)[0]))
	assert.Nil(t, fanout.Named("x", nil))
}

// Property: for any mix of nil, succeeding, failing and panicking notifiers, in
// either mode, every non-nil notifier is called exactly once, and the error names
// exactly the failing ones by argument index, in order.
func TestFailuresProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		kinds := rapid.SliceOfN(rapid.IntRange(0, 3), 0, 12).Draw(t, "kinds") // 0 nil, 1 ok, 2 fail, 3 panic
		calls := make([]atomic.Int32, len(kinds))
		var ns []release.Notifier
		var wantIdx []int
		for i, k := range kinds {
			switch k {
			case 0:
				ns = append(ns, nil)
				continue
			case 2, 3:
				wantIdx = append(wantIdx, i)
			}
			ns = append(ns, release.NotifierFunc(func(context.Context, release.Notification) error {
				calls[i].Add(1)
				switch k {
				case 2:
					return fmt.Errorf("fail %d", i)
				case 3:
					panic(i)
				}
				return nil
			}))
		}
		mk := fanout.New
		if rapid.Bool().Draw(t, "in order") {
			mk = fanout.InOrder
		}
		err := mk(ns...).Notify(context.Background(), notifytest.Sample(0)[0])
		for i, k := range kinds {
			want := int32(1)
			if k == 0 {
				want = 0
			}
			if got := calls[i].Load(); got != want {
				t.Fatalf("notifier %d (kind %d) called %d times, want %d", i, k, got, want)
			}
		}
		var gotIdx []int
		if err != nil {
			for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
				var ne *fanout.NotifierError
				if !errors.As(e, &ne) {
					t.Fatalf("joined error %v is not a *NotifierError", e)
				}
				gotIdx = append(gotIdx, ne.Index)
			}
		}
		if !slices.Equal(gotIdx, wantIdx) {
			t.Fatalf("failures at %v, want %v (err %v)", gotIdx, wantIdx, err)
		}
	})
}

func Example() {
	ok := notifytest.NewRecorder()
	broken := release.NotifierFunc(func(context.Context, release.Notification) error {
		return errors.New("receiver answered 503 Service Unavailable")
	})
	n := fanout.New(ok.Notifier(), nil, fanout.Named("pager", broken))
	err := n.Notify(context.Background(), notifytest.Sample(0)[3])
	fmt.Println(err)
	fmt.Println(len(ok.Deliveries()))
	// Output:
	// notifier 2 (pager): receiver answered 503 Service Unavailable
	// 1
}

func TestAdapterNames(t *testing.T) {
	fail := release.NotifierFunc(func(context.Context, release.Notification) error { return errors.New("x") })
	err := fanout.New(fanout.Named("a", fail)).Notify(context.Background(), notifytest.Sample(0)[0])
	assert.EqualError(t, err, "notifier 0 (a): x")
}
