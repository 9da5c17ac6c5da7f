package jira

import (
	"context"
	"errors"
	"fmt"
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

// History reads a release's history; *release.Engine and every release.Store
// implement it. The notifier replays the entries a notification's issue has not
// seen yet, so notifications that arrive late, twice or out of order still leave
// the issue as the history says.
type History interface {
	History(ctx context.Context, id release.ID) ([]release.AuditEntry, error)
}

// Notifier keeps one Jira issue per release in step with it. It is a
// release.Notifier, safe for concurrent use; see the package documentation for
// what it writes and how it recovers.
type Notifier struct {
	cfg     Config
	history History
	c       client
	now     func() time.Time

	onConflict func(*ConflictError)

	mu       sync.Mutex
	locks    map[release.ID]*refLock
	issues   map[release.ID]issueRef
	versions map[string]version
	project  string // the project's id
}

var _ release.Notifier = (*Notifier)(nil)

// Option configures a [Notifier]'s transport.
type Option func(*Notifier)

// WithClient sets the HTTP client (default: one that does not follow redirects).
func WithClient(c *http.Client) Option { return func(n *Notifier) { n.c.http = c } }

// WithMaxAttempts sets how many times one call is tried, the first included, and
// how many times Notify reads the issue again after a create, a comment or a
// transition failed without a clear answer (default 5).
func WithMaxAttempts(k int) Option { return func(n *Notifier) { n.c.policy.MaxAttempts = k } }

// WithBackoff sets the exponential backoff with full jitter used on 5xx answers,
// timeouts and 429 without Retry-After (defaults 500ms, 30s).
func WithBackoff(base, max time.Duration) Option {
	return func(n *Notifier) { n.c.policy.Base, n.c.policy.Max = base, max }
}

// WithMaxRetryAfter sets the longest Retry-After a call waits for (default 2
// minutes); a longer one ends Notify with an *APIError, and the outbox delivers
// the notification later.
func WithMaxRetryAfter(d time.Duration) Option {
	return func(n *Notifier) { n.c.policy.MaxRetryAfter = d }
}

// WithTimeout bounds each request (default 10s).
func WithTimeout(d time.Duration) Option { return func(n *Notifier) { n.c.policy.Timeout = d } }

// WithClock sets the clock that reads Retry-After dates (default: the system clock).
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
	return func(n *Notifier) { n.c.policy.Sleep = sleep }
}

// WithConflictHandler calls f with every conflict a delivery meets (a person moved
// the issue where the release's transition cannot follow), whatever
// [Config.Conflict] says: log it, page someone. f must be safe for concurrent use
// and must not block.
func WithConflictHandler(f func(*ConflictError)) Option {
	return func(n *Notifier) { n.onConflict = f }
}

// New returns a Notifier for the site cfg describes, reading release histories from
// h (the Engine or its Store). It reports every problem of cfg and the options at
// once as a *ConfigError. It makes no request: a site that is down delays
// notifications, never the host's start.
func New(cfg Config, h History, opts ...Option) (*Notifier, error) {
	n := &Notifier{cfg: cfg, history: h, now: retry.SystemNow, c: client{http: retry.DefaultClient},
		locks: map[release.ID]*refLock{}, issues: map[release.ID]issueRef{}, versions: map[string]version{}}
	for _, o := range opts {
		o(n)
	}
	var p []string
	if err := cfg.Validate(); err != nil {
		p = append(p, err.(*ConfigError).Problems...)
	}
	if h == nil {
		p = append(p, "history: New needs the Engine or the Store to read release histories from")
	}
	if n.c.http == nil {
		p = append(p, "client: the HTTP client is nil")
	}
	pol := n.c.policy
	if pol.MaxAttempts < 0 || pol.Base < 0 || pol.Max < 0 || pol.MaxRetryAfter < 0 || pol.Timeout < 0 {
		p = append(p, "options: attempts, backoff, Retry-After limit and timeout must not be negative")
	}
	if len(p) > 0 {
		return nil, &ConfigError{Problems: p}
	}
	n.cfg = cfg.withDefaults()
	n.c.base = n.cfg.BaseURL
	if n.cfg.Token != "" {
		n.c.auth = "Bearer " + n.cfg.Token
	} else {
		n.c.auth = basicAuth(n.cfg.Email, n.cfg.APIToken)
	}
	n.c.policy.Now = n.now
	n.c.policy = n.c.policy.WithDefaults()
	return n, nil
}

