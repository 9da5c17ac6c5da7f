package servicenow_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/adapters/servicenow"
	"github.com/releasekit/releasekit/adapters/servicenow/snowtest"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/dispatch"
)

const (
	sNew, sAssess, sAuthorize, sScheduled = "-5", "-4", "-3", "-2"
	sImplement, sReview, sClosed, sCancel = "-1", "0", "3", "4"
)

func TestNormalChangeFollowsTheRelease(t *testing.T) {
	f := newFixture(t, fixtureOpt{})
	r := f.create(release.ClassNormal)
	assert.Empty(t, f.srv.Records("change_request"), "a draft has no change request")

	r = f.fireOK(r, release.EventPlan, ana)
	cr := f.change(r)
	assert.Equal(t, sAssess, cr["state"])
	assert.Equal(t, "normal", cr["type"])
	assert.Equal(t, "payments 2.1.0 to prod", cr["short_description"])
	assert.Contains(t, cr["description"], "- payments 2.1.0 (was 2.0.3), configuration item ci-payments")
	assert.Contains(t, cr["description"], "- ledger 4.1.0")
	assert.Equal(t, "grp-release", cr["assignment_group"])
	assert.Equal(t, "ci-payments", cr["cmdb_ci"])
	assert.Equal(t, "svc-pay", cr["business_service"])
	assert.Equal(t, "releasekit", cr["correlation_display"])
	require.NotNil(t, r.Risk)
	assert.NotEmpty(t, cr["risk"])
	assert.NotEmpty(t, cr["impact"])
	notes := f.srv.Journal(cr["sys_id"])
	require.NotEmpty(t, notes)
	assert.Contains(t, notes[0].Value, "releasekit risk assessment: "+r.Risk.Level)

	slot := monday.Add(26 * time.Hour)
	r = f.fireOK(r, release.EventSchedule, ana, release.At(slot))
	cr = f.change(r)
	assert.Equal(t, sAuthorize, cr["state"])
	assert.Equal(t, "2026-03-03 11:00:00", cr["start_date"])
	assert.Equal(t, "2026-03-03 12:00:00", cr["end_date"])

	r = f.fireOK(r, release.EventApprove, rui)
	assert.Equal(t, sScheduled, f.change(r)["state"])
	f.clock.Set(slot)
	r = f.fireOK(r, release.EventStart, bot)
	assert.Equal(t, sImplement, f.change(r)["state"])
	r = f.fireOK(r, release.EventComplete, bot)
	assert.Equal(t, sImplement, f.change(r)["state"])
	r = f.fireOK(r, release.EventVerify, bot)
	assert.Equal(t, sReview, f.change(r)["state"])
	r = f.fireOK(r, release.EventClose, rui, release.WithReview(release.Review{Outcome: "shipped as planned"}))
	cr = f.change(r)
	assert.Equal(t, sClosed, cr["state"])
	assert.Equal(t, "successful", cr["close_code"])
	assert.Equal(t, "shipped as planned", cr["close_notes"])
	assert.Equal(t, []string{sNew, sAssess, sAuthorize, sScheduled, sImplement, sReview, sClosed}, f.srv.Trail(cr["sys_id"]))
}

func TestChangeTypesFollowTheirStateModels(t *testing.T) {
	for _, tc := range []struct {
		class release.Class
		typ   string
		trail []string
	}{
		{release.ClassStandard, "standard", []string{sNew, sScheduled, sImplement, sReview, sClosed}},
		{release.ClassEmergency, "emergency", []string{sNew, sAuthorize, sScheduled, sImplement, sReview, sClosed}},
	} {
		t.Run(tc.typ, func(t *testing.T) {
			f := newFixture(t, fixtureOpt{})
			r := f.throughApproval(tc.class)
			f.clock.Set(r.Slot.Start)
			for _, ev := range []release.Event{release.EventStart, release.EventComplete, release.EventVerify} {
				r = f.fireOK(r, ev, bot)
			}
			r = f.fireOK(r, release.EventClose, rui, release.WithReview(release.Review{Outcome: "done", FollowUps: []string{"OPS-1"}}))
			cr := f.change(r)
			assert.Equal(t, tc.typ, cr["type"])
			assert.Equal(t, "successful_issues", cr["close_code"], "the review lists follow-ups")
			assert.Equal(t, tc.trail, f.srv.Trail(cr["sys_id"]))
		})
	}
}

