package notifytest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/notifytest"
)

// The in-process reference notifier passes its own suite.
func TestRecorderNotifierConforms(t *testing.T) {
	notifytest.Run(t, func(t *testing.T) (release.Notifier, notifytest.Receiver) {
		rec := notifytest.NewRecorder()
		t.Cleanup(rec.Close)
		return rec.Notifier(), rec
	})
}

// jsonNotifier is a minimal HTTP notifier: it posts the Delivery as JSON. It shows
// that HTTPReceiver plugs an HTTP notifier into the suite.
type jsonNotifier struct{ url string }

func (j jsonNotifier) Notify(ctx context.Context, n release.Notification) error {
	b, err := json.Marshal(notifytest.DeliveryOf(n))
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, j.url, bytes.NewReader(b))
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("receiver answered %s", resp.Status)
	}
	return nil
}

func decodeJSON(_ *http.Request, body []byte) (notifytest.Delivery, error) {
	var d notifytest.Delivery
	err := json.Unmarshal(body, &d)
	return d, err
}

func TestHTTPReceiverConforms(t *testing.T) {
	notifytest.Run(t, func(t *testing.T) (release.Notifier, notifytest.Receiver) {
		rx := notifytest.NewHTTPReceiver(t, decodeJSON)
		return jsonNotifier{url: rx.URL}, rx
	})
}

