package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/releasekit/releasekit/adapters/internal/retry"
	"github.com/releasekit/releasekit/release"
)

// Message is an incoming-webhook message: Text is the plain fallback shown in
// notifications and by clients without Block Kit; Blocks is the layout.
type Message struct {
	Text   string  `json:"text"`
	Blocks []Block `json:"blocks"`
}

// Block is one Block Kit layout block (header, section, actions or context).
type Block struct {
	Type     string `json:"type"`
	Text     *Text  `json:"text,omitempty"`
	Fields   []Text `json:"fields,omitempty"`
	Elements []any  `json:"elements,omitempty"`
}

// Text is a Block Kit text object: Type is "plain_text" or "mrkdwn".
type Text struct {
	Type  string `json:"type"`
	Text  string `json:"text"`
	Emoji bool   `json:"emoji,omitempty"`
}

// Button is a link button element.
type Button struct {
	Type     string `json:"type"`
	Text     Text   `json:"text"`
	URL      string `json:"url"`
	ActionID string `json:"action_id,omitempty"`
}

// Block Kit limits the message builder keeps to.
const (
	maxHeader  = 150
	maxSection = 3000
	maxField   = 2000
	maxURL     = 3000
)

// Emoji returns the Slack emoji shortcode shown for a state (":rocket:" for
// deploying); an unknown or empty state gets ":grey_question:".
func Emoji(s release.State) string {
	switch s {
	case release.StateDraft:
		return ":memo:"
	case release.StatePlanned:
		return ":clipboard:"
	case release.StateScheduled:
		return ":calendar:"
	case release.StateApproved:
		return ":white_check_mark:"
	case release.StateDeploying:
		return ":rocket:"
	case release.StateDeployed:
		return ":package:"
	case release.StateVerified:
		return ":large_green_circle:"
	case release.StateFailed:
		return ":red_circle:"
	case release.StateRollingBack:
		return ":rewind:"
	case release.StateRolledBack:
		return ":leftwards_arrow_with_hook:"
	case release.StateClosed:
		return ":checkered_flag:"
	case release.StateCancelled:
		return ":no_entry_sign:"
	}
	return ":grey_question:"
}

// BuildMessage returns the message for n: a header with the release's name,
// version and environment; the transition from → to with an emoji per state and
// the event; fields with the actor, the change class, the sequence, the commit time
// and the reason; the components; a "View release" button to link (left out when
// link is not an absolute http or https URL); and a context line with the release
// ID and the idempotency key. User text is escaped for mrkdwn and cut to Block Kit's
// limits.
func BuildMessage(n release.Notification, link string) Message {
	r, e := n.Release, n.Entry
	title := fmt.Sprintf("%s %s · %s", r.Name, r.Version, r.Environment)

	var transition string
	if e.From == "" {
		transition = fmt.Sprintf("%s created as *%s*", Emoji(e.To), e.To)
	} else {
		transition = fmt.Sprintf("%s *%s* → %s *%s*", Emoji(e.From), e.From, Emoji(e.To), e.To)
	}
	transition += fmt.Sprintf("  ·  `%s`", escape(string(e.Event)))

	actor := escape(e.Actor.ID)
	if e.Actor.Kind != "" {
		actor += " (" + escape(string(e.Actor.Kind)) + ")"
	}
	fields := []Text{
		mrkdwn(cut("*Actor*\n"+actor, maxField)),
		mrkdwn(cut("*Class*\n"+escape(string(r.Class)), maxField)),
		mrkdwn("*Sequence*\n" + strconv.FormatInt(e.Sequence, 10)),
		mrkdwn("*Committed*\n" + e.Time.UTC().Format("2006-01-02 15:04:05 UTC")),
	}
	if e.Reason != "" {
		fields = append(fields, mrkdwn(cut("*Reason*\n"+escape(e.Reason), maxField)))
	}

	blocks := []Block{
		{Type: "header", Text: &Text{Type: "plain_text", Text: cut(title, maxHeader), Emoji: true}},
		{Type: "section", Text: ptr(mrkdwn(transition)), Fields: fields},
	}
	if len(r.Components) > 0 {
		var b strings.Builder
		b.WriteString("*Components*")
		for i, c := range r.Components {
			if i == 10 {
				fmt.Fprintf(&b, "\n… and %d more", len(r.Components)-10)
				break
			}
			fmt.Fprintf(&b, "\n• %s `%s`", escape(c.Name), escape(c.Version))
			if c.PreviousVersion != "" {
				fmt.Fprintf(&b, " (was `%s`)", escape(c.PreviousVersion))
			}
		}
		blocks = append(blocks, Block{Type: "section", Text: ptr(mrkdwn(cut(b.String(), maxSection)))})
	}
	if validLink(link) {
		blocks = append(blocks, Block{Type: "actions", Elements: []any{Button{
			Type: "button", Text: Text{Type: "plain_text", Text: "View release"}, URL: link, ActionID: "view_release",
		}}})
	}
	blocks = append(blocks, Block{Type: "context", Elements: []any{
		mrkdwn(fmt.Sprintf("release `%s` · sequence %d · key `%s`", r.ID, e.Sequence, escape(n.Key()))),
	}})

	text := fmt.Sprintf("%s %s (%s): %s → %s by %s", r.Name, r.Version, r.Environment, orCreated(e.From), e.To, e.Actor.ID)
	if e.Reason != "" {
		text += ": " + e.Reason
	}
	return Message{Text: cut(escape(text), maxSection), Blocks: blocks}
}

