package webhook_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/releasekit/releasekit/adapters/webhook"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/notifytest"
)

// A sender signs a body; a receiver verifies it, and refuses the same body once it
// was tampered with or is too old.
func Example() {
	key := []byte("a shared secret of 32 bytes or more")
	sentAt := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	body := []byte(`{"version":1,"type":"release.transition","idempotency_key":"019cad00-0000-7000-8000-000000000001/5","event":"start","to":"deploying","sequence":5}`)

	h := http.Header{}
	h.Set(webhook.SignatureHeader, webhook.Sign(body, sentAt, key))
	fmt.Println(h.Get(webhook.SignatureHeader))

	p, err := webhook.Verify(h, body, [][]byte{key}, sentAt.Add(30*time.Second))
	fmt.Println(p.IdempotencyKey, p.Event, err)

	tampered := append([]byte(nil), body...)
	tampered[len(tampered)-2] = '6'
	_, err = webhook.Verify(h, tampered, [][]byte{key}, sentAt)
	fmt.Println(errors.Is(err, webhook.ErrBadSignature))

	_, err = webhook.Verify(h, body, [][]byte{key}, sentAt.Add(time.Hour))
	fmt.Println(err)
	// Output:
	// t=1772442000,v1=360ebc8024edfc56843ea36baafe402b9c11bc5e768f9cd21943274c36db747e
	// 019cad00-0000-7000-8000-000000000001/5 start <nil>
	// true
	// webhook: stale signature: signed 1h0m0s old, beyond the 5m0s tolerance; check both clocks (NTP) or resend
}

// A receiver serves Handler; the notifier delivers to it, and a redelivery of the
// same notification is acknowledged without being processed twice.
func ExampleHandler() {
	key := []byte("a shared secret of 32 bytes or more")
	v := &webhook.Verifier{Secrets: [][]byte{key}, Replays: webhook.NewMemoryReplayCache()}
	srv := httptest.NewServer(webhook.Handler(v, func(_ context.Context, p webhook.Payload) error {
		fmt.Printf("%s %s: %s -> %s by %s\n", p.Release.Name, p.Release.Version, p.From, p.To, p.Actor.ID)
		return nil
	}))
	defer srv.Close()

	n, err := webhook.New(srv.URL, key)
	if err != nil {
		fmt.Println(err)
		return
	}
	walk := notifytest.Sample(0)
	for _, note := range walk[:2] {
		if err := n.Notify(context.Background(), note); err != nil {
			fmt.Println(err)
		}
	}
	fmt.Println(n.Notify(context.Background(), walk[0]))
	// Output:
	// payments 1.0.0: draft -> planned by alice
	// payments 1.0.0: planned -> scheduled by alice
	// <nil>
}

// New reports every configuration problem at once.
func ExampleNew() {
	_, err := webhook.New("hooks.example.com/release", nil, webhook.WithMaxAttempts(-2))
	fmt.Println(err)
	// Output:
	// webhook: invalid configuration: URL "the configured URL" is not an absolute http or https URL; secret 0 is empty; use at least 32 random bytes; max attempts -2 is negative
}

var _ release.Notifier = (*webhook.Notifier)(nil)
