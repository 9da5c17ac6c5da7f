// Package retry posts HTTP requests with retries: exponential backoff with full
// jitter, Retry-After on 429 and 503, retries on 5xx and network errors, never on
// other 4xx. It is shared by the webhook and Slack notifiers and is not part of the
// public API; they re-export its error types.
package retry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/releasekit/releasekit/release"
)

// Defaults for a zero [Policy] field.
const (
	DefaultMaxAttempts   = 5
	DefaultBase          = 500 * time.Millisecond
	DefaultMax           = 30 * time.Second
	DefaultMaxRetryAfter = 2 * time.Minute
	DefaultTimeout       = 10 * time.Second
)

// Policy says how often and how long to retry. Zero fields take the defaults.
type Policy struct {
	// MaxAttempts is the number of attempts in all, the first included.
	MaxAttempts int
	// Base is the backoff before the first retry's jitter; it doubles per retry.
	Base time.Duration
	// Max caps the backoff (before jitter).
	Max time.Duration
	// MaxRetryAfter is the longest Retry-After the sender waits for; a receiver that
	// asks for more ends the delivery with an error.
	MaxRetryAfter time.Duration
	// Timeout bounds each attempt.
	Timeout time.Duration
	// Sleep waits d or until ctx ends (then it returns ctx.Err()).
	Sleep func(ctx context.Context, d time.Duration) error
	// Jitter returns a uniformly random duration in [0, n]; n >= 0.
	Jitter func(n time.Duration) time.Duration
	// Now reads the clock, for Retry-After given as an HTTP date.
	Now func() time.Time
}

// WithDefaults returns p with every zero field set to its default.
func (p Policy) WithDefaults() Policy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = DefaultMaxAttempts
	}
	if p.Base <= 0 {
		p.Base = DefaultBase
	}
	if p.Max <= 0 {
		p.Max = DefaultMax
	}
	if p.Max < p.Base {
		p.Max = p.Base
	}
	if p.MaxRetryAfter <= 0 {
		p.MaxRetryAfter = DefaultMaxRetryAfter
	}
	if p.Timeout <= 0 {
		p.Timeout = DefaultTimeout
	}
	if p.Sleep == nil {
		p.Sleep = Sleep
	}
	if p.Jitter == nil {
		p.Jitter = FullJitter
	}
	if p.Now == nil {
		p.Now = SystemNow
	}
	return p
}

// SystemNow is the wall clock: the one place the notifiers read it by default.
var SystemNow = release.SystemClock().Now

// FullJitter returns a uniformly random duration in [0, n].
func FullJitter(n time.Duration) time.Duration {
	if n <= 0 {
		return 0
	}
	if n == 1<<63-1 {
		return time.Duration(rand.Int64N(int64(n)))
	}
	return time.Duration(rand.Int64N(int64(n) + 1))
}

// Sleep waits d or until ctx ends, whichever is first; it returns ctx.Err() then.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Ceiling returns the backoff cap before the retry-th retry (0 is the first retry):
// min(Max, Base * 2^retry), without overflow. p must have its defaults set.
func (p Policy) Ceiling(retry int) time.Duration {
	d := p.Base
	for range max(retry, 0) {
		if d > p.Max/2 {
			return p.Max
		}
		d *= 2
	}
	return min(d, p.Max)
}

// Backoff returns the wait before the retry-th retry with full jitter: uniform in
// [0, Ceiling(retry)]. A jitter function that returns out of range is clamped.
func (p Policy) Backoff(retry int) time.Duration {
	c := p.Ceiling(retry)
	return max(0, min(c, p.Jitter(c)))
}

// ParseRetryAfter reads a Retry-After header value: delay-seconds or an HTTP date
// (RFC 9110 §10.2.3). A date in the past is a zero wait. It reports false for an
// empty or unreadable value. Huge second counts are capped at a year.
func ParseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	const year = 365 * 24 * time.Hour
	if isDigits(v) {
		if len(v) > 9 {
			return year, true
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return 0, false
		}
		return min(time.Duration(n)*time.Second, year), true
	}
	at, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	d := at.Sub(now)
	return max(0, min(d, year)), true
}

func isDigits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// ErrStatus is matched by a [StatusError]: the receiver answered with a status
// other than 2xx.
var ErrStatus = errors.New("receiver answered with a non-2xx status")

// StatusError is a receiver's non-2xx answer.
type StatusError struct {
	// Status is the HTTP status code; Text its reason phrase line ("503 Service
	// Unavailable").
	Status int
	Text   string
	// Body is the start of the response body, made printable (at most 256 bytes).
	Body string
	// RetryAfter is what the receiver asked to wait (429 and 503), or 0.
	RetryAfter time.Duration
	// Retryable says whether the status allowed a retry (429 and 5xx).
	Retryable bool
}

func (e *StatusError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "receiver answered %s", e.Text)
	if e.Body != "" {
		fmt.Fprintf(&b, ": %q", e.Body)
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (Retry-After %v)", e.RetryAfter)
	}
	return b.String()
}

// Unwrap returns [ErrStatus].
func (e *StatusError) Unwrap() error { return ErrStatus }