func TestRollbackClosesUnsuccessful(t *testing.T) {
	f := newFixture(t, fixtureOpt{})
	r := f.throughApproval(release.ClassNormal)
	f.clock.Set(r.Slot.Start)
	r = f.fireOK(r, release.EventStart, bot)
	r = f.fireOK(r, release.EventRollback, bot, release.Reason("error rate"))
	assert.Equal(t, sImplement, f.change(r)["state"])
	r = f.fireOK(r, release.EventFinishRollback, bot)
	assert.Equal(t, sReview, f.change(r)["state"])
	r = f.fireOK(r, release.EventClose, rui, release.WithReview(release.Review{Outcome: "rolled back within the hour"}))
	cr := f.change(r)
	assert.Equal(t, sClosed, cr["state"])
	assert.Equal(t, "unsuccessful", cr["close_code"])
	assert.Contains(t, cr["close_notes"], "rolled back within the hour")
	assert.Contains(t, cr["close_notes"], "The release was rolled back.")
}

func TestCancelCancelsAndRevokeRevertsToNew(t *testing.T) {
	f := newFixture(t, fixtureOpt{})
	r := f.throughApproval(release.ClassNormal)
	r = f.fireOK(r, release.EventRevoke, rui, release.Reason("scope changed"))
	cr := f.change(r)
	assert.Equal(t, sAuthorize, cr["state"])
	assert.Equal(t, []string{sNew, sAssess, sAuthorize, sScheduled, sNew, sAssess, sAuthorize}, f.srv.Trail(cr["sys_id"]))
	r = f.fireOK(r, release.EventCancel, ana)
	assert.Equal(t, sCancel, f.change(r)["state"])
}

func TestEvidenceMakesNoRequest(t *testing.T) {
	f := newFixture(t, fixtureOpt{})
	r := f.fireOK(f.create(release.ClassNormal), release.EventPlan, ana)
	asked := len(f.srv.Requests())
	_, err := f.eng.Record(f.ctx, r.ID, release.Evidence{Kind: release.EvidenceCheck, By: release.Automation("ci"), Name: "build", Status: "success"})
	require.NoError(t, err)
	assert.Len(t, f.srv.Requests(), asked)
}

func TestOtherEnvironmentsGetNoChangeRequest(t *testing.T) {
	f := newFixture(t, fixtureOpt{})
	r, err := f.eng.Create(f.ctx, release.Spec{Name: "web", Version: "1.0.0", Environment: "staging", Author: ana.ID, Duration: time.Hour})
	require.NoError(t, err)
	f.fireOK(r, release.EventPlan, ana)
	assert.Empty(t, f.srv.Records("change_request"))
}

func TestRateLimitHonoursRetryAfter(t *testing.T) {
	f := newFixture(t, fixtureOpt{})
	f.srv.Inject(snowtest.Fault{Kind: snowtest.FaultStatus, Status: 429, RetryAfter: "7", Times: 2})
	r := f.fireOK(f.create(release.ClassNormal), release.EventPlan, ana)
	assert.Equal(t, sAssess, f.change(r)["state"])
	assert.Equal(t, []time.Duration{7 * time.Second, 7 * time.Second}, f.sleeps)
}

