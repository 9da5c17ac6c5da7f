package retry_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/releasekit/releasekit/adapters/internal/retry"
)

// Property: the full-jitter backoff lies in [0, min(Max, Base*2^retry)], the cap
// never decreases with the retry number, and it reaches Max.
func TestBackoffBounds(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		base := time.Duration(rapid.Int64Range(1, int64(time.Minute)).Draw(t, "base"))
		maxd := time.Duration(rapid.Int64Range(1, int64(time.Hour)).Draw(t, "max"))
		jit := rapid.Float64Range(-0.5, 1.5).Draw(t, "jitter")
		p := retry.Policy{Base: base, Max: maxd, Jitter: func(n time.Duration) time.Duration {
			return time.Duration(float64(n) * jit)
		}}.WithDefaults()
		prev := time.Duration(0)
		for r := range 80 {
			c := p.Ceiling(r)
			want := p.Max
			if r < 62 && base <= p.Max>>r {
				want = min(p.Max, base<<r)
			}
			if c != want {
				t.Fatalf("Ceiling(%d) = %v, want %v", r, c, want)
			}
			if c < prev {
				t.Fatalf("Ceiling(%d) = %v < Ceiling(%d) = %v", r, c, r-1, prev)
			}
			prev = c
			if b := p.Backoff(r); b < 0 || b > c {
				t.Fatalf("Backoff(%d) = %v, outside [0, %v]", r, b, c)
			}
		}
		if prev != p.Max {
			t.Fatalf("the cap never reached Max %v (stopped at %v)", p.Max, prev)
		}
	})
}

func TestFullJitterRange(t *testing.T) {
	for _, n := range []time.Duration{0, 1, 2, time.Second, 1<<63 - 1} {
		for range 100 {
			d := retry.FullJitter(n)
			require.True(t, d >= 0 && d <= n, "FullJitter(%v) = %v", n, d)
		}
	}
	assert.Equal(t, time.Duration(0), retry.FullJitter(-5))
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		in     string
		want   time.Duration
		ok     bool
		reason string
	}{
		{"", 0, false, "empty"},
		{"7", 7 * time.Second, true, "seconds"},
		{" 120 ", 2 * time.Minute, true, "surrounding spaces"},
		{"0", 0, true, "zero seconds"},
		{"-1", 0, false, "negative is not delay-seconds"},
		{"1.5", 0, false, "fractions are not delay-seconds"},
		{"99999999999999999999", 365 * 24 * time.Hour, true, "huge is capped at a year"},
		{"Mon, 02 Mar 2026 09:00:30 GMT", 30 * time.Second, true, "IMF-fixdate"},
		{"Monday, 02-Mar-26 09:01:00 GMT", time.Minute, true, "RFC 850 date"},
		{"Mon Mar  2 09:00:10 2026", 10 * time.Second, true, "asctime date"},
		{"Mon, 02 Mar 2026 08:00:00 GMT", 0, true, "a past date is no wait"},
		{"soon", 0, false, "garbage"},
	}
	for _, tt := range tests {
		got, ok := retry.ParseRetryAfter(tt.in, now)
		assert.Equal(t, tt.ok, ok, "%s: ParseRetryAfter(%q) ok", tt.reason, tt.in)
		assert.Equal(t, tt.want, got, "%s: ParseRetryAfter(%q)", tt.reason, tt.in)
	}
}

func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"", "7", "Mon, 02 Mar 2026 09:00:30 GMT", "-1", "1e9", "99999999999"} {
		f.Add(s)
	}
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		d, ok := retry.ParseRetryAfter(s, now)
		if d < 0 || d > 365*24*time.Hour || (!ok && d != 0) {
			t.Fatalf("ParseRetryAfter(%q) = %v, %v", s, d, ok)
		}
	})
}

// script answers each request with the next status (and header); the last repeats.
type script struct {
	mu      sync.Mutex
	answers []answer
	n       atomic.Int32
}

type answer struct {
	status     int
	retryAfter string
	body       string
}

func (s *script) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	i := int(s.n.Add(1)) - 1
	s.mu.Lock()
	a := s.answers[min(i, len(s.answers)-1)]
	s.mu.Unlock()
	if a.retryAfter != "" {
		w.Header().Set("Retry-After", a.retryAfter)
	}
	w.WriteHeader(a.status)
	_, _ = w.Write([]byte(a.body))
}

type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return ctx.Err()
}