// Name names the notifier in fan-out errors: "jira <site> <project>".
func (n *Notifier) Name() string { return "jira " + retry.Redact(n.cfg.BaseURL) + " " + n.cfg.Project }

type issueRef struct {
	ID  string `json:"id"`
	Key string `json:"key"`
}

type version struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Released bool   `json:"released"`
}

// progress is the issue property (key [PropertyKey]) that says how far the issue
// has followed the release's history.
type progress struct {
	Release release.ID `json:"release"`
	// Sequence is the last history entry the issue has followed.
	Sequence int64 `json:"sequence"`
	// Applying is written before a transition is posted: if the answer is lost,
	// the next attempt sees the issue in Status and knows the transition went through.
	Applying *applying `json:"applying,omitempty"`
}

type applying struct {
	Sequence int64  `json:"sequence"`
	Status   string `json:"status"`
}

// PropertyKey is the key of the issue entity property where the notifier keeps how
// far the issue has followed the release's history.
const PropertyKey = "releasekit.sync"

// Notify brings the release's issue up to the notification's history entry: it
// finds the issue by its release label (creating it, with its fixVersion, when
// there is none), then for every entry the issue has not followed yet, in order,
// adds a comment and applies the mapped transition, and releases the fixVersion
// when the release closes verified. It is idempotent: a notification delivered
// twice, late or out of order changes nothing that is already done.
//
// A call that fails returns an error (an *APIError, a *ConflictError with
// ConflictFail, or the history's error) and may have done part of the work; the
// next delivery of this or any later notification of the release carries on from
// there. Notify never changes the release: the transition is committed before it
// is called.
func (n *Notifier) Notify(ctx context.Context, note release.Notification) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	defer n.lock(note.Release.ID)()

	var err error
	for attempt := 1; attempt <= n.c.policy.MaxAttempts; attempt++ {
		err = n.sync(ctx, note)
		var ae *APIError
		if errors.As(err, &ae) && ae.Status == http.StatusNotFound && ae.Issue != "" {
			// The issue was deleted (or moved out of reach): find or create it
			// again on the next delivery.
			n.mu.Lock()
			if n.issues[note.Release.ID].Key == ae.Issue {
				delete(n.issues, note.Release.ID)
			}
			n.mu.Unlock()
		}
		if err == nil || !ambiguous(err) || ctx.Err() != nil {
			return err
		}
		if attempt < n.c.policy.MaxAttempts {
			if serr := n.c.policy.Sleep(ctx, n.c.policy.Backoff(attempt-1)); serr != nil {
				return err
			}
		}
	}
	return err
}

// ambiguous reports whether err is a failed comment or transition Jira may have
// applied (no answer, or 5xx): reading the issue again tells, so Notify tries
// again at once. A create whose answer was lost is not retried within the call:
// Jira Cloud's search index may not show the new issue for a few seconds, and the
// outbox's next delivery (after its minimum age) finds it by its label.
func ambiguous(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && (ae.Status == 0 || ae.Status >= 500) && ae.Method == http.MethodPost &&
		!strings.HasSuffix(ae.Path, "/issue")
}

// lock serialises the deliveries of one release in this process; it returns the
// unlock function. Locks are dropped when no delivery holds or waits for them.
func (n *Notifier) lock(id release.ID) func() {
	n.mu.Lock()
	l, ok := n.locks[id]
	if !ok {
		l = &refLock{}
		n.locks[id] = l
	}
	l.refs++
	n.mu.Unlock()
	l.Lock()
	return func() {
		l.Unlock()
		n.mu.Lock()
		if l.refs--; l.refs == 0 {
			delete(n.locks, id)
		}
		n.mu.Unlock()
	}
}

type refLock struct {
	sync.Mutex
	refs int
}

