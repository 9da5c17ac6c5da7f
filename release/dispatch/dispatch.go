package dispatch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/releasekit/releasekit/release"
)

// Config configures a [Dispatcher]. The zero value is useful: every zero
// field takes the default named on it.
type Config struct {
	// Clock tells the time; default release.SystemClock().
	Clock release.Clock
	// Logger receives one record per failed delivery; default discards.
	Logger *slog.Logger
	// Batch is how many notifications one claim takes; default 100.
	Batch int
	// Lease is how long a claimed notification is reserved for this dispatcher; it
	// must exceed the time a delivery can take. Default 1 minute.
	Lease time.Duration
	// MinAge leaves fresh notifications to the engine that committed them (it
	// delivers right after the commit); it must exceed the engine's notify timeout.
	// Default 30 seconds.
	MinAge time.Duration
	// Interval is the pause between polls when there was nothing to do; default 1s.
	Interval time.Duration
	// BaseDelay and MaxDelay shape the retry backoff: after the n-th failed attempt a
	// notification waits a random time in [0, min(MaxDelay, BaseDelay*2^(n-1))]
	// ("full jitter"). Defaults 1 second and 5 minutes.
	BaseDelay, MaxDelay time.Duration
}

// Validate reports every negative duration or batch at once.
func (c Config) Validate() error {
	var p []string
	if c.Batch < 0 {
		p = append(p, fmt.Sprintf("batch %d is negative", c.Batch))
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"lease", c.Lease}, {"min age", c.MinAge}, {"interval", c.Interval}, {"base delay", c.BaseDelay}, {"max delay", c.MaxDelay}} {
		if d.v < 0 {
			p = append(p, fmt.Sprintf("%s %v is negative", d.name, d.v))
		}
	}
	if c.BaseDelay > 0 && c.MaxDelay > 0 && c.MaxDelay < c.BaseDelay {
		p = append(p, fmt.Sprintf("max delay %v is below base delay %v", c.MaxDelay, c.BaseDelay))
	}
	if len(p) > 0 {
		return &release.ValidationError{What: "dispatcher config", Problems: p}
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.Clock == nil {
		c.Clock = release.SystemClock()
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	def := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	if c.Batch == 0 {
		c.Batch = 100
	}
	def(&c.Lease, time.Minute)
	def(&c.MinAge, 30*time.Second)
	def(&c.Interval, time.Second)
	def(&c.BaseDelay, time.Second)
	def(&c.MaxDelay, 5*time.Minute)
	return c
}

// Dispatcher delivers the notifications waiting in an [release.Outbox], at least once: a
// notification is acknowledged only after the notifier returned nil, and one whose
// dispatcher dies mid-delivery is claimed again when its lease ends. Many
// dispatchers may share one outbox.
//
// A failed notification waits the backoff of [Config], or longer when
// the notifier's error (or one it wraps) has a method RetryDelay() time.Duration
// that asks for more: a receiver's rate limit (Retry-After) is honoured across
// attempts.
type Dispatcher struct {
	outbox   release.Outbox
	notifier release.Notifier
	cfg      Config
}

// Stats counts what one [Dispatcher.RunOnce] did.
type Stats struct {
	Claimed, Delivered, Failed int
}

// New returns a Dispatcher that delivers o's notifications to n.
func New(o release.Outbox, n release.Notifier, cfg Config) (*Dispatcher, error) {
	if o == nil || n == nil {
		return nil, fmt.Errorf("%w: dispatch.New needs an Outbox and a Notifier", release.ErrInvalid)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Dispatcher{outbox: o, notifier: n, cfg: cfg.withDefaults()}, nil
}

// RunOnce claims one batch and delivers it: each delivered notification is
// acknowledged, each failed one is scheduled again with backoff. It returns the
// counts, and an error only when the outbox itself failed.
func (d *Dispatcher) RunOnce(ctx context.Context) (Stats, error) {
	var st Stats
	now := d.cfg.Clock.Now()
	batch, err := d.outbox.ClaimNotifications(ctx, now, d.cfg.MinAge, d.cfg.Lease, d.cfg.Batch)
	if err != nil {
		return st, fmt.Errorf("dispatch: claim notifications: %w", err)
	}
	st.Claimed = len(batch)
	for _, p := range batch {
		if err := ctx.Err(); err != nil {
			return st, err // the rest are claimed; their leases run out and they come back
		}
		key := p.Notification.Key()
		nctx, cancel := context.WithTimeout(ctx, d.cfg.Lease)
		nerr := d.notifier.Notify(nctx, p.Notification)
		cancel()
		if nerr == nil {
			st.Delivered++
			if err := d.outbox.AckNotification(ctx, key); err != nil {
				return st, fmt.Errorf("dispatch: acknowledge notification %s: %w", key, err)
			}
			continue
		}
		st.Failed++
		delay := d.backoff(p.Attempts)
		var hint retryDelayer
		if errors.As(nerr, &hint) && hint.RetryDelay() > delay {
			delay = hint.RetryDelay() // the receiver asked to wait (a rate limit's Retry-After)
		}
		due := d.cfg.Clock.Now().Add(delay)
		d.cfg.Logger.LogAttrs(ctx, slog.LevelWarn, "release notification failed; will retry",
			slog.String("key", key), slog.Int("attempts", p.Attempts),
			slog.Time("retry_at", due), slog.Any("error", nerr))
		if err := d.outbox.RetryNotification(ctx, key, due, nerr.Error()); err != nil {
			return st, fmt.Errorf("dispatch: reschedule notification %s: %w", key, err)
		}
	}
	return st, nil
}

// retryDelayer is implemented by errors that know how long the receiver asked to
// wait before the next attempt.
type retryDelayer interface {
	RetryDelay() time.Duration
}

func (d *Dispatcher) backoff(attempts int) time.Duration {
	ceiling := d.cfg.MaxDelay
	if attempts < 1 {
		attempts = 1
	}
	if shift := attempts - 1; shift < 32 {
		if v := d.cfg.BaseDelay << shift; v > 0 && v < ceiling {
			ceiling = v
		}
	}
	return rand.N(ceiling + 1)
}

// Run polls the outbox until ctx ends, delivering as RunOnce does; it pauses for the
// configured interval whenever a poll found less than a full batch. It returns
// ctx's error, or the first outbox error.
func (d *Dispatcher) Run(ctx context.Context) error {
	for {
		st, err := d.RunOnce(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
		if st.Claimed == d.cfg.Batch {
			continue
		}
		t := time.NewTimer(d.cfg.Interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}
