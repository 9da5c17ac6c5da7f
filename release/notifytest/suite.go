package notifytest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/releasekit/releasekit/release"
)

// Prompt is how long a notifier may take to give up once its context has ended.
// It is generous so that loaded CI machines and the race detector pass; a notifier
// that ignores its context takes far longer (or forever).
const Prompt = 5 * time.Second

// hangDeadline is the deadline the suite gives a notifier whose receiver hangs.
const hangDeadline = 150 * time.Millisecond

// Case is one conformance check.
type Case struct {
	// Name is the subtest name.
	Name string
	// Doc says what the case checks.
	Doc string
	// Check runs the case against a fresh notifier and its receiver (in
	// [ModeAccept]) and returns nil or an error saying what was wrong.
	Check func(ctx context.Context, n release.Notifier, rx Receiver) error
}

// Cases returns every conformance case, in the order [Run] runs them.
func Cases() []Case {
	return []Case{
		{"Delivers", "A notification is delivered once to a healthy receiver, which sees its idempotency key, release (ID, name, version, environment), event, from and to states, sequence and actor.", checkDelivers},
		{"EveryTransition", "Every notification of a release's lifecycle walk (good and bad news, reasons with markup characters) is delivered, in order when sent one after another, each with its own fields.", checkEveryTransition},
		{"IdempotencyKey", "Sending the same notification twice (at-least-once delivery) gives the receiver the same idempotency key both times, equal to Notification.Key, so it can deduplicate.", checkIdempotencyKey},
		{"CancelledContext", "A context cancelled before Notify makes it return an error matching context.Canceled promptly, and the receiver accepts nothing.", checkCancelled},
		{"DeadlineWhileHanging", "When the receiver never answers, Notify returns an error matching context.DeadlineExceeded soon after the context's deadline, and nothing counts as delivered.", checkHanging},
		{"ReceiverFailure", "A receiver that refuses every delivery makes Notify return an error (after any retries), and once the receiver recovers the same notifier delivers again.", checkReceiverFailure},
		{"Concurrent", "Concurrent Notify calls from many goroutines are safe (run with -race) and every one of them is delivered exactly once.", checkConcurrent},
	}
}

