package servicenow

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/releasekit/releasekit/adapters/internal/retry"
	"github.com/releasekit/releasekit/release"
)

// Releases is where the syncer reads the release as it stands now: a
// [release.Store] or a [*release.Engine].
type Releases interface {
	Get(ctx context.Context, id release.ID) (release.Release, error)
}

// Syncer keeps one change request per release in step with the release. It is a
// [release.Notifier]: give it to the engine (release.WithNotifier, with
// adapters/fanout beside other notifiers) and to a [dispatch.Dispatcher] over the
// same store's outbox, so every committed transition reaches the instance at
// least once and none waits for it. It is safe for concurrent use.
type Syncer struct {
	cfg        Config
	client     *http.Client
	policy     retry.Policy
	clock      release.Clock
	releases   Releases
	log        *slog.Logger
	onConflict func(*ConflictError)

	mu    sync.Mutex
	locks map[release.ID]*releaseLock
	// After a delivery failed because the instance did not answer well, the
	// syncer fails fast until downUntil, so transitions do not wait for an
	// instance that is down (the outbox delivers later).
	cooldown  time.Duration
	downUntil time.Time
	downErr   error
}

var _ release.Notifier = (*Syncer)(nil)

// Option configures a [Syncer].
type Option func(*Syncer)

// WithClient sets the HTTP client (default: one that does not follow redirects).
func WithClient(c *http.Client) Option { return func(s *Syncer) { s.client = c } }

// WithClock sets the clock that reads Retry-After dates (default: the system
// clock).
func WithClock(c release.Clock) Option { return func(s *Syncer) { s.clock = c } }

// WithRetry sets the attempts per request, the first included (default 5), and
// the exponential backoff with full jitter between them on 5xx and network
// errors (defaults 500ms doubling up to 30s).
func WithRetry(attempts int, base, max time.Duration) Option {
	return func(s *Syncer) { s.policy.MaxAttempts, s.policy.Base, s.policy.Max = attempts, base, max }
}

// WithMaxRetryAfter sets the longest Retry-After a request waits for (default 10
// seconds, within the engine's notify timeout); an instance asking for more ends
// the delivery with an *Error, and the outbox's dispatcher tries again no sooner
// than asked ([Error.RetryDelay]).
func WithMaxRetryAfter(d time.Duration) Option { return func(s *Syncer) { s.policy.MaxRetryAfter = d } }

// WithTimeout bounds each request (default 10s).
func WithTimeout(d time.Duration) Option { return func(s *Syncer) { s.policy.Timeout = d } }

// WithSleep replaces the wait between attempts (tests record the waits instead of
// sleeping); it must return ctx.Err() when ctx ends first.
func WithSleep(sleep func(ctx context.Context, d time.Duration) error) Option {
	return func(s *Syncer) { s.policy.Sleep = sleep }
}

// WithReleases makes the syncer sync each release as it stands in r (a store or
// the engine) rather than as the notification carries it, so a notification
// delivered late or twice never moves a change request back to an older state.
// Recommended with a Dispatcher.
func WithReleases(r Releases) Option { return func(s *Syncer) { s.releases = r } }

// WithCooldown sets how long, after a delivery failed because the instance was
// down, slow or rate limiting, further deliveries fail at once without a request
// (default 30 seconds; a longer Retry-After extends it). Transitions then never
// wait for an instance that is known to be down: the engine's notification fails
// fast, and the outbox's dispatcher delivers when the cooldown is over.
func WithCooldown(d time.Duration) Option { return func(s *Syncer) { s.cooldown = d } }

// WithLogger sets the logger of conflicts and cleaned-up duplicates (default:
// discard).
func WithLogger(l *slog.Logger) Option { return func(s *Syncer) { s.log = l } }

// WithConflictHandler is told every [*ConflictError]: a change request a person
// canceled or closed while its release is open. The sync does not overwrite it and
// does not fail the notification (it would only fail again); the default logs it.
func WithConflictHandler(f func(*ConflictError)) Option { return func(s *Syncer) { s.onConflict = f } }

