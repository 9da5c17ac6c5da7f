package webhook_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/releasekit/releasekit/adapters/webhook"
	"github.com/releasekit/releasekit/release/notifytest"
)

// BenchmarkVerify is the receiver's cost per delivery: parse the header, HMAC the
// body, check the time, decode the payload (about 900 bytes), check the replay
// cache.
func BenchmarkVerify(b *testing.B) {
	b.Run("signature only", func(b *testing.B) {
		h, body := signed(b, notifytest.Sample(1)[3], t0, secret)
		v := &webhook.Verifier{Secrets: [][]byte{secret}}
		sig := h.Get(webhook.SignatureHeader)
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := v.CheckSignature(sig, body, t0); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("full with replay cache", func(b *testing.B) {
		// Distinct keys, so every Verify accepts and records.
		const n = 1024
		hs := make([]http.Header, n)
		bodies := make([][]byte, n)
		for i := range n {
			hs[i], bodies[i] = signed(b, notifytest.Sample(i)[3], t0, secret)
		}
		b.SetBytes(int64(len(bodies[0])))
		b.ReportAllocs()
		i := 0
		v := &webhook.Verifier{Secrets: [][]byte{secret}}
		for b.Loop() {
			if i%n == 0 {
				b.StopTimer()
				v.Replays = webhook.NewMemoryReplayCache()
				b.StartTimer()
			}
			if _, err := v.Verify(hs[i%n], bodies[i%n], t0); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}

// BenchmarkNotify is one signed delivery to a local httptest server (keep-alive),
// sequential and from parallel goroutines.
func BenchmarkNotify(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	defer tr.CloseIdleConnections()
	n, err := webhook.New(srv.URL, secret, webhook.WithClient(&http.Client{Transport: tr}), webhook.WithClock(fixedClock{t0}))
	if err != nil {
		b.Fatal(err)
	}
	note := notifytest.Sample(1)[3]
	ctx := context.Background()
	b.Run("sequential", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := n.Notify(ctx, note); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := n.Notify(ctx, note); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }
