package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/adapters/webhook"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/notifytest"
)

var (
	secret    = []byte("0123456789abcdef0123456789abcdef")
	oldSecret = []byte("fedcba9876543210fedcba9876543210")
	t0        = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
)

func noSleep(ctx context.Context, _ time.Duration) error { return ctx.Err() }

// deliveryOf is the notifytest decoder for webhook requests: it verifies the
// signature like a real receiver, then reads the payload.
func deliveryOf(secrets ...[]byte) notifytest.DecodeFunc {
	return func(r *http.Request, body []byte) (notifytest.Delivery, error) {
		if ct := r.Header.Get("Content-Type"); ct != "application/json" {
			return notifytest.Delivery{}, errors.New("Content-Type is " + ct)
		}
		p, err := webhook.Verify(r.Header, body, secrets, time.Now())
		if err != nil {
			return notifytest.Delivery{}, err
		}
		if got := r.Header.Get(webhook.IdempotencyHeader); got != p.IdempotencyKey {
			return notifytest.Delivery{}, errors.New("Idempotency-Key header " + got + " differs from the payload's " + p.IdempotencyKey)
		}
		return payloadDelivery(p), nil
	}
}

func payloadDelivery(p webhook.Payload) notifytest.Delivery {
	return notifytest.Delivery{
		Key: p.IdempotencyKey, ReleaseID: p.Release.ID, Name: p.Release.Name,
		Version: p.Release.Version, Environment: p.Release.Environment,
		Event: p.Event, From: p.From, To: p.To, Sequence: p.Sequence, ActorID: p.Actor.ID,
	}
}

func TestConformance(t *testing.T) {
	notifytest.Run(t, func(t *testing.T) (release.Notifier, notifytest.Receiver) {
		rx := notifytest.NewHTTPReceiver(t, deliveryOf(secret))
		n, err := webhook.New(rx.URL, secret, webhook.WithMaxAttempts(3), webhook.WithBackoff(time.Millisecond, 5*time.Millisecond))
		require.NoError(t, err)
		return n, rx
	})
}

// During a rotation the notifier signs with both secrets; a receiver holding either
// one, or both, accepts, and one holding neither refuses.
func TestRotation(t *testing.T) {
	for _, tt := range []struct {
		name     string
		receiver [][]byte
		ok       bool
	}{
		{"receiver still on the old secret", [][]byte{oldSecret}, true},
		{"receiver already on the new secret", [][]byte{secret}, true},
		{"receiver holding both", [][]byte{secret, oldSecret}, true},
		{"receiver with an unrelated secret", [][]byte{[]byte("something else entirely")}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rx := notifytest.NewHTTPReceiver(t, deliveryOf(tt.receiver...))
			n, err := webhook.New(rx.URL, secret, webhook.WithSecrets(oldSecret), webhook.WithMaxAttempts(1))
			require.NoError(t, err)
			err = n.Notify(context.Background(), notifytest.Sample(1)[0])
			if tt.ok {
				require.NoError(t, err)
				assert.Len(t, rx.Deliveries(), 1)
				return
			}
			require.ErrorIs(t, err, webhook.ErrStatus)
			assert.Contains(t, err.Error(), "400")
			assert.Contains(t, err.Error(), "bad signature", "the body excerpt carries the receiver's reason")
		})
	}
}