// New returns a syncer for cfg. Every problem of cfg and the options is reported
// at once, as a *ConfigError.
func New(cfg Config, opts ...Option) (*Syncer, error) {
	s := &Syncer{cfg: cfg, client: retry.DefaultClient, clock: release.SystemClock(), log: slog.New(slog.DiscardHandler), locks: map[release.ID]*releaseLock{}}
	for _, o := range opts {
		o(s)
	}
	var p []string
	if err := cfg.Validate(); err != nil {
		var ce *ConfigError
		if errors.As(err, &ce) {
			p = append(p, ce.Problems...)
		}
	}
	if s.client == nil {
		p = append(p, "HTTP client is nil")
	}
	if s.clock == nil {
		p = append(p, "clock is nil")
	}
	if s.policy.MaxAttempts < 0 || s.policy.Base < 0 || s.policy.Max < 0 || s.policy.MaxRetryAfter < 0 || s.policy.Timeout < 0 || s.cooldown < 0 {
		p = append(p, "attempts, backoff, Retry-After limit, timeout and cooldown must not be negative")
	}
	if len(p) > 0 {
		return nil, &ConfigError{Problems: p}
	}
	s.cfg = cfg.withDefaults()
	s.policy.Now = s.clock.Now
	if s.policy.MaxRetryAfter == 0 {
		s.policy.MaxRetryAfter = defaultMaxRetryAfter
	}
	if s.cooldown == 0 {
		s.cooldown = defaultCooldown
	}
	s.policy = s.policy.WithDefaults()
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.onConflict == nil {
		s.onConflict = func(c *ConflictError) {
			s.log.Warn("servicenow change request changed by someone else; left as it is", slog.String("change", c.Change), slog.String("release", c.Release), slog.String("error", c.Error()))
		}
	}
	return s, nil
}

// Name names the syncer in fan-out errors.
func (s *Syncer) Name() string { return "servicenow " + retry.Redact(s.cfg.Instance) }

// Notify brings the release's change request in step with the release: it
// creates it when there is none (looked up by correlation_id first, so a retry
// never makes a second one), then writes the fields the sync keeps and moves the
// state along the change's state model, one allowed step at a time. Releases in a
// draft, or in environments not configured, have none; the entries of recorded
// evidence and of recorded refusals change nothing there and make no request. It is
// idempotent: the same notification delivered twice changes nothing the second
// time.
//
// It returns nil when the change request is in step (or was left alone on
// purpose, see [WithConflictHandler]), or an *Error naming the record and field;
// the outbox then delivers the notification again.
func (s *Syncer) Notify(ctx context.Context, n release.Notification) error {
	r := n.Release
	switch n.Entry.Event {
	case release.EventRecord, release.EventDecision, release.EventCreate:
		// Evidence, a recorded refusal (a No-Go, a refused start) and a new draft
		// change nothing the change request shows.
		return nil
	}
	if wait, cause := s.down(); wait > 0 {
		return &Error{Op: "sync", Table: "change_request", Record: "for release " + r.ID.String(), RetryAfter: wait,
			Err: fmt.Errorf("%w (%v); the outbox delivers it later", ErrUnavailable, cause)}
	}
	if s.releases != nil {
		cur, err := s.releases.Get(ctx, r.ID)
		switch {
		case err == nil && cur.Revision >= r.Revision:
			r = cur
		case err != nil && !errors.Is(err, release.ErrNotFound):
			return fmt.Errorf("servicenow: read release %s: %w", r.ID, err)
		}
	}
	err := s.sync(ctx, r)
	s.mu.Lock()
	defer s.mu.Unlock()
	var e *Error
	switch {
	case err == nil:
		s.downUntil, s.downErr = time.Time{}, nil
	case errors.As(err, &e) && e.retryable():
		s.downUntil, s.downErr = s.clock.Now().Add(max(s.cooldown, e.RetryAfter)), err
	}
	return err
}