func (n *Notifier) sync(ctx context.Context, note release.Notification) error {
	r := note.Release
	hist, err := n.history.History(ctx, r.ID)
	if err != nil {
		return fmt.Errorf("jira: read the history of release %s: %w", r.ID, err)
	}
	iss, err := n.issue(ctx, r)
	if err != nil {
		return err
	}
	prog, err := n.progress(ctx, iss)
	if err != nil {
		return err
	}
	prog.Release = r.ID
	upTo := note.Entry.Sequence
	if prog.Sequence >= upTo {
		return nil
	}
	texts, err := n.comments(ctx, iss)
	if err != nil {
		return err
	}
	for _, e := range hist {
		if e.Sequence <= prog.Sequence || e.Sequence > upTo {
			continue
		}
		if err := n.follow(ctx, iss, r, e, texts, &prog); err != nil {
			return err
		}
		prog.Sequence, prog.Applying = e.Sequence, nil
	}
	if prog.Sequence < upTo {
		// The history does not reach the notified entry yet (a store replica
		// behind the one that committed): write what was followed, try again.
		if err := n.putProgress(ctx, iss, prog); err != nil {
			return err
		}
		return fmt.Errorf("jira: the history of release %s ends at entry %d, before the notified entry %d", r.ID, prog.Sequence, upTo)
	}
	return n.putProgress(ctx, iss, prog)
}

// follow applies one history entry to the issue: its comment, its transition, and
// on close the fixVersion's release.
func (n *Notifier) follow(ctx context.Context, iss issueRef, r release.Release, e release.AuditEntry, texts []string, prog *progress) error {
	if e.Event == release.EventCreate {
		return nil // the issue itself tells of the creation
	}
	if !quiet(e) {
		done, _ := commented(texts, r.ID, e.Sequence)
		if !done {
			if err := n.addComment(ctx, iss, entryComment(e)); err != nil {
				return err
			}
		}
	}
	if e.From != e.To {
		if target := n.cfg.Transitions[e.To]; target != "" {
			if err := n.transition(ctx, iss, r, e, target, texts, prog); err != nil {
				return err
			}
		}
		if e.To == release.StateClosed && !n.cfg.NoFixVersion && shipped(r) {
			if err := n.releaseVersion(ctx, r, e.Time); err != nil {
				return err
			}
		}
	}
	return nil
}

// quiet reports entries that get no comment: checks and metrics, which a rollout
// records by the dozen; approvals, rejections, waivers and withdrawals are
// commented.
func quiet(e release.AuditEntry) bool {
	return e.Event == release.EventRecord && e.Evidence != nil &&
		(e.Evidence.Kind == release.EvidenceCheck || e.Evidence.Kind == release.EvidenceMetric)
}

// shipped reports whether a closed release was verified and not rolled back: only
// then is its version released in Jira.
func shipped(r release.Release) bool {
	_, verified := r.Reached[release.StateVerified]
	_, rolledBack := r.Reached[release.StateRolledBack]
	return verified && !rolledBack
}