func TestPost(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name       string
		answers    []answer
		wantErr    bool
		wantCalls  int
		wantSleeps []time.Duration
		wantStatus int
	}{
		{"2xx first time", []answer{{status: 204}}, false, 1, nil, 0},
		{"500 then 200 retries with backoff", []answer{{status: 500}, {status: 502}, {status: 200}}, false, 3, []time.Duration{time.Second, 2 * time.Second}, 0},
		{"429 honours Retry-After seconds", []answer{{status: 429, retryAfter: "7"}, {status: 200}}, false, 2, []time.Duration{7 * time.Second}, 0},
		{"503 honours Retry-After date", []answer{{status: 503, retryAfter: "Mon, 02 Mar 2026 09:00:42 GMT"}, {status: 200}}, false, 2, []time.Duration{42 * time.Second}, 0},
		{"503 without Retry-After backs off", []answer{{status: 503}, {status: 200}}, false, 2, []time.Duration{time.Second}, 0},
		{"500 ignores Retry-After", []answer{{status: 500, retryAfter: "60"}, {status: 200}}, false, 2, []time.Duration{time.Second}, 0},
		{"400 is never retried", []answer{{status: 400, body: "bad field\x00 \"x\""}}, true, 1, nil, 400},
		{"404 is never retried", []answer{{status: 404}}, true, 1, nil, 404},
		{"3xx is not followed", []answer{{status: 302}}, true, 1, nil, 302},
		{"5xx exhausts attempts", []answer{{status: 500, body: "boom"}}, true, 4, []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}, 500},
		{"Retry-After above the limit ends delivery", []answer{{status: 429, retryAfter: "3600"}}, true, 1, nil, 429},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &script{answers: tt.answers}
			srv := httptest.NewServer(s)
			defer srv.Close()
			var sl sleeps
			p := retry.Policy{MaxAttempts: 4, Base: time.Second, Max: 10 * time.Second,
				MaxRetryAfter: time.Minute, Sleep: sl.sleep,
				Jitter: func(n time.Duration) time.Duration { return n },
				Now:    func() time.Time { return now }}
			err := retry.Post(context.Background(), p, retry.Request{Notifier: "test", URL: srv.URL + "/secret/token", Body: []byte("{}")})
			assert.Equal(t, tt.wantErr, err != nil, "error: %v", err)
			assert.Equal(t, tt.wantCalls, int(s.n.Load()), "requests")
			assert.Equal(t, tt.wantSleeps, sl.d, "sleeps")
			if tt.wantStatus != 0 {
				var se *retry.StatusError
				require.ErrorAs(t, err, &se)
				assert.Equal(t, tt.wantStatus, se.Status)
				assert.ErrorIs(t, err, retry.ErrStatus)
				assert.Contains(t, err.Error(), http.StatusText(tt.wantStatus))
				assert.NotContains(t, err.Error(), "secret/token", "the URL path is redacted")
				var de *retry.DeliveryError
				require.ErrorAs(t, err, &de)
				assert.Equal(t, tt.wantCalls, de.Attempts)
			}
		})
	}
}

func TestPostBodyExcerptIsPrintable(t *testing.T) {
	s := &script{answers: []answer{{status: 422, body: "field \x1b[31mname\x1b[0m is missing" + strings.Repeat("x", 1000)}}}
	srv := httptest.NewServer(s)
	defer srv.Close()
	err := retry.Post(context.Background(), retry.Policy{}, retry.Request{Notifier: "test", URL: srv.URL})
	var se *retry.StatusError
	require.ErrorAs(t, err, &se)
	assert.NotContains(t, se.Body, "\x1b")
	assert.LessOrEqual(t, len(se.Body), 256)
	assert.True(t, strings.HasPrefix(se.Body, "field  [31mname"), "body excerpt %q", se.Body)
}

func TestPostNetworkErrorRetriedAndRedacted(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL + "/services/T000/B000/XXXX"
	srv.Close() // connection refused from now on
	var sl sleeps
	err := retry.Post(context.Background(), retry.Policy{MaxAttempts: 3, Sleep: sl.sleep}, retry.Request{Notifier: "test", URL: url})
	var de *retry.DeliveryError
	require.ErrorAs(t, err, &de)
	assert.Equal(t, 3, de.Attempts)
	assert.Len(t, sl.d, 2)
	assert.NotContains(t, err.Error(), "XXXX", "the URL path is redacted: %v", err)
}

func TestPostCancelledDuringBackoff(t *testing.T) {
	s := &script{answers: []answer{{status: 500}}}
	srv := httptest.NewServer(s)
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	p := retry.Policy{MaxAttempts: 10, Sleep: func(ctx context.Context, _ time.Duration) error {
		cancel()
		return retry.Sleep(ctx, time.Hour)
	}}
	start := time.Now()
	err := retry.Post(ctx, p, retry.Request{Notifier: "test", URL: srv.URL})
	assert.Less(t, time.Since(start), 5*time.Second)
	require.ErrorIs(t, err, context.Canceled)
	var se *retry.StatusError
	assert.ErrorAs(t, err, &se, "the last attempt's status is kept")
	assert.Equal(t, int32(1), s.n.Load())
}

func TestPostHeaderPerAttempt(t *testing.T) {
	var got []string
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Header.Get("Attempt"))
		n := len(got)
		mu.Unlock()
		if n < 3 {
			w.WriteHeader(500)
		}
	}))
	defer srv.Close()
	hdr := func(a int) (http.Header, error) {
		return http.Header{"Attempt": {string(rune('0' + a))}}, nil
	}
	err := retry.Post(context.Background(), retry.Policy{Sleep: func(context.Context, time.Duration) error { return nil }},
		retry.Request{Notifier: "test", URL: srv.URL, Header: hdr})
	require.NoError(t, err)
	assert.Equal(t, []string{"1", "2", "3"}, got)

	boom := errors.New("no key")
	err = retry.Post(context.Background(), retry.Policy{}, retry.Request{Notifier: "test", URL: srv.URL,
		Header: func(int) (http.Header, error) { return nil, boom }})
	assert.ErrorIs(t, err, boom)
}

func TestSleep(t *testing.T) {
	require.NoError(t, retry.Sleep(context.Background(), time.Millisecond))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	assert.ErrorIs(t, retry.Sleep(ctx, time.Hour), context.Canceled)
	assert.ErrorIs(t, retry.Sleep(ctx, 0), context.Canceled)
}

func TestRedact(t *testing.T) {
	assert.Equal(t, "https://hooks.example.com/…", retry.Redact("https://hooks.example.com/services/T/B/secret?x=1"))
	assert.Equal(t, "the configured URL", retry.Redact("::"))
}
