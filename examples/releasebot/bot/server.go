package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/releasekit/releasekit/adapters/fanout"
	"github.com/releasekit/releasekit/adapters/jira"
	"github.com/releasekit/releasekit/adapters/servicenow"
	"github.com/releasekit/releasekit/adapters/slognotify"
	"github.com/releasekit/releasekit/calendar"
	"github.com/releasekit/releasekit/depgraph"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/dispatch"
	"github.com/releasekit/releasekit/rollback"
)

// The limit of a request and the default of a release.
const (
	// MaxBodyBytes bounds every request body.
	MaxBodyBytes = 1 << 20
	// DefaultDuration is the deployment length of a release created without one.
	DefaultDuration = time.Hour
)

// Server is the release bot: an HTTP API over a [release.Engine] wired like a real
// deployment (see [New]). Build it with New and serve [Server.Handler].
type Server struct {
	eng      *release.Engine
	store    release.Store
	auth     *authenticator
	clock    release.Clock
	log      *slog.Logger
	notifier release.Notifier
	// notifierSet is true after WithNotifier, so that nil means none.
	notifierSet bool
	executor    rollback.Executor
	extra       []release.Option
	cal         *calendar.Calendar
	graph       *depgraph.Graph[string]
	before      time.Duration
	after       time.Duration
	mux         *http.ServeMux
	// receivers are the CI receivers by source (adapters/ci), mounted at /ci/<source>.
	receivers map[string]http.Handler
	// snow syncs change requests (Config.Sync), read back every readBackEvery.
	snow          *servicenow.Syncer
	readBackEvery time.Duration
	// jira syncs issues for the releases of jiraEnvs (Config.Sync).
	jira     *jira.Notifier
	jiraEnvs []string
}

// Option sets an optional setting of a [Server].
type Option func(*Server) error

// WithClock sets the clock of the engine and the bot; the default is
// release.SystemClock().
func WithClock(c release.Clock) Option {
	return func(s *Server) error {
		if c == nil {
			return fmt.Errorf("%w: WithClock(nil)", ErrConfig)
		}
		s.clock = c
		return nil
	}
}

// WithLogger sets the logger (requests that fail inside the bot, notifications,
// rollback steps); the default discards.
func WithLogger(l *slog.Logger) Option {
	return func(s *Server) error {
		if l != nil {
			s.log = l
		}
		return nil
	}
}

// WithNotifier replaces the default notifier (a slognotify.Notifier on the logger);
// nil means no notifications.
func WithNotifier(n release.Notifier) Option {
	return func(s *Server) error { s.notifier, s.notifierSet = n, true; return nil }
}

// WithExecutor replaces the rollback executor (the default logs every step).
func WithExecutor(e rollback.Executor) Option {
	return func(s *Server) error { s.executor = e; return nil }
}

// WithCalendarSpan sets what GET /calendar.ics exports when the request names no
// span: from before now to after now. The default is 7 days back and 90 ahead.
func WithCalendarSpan(before, after time.Duration) Option {
	return func(s *Server) error {
		if before < 0 || after <= 0 {
			return fmt.Errorf("%w: calendar span -%v..+%v: before must not be negative and after must be positive", ErrConfig, before, after)
		}
		s.before, s.after = before, after
		return nil
	}
}

// WithEngineOptions adds engine options after the bot's own (another guard, a
// policy).
func WithEngineOptions(opts ...release.Option) Option {
	return func(s *Server) error { s.extra = append(s.extra, opts...); return nil }
}

// New builds the bot over store with the identities of cfg. The engine gets the
// demo deployment's wiring: the calendar of [DemoRules] (schedule books a slot,
// start keeps to it; release managers may override a freeze), gates at approve
// (the checks of [RequiredChecks] and the approvals of [RiskPolicy], judged on the
// evidence recorded in the store; [WaiverRoles] may waive), risk assessed at plan on
// [DemoGraph], cross-release dependencies, rollback plans run by the executor, the
// [Pipeline], and a slog notifier.
func New(store release.Store, cfg Config, opts ...Option) (*Server, error) {
	if store == nil {
		return nil, fmt.Errorf("%w: New needs a release store", ErrConfig)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Server{
		store: store, auth: newAuthenticator(cfg), clock: release.SystemClock(),
		log: slog.New(slog.DiscardHandler), before: 7 * 24 * time.Hour, after: 90 * 24 * time.Hour,
	}
	for _, o := range opts {
		if err := o(s); err != nil {
			return nil, err
		}
	}
	if !s.notifierSet {
		s.notifier = slognotify.New(s.log)
	}
	syncs, err := s.newSync(cfg.Sync)
	if err != nil {
		return nil, err
	}
	if len(syncs) > 0 {
		// The same fan-out goes to the engine and to the outbox's dispatcher, so a
		// change request the instance could not take after a commit is synced later.
		s.notifier = fanout.InOrder(append([]release.Notifier{s.notifier}, syncs...)...)
	}
	cal, err := demoCalendar()
	if err != nil {
		return nil, fmt.Errorf("releasebot: demo calendar: %w", err)
	}
	s.cal, s.graph = cal, DemoGraph()
	if s.eng, err = release.New(store, engineOptions(s, cal, s.graph)...); err != nil {
		return nil, fmt.Errorf("releasebot: engine: %w", err)
	}
	if s.receivers, err = receivers(s.eng, cfg.Webhooks, s.log); err != nil {
		return nil, err
	}
	s.routes()
	return s, nil
}

// RunDispatcher delivers, until ctx ends, the notifications the engine could not
// deliver right after a commit, when the store keeps an outbox (release.Outbox;
// adapters/bolt and adapters/memory do). It returns nil when ctx ends or when there
// is no outbox or no notifier, and an error when the outbox fails.
func (s *Server) RunDispatcher(ctx context.Context) error {
	ob, ok := s.store.(release.Outbox)
	if !ok || s.notifier == nil {
		return nil
	}
	d, err := dispatch.New(ob, s.notifier, dispatch.Config{Clock: s.clock, Logger: s.log})
	if err != nil {
		return err
	}
	if err := d.Run(ctx); err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}