func (n *Notifier) transition(ctx context.Context, iss issueRef, r release.Release, e release.AuditEntry, target string, texts []string, prog *progress) error {
	// Another replica may be delivering a later notification of the release at
	// this moment: read how far the issue is before moving it.
	if fresh, err := n.progress(ctx, iss); err != nil {
		return err
	} else if fresh.Sequence >= e.Sequence {
		return nil
	}
	status, err := n.status(ctx, iss)
	if err != nil {
		return err
	}
	if a := prog.Applying; a != nil && a.Sequence == e.Sequence && strings.EqualFold(a.Status, status) {
		return nil // posted before; the answer was lost
	}
	if strings.EqualFold(status, target) {
		return nil // already there (the target names a status)
	}
	var ts struct {
		Transitions []struct {
			ID   string `json:"id"`
			Name string `json:"name"`
			To   struct {
				Name string `json:"name"`
			} `json:"to"`
		} `json:"transitions"`
	}
	path := n.cfg.apiBase() + "/issue/" + url.PathEscape(iss.Key) + "/transitions"
	if err := n.c.do(ctx, call{method: http.MethodGet, path: path, issue: iss.Key, out: &ts, safe: true}); err != nil {
		return err
	}
	pick := -1
	for i, t := range ts.Transitions {
		if strings.EqualFold(t.Name, target) {
			pick = i
			break
		}
	}
	if pick < 0 {
		for i, t := range ts.Transitions {
			if strings.EqualFold(t.To.Name, target) {
				pick = i
				break
			}
		}
	}
	if pick < 0 {
		names := make([]string, 0, len(ts.Transitions))
		for _, t := range ts.Transitions {
			names = append(names, t.Name)
		}
		return n.conflict(ctx, iss, &ConflictError{Issue: iss.Key, Release: r.ID, Sequence: e.Sequence, State: e.To,
			Transition: target, Status: status, Available: names}, texts)
	}
	t := ts.Transitions[pick]
	if strings.EqualFold(t.To.Name, status) {
		return nil
	}
	prog.Applying = &applying{Sequence: e.Sequence, Status: t.To.Name}
	if err := n.putProgress(ctx, iss, *prog); err != nil {
		return err
	}
	err = n.c.do(ctx, call{method: http.MethodPost, path: path, issue: iss.Key,
		body: map[string]any{"transition": map[string]string{"id": t.ID}}})
	var ae *APIError
	if errors.As(err, &ae) && (ae.Status == http.StatusBadRequest || ae.Status == http.StatusConflict) {
		now, serr := n.status(ctx, iss)
		if serr != nil {
			return serr
		}
		switch {
		case strings.EqualFold(now, t.To.Name):
			return nil
		case !strings.EqualFold(now, status):
			// The issue moved between the two calls: someone else was faster.
			return n.conflict(ctx, iss, &ConflictError{Issue: iss.Key, Release: r.ID, Sequence: e.Sequence, State: e.To,
				Transition: target, Status: now}, texts)
		}
		// Jira refused the transition itself (a screen's required field, a
		// validator): the *APIError names the field.
	}
	return err
}

func (n *Notifier) conflict(ctx context.Context, iss issueRef, c *ConflictError, texts []string) error {
	if n.onConflict != nil {
		n.onConflict(c)
	}
	if n.cfg.Conflict == ConflictFail {
		return c
	}
	if _, noted := commented(texts, c.Release, c.Sequence); noted {
		return nil
	}
	return n.addComment(ctx, iss, conflictComment(c))
}

func (n *Notifier) status(ctx context.Context, iss issueRef) (string, error) {
	var out struct {
		Fields struct {
			Status struct {
				Name string `json:"name"`
			} `json:"status"`
		} `json:"fields"`
	}
	err := n.c.do(ctx, call{method: http.MethodGet, path: n.cfg.apiBase() + "/issue/" + url.PathEscape(iss.Key),
		query: url.Values{"fields": {"status"}}, issue: iss.Key, out: &out, safe: true})
	return out.Fields.Status.Name, err
}

var errNoProperty = errors.New("no property")

func (n *Notifier) progress(ctx context.Context, iss issueRef) (progress, error) {
	var out struct {
		Value progress `json:"value"`
	}
	err := n.c.do(ctx, call{method: http.MethodGet, path: n.propertyPath(iss), issue: iss.Key, out: &out, safe: true, notFound: errNoProperty})
	if errors.Is(err, errNoProperty) {
		return progress{}, nil
	}
	return out.Value, err
}

func (n *Notifier) putProgress(ctx context.Context, iss issueRef, p progress) error {
	return n.c.do(ctx, call{method: http.MethodPut, path: n.propertyPath(iss), issue: iss.Key, body: p, safe: true})
}

func (n *Notifier) propertyPath(iss issueRef) string {
	return n.cfg.apiBase() + "/issue/" + url.PathEscape(iss.Key) + "/properties/" + PropertyKey
}

