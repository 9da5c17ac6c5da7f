package jira_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/releasekit/releasekit/adapters/jira"
	"github.com/releasekit/releasekit/adapters/jira/jiratest"
	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/releasetest"
)

var t0 = time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)

// lifecycleMap maps every release state to the transition of
// jiratest.ReleaseWorkflow named after its event.
var lifecycleMap = map[release.State]string{
	release.StatePlanned: "Plan", release.StateScheduled: "Schedule", release.StateApproved: "Approve",
	release.StateDeploying: "Start deployment", release.StateDeployed: "Complete", release.StateVerified: "Verify",
	release.StateFailed: "Fail", release.StateRollingBack: "Roll back", release.StateRolledBack: "Finish rollback",
	release.StateClosed: "Close", release.StateCancelled: "Cancel",
}

// statusOf is the ReleaseWorkflow status each release state leads to.
var statusOf = map[release.State]string{
	release.StateDraft: "Backlog", release.StatePlanned: "Planned", release.StateScheduled: "Scheduled",
	release.StateApproved: "Approved", release.StateDeploying: "Deploying", release.StateDeployed: "Deployed",
	release.StateVerified: "Verified", release.StateFailed: "Failed", release.StateRollingBack: "Rolling back",
	release.StateRolledBack: "Rolled back", release.StateClosed: "Done", release.StateCancelled: "Cancelled",
}

// sleeps records the waits a notifier asked for, without waiting.
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

func (s *sleeps) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.d)
}

type fixture struct {
	srv    *jiratest.Server
	store  *memory.Store
	eng    *release.Engine
	n      *jira.Notifier
	clock  *releasetest.Clock
	sleeps *sleeps
	cfg    jira.Config
}

func config(srv *jiratest.Server, ed jira.Edition) jira.Config {
	return jira.Config{BaseURL: srv.URL, Edition: ed, Email: "bot@your-site.example", APIToken: "api-token",
		Project: "REL", IssueType: "Change", Transitions: lifecycleMap, Labels: []string{"release"}, ApprovalRole: release.RoleApprover}
}

// setup starts a server and an engine whose notifier is the Jira notifier; edit
// changes the configuration first.
func setup(t *testing.T, ed jira.Edition, edit func(*jira.Config), opts ...jira.Option) *fixture {
	t.Helper()
	f := &fixture{srv: jiratest.New(), store: memory.New(), clock: releasetest.NewClock(t0, time.Minute), sleeps: &sleeps{}}
	t.Cleanup(f.srv.Close)
	f.cfg = config(f.srv, ed)
	if edit != nil {
		edit(&f.cfg)
	}
	var err error
	f.n, err = jira.New(f.cfg, f.store, append([]jira.Option{jira.WithSleep(f.sleeps.sleep), jira.WithClock(f.clock), jira.WithTimeout(5 * time.Second)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	f.eng, err = release.New(f.store, release.WithNotifier(f.n), release.WithClock(f.clock), release.WithPolicy(release.AllowAll()))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

var rui = release.Person("rui", release.RoleReleaseManager, release.RoleApprover)

func (f *fixture) create(t *testing.T) release.Release {
	t.Helper()
	r, err := f.eng.Create(context.Background(), release.Spec{Name: "checkout", Version: "2.4.0", Environment: "prod", Author: "ana",
		Components: []release.Component{{Name: "checkout-api", Version: "2.4.0", PreviousVersion: "2.3.1"}}})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// fire fires the events and fails the test unless each committed.
func (f *fixture) fire(t *testing.T, r release.Release, evs ...release.Event) (release.Release, error) {
	t.Helper()
	var last error
	for _, ev := range evs {
		next, err := f.eng.Fire(context.Background(), r.ID, ev, rui)
		if !release.Committed(err) {
			t.Fatalf("fire %s: %v", ev, err)
		}
		r, last = next, err
	}
	return r, last
}

// only returns the one issue the server holds, failing the test otherwise.
func (f *fixture) only(t *testing.T) jiratest.Issue {
	t.Helper()
	is := f.srv.Issues()
	if len(is) != 1 {
		t.Fatalf("the server holds %d issues, want 1: %+v", len(is), is)
	}
	return is[0]
}

func texts(is jiratest.Issue) []string {
	var out []string
	for _, c := range is.Comments {
		out = append(out, jira.PlainText(c.Body))
	}
	return out
}

// markers counts the comments that carry each entry's marker (conflict notes apart).
func markers(t *testing.T, is jiratest.Issue, id release.ID) map[int64]int {
	t.Helper()
	out := map[int64]int{}
	for _, s := range texts(is) {
		i := strings.Index(s, "[releasekit "+id.String()+" #")
		if i < 0 {
			t.Fatalf("comment without a marker: %q", s)
		}
		rest := s[i+len("[releasekit "+id.String()+" #"):]
		j := strings.Index(rest, "]")
		var seq int64
		for _, c := range rest[:j] {
			seq = seq*10 + int64(c-'0')
		}
		if strings.HasPrefix(rest[j+1:], " conflict") {
			continue
		}
		out[seq]++
	}
	return out
}