func TestRateLimitBeyondTheLimitIsAnError(t *testing.T) {
	f := newFixture(t, fixtureOpt{synOpts: []servicenow.Option{servicenow.WithMaxRetryAfter(time.Minute)}})
	f.srv.Inject(snowtest.Fault{Kind: snowtest.FaultStatus, Status: 429, RetryAfter: "3600"})
	r, err := f.eng.Fire(f.ctx, f.create(release.ClassNormal).ID, release.EventPlan, ana)
	require.Error(t, err)
	assert.True(t, release.Committed(err), "the transition stands")
	assert.Equal(t, release.StatePlanned, r.State)
	var e *servicenow.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, 429, e.Status)
	assert.Equal(t, time.Hour, e.RetryAfter)
	assert.Equal(t, time.Hour, e.RetryDelay())
	assert.Equal(t, "look up", e.Op)
	assert.Contains(t, e.Record, r.ID.String())
	assert.ErrorIs(t, err, servicenow.ErrStatus)

	// The outbox's dispatcher waits as long as the instance asked before it tries
	// again; until then the syncer does not call the instance.
	before := len(f.srv.Requests())
	d, err := dispatch.New(f.store, f.sync, dispatch.Config{Clock: f.clock, MinAge: time.Nanosecond})
	require.NoError(t, err)
	f.clock.Advance(time.Minute)
	st, err := d.RunOnce(f.ctx)
	require.NoError(t, err)
	require.Equal(t, 1, st.Failed)
	assert.Len(t, f.srv.Requests(), before, "failed fast, without a request")
	st, err = d.RunOnce(f.ctx)
	require.NoError(t, err)
	assert.Zero(t, st.Claimed, "not due again before the hour")
	f.clock.Advance(time.Hour + time.Minute)
	st, err = d.RunOnce(f.ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, st.Delivered)
	assert.Equal(t, servicenow.StateAssess, f.change(r)["state"])
}

// After a delivery failed because the instance was down, the next ones fail at
// once, without a request, until the cooldown is over: transitions do not wait for
// an instance known to be down.
func TestDownInstanceFailsFast(t *testing.T) {
	f := newFixture(t, fixtureOpt{synOpts: []servicenow.Option{servicenow.WithCooldown(45 * time.Second)}})
	f.srv.SetDown(true)
	r, err := f.eng.Fire(f.ctx, f.create(release.ClassNormal).ID, release.EventPlan, ana)
	require.True(t, release.Committed(err))
	require.Error(t, err)
	asked := len(f.srv.Requests())
	assert.Equal(t, 5, asked, "five attempts")
	f.clock.Advance(15 * time.Second)
	_, err = f.eng.Fire(f.ctx, r.ID, release.EventSchedule, ana, release.At(monday.Add(24*time.Hour)))
	require.True(t, release.Committed(err))
	require.ErrorIs(t, err, servicenow.ErrUnavailable)
	var e *servicenow.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, 30*time.Second, e.RetryDelay(), "the rest of the cooldown")
	assert.Len(t, f.srv.Requests(), asked, "no request while cooling down")

	f.srv.SetDown(false)
	f.clock.Advance(31 * time.Second)
	r = f.fireOK(r, release.EventApprove, rui)
	assert.Equal(t, sScheduled, f.change(r)["state"], "the whole way, from the release as it stands")
}

func TestServerErrorsBackOff(t *testing.T) {
	f := newFixture(t, fixtureOpt{synOpts: []servicenow.Option{servicenow.WithRetry(4, time.Second, 8*time.Second)}})
	f.srv.Inject(snowtest.Fault{Kind: snowtest.FaultStatus, Status: 502, Times: 3})
	r := f.fireOK(f.create(release.ClassNormal), release.EventPlan, ana)
	assert.Equal(t, sAssess, f.change(r)["state"])
	require.Len(t, f.sleeps, 3)
	for i, ceiling := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second} {
		assert.LessOrEqual(t, f.sleeps[i], ceiling, "retry %d waits at most its backoff ceiling", i)
	}
}