// comments returns the text of every comment of the issue.
func (n *Notifier) comments(ctx context.Context, iss issueRef) ([]string, error) {
	var texts []string
	for start := 0; ; {
		var page struct {
			StartAt  int `json:"startAt"`
			Total    int `json:"total"`
			Comments []struct {
				Body any `json:"body"`
			} `json:"comments"`
		}
		err := n.c.do(ctx, call{method: http.MethodGet, path: n.cfg.apiBase() + "/issue/" + url.PathEscape(iss.Key) + "/comment",
			query: url.Values{"startAt": {strconv.Itoa(start)}, "maxResults": {"100"}}, issue: iss.Key, out: &page, safe: true})
		if err != nil {
			return nil, err
		}
		for _, c := range page.Comments {
			texts = append(texts, PlainText(c.Body))
		}
		start += len(page.Comments)
		if len(page.Comments) == 0 || start >= page.Total {
			return texts, nil
		}
	}
}

func (n *Notifier) addComment(ctx context.Context, iss issueRef, d document) error {
	return n.c.do(ctx, call{method: http.MethodPost, path: n.cfg.apiBase() + "/issue/" + url.PathEscape(iss.Key) + "/comment",
		issue: iss.Key, body: map[string]any{"body": n.render(d)}})
}

// Label returns the label that marks the issue of release id.
func (n *Notifier) Label(id release.ID) string { return n.cfg.LabelPrefix + id.String() }

// Issue returns the key of release r's issue, creating the issue when there is
// none; Notify calls it, and [Notifier.SyncApprovals] uses it to find the issue.
func (n *Notifier) Issue(ctx context.Context, r release.Release) (string, error) {
	defer n.lock(r.ID)()
	iss, err := n.issue(ctx, r)
	return iss.Key, err
}

// issue finds the release's issue by its label, or creates it; the caller holds
// the release's lock. When several
// issues carry the label (two processes created one each at once), the oldest
// (lowest id) is the release's, in every process; one just created that is not
// the oldest is deleted again.
func (n *Notifier) issue(ctx context.Context, r release.Release) (issueRef, error) {
	n.mu.Lock()
	iss, ok := n.issues[r.ID]
	n.mu.Unlock()
	if ok {
		return iss, nil
	}
	found, err := n.search(ctx, r.ID, "")
	if err != nil {
		return issueRef{}, err
	}
	if len(found) == 0 {
		created, err := n.create(ctx, r)
		if err != nil {
			return issueRef{}, err
		}
		if found, err = n.search(ctx, r.ID, created.ID); err != nil {
			return issueRef{}, err
		}
		if !slices.ContainsFunc(found, func(i issueRef) bool { return i.ID == created.ID }) {
			found = append(found, created) // the search index has not caught up
		}
		slices.SortFunc(found, byID)
		if found[0].ID != created.ID {
			_ = n.c.do(ctx, call{method: http.MethodDelete, path: n.cfg.apiBase() + "/issue/" + url.PathEscape(created.Key), issue: created.Key, safe: true})
		}
	}
	slices.SortFunc(found, byID)
	n.mu.Lock()
	n.issues[r.ID] = found[0]
	n.mu.Unlock()
	return found[0], nil
}

func byID(a, b issueRef) int {
	x, _ := strconv.ParseInt(a.ID, 10, 64)
	y, _ := strconv.ParseInt(b.ID, 10, 64)
	if x != y {
		if x < y {
			return -1
		}
		return 1
	}
	return strings.Compare(a.Key, b.Key)
}

// search finds the issues that carry the release's label in the project. On Cloud
// it asks the search to reconcile a just-created issue (read-after-write).
func (n *Notifier) search(ctx context.Context, id release.ID, reconcile string) ([]issueRef, error) {
	jql := fmt.Sprintf("project = %q AND labels = %q ORDER BY created ASC", n.cfg.Project, n.Label(id))
	var out struct {
		Issues []issueRef `json:"issues"`
	}
	body := map[string]any{"jql": jql, "fields": []string{"status"}, "maxResults": 50}
	path := "/rest/api/2/search"
	if n.cfg.Edition == Cloud {
		path = "/rest/api/3/search/jql"
		if reconcile != "" {
			if rid, err := strconv.ParseInt(reconcile, 10, 64); err == nil {
				body["reconcileIssues"] = []int64{rid}
			}
		}
	}
	if err := n.c.do(ctx, call{method: http.MethodPost, path: path, body: body, out: &out, safe: true}); err != nil {
		return nil, err
	}
	for i := range out.Issues {
		if out.Issues[i].Key == "" {
			out.Issues[i].Key = out.Issues[i].ID // every endpoint takes an id where it takes a key
		}
	}
	return out.Issues, nil
}