// down reports how long deliveries still fail fast, and why.
func (s *Syncer) down() (time.Duration, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.downUntil.IsZero() {
		return 0, nil
	}
	return s.downUntil.Sub(s.clock.Now()), s.downErr
}

// lock serializes the syncs of one release in this process; the lock is dropped
// when nobody holds or waits for it.
func (s *Syncer) lock(id release.ID) func() {
	s.mu.Lock()
	l := s.locks[id]
	if l == nil {
		l = &releaseLock{}
		s.locks[id] = l
	}
	l.users++
	s.mu.Unlock()
	l.mu.Lock()
	return func() {
		l.mu.Unlock()
		s.mu.Lock()
		if l.users--; l.users == 0 {
			delete(s.locks, id)
		}
		s.mu.Unlock()
	}
}

type releaseLock struct {
	mu    sync.Mutex
	users int // holders and waiters, counted under Syncer.mu
}

// defaultCooldown is how long deliveries fail fast after the instance failed.
const defaultCooldown = 30 * time.Second

// defaultMaxRetryAfter is the longest Retry-After one delivery waits for.
const defaultMaxRetryAfter = 10 * time.Second

// maxRounds bounds how often one sync reads the record again after someone else
// wrote it between the sync's read and its write.
const maxRounds = 4

func (s *Syncer) sync(ctx context.Context, r release.Release) error {
	if !s.cfg.inScope(r) || StateFor(r.State, r.Class) == "" {
		return nil
	}
	defer s.lock(r.ID)()
	cr, err := s.ensure(ctx, r)
	if err != nil || cr == nil {
		return err
	}
	for range maxRounds {
		again, err := s.converge(ctx, r, cr)
		if err != nil || again == nil {
			return err
		}
		cr = again
	}
	return &Error{Op: "update", Table: "change_request", Record: cr["number"], Err: fmt.Errorf("%w: it changed between every read and write in %d rounds", ErrStale, maxRounds)}
}

// fields the sync reads back.
const changeFields = "sys_id,number,state,type,approval,start_date,end_date,risk,impact,close_code,close_notes,sys_updated_by,sys_mod_count,sys_created_on,correlation_id"

const timeLayout = "2006-01-02 15:04:05" // the Table API's UTC date-time form

// lookup returns the release's change requests, oldest first.
func (s *Syncer) lookup(ctx context.Context, id release.ID) ([]record, error) {
	var out []record
	err := s.do(ctx, call{op: "look up", table: "change_request", record: "correlation_id=" + id.String(), method: http.MethodGet,
		query: url.Values{"sysparm_query": {"correlation_id=" + id.String() + "^ORDERBYsys_created_on^ORDERBYnumber"},
			"sysparm_fields": {changeFields}, "sysparm_limit": {"10"}}}, &out)
	return out, err
}

// ensure finds the release's change request or creates it (nil for a cancelled
// release that has none). A create whose answer
// was lost is found by the next look-up; two creates that raced (two replicas)
// are cleaned up by deleting the younger.
func (s *Syncer) ensure(ctx context.Context, r release.Release) (record, error) {
	var lastErr error
	for attempt := range s.policy.MaxAttempts {
		if attempt > 0 {
			if err := s.policy.Sleep(ctx, s.policy.Backoff(attempt-1)); err != nil {
				return nil, lastErr
			}
		}
		found, err := s.lookup(ctx, r.ID)
		if err != nil {
			return nil, err
		}
		if len(found) > 0 {
			return s.oldest(ctx, r, found, nil), nil
		}
		if r.State == release.StateCancelled {
			return nil, nil // nothing to cancel: no change request is made for a cancelled release
		}
		var created record
		err = s.do(ctx, call{op: "create", table: "change_request", record: "for release " + r.ID.String(), method: http.MethodPost,
			query: url.Values{"sysparm_fields": {changeFields}}, body: s.newChange(r), once: true}, &created)
		if err == nil {
			found, err := s.lookup(ctx, r.ID)
			if err != nil || len(found) <= 1 {
				return created, nil
			}
			return s.oldest(ctx, r, found, created), nil
		}
		var e *Error
		if !errors.As(err, &e) || !e.retryable() || ctx.Err() != nil {
			return nil, err
		}
		lastErr = err
	}
	return nil, lastErr
}