func TestLostAnswersNeverMakeASecondChangeRequest(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault snowtest.Fault
	}{
		{"connection dropped after the create", snowtest.Fault{Kind: snowtest.FaultDrop, Method: "POST"}},
		{"503 after the create was applied", snowtest.Fault{Kind: snowtest.FaultAppliedThenStatus, Status: 503, Method: "POST"}},
		{"500 after an update was applied", snowtest.Fault{Kind: snowtest.FaultAppliedThenStatus, Status: 500, Method: "PATCH"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, fixtureOpt{})
			f.srv.Inject(tc.fault)
			r := f.fireOK(f.create(release.ClassNormal), release.EventPlan, ana)
			assert.Equal(t, sAssess, f.change(r)["state"]) // f.change requires exactly one
		})
	}
}

func TestTimeoutIsRetried(t *testing.T) {
	f := newFixture(t, fixtureOpt{synOpts: []servicenow.Option{servicenow.WithTimeout(20 * time.Millisecond)}})
	f.srv.Inject(snowtest.Fault{Kind: snowtest.FaultHang, Method: "GET"})
	r := f.fireOK(f.create(release.ClassNormal), release.EventPlan, ana)
	assert.Equal(t, sAssess, f.change(r)["state"])
	assert.Len(t, f.sleeps, 1, "one retry after the timed-out look-up")
}

func TestDuplicateDeliveriesChangeNothing(t *testing.T) {
	var notes []release.Notification
	f := newFixture(t, fixtureOpt{notifier: release.NotifierFunc(func(_ context.Context, n release.Notification) error {
		notes = append(notes, n)
		return nil
	})})
	r := f.create(release.ClassNormal)
	r = f.fireOK(r, release.EventPlan, ana)
	f.fireOK(r, release.EventSchedule, ana)
	var wg sync.WaitGroup
	for range 4 {
		for _, n := range notes {
			wg.Go(func() { assert.NoError(t, f.sync.Notify(f.ctx, n)) })
		}
	}
	wg.Wait()
	cr := f.change(r)
	assert.Equal(t, sAuthorize, cr["state"])
	assert.Equal(t, []string{sNew, sAssess, sAuthorize}, f.srv.Trail(cr["sys_id"]))
	// A stale delivery (the plan, delivered last) does not move it back.
	require.NoError(t, f.sync.Notify(f.ctx, notes[1]))
	assert.Equal(t, sAuthorize, f.change(r)["state"])
}

func TestPersonCancelsTheChangeRequest(t *testing.T) {
	f := newFixture(t, fixtureOpt{})
	r := f.create(release.ClassNormal)
	r = f.fireOK(r, release.EventPlan, ana)
	cr := f.change(r)
	require.True(t, f.srv.Edit("change_request", cr["sys_id"], "pat", snowtest.Record{"state": sCancel}))
	r = f.fireOK(r, release.EventSchedule, ana, release.At(monday.Add(24*time.Hour)))
	assert.Equal(t, sCancel, f.change(r)["state"], "a person's cancel is never reopened")
	require.Len(t, f.conflicts, 1)
	c := f.conflicts[0]
	assert.Equal(t, cr["number"], c.Change)
	assert.Equal(t, "state", c.Field)
	assert.Equal(t, sAuthorize, c.Want)
	assert.Equal(t, sCancel, c.Got)
	assert.Equal(t, "pat", c.By)
	assert.ErrorIs(t, c, servicenow.ErrStale)
	assert.Contains(t, c.Error(), cr["number"])
}

func TestPersonCancelsBetweenReadAndWrite(t *testing.T) {
	f := newFixture(t, fixtureOpt{})
	r := f.fireOK(f.create(release.ClassNormal), release.EventPlan, ana)
	f.srv.EditBeforeNextWrite("change_request", "pat", snowtest.Record{"state": sCancel})
	r = f.fireOK(r, release.EventSchedule, ana, release.At(monday.Add(24*time.Hour)))
	assert.Equal(t, sCancel, f.change(r)["state"])
	require.Len(t, f.conflicts, 1)
	assert.Equal(t, "pat", f.conflicts[0].By)
}