func TestRequestShape(t *testing.T) {
	var (
		mu  sync.Mutex
		got []*http.Request
		bod [][]byte
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, r)
		bod = append(bod, b)
		n := len(got)
		mu.Unlock()
		if n == 1 {
			w.WriteHeader(http.StatusBadGateway)
		}
	}))
	defer srv.Close()
	clock := release.ClockFunc(func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return t0.Add(time.Duration(len(got)) * time.Minute)
	})
	n, err := webhook.New(srv.URL+"/hook", secret, webhook.WithClock(clock), webhook.WithSleep(noSleep), webhook.WithHeader("X-Tenant", "acme"))
	require.NoError(t, err)
	note := notifytest.Sample(9)[4]
	require.NoError(t, n.Notify(context.Background(), note))
	require.Len(t, got, 2, "one 502, then success")

	for i, r := range got {
		assert.Equal(t, http.MethodPost, r.Method)
		assert.Equal(t, "/hook", r.URL.Path)
		assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
		assert.Equal(t, note.Key(), r.Header.Get("Idempotency-Key"))
		assert.Equal(t, "complete", r.Header.Get("Releasekit-Event"))
		assert.Equal(t, "acme", r.Header.Get("X-Tenant"))
		assert.Equal(t, webhook.UserAgent, r.Header.Get("User-Agent"))
		sig, err := webhook.ParseSignature(r.Header.Get(webhook.SignatureHeader))
		require.NoError(t, err)
		assert.Equal(t, t0.Add(time.Duration(i)*time.Minute).Unix(), sig.Timestamp, "attempt %d is signed at its own time", i+1)
		assert.Equal(t, webhook.Sign(bod[i], sig.Time(), secret), r.Header.Get(webhook.SignatureHeader))
	}
	assert.Equal(t, bod[0], bod[1], "every attempt sends the same body")

	var p webhook.Payload
	require.NoError(t, json.Unmarshal(bod[0], &p))
	want := webhook.Payload{
		Version: 1, Type: "release.transition", IdempotencyKey: note.Key(),
		Event: release.EventComplete, From: release.StateDeploying, To: release.StateDeployed,
		Release: webhook.PayloadRelease{
			ID: note.Release.ID, Name: note.Release.Name, Version: note.Release.Version,
			Environment: note.Release.Environment, Class: release.ClassNormal, State: release.StateDeployed,
			Revision: 6, Author: "alice", Components: note.Release.Components, Labels: note.Release.Labels,
		},
		Actor: note.Entry.Actor, Time: note.Entry.Time, Sequence: 6, Hash: note.Entry.Hash, PrevHash: note.Entry.PrevHash,
	}
	assert.Equal(t, want, p)
}

func TestRetryPolicy(t *testing.T) {
	tests := []struct {
		name       string
		statuses   []int
		retryAfter string
		wantErr    bool
		wantCalls  int
		wantSleeps []time.Duration
	}{
		{"429 with Retry-After seconds", []int{429, 200}, "3", false, 2, []time.Duration{3 * time.Second}},
		{"503 with Retry-After date", []int{503, 200}, "Mon, 02 Mar 2026 09:00:20 GMT", false, 2, []time.Duration{20 * time.Second}},
		{"5xx backs off exponentially", []int{500, 500, 500, 200}, "", false, 4, []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond}},
		{"4xx never retried", []int{403}, "", true, 1, nil},
		{"409 never retried", []int{409}, "", true, 1, nil},
		{"attempts run out", []int{500}, "", true, 5, []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 500 * time.Millisecond}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			calls := 0
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				mu.Lock()
				s := tt.statuses[min(calls, len(tt.statuses)-1)]
				calls++
				mu.Unlock()
				if tt.retryAfter != "" {
					w.Header().Set("Retry-After", tt.retryAfter)
				}
				w.WriteHeader(s)
				_, _ = io.WriteString(w, "receiver says no")
			}))
			defer srv.Close()
			var sleeps []time.Duration
			n, err := webhook.New(srv.URL, secret,
				webhook.WithBackoff(100*time.Millisecond, 500*time.Millisecond),
				webhook.WithJitter(func(c time.Duration) time.Duration { return c }),
				webhook.WithClock(release.ClockFunc(func() time.Time { return t0 })),
				webhook.WithSleep(func(ctx context.Context, d time.Duration) error { sleeps = append(sleeps, d); return nil }))
			require.NoError(t, err)
			err = n.Notify(context.Background(), notifytest.Sample(1)[0])
			assert.Equal(t, tt.wantErr, err != nil, "error: %v", err)
			assert.Equal(t, tt.wantCalls, calls)
			assert.Equal(t, tt.wantSleeps, sleeps)
			if tt.wantErr {
				var se *webhook.StatusError
				require.ErrorAs(t, err, &se)
				assert.Equal(t, tt.statuses[len(tt.statuses)-1], se.Status)
				assert.Contains(t, err.Error(), http.StatusText(se.Status), "names the status")
				assert.Contains(t, err.Error(), "receiver says no", "quotes the body")
				var de *webhook.DeliveryError
				require.ErrorAs(t, err, &de)
				assert.Equal(t, tt.wantCalls, de.Attempts)
			}
		})
	}
}