func orCreated(s release.State) string {
	if s == "" {
		return "created"
	}
	return string(s)
}

func mrkdwn(s string) Text { return Text{Type: "mrkdwn", Text: s} }

func ptr[T any](v T) *T { return &v }

// escape makes user text literal in mrkdwn: Slack reads &, < and > as markup.
func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// cut shortens s to at most n characters, ending in "…" when cut, never splitting
// a character or an escape sequence.
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	runes := []rune(s)[:n-1]
	// Do not leave half of an &amp; / &lt; / &gt; escape.
	if i := lastIndexRune(runes, '&'); i >= 0 && i > len(runes)-5 && !containsRune(runes[i:], ';') {
		runes = runes[:i]
	}
	return string(runes) + "…"
}

func lastIndexRune(rs []rune, r rune) int {
	for i := len(rs) - 1; i >= 0; i-- {
		if rs[i] == r {
			return i
		}
	}
	return -1
}

func containsRune(rs []rune, r rune) bool { return lastIndexRune(rs, r) >= 0 }

func validLink(link string) bool {
	if link == "" || len(link) > maxURL {
		return false
	}
	u, err := url.Parse(link)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// ErrStatus is matched by a [*StatusError]: Slack answered with a status other than
// 2xx (400 invalid_payload, 403 action_prohibited, 404 channel_not_found, 410
// channel_is_archived, 429 rate limited, 5xx).
var ErrStatus = retry.ErrStatus

// StatusError is Slack's non-2xx answer: the status, the start of the body (Slack
// puts the reason there, such as "invalid_payload") and any Retry-After.
type StatusError = retry.StatusError

// DeliveryError is what [Notifier.Notify] returns when a message was not posted.
// Its Target shows the webhook's scheme and host only: the path of a Slack webhook
// URL is a secret.
type DeliveryError = retry.DeliveryError

// ErrInvalidConfig is matched by a [*ConfigError].
var ErrInvalidConfig = errors.New("slack: invalid configuration")

// ConfigError lists every problem with the arguments of [New] at once.
type ConfigError struct {
	Problems []string
}

func (e *ConfigError) Error() string {
	return "slack: invalid configuration: " + strings.Join(e.Problems, "; ")
}

// Unwrap returns [ErrInvalidConfig].
func (e *ConfigError) Unwrap() error { return ErrInvalidConfig }

// Notifier posts a Block Kit message per notification to a Slack incoming webhook.
// It is a [release.Notifier] and safe for concurrent use.
type Notifier struct {
	url    string
	link   func(release.Release) string
	client *http.Client
	policy retry.Policy
	now    func() time.Time
}

var _ release.Notifier = (*Notifier)(nil)

// Option configures a [Notifier].
type Option func(*Notifier)

// WithLinkFunc sets how the "View release" button's URL is built from the
// release (a dashboard page, say); no function, or an empty or non-http(s) result,
// leaves the button out.
func WithLinkFunc(f func(release.Release) string) Option { return func(n *Notifier) { n.link = f } }

// WithClient sets the HTTP client. The default client does not follow redirects.
func WithClient(c *http.Client) Option { return func(n *Notifier) { n.client = c } }

// WithMaxAttempts sets the number of attempts in all, the first included
// (default 5).
func WithMaxAttempts(k int) Option { return func(n *Notifier) { n.policy.MaxAttempts = k } }

// WithBackoff sets the exponential backoff with full jitter used on 5xx, network
// errors, and 429 or 503 without Retry-After (defaults: 500ms, 30s).
func WithBackoff(base, max time.Duration) Option {
	return func(n *Notifier) { n.policy.Base, n.policy.Max = base, max }
}

// WithMaxRetryAfter sets the longest Retry-After the notifier waits for on 429
// (default 2 minutes); Slack asking for more ends the delivery with an error.
func WithMaxRetryAfter(d time.Duration) Option {
	return func(n *Notifier) { n.policy.MaxRetryAfter = d }
}

// WithTimeout bounds each attempt (default 10s).
func WithTimeout(d time.Duration) Option { return func(n *Notifier) { n.policy.Timeout = d } }

// WithClock sets the clock that reads Retry-After dates (default: the system
// clock).
func WithClock(c release.Clock) Option {
	return func(n *Notifier) {
		if c != nil {
			n.now = c.Now
		}
	}
}

// WithSleep replaces the wait between attempts; it must return ctx.Err() when ctx
// ends first.
func WithSleep(sleep func(ctx context.Context, d time.Duration) error) Option {
	return func(n *Notifier) { n.policy.Sleep = sleep }
}

// WithJitter replaces the random source of the backoff: jitter(c) must return a
// duration in [0, c].
func WithJitter(jitter func(c time.Duration) time.Duration) Option {
	return func(n *Notifier) { n.policy.Jitter = jitter }
}

// New returns a notifier that posts to the incoming-webhook URL webhookURL. It
// reports every configuration problem at once as a *ConfigError; the error never
// contains the URL's path, which is a secret.
func New(webhookURL string, opts ...Option) (*Notifier, error) {
	n := &Notifier{url: webhookURL, client: retry.DefaultClient, now: retry.SystemNow}
	for _, o := range opts {
		o(n)
	}
	var p []string
	if u, err := url.Parse(webhookURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		p = append(p, "the webhook URL is not an absolute http or https URL (Slack's look like https://hooks.slack.com/services/…)")
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
	if len(p) > 0 {
		return nil, &ConfigError{Problems: p}
	}
	n.policy.Now = n.now
	n.policy = n.policy.WithDefaults()
	return n, nil
}

// Notify posts the [BuildMessage] message for n. It retries 429 (waiting as told
// by Retry-After), 5xx and network errors with backoff, never other 4xx, and
// returns nil on a 2xx answer or a *DeliveryError; a context that ends stops it at
// once with an error matching ctx.Err(). Each request also carries an
// Idempotency-Key header (n.Key()) for proxies that deduplicate; Slack itself
// does not, so a retried post can show twice.
func (n *Notifier) Notify(ctx context.Context, note release.Notification) error {
	if err := ctx.Err(); err != nil {
		return &DeliveryError{Notifier: "slack", Target: retry.Redact(n.url), Err: err}
	}
	link := ""
	if n.link != nil {
		link = n.link(note.Release)
	}
	body, err := json.Marshal(BuildMessage(note, link))
	if err != nil {
		return fmt.Errorf("slack: encode the message for %s: %w", note.Key(), err)
	}
	key := note.Key()
	return retry.Post(ctx, n.policy, retry.Request{
		Notifier: "slack",
		Client:   n.client,
		URL:      n.url,
		Body:     body,
		Header: func(int) (http.Header, error) {
			return http.Header{
				"Content-Type":    {"application/json; charset=utf-8"},
				"User-Agent":      {"releasekit-slack/1"},
				"Idempotency-Key": {key},
			}, nil
		},
	})
}

// Name names the notifier in fan-out errors: "slack https://host/…" (the webhook
// path, a secret, is left out).
func (n *Notifier) Name() string { return "slack " + retry.Redact(n.url) }