func TestPersonMovesTheWindow(t *testing.T) {
	slot := monday.Add(24 * time.Hour)
	t.Run("set back to the booked slot", func(t *testing.T) {
		f := newFixture(t, fixtureOpt{})
		r := f.fireOK(f.create(release.ClassNormal), release.EventPlan, ana)
		r = f.fireOK(r, release.EventSchedule, ana, release.At(slot))
		// pat moves the window while the next write is on its way.
		f.srv.EditBeforeNextWrite("change_request", "pat", snowtest.Record{"start_date": "2026-03-04 10:00:00", "end_date": "2026-03-04 11:00:00"})
		r = f.fireOK(r, release.EventApprove, rui)
		cr := f.change(r)
		assert.Equal(t, sScheduled, cr["state"])
		assert.Equal(t, "2026-03-03 09:00:00", cr["start_date"], "the calendar's slot stands")
		notes := f.srv.Journal(cr["sys_id"])
		assert.Contains(t, notes[len(notes)-1].Value, "pat had set 2026-03-04 10:00:00")
	})
	t.Run("honoured as the release's slot", func(t *testing.T) {
		f := newFixture(t, fixtureOpt{cfg: func(c *servicenow.Config) { c.HonourWindow = true }})
		r := f.fireOK(f.create(release.ClassNormal), release.EventPlan, ana)
		r = f.fireOK(r, release.EventSchedule, ana, release.At(slot))
		cr := f.change(r)
		require.True(t, f.srv.Edit("change_request", cr["sys_id"], "pat", snowtest.Record{"start_date": "2026-03-04 10:00:00", "end_date": "2026-03-04 11:00:00"}))
		rb, err := f.sync.ReadBack(f.ctx, f.eng, r.ID)
		require.NoError(t, err)
		require.NoError(t, rb.WindowErr)
		assert.True(t, rb.Rescheduled)
		assert.Equal(t, release.StateScheduled, rb.Release.State)
		assert.Equal(t, time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC), rb.Release.Slot.Start)
		cr = f.change(r)
		assert.Equal(t, sAuthorize, cr["state"])
		assert.Equal(t, "2026-03-04 10:00:00", cr["start_date"])
		// Reading back again changes nothing.
		rb, err = f.sync.ReadBack(f.ctx, f.eng, r.ID)
		require.NoError(t, err)
		assert.False(t, rb.Rescheduled)
	})
}

func TestErrorsNameTheRecordAndField(t *testing.T) {
	f := newFixture(t, fixtureOpt{})
	r := f.fireOK(f.create(release.ClassNormal), release.EventPlan, ana)
	r = f.fireOK(r, release.EventSchedule, ana, release.At(monday.Add(24*time.Hour)))
	f.srv.Inject(snowtest.Fault{Kind: snowtest.FaultStatus, Status: 400, Method: "PATCH"})
	_, err := f.eng.Fire(f.ctx, r.ID, release.EventApprove, rui)
	require.True(t, release.Committed(err))
	var e *servicenow.Error
	require.ErrorAs(t, err, &e)
	cr := f.change(r)
	assert.Equal(t, "update", e.Op)
	assert.Equal(t, "change_request", e.Table)
	assert.Equal(t, cr["number"], e.Record)
	assert.Equal(t, "state", e.Field)
	assert.Equal(t, 1, e.Attempts, "a 400 is not retried")
	assert.Contains(t, err.Error(), "servicenow: update change_request "+cr["number"]+" (field state): answered 400")
}