// Run runs every case of [Cases] as a subtest of t. newNotifier must return a fresh
// notifier and the receiver it delivers to, in [ModeAccept]; it is called once per
// case (register cleanup with t.Cleanup). Notifiers that retry should be configured
// with short delays, since the ReceiverFailure case waits for the retries to end.
func Run(t *testing.T, newNotifier func(t *testing.T) (release.Notifier, Receiver)) {
	t.Helper()
	for _, c := range Cases() {
		t.Run(c.Name, func(t *testing.T) {
			n, rx := newNotifier(t)
			if n == nil || rx == nil {
				t.Fatalf("newNotifier returned a nil notifier or receiver")
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := c.Check(ctx, n, rx); err != nil {
				t.Errorf("%v\n(case %s checks: %s)", err, c.Name, c.Doc)
			}
		})
	}
}

// DiffDelivery returns "" when got equals want, or a "(-want +got)" description of
// the fields that differ.
func DiffDelivery(want, got Delivery) string {
	var b strings.Builder
	field := func(name string, w, g any) {
		if w != g {
			fmt.Fprintf(&b, "\n  %s: -%v +%v", name, w, g)
		}
	}
	field("Key", want.Key, got.Key)
	field("ReleaseID", want.ReleaseID, got.ReleaseID)
	field("Name", want.Name, got.Name)
	field("Version", want.Version, got.Version)
	field("Environment", want.Environment, got.Environment)
	field("Event", want.Event, got.Event)
	field("From", want.From, got.From)
	field("To", want.To, got.To)
	field("Sequence", want.Sequence, got.Sequence)
	field("ActorID", want.ActorID, got.ActorID)
	if b.Len() == 0 {
		return ""
	}
	return "delivery differs (-want +got):" + b.String()
}

func checkDelivers(ctx context.Context, n release.Notifier, rx Receiver) error {
	note := Sample(1)[3] // start: approved -> deploying
	if err := n.Notify(ctx, note); err != nil {
		return fmt.Errorf("Notify to a healthy receiver: %w", err)
	}
	got := rx.Deliveries()
	if len(got) != 1 {
		return fmt.Errorf("receiver accepted %d deliveries after one Notify, want 1", len(got))
	}
	if d := DiffDelivery(DeliveryOf(note), got[0]); d != "" {
		return errors.New(d)
	}
	return nil
}

func checkEveryTransition(ctx context.Context, n release.Notifier, rx Receiver) error {
	walk := Sample(2)
	for _, note := range walk {
		if err := n.Notify(ctx, note); err != nil {
			return fmt.Errorf("Notify %s (%s -> %s): %w", note.Entry.Event, note.Entry.From, note.Entry.To, err)
		}
	}
	got := rx.Deliveries()
	if len(got) != len(walk) {
		return fmt.Errorf("receiver accepted %d deliveries after %d Notify calls, want %d", len(got), len(walk), len(walk))
	}
	for i, note := range walk {
		if d := DiffDelivery(DeliveryOf(note), got[i]); d != "" {
			return fmt.Errorf("delivery %d (%s): %s", i, note.Entry.Event, d)
		}
	}
	return nil
}

func checkIdempotencyKey(ctx context.Context, n release.Notifier, rx Receiver) error {
	note := Sample(3)[5]
	for i := range 2 {
		if err := n.Notify(ctx, note); err != nil {
			return fmt.Errorf("Notify (send %d of the same notification): %w", i+1, err)
		}
	}
	got := rx.Deliveries()
	if len(got) != 2 {
		return fmt.Errorf("receiver accepted %d deliveries after sending one notification twice, want 2", len(got))
	}
	for i, d := range got {
		if d.Key == "" {
			return fmt.Errorf("delivery %d carries no idempotency key", i)
		}
		if d.Key != note.Key() {
			return fmt.Errorf("delivery %d carries idempotency key %q, want Notification.Key %q", i, d.Key, note.Key())
		}
	}
	return nil
}

func checkCancelled(ctx context.Context, n release.Notifier, rx Receiver) error {
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	start := wallClock()
	err := n.Notify(cctx, Sample(4)[0])
	took := wallClock().Sub(start)
	switch {
	case err == nil:
		return errors.New("Notify with a cancelled context returned nil, want an error matching context.Canceled")
	case !errors.Is(err, context.Canceled):
		return fmt.Errorf("Notify with a cancelled context returned %q, which does not match context.Canceled (wrap ctx.Err() with %%w)", err)
	case took > Prompt:
		return fmt.Errorf("Notify with a cancelled context took %v, want under %v", took, Prompt)
	}
	if got := rx.Deliveries(); len(got) != 0 {
		return fmt.Errorf("receiver accepted %d deliveries sent with a cancelled context, want 0", len(got))
	}
	return nil
}

func checkHanging(ctx context.Context, n release.Notifier, rx Receiver) error {
	rx.SetMode(ModeHang)
	defer rx.SetMode(ModeAccept)
	dctx, cancel := context.WithTimeout(ctx, hangDeadline)
	defer cancel()
	start := wallClock()
	err := n.Notify(dctx, Sample(5)[1])
	took := wallClock().Sub(start)
	switch {
	case err == nil:
		return errors.New("Notify to a receiver that never answers returned nil, want an error")
	case !errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("Notify past its deadline returned %q, which does not match context.DeadlineExceeded", err)
	case took > hangDeadline+Prompt:
		return fmt.Errorf("Notify took %v to give up on a hanging receiver with a %v deadline, want under %v", took, hangDeadline, hangDeadline+Prompt)
	}
	if got := rx.Deliveries(); len(got) != 0 {
		return fmt.Errorf("receiver accepted %d deliveries while hanging, want 0", len(got))
	}
	return nil
}

func checkReceiverFailure(ctx context.Context, n release.Notifier, rx Receiver) error {
	note := Sample(6)[6]
	rx.SetMode(ModeFail)
	if err := n.Notify(ctx, note); err == nil {
		return errors.New("Notify to a receiver that refuses every delivery returned nil, want an error")
	}
	if got := rx.Deliveries(); len(got) != 0 {
		return fmt.Errorf("a refusing receiver accepted %d deliveries, want 0", len(got))
	}
	rx.SetMode(ModeAccept)
	if err := n.Notify(ctx, note); err != nil {
		return fmt.Errorf("Notify after the receiver recovered: %w", err)
	}
	if got := rx.Deliveries(); len(got) != 1 || got[0].Key != note.Key() {
		return fmt.Errorf("after the receiver recovered it holds %d deliveries, want exactly the one with key %s", len(got), note.Key())
	}
	return nil
}

func checkConcurrent(ctx context.Context, n release.Notifier, rx Receiver) error {
	const goroutines, each = 16, 4
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
		want []string
	)
	for g := range goroutines {
		walk := Sample(100 + g)[:each]
		for _, note := range walk {
			want = append(want, note.Key())
		}
		wg.Go(func() {
			for _, note := range walk {
				if err := n.Notify(ctx, note); err != nil {
					mu.Lock()
					errs = append(errs, fmt.Errorf("goroutine %d: Notify %s: %w", g, note.Key(), err))
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	var got []string
	for _, d := range rx.Deliveries() {
		got = append(got, d.Key)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		return fmt.Errorf("after %d concurrent Notify calls the receiver holds keys %v, want each of %v exactly once", len(want), got, want)
	}
	return nil
}

// wallClock times how promptly a notifier returns; the suite measures real time.
var wallClock = time.Now