func (n *Notifier) create(ctx context.Context, r release.Release) (issueRef, error) {
	fields := map[string]any{
		"project":     map[string]string{"key": n.cfg.Project},
		"issuetype":   map[string]string{"name": n.cfg.IssueType},
		"summary":     cut(expand(n.cfg.Summary, r), 255),
		"description": n.render(description(r)),
		"labels":      append(slices.Clone(n.cfg.Labels), n.Label(r.ID)),
	}
	if !n.cfg.NoFixVersion {
		v, err := n.version(ctx, r)
		if err != nil {
			return issueRef{}, err
		}
		fields["fixVersions"] = []map[string]string{{"id": v.ID}}
	}
	var out issueRef
	err := n.c.do(ctx, call{method: http.MethodPost, path: n.cfg.apiBase() + "/issue", body: map[string]any{"fields": fields}, out: &out})
	return out, err
}

// version returns the project version named by the FixVersion template, creating
// it when missing.
func (n *Notifier) version(ctx context.Context, r release.Release) (version, error) {
	name := expand(n.cfg.FixVersion, r)
	n.mu.Lock()
	v, ok := n.versions[name]
	n.mu.Unlock()
	if ok {
		return v, nil
	}
	find := func() (version, bool, error) {
		var vs []version
		err := n.c.do(ctx, call{method: http.MethodGet, path: n.cfg.apiBase() + "/project/" + url.PathEscape(n.cfg.Project) + "/versions", out: &vs, safe: true})
		for _, v := range vs {
			if v.Name == name {
				return v, true, nil
			}
		}
		return version{}, false, err
	}
	v, ok, err := find()
	if err != nil {
		return version{}, err
	}
	if !ok {
		pid, err := n.projectID(ctx)
		if err != nil {
			return version{}, err
		}
		pidNum, _ := strconv.ParseInt(pid, 10, 64)
		err = n.c.do(ctx, call{method: http.MethodPost, path: n.cfg.apiBase() + "/version",
			body: map[string]any{"name": name, "projectId": pidNum, "description": "Release " + r.Name + " " + r.Version + " (releasekit)"}, out: &v})
		if err != nil {
			// Another process may have created it in the meantime.
			if again, ok, ferr := find(); ferr == nil && ok {
				v = again
			} else {
				return version{}, err
			}
		}
	}
	n.mu.Lock()
	n.versions[name] = v
	n.mu.Unlock()
	return v, nil
}

func (n *Notifier) projectID(ctx context.Context) (string, error) {
	n.mu.Lock()
	id := n.project
	n.mu.Unlock()
	if id != "" {
		return id, nil
	}
	var out struct {
		ID string `json:"id"`
	}
	if err := n.c.do(ctx, call{method: http.MethodGet, path: n.cfg.apiBase() + "/project/" + url.PathEscape(n.cfg.Project), out: &out, safe: true}); err != nil {
		return "", err
	}
	n.mu.Lock()
	n.project = out.ID
	n.mu.Unlock()
	return out.ID, nil
}

// releaseVersion marks the release's fixVersion released on the day the release
// closed (UTC).
func (n *Notifier) releaseVersion(ctx context.Context, r release.Release, at time.Time) error {
	v, err := n.version(ctx, r)
	if err != nil {
		return err
	}
	if v.Released {
		return nil
	}
	var out version
	err = n.c.do(ctx, call{method: http.MethodPut, path: n.cfg.apiBase() + "/version/" + url.PathEscape(v.ID),
		body: map[string]any{"released": true, "releaseDate": at.UTC().Format("2006-01-02")}, out: &out, safe: true})
	if err != nil {
		return err
	}
	v.Released = true
	n.mu.Lock()
	n.versions[v.Name] = v
	n.mu.Unlock()
	return nil
}