func TestAuthentication(t *testing.T) {
	t.Run("bearer token", func(t *testing.T) {
		f := newFixture(t, fixtureOpt{srvOpts: []snowtest.Option{snowtest.WithToken("tok-123", "svc.releasekit")},
			cfg: func(c *servicenow.Config) {
				c.User, c.Password, c.Token, c.SyncUser = "", "", "tok-123", "svc.releasekit"
			}})
		r := f.fireOK(f.create(release.ClassNormal), release.EventPlan, ana)
		assert.Equal(t, "svc.releasekit", f.change(r)["sys_created_by"])
	})
	t.Run("token source", func(t *testing.T) {
		calls := 0
		f := newFixture(t, fixtureOpt{srvOpts: []snowtest.Option{snowtest.WithToken("tok-456", "svc.releasekit")},
			cfg: func(c *servicenow.Config) {
				c.User, c.Password, c.SyncUser = "", "", "svc.releasekit"
				c.TokenSource = func(context.Context) (string, error) { calls++; return "tok-456", nil }
			}})
		f.fireOK(f.create(release.ClassNormal), release.EventPlan, ana)
		assert.Positive(t, calls)
	})
	t.Run("wrong password", func(t *testing.T) {
		f := newFixture(t, fixtureOpt{cfg: func(c *servicenow.Config) { c.Password = "wrong" }})
		_, err := f.eng.Fire(f.ctx, f.create(release.ClassNormal).ID, release.EventPlan, ana)
		var e *servicenow.Error
		require.ErrorAs(t, err, &e)
		assert.Equal(t, 401, e.Status)
		assert.Equal(t, "User Not Authenticated", e.Message)
		assert.Contains(t, err.Error(), "check the integration user's credentials")
	})
}

func TestConfigValidateReportsEverything(t *testing.T) {
	err := servicenow.Config{Instance: "your-instance", Environments: []string{" "}, ConfigurationItems: map[string]string{"api": ""}}.Validate()
	require.ErrorIs(t, err, servicenow.ErrInvalidConfig)
	var ce *servicenow.ConfigError
	require.ErrorAs(t, err, &ce)
	assert.Len(t, ce.Problems, 4, strings.Join(ce.Problems, "\n"))
	_, err = servicenow.New(servicenow.Config{Instance: "https://your-instance.example/api", User: "u", Password: "p"})
	assert.ErrorContains(t, err, "has a path")
	assert.NoError(t, servicenow.Config{Instance: "https://your-instance.example", User: "u", Password: "p"}.Validate())
}

func TestCancelledContextStops(t *testing.T) {
	f := newFixture(t, fixtureOpt{notifier: release.NotifierFunc(func(context.Context, release.Notification) error { return nil })})
	r := f.fireOK(f.create(release.ClassNormal), release.EventPlan, ana)
	ctx, cancel := context.WithCancel(f.ctx)
	cancel()
	err := f.sync.Notify(ctx, release.Notification{Release: r, Entry: release.AuditEntry{ReleaseID: r.ID, Sequence: r.Revision, Event: release.EventPlan}})
	require.ErrorIs(t, err, context.Canceled)
	assert.Empty(t, f.srv.Records("change_request"))
	assert.True(t, errors.Is(err, context.Canceled))
}

// Two replicas (two syncers, each with its own per-release lock) deliver the same
// notifications at once: each release ends with one change request.
func TestTwoReplicasNeverKeepTwo(t *testing.T) {
	f := newFixture(t, fixtureOpt{notifier: release.NotifierFunc(func(context.Context, release.Notification) error { return nil })})
	other, err := servicenow.New(servicenow.Config{Instance: f.srv.URL(), User: "releasekit", Password: "s3cret", Environments: []string{"prod"}},
		servicenow.WithReleases(f.store))
	require.NoError(t, err)
	var rs []release.Release
	for range 12 {
		rs = append(rs, f.fireOK(f.create(release.ClassNormal), release.EventPlan, ana))
	}
	var wg sync.WaitGroup
	for _, r := range rs {
		n := release.Notification{Release: r, Entry: release.AuditEntry{ReleaseID: r.ID, Sequence: r.Revision, Event: release.EventPlan}}
		for _, s := range []*servicenow.Syncer{f.sync, other} {
			wg.Go(func() { assert.NoError(t, s.Notify(f.ctx, n)) })
		}
	}
	wg.Wait()
	for _, r := range rs {
		assert.Equal(t, sAssess, f.change(r)["state"])
	}
	assert.Zero(t, servicenow.Locks(f.sync), "idle per-release locks are dropped")
	assert.Zero(t, servicenow.Locks(other))
}