// DeliveryError says a delivery did not succeed and why.
type DeliveryError struct {
	// Notifier names the notifier ("webhook", "slack").
	Notifier string
	// Target is the receiver's URL with its path and query removed (they may hold a
	// secret, as Slack webhook URLs do).
	Target string
	// Attempts is the number of requests made.
	Attempts int
	// Err is why delivery ended: the context's error, the last attempt's error, or a
	// refused Retry-After.
	Err error
	// Last is the last attempt's error when Err is something else (a context's end),
	// or nil.
	Last error
	// Hint says what to do.
	Hint string
}

func (e *DeliveryError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: delivery to %s failed after %d attempt(s): %v", e.Notifier, e.Target, e.Attempts, e.Err)
	if e.Last != nil {
		fmt.Fprintf(&b, " (last attempt: %v)", e.Last)
	}
	if e.Hint != "" {
		b.WriteString("; " + e.Hint)
	}
	return b.String()
}

// Unwrap returns Err and Last, so errors.Is matches context errors and errors.As
// finds a *StatusError.
func (e *DeliveryError) Unwrap() []error {
	if e.Last != nil {
		return []error{e.Err, e.Last}
	}
	return []error{e.Err}
}

// Redact returns u's scheme and host only ("https://hooks.example.com/…"); an
// unparsable URL gives "the configured URL".
func Redact(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.Host == "" {
		return "the configured URL"
	}
	return p.Scheme + "://" + p.Host + "/…"
}

// Request is one delivery to post.
type Request struct {
	// Notifier names the notifier in errors.
	Notifier string
	Client   *http.Client
	URL      string
	Body     []byte
	// Header returns the headers of attempt number attempt (1-based), so signatures
	// can carry the time of each attempt.
	Header func(attempt int) (http.Header, error)
}

// Post sends r with retries by p (defaults applied) and returns nil on a 2xx answer,
// or a *DeliveryError.
func Post(ctx context.Context, p Policy, r Request) error {
	p = p.WithDefaults()
	target := Redact(r.URL)
	fail := func(attempts int, err, last error, hint string) error {
		return &DeliveryError{Notifier: r.Notifier, Target: target, Attempts: attempts, Err: err, Last: last, Hint: hint}
	}
	if err := ctx.Err(); err != nil {
		return fail(0, err, nil, "")
	}
	var last error
	for attempt := 1; ; attempt++ {
		retryable, wait, err := once(ctx, p, r, attempt)
		if err == nil {
			return nil
		}
		last = err
		if cerr := ctx.Err(); cerr != nil {
			return fail(attempt, cerr, last, "")
		}
		if !retryable {
			return fail(attempt, last, nil, "the receiver refused it; fix the request or the receiver's configuration (4xx answers are not retried)")
		}
		if attempt >= p.MaxAttempts {
			return fail(attempt, last, nil, "check the receiver, or raise the maximum attempts")
		}
		d := p.Backoff(attempt - 1)
		if wait > 0 {
			if wait > p.MaxRetryAfter {
				return fail(attempt, last, nil, fmt.Sprintf("the receiver asked to wait %v, more than the %v limit; deliver later", wait, p.MaxRetryAfter))
			}
			d = wait
		}
		if err := p.Sleep(ctx, d); err != nil {
			return fail(attempt, err, last, "")
		}
	}
}

// once makes one attempt. It reports whether a failure may be retried and how long
// the receiver asked to wait.
func once(ctx context.Context, p Policy, r Request, attempt int) (bool, time.Duration, error) {
	actx, cancel := context.WithTimeout(ctx, p.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, r.URL, bytes.NewReader(r.Body))
	if err != nil {
		return false, 0, fmt.Errorf("build request: %w", redactErr(err, r.URL))
	}
	if r.Header != nil {
		h, err := r.Header(attempt)
		if err != nil {
			return false, 0, err
		}
		for k, vs := range h {
			req.Header[k] = vs
		}
	}
	client := r.Client
	if client == nil {
		client = DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return true, 0, redactErr(err, r.URL)
	}
	defer func() {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		_ = resp.Body.Close()
	}()
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return false, 0, nil
	}
	head, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
	se := &StatusError{Status: resp.StatusCode, Text: resp.Status, Body: printable(head)}
	if se.Text == "" {
		se.Text = strconv.Itoa(resp.StatusCode)
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable:
		se.Retryable = true
		if d, ok := ParseRetryAfter(resp.Header.Get("Retry-After"), p.Now()); ok {
			se.RetryAfter = d
		}
	case resp.StatusCode >= 500:
		se.Retryable = true
	}
	return se.Retryable, se.RetryAfter, se
}

// DefaultClient is the client used when a Request has none: it does not follow
// redirects (a redirected POST would turn into a GET and lose the body), so a 3xx
// answer is an error that names the status.
var DefaultClient = &http.Client{
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

func redactErr(err error, raw string) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		cp := *ue
		cp.URL = Redact(raw)
		return &cp
	}
	return err
}

// printable returns b as text safe to show: valid UTF-8, control characters as
// spaces, trimmed.
func printable(b []byte) string {
	s := strings.ToValidUTF8(string(b), "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}