// oldest keeps the oldest of several change requests of one release; the younger
// one this syncer just created (mine) is deleted. Others made by people are left
// and logged.
func (s *Syncer) oldest(ctx context.Context, r release.Release, found []record, mine record) record {
	keep := found[0]
	if len(found) > 1 {
		if mine != nil && mine["sys_id"] != keep["sys_id"] {
			_ = s.do(ctx, call{op: "delete", table: "change_request", id: mine["sys_id"], record: mine["number"], method: http.MethodDelete}, nil)
		} else {
			s.log.Warn("more than one servicenow change request carries the release's correlation_id; syncing the oldest",
				slog.String("release", r.ID.String()), slog.String("change", keep["number"]))
		}
	}
	return keep
}

// newChange is the body of a new change request: everything the release says,
// state New.
func (s *Syncer) newChange(r release.Release) map[string]string {
	b := map[string]string{
		"short_description":   cut(fmt.Sprintf("%s %s to %s", r.Name, r.Version, r.Environment), 160),
		"description":         s.description(r),
		"type":                typeOf(r.Class),
		"state":               StateNew,
		"correlation_id":      r.ID.String(),
		"correlation_display": "releasekit",
	}
	if g := s.cfg.AssignmentGroups[r.Team]; g != "" {
		b["assignment_group"] = g
	} else if s.cfg.AssignmentGroup != "" {
		b["assignment_group"] = s.cfg.AssignmentGroup
	}
	for _, c := range r.Components {
		if ci := s.cfg.ConfigurationItems[c.Name]; ci != "" && b["cmdb_ci"] == "" {
			b["cmdb_ci"] = ci
		}
		if bs := s.cfg.BusinessServices[c.Name]; bs != "" && b["business_service"] == "" {
			b["business_service"] = bs
		}
	}
	if r.Risk != nil {
		b["risk"], b["impact"] = riskOf(r.Risk.Level)
		b["work_notes"] = riskNote(r.Risk)
	}
	if r.Slot != nil {
		b["start_date"], b["end_date"] = r.Slot.Start.UTC().Format(timeLayout), r.Slot.End.UTC().Format(timeLayout)
	}
	return b
}

func (s *Syncer) description(r release.Release) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Release %s %s to %s (%s change), written by %s", r.Name, r.Version, r.Environment, r.Class, r.Author)
	if r.Team != "" {
		fmt.Fprintf(&b, ", team %s", r.Team)
	}
	fmt.Fprintf(&b, ".\nreleasekit release ID: %s\n", r.ID)
	if len(r.Components) > 0 {
		b.WriteString("\nComponents:\n")
		for _, c := range r.Components {
			fmt.Fprintf(&b, "- %s %s", c.Name, c.Version)
			if c.PreviousVersion != "" {
				fmt.Fprintf(&b, " (was %s)", c.PreviousVersion)
			}
			if ci := s.cfg.ConfigurationItems[c.Name]; ci != "" {
				fmt.Fprintf(&b, ", configuration item %s", ci)
			}
			b.WriteString("\n")
		}
	}
	if len(r.Needs) > 0 {
		b.WriteString("\nNeeds first:\n")
		for _, n := range r.Needs {
			fmt.Fprintf(&b, "- %s %s\n", n.Name, n.Version)
		}
	}
	if r.Duration > 0 {
		fmt.Fprintf(&b, "\nDeployment takes %v.\n", r.Duration)
	}
	return b.String()
}

func riskNote(k *release.RiskSummary) string {
	var b strings.Builder
	fmt.Fprintf(&b, "releasekit risk assessment: %s (score %.0f of 100)", k.Level, k.Score)
	for _, reason := range k.Reasons {
		fmt.Fprintf(&b, "\n- %s", reason)
	}
	return b.String()
}