func TestNewConfigErrors(t *testing.T) {
	_, err := webhook.New("ftp://x", nil, webhook.WithSecrets([]byte{}), webhook.WithMaxAttempts(-1),
		webhook.WithClient(nil), webhook.WithHeader("Idempotency-Key", "mine"))
	require.ErrorIs(t, err, webhook.ErrInvalidConfig)
	var ce *webhook.ConfigError
	require.ErrorAs(t, err, &ce)
	assert.Len(t, ce.Problems, 6, "every problem at once: %v", ce.Problems)
	_, err = webhook.New("https://hooks.example.com/x", secret)
	assert.NoError(t, err)
	_, err = webhook.New("://", secret)
	assert.ErrorIs(t, err, webhook.ErrInvalidConfig)
}

// signed returns a delivery's headers and body as the notifier would send them.
func signed(t testing.TB, note release.Notification, at time.Time, secrets ...[]byte) (http.Header, []byte) {
	t.Helper()
	body, err := json.Marshal(webhook.NewPayload(note))
	require.NoError(t, err)
	h := http.Header{}
	h.Set(webhook.SignatureHeader, webhook.Sign(body, at, secrets...))
	h.Set(webhook.IdempotencyHeader, note.Key())
	return h, body
}

func TestVerify(t *testing.T) {
	note := notifytest.Sample(2)[3]
	h, body := signed(t, note, t0, secret)
	with := func(k, v string) http.Header {
		c := h.Clone()
		c.Set(k, v)
		return c
	}
	without := func(k string) http.Header {
		c := h.Clone()
		c.Del(k)
		return c
	}
	sigAt := func(at time.Time, b []byte, secrets ...[]byte) http.Header {
		return with(webhook.SignatureHeader, webhook.Sign(b, at, secrets...))
	}
	validSig := h.Get(webhook.SignatureHeader)
	v1 := strings.SplitN(validSig, ",", 2)[1]
	tests := []struct {
		name    string
		h       http.Header
		body    []byte
		secrets [][]byte
		now     time.Time
		want    error
	}{
		{"valid", h, body, [][]byte{secret}, t0, nil},
		{"valid with the second of two secrets", h, body, [][]byte{oldSecret, secret}, t0, nil},
		{"valid without the idempotency header", without(webhook.IdempotencyHeader), body, [][]byte{secret}, t0, nil},
		{"valid with an unknown later scheme", with(webhook.SignatureHeader, validSig+",v2=zzz"), body, [][]byte{secret}, t0, nil},
		{"valid 5 minutes old", h, body, [][]byte{secret}, t0.Add(5 * time.Minute), nil},
		{"valid 5 minutes ahead", h, body, [][]byte{secret}, t0.Add(-5 * time.Minute), nil},
		{"missing header", without(webhook.SignatureHeader), body, [][]byte{secret}, t0, webhook.ErrMissingSignature},
		{"no timestamp", with(webhook.SignatureHeader, v1), body, [][]byte{secret}, t0, webhook.ErrMalformedSignature},
		{"no v1", with(webhook.SignatureHeader, "t=1772442000"), body, [][]byte{secret}, t0, webhook.ErrMalformedSignature},
		{"upper-case hex", with(webhook.SignatureHeader, strings.ToUpper(validSig[:2])+strings.ToUpper(validSig[2:])), body, [][]byte{secret}, t0, webhook.ErrMalformedSignature},
		{"spaces", with(webhook.SignatureHeader, strings.Replace(validSig, ",", ", ", 1)), body, [][]byte{secret}, t0, webhook.ErrMalformedSignature},
		{"short v1", with(webhook.SignatureHeader, validSig[:len(validSig)-2]), body, [][]byte{secret}, t0, webhook.ErrMalformedSignature},
		{"two timestamps", with(webhook.SignatureHeader, validSig+",t=1"), body, [][]byte{secret}, t0, webhook.ErrMalformedSignature},
		{"signed with another secret", sigAt(t0, body, oldSecret), body, [][]byte{secret}, t0, webhook.ErrBadSignature},
		{"body changed", h, bytes.Replace(body, []byte(`"start"`), []byte(`"close"`), 1), [][]byte{secret}, t0, webhook.ErrBadSignature},
		{"timestamp changed", with(webhook.SignatureHeader, strings.Replace(validSig, "t=1772442000", "t=1772442001", 1)), body, [][]byte{secret}, t0, webhook.ErrBadSignature},
		{"idempotency header differs from the signed key", with(webhook.IdempotencyHeader, "other/1"), body, [][]byte{secret}, t0, webhook.ErrBadSignature},
		{"older than the tolerance", h, body, [][]byte{secret}, t0.Add(5*time.Minute + time.Second), webhook.ErrStale},
		{"further ahead than the tolerance", h, body, [][]byte{secret}, t0.Add(-5*time.Minute - time.Second), webhook.ErrStale},
		{"no secrets", h, body, nil, t0, webhook.ErrNoSecrets},
		{"an empty secret", h, body, [][]byte{secret, {}}, t0, webhook.ErrNoSecrets},
		{"signed, but not a payload", sigAt(t0, []byte(`{"hello":1}`), secret), []byte(`{"hello":1}`), [][]byte{secret}, t0, webhook.ErrMalformedPayload},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := webhook.Verify(tt.h, tt.body, tt.secrets, tt.now)
			if tt.want == nil {
				require.NoError(t, err)
				assert.Equal(t, note.Key(), p.IdempotencyKey)
				assert.Equal(t, notifytest.DeliveryOf(note), payloadDelivery(p))
				return
			}
			require.ErrorIs(t, err, tt.want)
			assert.Equal(t, webhook.Payload{}, p, "a refused delivery yields no payload")
		})
	}
}