func TestHTTPReceiverAnswers(t *testing.T) {
	rx := notifytest.NewHTTPReceiver(t, decodeJSON)
	post := func(body string) int {
		resp, err := http.Post(rx.URL, "application/json", bytes.NewBufferString(body))
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	assert.Equal(t, http.StatusBadRequest, post("{not json"), "undecodable body")
	assert.Equal(t, http.StatusOK, post(`{"Key":"k"}`), "accepted")
	rx.SetMode(notifytest.ModeFail)
	assert.Equal(t, http.StatusInternalServerError, post(`{"Key":"k2"}`), "refused")
	assert.Equal(t, 2, rx.Calls(), "Accept calls: the undecodable body never reaches the recorder")
	require.Len(t, rx.Deliveries(), 1)
	assert.Equal(t, "k", rx.Deliveries()[0].Key)
}

// broken notifiers, each with the one defect the named case must catch.
func TestSuiteCatchesBrokenNotifiers(t *testing.T) {
	byName := map[string]notifytest.Case{}
	for _, c := range notifytest.Cases() {
		byName[c.Name] = c
	}
	tests := []struct {
		name   string
		cases  []string
		broken func(rec *notifytest.Recorder) release.Notifier
	}{
		{"ignores a cancelled context", []string{"CancelledContext"}, func(rec *notifytest.Recorder) release.Notifier {
			return release.NotifierFunc(func(_ context.Context, n release.Notification) error {
				return rec.Accept(context.Background(), notifytest.DeliveryOf(n))
			})
		}},
		{"swallows receiver errors", []string{"ReceiverFailure", "DeadlineWhileHanging"}, func(rec *notifytest.Recorder) release.Notifier {
			return release.NotifierFunc(func(ctx context.Context, n release.Notification) error {
				_ = rec.Accept(ctx, notifytest.DeliveryOf(n))
				return nil
			})
		}},
		{"returns a context error without wrapping", []string{"CancelledContext"}, func(rec *notifytest.Recorder) release.Notifier {
			return release.NotifierFunc(func(ctx context.Context, n release.Notification) error {
				if ctx.Err() != nil {
					return errors.New("cancelled")
				}
				return rec.Accept(ctx, notifytest.DeliveryOf(n))
			})
		}},
		{"loses the idempotency key", []string{"Delivers", "IdempotencyKey", "Concurrent"}, func(rec *notifytest.Recorder) release.Notifier {
			return release.NotifierFunc(func(ctx context.Context, n release.Notification) error {
				d := notifytest.DeliveryOf(n)
				d.Key = ""
				return rec.Accept(ctx, d)
			})
		}},
		{"garbles a field", []string{"Delivers", "EveryTransition"}, func(rec *notifytest.Recorder) release.Notifier {
			return release.NotifierFunc(func(ctx context.Context, n release.Notification) error {
				d := notifytest.DeliveryOf(n)
				d.From = d.To
				return rec.Accept(ctx, d)
			})
		}},
		{"delivers twice", []string{"Delivers", "EveryTransition", "Concurrent"}, func(rec *notifytest.Recorder) release.Notifier {
			return release.NotifierFunc(func(ctx context.Context, n release.Notification) error {
				_ = rec.Accept(ctx, notifytest.DeliveryOf(n))
				return rec.Accept(ctx, notifytest.DeliveryOf(n))
			})
		}},
	}
	for _, tt := range tests {
		for _, name := range tt.cases {
			t.Run(tt.name+"/"+name, func(t *testing.T) {
				c, ok := byName[name]
				require.True(t, ok, "no case %s", name)
				rec := notifytest.NewRecorder()
				defer rec.Close()
				err := c.Check(context.Background(), tt.broken(rec), rec)
				require.Error(t, err, "case %s passed a notifier that %s", name, tt.name)
				t.Logf("case %s says: %v", name, err)
			})
		}
	}
}

func TestCasesDocumented(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range notifytest.Cases() {
		assert.NotEmpty(t, c.Doc, "case %s has no doc", c.Name)
		assert.NotNil(t, c.Check, "case %s has no check", c.Name)
		assert.False(t, seen[c.Name], "case %s listed twice", c.Name)
		seen[c.Name] = true
	}
}

// Property: every sample walk is a valid, hash-chained run of lifecycle transitions
// with distinct keys, and Sample is deterministic.
func TestSampleProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		i := rapid.Int().Draw(t, "i")
		walk := notifytest.Sample(i)
		again := notifytest.Sample(i)
		if len(walk) != notifytest.SampleLen {
			t.Fatalf("walk has %d notifications, want %d", len(walk), notifytest.SampleLen)
		}
		keys := map[string]bool{}
		for k, n := range walk {
			e := n.Entry
			h, err := e.ComputeHash()
			if err != nil || h != e.Hash {
				t.Fatalf("entry %d hash %q does not match its content (%q, %v)", k, e.Hash, h, err)
			}
			if to, ok := release.Next(e.From, e.Event); !ok || to != e.To {
				t.Fatalf("entry %d: %s from %s to %s is not a lifecycle edge", k, e.Event, e.From, e.To)
			}
			if k > 0 && e.PrevHash != walk[k-1].Entry.Hash {
				t.Fatalf("entry %d does not chain to entry %d", k, k-1)
			}
			if n.Release.State != e.To || n.Release.Revision != e.Sequence || n.Release.Head != e.Hash {
				t.Fatalf("notification %d: release is %s rev %d head %s, want the committed entry's", k, n.Release.State, n.Release.Revision, n.Release.Head)
			}
			if keys[n.Key()] {
				t.Fatalf("key %s repeats", n.Key())
			}
			keys[n.Key()] = true
			if d := notifytest.DiffDelivery(notifytest.DeliveryOf(n), notifytest.DeliveryOf(again[k])); d != "" {
				t.Fatalf("Sample(%d) is not deterministic: %s", i, d)
			}
		}
		j := rapid.Int().Filter(func(j int) bool { return j != i }).Draw(t, "j")
		if notifytest.Sample(j)[0].Release.ID == walk[0].Release.ID && uint64(i)&(1<<62-1) != uint64(j)&(1<<62-1) {
			t.Fatalf("Sample(%d) and Sample(%d) share a release ID", i, j)
		}
	})
}

func TestDiffDelivery(t *testing.T) {
	a := notifytest.DeliveryOf(notifytest.Sample(0)[0])
	assert.Empty(t, notifytest.DiffDelivery(a, a))
	b := a
	b.Sequence++
	assert.Contains(t, notifytest.DiffDelivery(a, b), "Sequence: -2 +3")
}

func ExampleRecorder() {
	rec := notifytest.NewRecorder()
	defer rec.Close()
	n := rec.Notifier()
	for _, note := range notifytest.Sample(7)[:3] {
		if err := n.Notify(context.Background(), note); err != nil {
			fmt.Println(err)
		}
	}
	rec.SetMode(notifytest.ModeFail)
	fmt.Println(n.Notify(context.Background(), notifytest.Sample(7)[3]))
	for _, d := range rec.Deliveries() {
		fmt.Println(d.Name, d.Environment, d.Event, d.From, "->", d.To, d.Sequence)
	}
	// Output:
	// notifytest: the receiver refused the delivery (ModeFail)
	// ledger staging plan draft -> planned 2
	// ledger staging schedule planned -> scheduled 3
	// ledger staging approve scheduled -> approved 4
}