func cut(s string, n int) string {
	if len([]rune(s)) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

// converge brings cr in step with r. It returns the record read again when
// someone else wrote it between this sync's read and its write (the caller
// converges once more), or nil when done.
func (s *Syncer) converge(ctx context.Context, r release.Release, cr record) (record, error) {
	number := cr["number"]
	typ := cr["type"]
	if _, ok := path[typ]; !ok {
		typ = typeOf(r.Class)
	}
	want := StateFor(r.State, classOf(typ))
	if cur := cr["state"]; cur != want && (cur == StateClosed || cur == StateCanceled) {
		by, err := s.setBy(ctx, cr, "state")
		if err != nil {
			return nil, err
		}
		s.onConflict(&ConflictError{Change: number, Release: r.ID.String(), Field: "state", Want: want, Got: cur, By: by})
		return nil, nil
	}
	patch := map[string]string{}
	var notes []string
	if r.Slot != nil {
		start, end := r.Slot.Start.UTC().Format(timeLayout), r.Slot.End.UTC().Format(timeLayout)
		if cr["start_date"] != start || cr["end_date"] != end {
			by := ""
			if cr["start_date"] != "" || cr["end_date"] != "" {
				var err error
				if by, err = s.setBy(ctx, cr, "start_date", "end_date"); err != nil {
					return nil, err
				}
			}
			person := by != "" && by != s.cfg.SyncUser
			switch {
			case person && s.cfg.HonourWindow:
				// A person's window: ReadBack makes it the release's slot.
			default:
				patch["start_date"], patch["end_date"] = start, end
				if person {
					notes = append(notes, fmt.Sprintf("releasekit set the planned window back to the booked slot %s – %s UTC (%s had set %s – %s); the release's calendar decides its slot",
						start, end, by, cr["start_date"], cr["end_date"]))
				}
			}
		}
	}
	if r.Risk != nil {
		rc, imp := riskOf(r.Risk.Level)
		if rc != "" && (cr["risk"] != rc || cr["impact"] != imp) {
			patch["risk"], patch["impact"] = rc, imp
			notes = append(notes, riskNote(r.Risk))
		}
	}
	if len(patch) > 0 {
		if len(notes) > 0 {
			patch["work_notes"] = strings.Join(notes, "\n\n")
		}
		next, again, err := s.patch(ctx, cr, patch, "")
		if err != nil || again {
			return next, err
		}
		cr = next
	}

	cur := cr["state"]
	if cur == want {
		return nil, nil
	}
	if cur == StateClosed || cur == StateCanceled {
		return cr, nil // someone closed it while the fields were written: decide again
	}
	ours := true
	if slices.Index(path[typ], cur) > slices.Index(path[typ], want) {
		by, err := s.setBy(ctx, cr, "state")
		if err != nil {
			return nil, err
		}
		ours = by == s.cfg.SyncUser
	}
	steps, err := route(typ, cur, want, ours)
	if err != nil {
		return nil, &Error{Op: "update", Table: "change_request", Record: number, Field: "state", Err: err}
	}
	for _, st := range steps {
		body := map[string]string{"state": st}
		switch st {
		case StateClosed:
			body["close_code"], body["close_notes"] = closeOf(r)
		case StateCanceled:
			body["work_notes"] = "releasekit: the release was cancelled"
		}
		next, again, err := s.patch(ctx, cr, body, "state")
		if err != nil {
			var e *Error
			if errors.As(err, &e) && e.Status == http.StatusForbidden {
				// A refused move: read again; a person's cancel or close shows as a
				// conflict next round, anything else is the error.
				fresh, lerr := s.reread(ctx, cr)
				if lerr == nil && fresh["state"] != cr["state"] {
					return fresh, nil
				}
			}
			return nil, err
		}
		if again {
			return next, nil
		}
		cr = next
	}
	return nil, nil
}

// patch writes body to cr. again reports that someone else wrote the record too
// (its update count moved by more than this write), and next is then the record
// read again.
func (s *Syncer) patch(ctx context.Context, cr record, body map[string]string, field string) (next record, again bool, err error) {
	var out record
	err = s.do(ctx, call{op: "update", table: "change_request", id: cr["sys_id"], record: cr["number"], field: field, method: http.MethodPatch,
		query: url.Values{"sysparm_fields": {changeFields}}, body: body}, &out)
	if err != nil {
		return nil, false, err
	}
	before, _ := strconv.Atoi(cr["sys_mod_count"])
	after, _ := strconv.Atoi(out["sys_mod_count"])
	if after > before+1 {
		return out, true, nil
	}
	return out, false, nil
}

func (s *Syncer) reread(ctx context.Context, cr record) (record, error) {
	var out record
	err := s.do(ctx, call{op: "read", table: "change_request", id: cr["sys_id"], record: cr["number"], method: http.MethodGet,
		query: url.Values{"sysparm_fields": {changeFields}}}, &out)
	return out, err
}

// setBy returns who last set one of the fields of the change request, from the
// audit trail (sys_audit); "" when the trail has nothing.
func (s *Syncer) setBy(ctx context.Context, cr record, fields ...string) (string, error) {
	var rows []record
	err := s.do(ctx, call{op: "read the audit of", table: "sys_audit", record: cr["number"], field: strings.Join(fields, ","), method: http.MethodGet,
		query: url.Values{"sysparm_query": {"tablename=change_request^documentkey=" + cr["sys_id"] + "^fieldnameIN" + strings.Join(fields, ",") + "^ORDERBYDESCsys_created_on^ORDERBYDESCrecord_checkpoint"},
			"sysparm_fields": {"user,fieldname,record_checkpoint"}, "sysparm_limit": {"1"}}}, &rows)
	if err != nil || len(rows) == 0 {
		return "", err
	}
	return rows[0]["user"], nil
}

func classOf(typ string) release.Class {
	switch typ {
	case "standard":
		return release.ClassStandard
	case "emergency":
		return release.ClassEmergency
	}
	return release.ClassNormal
}

// route lists the states to set, one allowed move at a time, to go from cur to
// want on a change of type typ. A change ahead of the release is left where it is
// when someone else moved it there (its approvals moved it to Scheduled, a person
// moved it on); when the sync itself had set it (ours), the release went back
// (revoke, unschedule), and the change reverts to New and moves forward again.
func route(typ, cur, want string, ours bool) ([]string, error) {
	if want == StateCanceled {
		return []string{StateCanceled}, nil
	}
	line := path[typ]
	ic, iw := slices.Index(line, cur), slices.Index(line, want)
	if ic < 0 || iw < 0 {
		return nil, fmt.Errorf("no move of a %s change from state %s to %s", typ, cur, want)
	}
	if iw > ic {
		return slices.Clone(line[ic+1 : iw+1]), nil
	}
	implement := slices.Index(line, StateImplement)
	if ic < implement && ours {
		return append([]string{StateNew}, line[1:iw+1]...), nil
	}
	return nil, nil
}

// closeOf returns the close code and notes of a closing release: unsuccessful
// when it failed or was rolled back, successful with issues when its review has
// follow-ups, successful otherwise; the notes are the review.
func closeOf(r release.Release) (code, notes string) {
	_, failed := r.Reached[release.StateFailed]
	_, back := r.Reached[release.StateRollingBack]
	code = "successful"
	switch {
	case failed || back:
		code = "unsuccessful"
	case r.Review != nil && len(r.Review.FollowUps) > 0:
		code = "successful_issues"
	}
	var b strings.Builder
	if r.Review == nil || r.Review.Outcome == "" {
		b.WriteString("Closed in releasekit without a post-implementation review.")
	} else {
		b.WriteString(r.Review.Outcome)
		if len(r.Review.Lessons) > 0 {
			b.WriteString("\nLessons: " + strings.Join(r.Review.Lessons, "; "))
		}
		if len(r.Review.FollowUps) > 0 {
			b.WriteString("\nFollow-ups: " + strings.Join(r.Review.FollowUps, "; "))
		}
	}
	if back {
		b.WriteString("\nThe release was rolled back.")
	}
	return code, b.String()
}