func TestStaleErrorCarriesSkew(t *testing.T) {
	h, body := signed(t, notifytest.Sample(1)[0], t0, secret)
	_, err := webhook.Verify(h, body, [][]byte{secret}, t0.Add(-7*time.Minute), webhook.WithTolerance(time.Minute))
	var se *webhook.StaleError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, -7*time.Minute, se.Skew)
	assert.Equal(t, time.Minute, se.Tolerance)
	assert.Contains(t, err.Error(), "7m0s in the future")
}

func TestReplay(t *testing.T) {
	cache := webhook.NewMemoryReplayCache()
	note := notifytest.Sample(3)[2]
	h, body := signed(t, note, t0, secret)
	opts := []webhook.VerifyOption{webhook.WithReplayCache(cache)}

	_, err := webhook.Verify(h, body, [][]byte{secret}, t0, opts...)
	require.NoError(t, err, "first delivery")
	_, err = webhook.Verify(h, body, [][]byte{secret}, t0.Add(time.Minute), opts...)
	var re *webhook.ReplayError
	require.ErrorAs(t, err, &re, "the same request again")
	assert.Equal(t, note.Key(), re.Key)

	h2, body2 := signed(t, note, t0.Add(2*time.Minute), secret)
	_, err = webhook.Verify(h2, body2, [][]byte{secret}, t0.Add(2*time.Minute), opts...)
	assert.ErrorIs(t, err, webhook.ErrReplay, "a fresh signature over the same key")

	other, otherBody := signed(t, notifytest.Sample(3)[3], t0, secret)
	_, err = webhook.Verify(other, otherBody, [][]byte{secret}, t0, opts...)
	assert.NoError(t, err, "another key")

	cache.Forget(note.Key())
	_, err = webhook.Verify(h, body, [][]byte{secret}, t0, opts...)
	assert.NoError(t, err, "a forgotten key is accepted again")

	// After the tolerance the original request is stale, not a replay; and the key
	// entry has expired, so a new signature over it is accepted.
	_, err = webhook.Verify(h, body, [][]byte{secret}, t0.Add(6*time.Minute), opts...)
	assert.ErrorIs(t, err, webhook.ErrStale)
	h3, body3 := signed(t, note, t0.Add(7*time.Minute), secret)
	_, err = webhook.Verify(h3, body3, [][]byte{secret}, t0.Add(7*time.Minute), opts...)
	assert.NoError(t, err, "the key expired with its signature's tolerance")
}

