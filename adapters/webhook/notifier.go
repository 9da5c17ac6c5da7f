package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/releasekit/releasekit/adapters/internal/retry"
	"github.com/releasekit/releasekit/release"
)

// systemNow is the one place this package reads the wall clock: the default of
// [WithClock] and of [Verifier.Now] in [Handler].
func systemNow() time.Time { return retry.SystemNow() }

// UserAgent is the User-Agent of every delivery.
const UserAgent = "releasekit-webhook/1"

// ErrStatus is matched by a [*StatusError]: the receiver answered with a status
// other than 2xx.
var ErrStatus = retry.ErrStatus

// StatusError is a receiver's non-2xx answer: the status, the start of the body
// (printable, at most 256 bytes), and any Retry-After.
type StatusError = retry.StatusError

// DeliveryError is what [Notifier.Notify] returns when a delivery did not succeed:
// how many attempts were made, why it ended (errors.Is matches the context's error;
// errors.As finds a *StatusError), and what to do. Its Target names the receiver's
// scheme and host only.
type DeliveryError = retry.DeliveryError

// ErrInvalidConfig is matched by a [*ConfigError].
var ErrInvalidConfig = errors.New("webhook: invalid configuration")

// ConfigError lists every problem with the arguments of [New] at once.
type ConfigError struct {
	Problems []string
}

func (e *ConfigError) Error() string {
	return "webhook: invalid configuration: " + strings.Join(e.Problems, "; ")
}

// Unwrap returns [ErrInvalidConfig].
func (e *ConfigError) Unwrap() error { return ErrInvalidConfig }

// Notifier posts each notification as a signed JSON [Payload] to one URL. It is a
// [release.Notifier] and safe for concurrent use.
type Notifier struct {
	url     string
	secrets [][]byte
	client  *http.Client
	policy  retry.Policy
	now     func() time.Time
	header  http.Header
}

var _ release.Notifier = (*Notifier)(nil)

// Option configures a [Notifier].
type Option func(*Notifier)

// WithSecrets adds signing secrets: each delivery carries one v1 signature per
// secret, so during a rotation receivers holding the old or the new one accept it.
func WithSecrets(secrets ...[]byte) Option {
	return func(n *Notifier) {
		for _, s := range secrets {
			n.secrets = append(n.secrets, append([]byte(nil), s...))
		}
	}
}

// WithClient sets the HTTP client (transport, proxy, TLS). The default client does
// not follow redirects, so a 3xx answer is an error naming it.
func WithClient(c *http.Client) Option { return func(n *Notifier) { n.client = c } }

// WithMaxAttempts sets the number of attempts in all, the first included
// (default 5). 1 turns retries off.
func WithMaxAttempts(k int) Option { return func(n *Notifier) { n.policy.MaxAttempts = k } }

// WithBackoff sets the exponential backoff: the wait before retry k (0-based) is
// uniformly random in [0, min(max, base·2^k)] ("full jitter"). Defaults: 500ms, 30s.
func WithBackoff(base, max time.Duration) Option {
	return func(n *Notifier) { n.policy.Base, n.policy.Max = base, max }
}

// WithMaxRetryAfter sets the longest Retry-After (on 429 and 503) the notifier
// waits for (default 2 minutes); a receiver asking for more ends the delivery with
// an error, so an outbox can deliver it later.
func WithMaxRetryAfter(d time.Duration) Option {
	return func(n *Notifier) { n.policy.MaxRetryAfter = d }
}

// WithTimeout bounds each attempt (default 10s).
func WithTimeout(d time.Duration) Option { return func(n *Notifier) { n.policy.Timeout = d } }

// WithClock sets the clock that dates signatures and reads Retry-After dates
// (default: the system clock).
func WithClock(c release.Clock) Option {
	return func(n *Notifier) {
		if c != nil {
			n.now = c.Now
		}
	}
}

// WithSleep replaces the wait between attempts; it must return ctx.Err() when ctx
// ends first. Tests use it to run retries without waiting.
func WithSleep(sleep func(ctx context.Context, d time.Duration) error) Option {
	return func(n *Notifier) { n.policy.Sleep = sleep }
}

