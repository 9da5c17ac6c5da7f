package servicenow_test

import (
	"context"
	"sync"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/adapters/servicenow"
	"github.com/releasekit/releasekit/adapters/servicenow/snowtest"
	"github.com/releasekit/releasekit/calendar"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/releasetest"
)

var (
	monday = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	ana    = release.Person("ana", release.RoleDeveloper)
	rui    = release.Person("rui", release.RoleReleaseManager)
	bot    = release.Automation("deploybot", release.RoleDeployer)
)

// fixture is an engine on a memory store whose notifier is a syncer talking to a
// snowtest server.
// tb is what the fixture needs of a *testing.T or a *rapid.T.
type tb interface {
	require.TestingT
	Helper()
	Cleanup(func())
}

type fixture struct {
	t      tb
	ctx    context.Context
	srv    *snowtest.Server
	store  *memory.Store
	eng    *release.Engine
	sync   *servicenow.Syncer
	clock  *releasetest.Clock
	mu     sync.Mutex
	sleeps []time.Duration
	// conflicts heard by the conflict handler.
	conflicts []*servicenow.ConflictError
}

type fixtureOpt struct {
	cfg     func(*servicenow.Config)
	srvOpts []snowtest.Option
	synOpts []servicenow.Option
	// notifier replaces the syncer as the engine's notifier (the test delivers).
	notifier release.Notifier
}

func newFixture(t tb, o fixtureOpt) *fixture {
	t.Helper()
	f := &fixture{t: t, ctx: context.Background(), clock: releasetest.NewClock(monday, 0)}
	f.srv = snowtest.New(append([]snowtest.Option{snowtest.WithUser("releasekit", "s3cret"), snowtest.WithClock(f.clock)}, o.srvOpts...)...)
	t.Cleanup(f.srv.Close)
	f.store = memory.New()
	cfg := servicenow.Config{Instance: f.srv.URL(), User: "releasekit", Password: "s3cret", Environments: []string{"prod"},
		AssignmentGroup: "grp-release", ConfigurationItems: map[string]string{"payments": "ci-payments"},
		BusinessServices: map[string]string{"payments": "svc-pay"}}
	if o.cfg != nil {
		o.cfg(&cfg)
	}
	opts := append([]servicenow.Option{
		servicenow.WithReleases(f.store),
		servicenow.WithClock(f.clock),
		servicenow.WithSleep(func(ctx context.Context, d time.Duration) error {
			f.mu.Lock()
			f.sleeps = append(f.sleeps, d)
			f.mu.Unlock()
			return ctx.Err()
		}),
		servicenow.WithConflictHandler(func(c *servicenow.ConflictError) {
			f.mu.Lock()
			f.conflicts = append(f.conflicts, c)
			f.mu.Unlock()
		}),
	}, o.synOpts...)
	var err error
	f.sync, err = servicenow.New(cfg, opts...)
	require.NoError(t, err)
	cal, err := calendar.New()
	require.NoError(t, err)
	engOpts := []release.Option{release.WithClock(f.clock), release.WithCalendar(release.CalendarConfig{Calendar: cal}),
		release.WithRisk(release.RiskConfig{}), release.WithReviews(true)}
	if o.notifier != nil {
		engOpts = append(engOpts, release.WithNotifier(o.notifier))
	} else {
		engOpts = append(engOpts, release.WithNotifier(f.sync))
	}
	f.eng, err = release.New(f.store, engOpts...)
	require.NoError(t, err)
	return f
}

func (f *fixture) create(class release.Class) release.Release {
	f.t.Helper()
	r, err := f.eng.Create(f.ctx, release.Spec{Name: "payments", Version: "2.1.0", Environment: "prod", Class: class, Author: ana.ID,
		Team: "payments", Duration: time.Hour,
		Components: []release.Component{{Name: "payments", Version: "2.1.0", PreviousVersion: "2.0.3"}, {Name: "ledger", Version: "4.1.0"}}})
	require.NoError(f.t, err)
	return r
}

// fire fires and requires the transition to commit (a failed notification is
// allowed: it never undoes the transition).
func (f *fixture) fire(r release.Release, ev release.Event, who release.Actor, opts ...release.FireOption) release.Release {
	f.t.Helper()
	got, err := f.eng.Fire(f.ctx, r.ID, ev, who, opts...)
	require.True(f.t, release.Committed(err), "%s: %v", ev, err)
	return got
}

// fireOK fires and requires the notification to have reached the instance too.
func (f *fixture) fireOK(r release.Release, ev release.Event, who release.Actor, opts ...release.FireOption) release.Release {
	f.t.Helper()
	got, err := f.eng.Fire(f.ctx, r.ID, ev, who, opts...)
	require.NoError(f.t, err, "%s", ev)
	return got
}

// change returns the one change request of r.
func (f *fixture) change(r release.Release) snowtest.Record {
	f.t.Helper()
	got := f.srv.ChangesFor(r.ID.String())
	require.Len(f.t, got, 1, "change requests of %s", r.ID)
	return got[0]
}

// throughApproval takes a fresh normal release to approved.
func (f *fixture) throughApproval(class release.Class) release.Release {
	r := f.create(class)
	r = f.fireOK(r, release.EventPlan, ana)
	r = f.fireOK(r, release.EventSchedule, ana, release.At(monday.Add(24*time.Hour)))
	return f.fireOK(r, release.EventApprove, rui)
}