func TestMemoryReplayCacheConcurrentAndSweeps(t *testing.T) {
	c := webhook.NewMemoryReplayCache()
	var wg sync.WaitGroup
	var mu sync.Mutex
	fresh := 0
	for range 32 {
		wg.Go(func() {
			if !c.Seen("k", t0.Add(time.Minute), t0) {
				mu.Lock()
				fresh++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	assert.Equal(t, 1, fresh, "exactly one concurrent Seen of a new key reports false")

	for i := range 5000 {
		c.Seen(string(rune(i+1000)), t0.Add(time.Duration(i)*time.Millisecond), t0)
	}
	for i := range 5000 {
		c.Seen(string(rune(i+10000)), t0.Add(time.Hour), t0.Add(time.Minute))
	}
	c.Seen("late", t0.Add(time.Hour), t0.Add(time.Minute))
	assert.Less(t, c.Len(), 8000, "expired keys are swept (10,002 inserted, 5,001 expired)")
	assert.True(t, c.Seen("late", t0.Add(time.Hour), t0.Add(2*time.Minute)))
}

func TestHandler(t *testing.T) {
	note := notifytest.Sample(4)[1]
	h, body := signed(t, note, t0, secret)
	var (
		mu   sync.Mutex
		got  []webhook.Payload
		fail = true
	)
	v := &webhook.Verifier{Secrets: [][]byte{secret}, Replays: webhook.NewMemoryReplayCache(),
		Now: func() time.Time { return t0.Add(time.Second) }}
	srv := httptest.NewServer(webhook.Handler(v, func(_ context.Context, p webhook.Payload) error {
		mu.Lock()
		defer mu.Unlock()
		if fail {
			fail = false
			return errors.New("database down")
		}
		got = append(got, p)
		return nil
	}))
	defer srv.Close()
	do := func(method string, h http.Header, body []byte) (int, string) {
		req, err := http.NewRequest(method, srv.URL, bytes.NewReader(body))
		require.NoError(t, err)
		req.Header = h.Clone()
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, msg := do(http.MethodPost, h, body)
	assert.Equal(t, http.StatusInternalServerError, code, "fn failed")
	assert.NotContains(t, msg, "database down", "fn's error is not sent")
	code, _ = do(http.MethodPost, h, body)
	assert.Equal(t, http.StatusNoContent, code, "the retry after a failure is processed (the key was forgotten)")
	code, msg = do(http.MethodPost, h, body)
	assert.Equal(t, http.StatusOK, code, "a duplicate is acknowledged")
	assert.Contains(t, msg, "duplicate")
	code, msg = do(http.MethodPost, http.Header{}, body)
	assert.Equal(t, http.StatusUnauthorized, code)
	assert.Contains(t, msg, "missing signature")
	code, _ = do(http.MethodGet, h, nil)
	assert.Equal(t, http.StatusMethodNotAllowed, code)
	big := bytes.Repeat([]byte("x"), webhook.MaxBodyBytes+1)
	code, _ = do(http.MethodPost, h, big)
	assert.Equal(t, http.StatusRequestEntityTooLarge, code)
	junk := []byte(`[1,2]`)
	code, _ = do(http.MethodPost, http.Header{webhook.SignatureHeader: {webhook.Sign(junk, t0, secret)}}, junk)
	assert.Equal(t, http.StatusBadRequest, code, "a signed body that is not a payload")
	require.Len(t, got, 1)
	assert.Equal(t, note.Key(), got[0].IdempotencyKey)
}

// A notifier and a Handler talk to each other end to end.
func TestNotifierToHandler(t *testing.T) {
	var mu sync.Mutex
	var keys []string
	v := &webhook.Verifier{Secrets: [][]byte{secret}, Replays: webhook.NewMemoryReplayCache()}
	srv := httptest.NewServer(webhook.Handler(v, func(_ context.Context, p webhook.Payload) error {
		mu.Lock()
		keys = append(keys, p.IdempotencyKey)
		mu.Unlock()
		return nil
	}))
	defer srv.Close()
	n, err := webhook.New(srv.URL, secret)
	require.NoError(t, err)
	for _, note := range notifytest.Sample(5) {
		require.NoError(t, n.Notify(context.Background(), note))
	}
	require.NoError(t, n.Notify(context.Background(), notifytest.Sample(5)[0]), "a redelivery is acknowledged as a duplicate")
	assert.Len(t, keys, notifytest.SampleLen, "the duplicate was not processed again")
}

func errorsAs(err error, target any) bool { return errors.As(err, target) }

func TestName(t *testing.T) {
	n, err := webhook.New("https://hooks.example.com/a/secret", secret)
	require.NoError(t, err)
	assert.Equal(t, "webhook https://hooks.example.com/…", n.Name())
}

func TestHandlerNilArguments(t *testing.T) {
	h, body := signed(t, notifytest.Sample(1)[0], time.Now(), secret)
	for _, tt := range []struct {
		name string
		v    *webhook.Verifier
		want int
	}{{"nil verifier refuses", nil, http.StatusInternalServerError}, {"nil fn accepts", &webhook.Verifier{Secrets: [][]byte{secret}}, http.StatusNoContent}} {
		rr := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		req.Header = h.Clone()
		webhook.Handler(tt.v, nil).ServeHTTP(rr, req)
		assert.Equal(t, tt.want, rr.Code, tt.name)
	}
}