// WithJitter replaces the random source of the backoff: jitter(c) must return a
// duration in [0, c] (values outside are clamped).
func WithJitter(jitter func(c time.Duration) time.Duration) Option {
	return func(n *Notifier) { n.policy.Jitter = jitter }
}

// WithHeader adds a header to every delivery (an API key, a tenant). It cannot
// replace Content-Type, the signature or the idempotency key.
func WithHeader(key, value string) Option {
	return func(n *Notifier) { n.header.Add(key, value) }
}

// New returns a notifier that posts to rawURL (http or https), signing with secret
// and any secrets added by [WithSecrets]. It reports every configuration problem
// at once as a *ConfigError.
func New(rawURL string, secret []byte, opts ...Option) (*Notifier, error) {
	n := &Notifier{url: rawURL, client: retry.DefaultClient, now: systemNow, header: http.Header{}}
	n.secrets = append(n.secrets, append([]byte(nil), secret...))
	for _, o := range opts {
		o(n)
	}
	var p []string
	if u, err := url.Parse(rawURL); err != nil {
		p = append(p, fmt.Sprintf("URL does not parse: %v", err))
	} else if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		p = append(p, fmt.Sprintf("URL %q is not an absolute http or https URL", retry.Redact(rawURL)))
	}
	for i, s := range n.secrets {
		if len(s) == 0 {
			p = append(p, fmt.Sprintf("secret %d is empty; use at least 32 random bytes", i))
		}
	}
	if n.client == nil {
		p = append(p, "HTTP client is nil")
	}
	if n.policy.MaxAttempts < 0 {
		p = append(p, fmt.Sprintf("max attempts %d is negative", n.policy.MaxAttempts))
	}
	if n.policy.Base < 0 || n.policy.Max < 0 || n.policy.MaxRetryAfter < 0 || n.policy.Timeout < 0 {
		p = append(p, "backoff, Retry-After limit and timeout must not be negative")
	}
	for _, k := range []string{"Content-Type", SignatureHeader, IdempotencyHeader} {
		if n.header.Get(k) != "" {
			p = append(p, fmt.Sprintf("header %s is set by the notifier and cannot be replaced", k))
		}
	}
	if len(p) > 0 {
		return nil, &ConfigError{Problems: p}
	}
	n.policy.Now = n.now
	n.policy = n.policy.WithDefaults()
	return n, nil
}

// Notify posts n's [Payload] with the headers Content-Type: application/json,
// Idempotency-Key: n.Key(), Releasekit-Event and Releasekit-Signature (signed at
// each attempt's time). It retries network errors, 5xx and 429 with exponential
// backoff and full jitter, waits as told by Retry-After on 429 and 503, and never
// retries other answers. It returns nil on a 2xx answer, or a *DeliveryError; a
// context that ends stops it at once with an error matching ctx.Err().
func (n *Notifier) Notify(ctx context.Context, note release.Notification) error {
	if err := ctx.Err(); err != nil {
		return &DeliveryError{Notifier: "webhook", Target: retry.Redact(n.url), Err: err}
	}
	body, err := json.Marshal(NewPayload(note))
	if err != nil {
		return fmt.Errorf("webhook: encode the payload of %s: %w", note.Key(), err)
	}
	key := note.Key()
	return retry.Post(ctx, n.policy, retry.Request{
		Notifier: "webhook",
		Client:   n.client,
		URL:      n.url,
		Body:     body,
		Header: func(int) (http.Header, error) {
			h := n.header.Clone()
			h.Set("Content-Type", "application/json")
			h.Set("User-Agent", UserAgent)
			h.Set(IdempotencyHeader, key)
			h.Set(EventHeader, string(note.Entry.Event))
			h.Set(SignatureHeader, Sign(body, n.now(), n.secrets...))
			return h, nil
		},
	})
}

// Name names the notifier in fan-out errors: "webhook https://host/…".
func (n *Notifier) Name() string { return "webhook " + retry.Redact(n.url) }
