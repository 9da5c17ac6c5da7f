package servicenow_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/adapters/servicenow"
	"github.com/releasekit/releasekit/adapters/servicenow/snowtest"
	"github.com/releasekit/releasekit/calendar"
	"github.com/releasekit/releasekit/gate"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/risk"
)

func TestReadBackRecordsApprovalsOnce(t *testing.T) {
	f := newFixture(t, fixtureOpt{
		srvOpts: []snowtest.Option{snowtest.WithApprovers("kim.cab", "lee", "ana")},
		cfg:     func(c *servicenow.Config) { c.Approvers = map[string]string{"kim.cab": "kim"} },
	})
	r := f.fireOK(f.create(release.ClassNormal), release.EventPlan, ana)
	r = f.fireOK(r, release.EventSchedule, ana, release.At(monday.Add(24*time.Hour)))
	cr := f.change(r)
	assert.Equal(t, "requested", cr["approval"])
	require.Len(t, f.srv.Records("sysapproval_approver"), 3, "one approval record per approver on entering Authorize")

	rb, err := f.sync.ReadBack(f.ctx, f.eng, r.ID)
	require.NoError(t, err)
	assert.Equal(t, cr["number"], rb.Change)
	assert.Equal(t, "requested", rb.Approval)
	require.Len(t, rb.Approvals, 3)
	for _, a := range rb.Approvals {
		assert.Equal(t, "requested", a.State)
		assert.False(t, a.Recorded)
	}

	require.NoError(t, f.srv.Approve(cr["sys_id"], "kim.cab", "CAB 12 March: go"))
	require.NoError(t, f.srv.Reject(cr["sys_id"], "lee", "no rollback plan for the ledger"))
	require.NoError(t, f.srv.Approve(cr["sys_id"], "ana", "mine, so fine"))
	rb, err = f.sync.ReadBack(f.ctx, f.eng, r.ID)
	require.NoError(t, err)
	byUser := map[string]servicenow.Approval{}
	for _, a := range rb.Approvals {
		byUser[a.User] = a
	}
	assert.True(t, byUser["kim.cab"].Recorded)
	assert.Equal(t, "kim", byUser["kim.cab"].Actor)
	assert.True(t, byUser["lee"].Recorded)
	assert.False(t, byUser["ana"].Recorded, "the author cannot approve her own release")
	assert.ErrorIs(t, byUser["ana"].Err, release.ErrForbidden)

	evs, err := f.eng.Evidence(f.ctx, r.ID)
	require.NoError(t, err)
	require.Len(t, evs, 2)
	assert.Equal(t, release.EvidenceApproval, evs[0].Kind)
	assert.Equal(t, "kim", evs[0].By.ID)
	assert.Equal(t, risk.RoleChangeAdvisoryBoard, evs[0].Role)
	assert.Equal(t, release.ActorPerson, evs[0].By.Kind)
	assert.Equal(t, r.Scope, evs[0].Scope)
	assert.Contains(t, evs[0].Reason, "CAB 12 March: go")
	assert.Equal(t, release.EvidenceRejection, evs[1].Kind)
	assert.Contains(t, evs[1].Reason, "no rollback plan")

	// Reading back again records nothing twice.
	before, err := f.eng.Get(f.ctx, r.ID)
	require.NoError(t, err)
	_, err = f.sync.ReadBack(f.ctx, f.eng, r.ID)
	require.NoError(t, err)
	after, err := f.eng.Get(f.ctx, r.ID)
	require.NoError(t, err)
	assert.Equal(t, before.Revision, after.Revision)
}

// The CAB's approval given in the instance counts for the quorum of the gates.
func TestReadBackApprovalCountsForTheQuorum(t *testing.T) {
	f := newFixture(t, fixtureOpt{srvOpts: []snowtest.Option{snowtest.WithApprovers("kim")}})
	var err error
	f.eng, err = release.New(f.store, release.WithClock(f.clock), release.WithNotifier(f.sync),
		release.WithGates(release.GateConfig{ByEnvironment: map[string][]gate.Gate{"prod": {gate.Approvals(gate.Quorum{Role: risk.RoleChangeAdvisoryBoard, Min: 1})}}}))
	require.NoError(t, err)
	r := f.fireOK(f.create(release.ClassNormal), release.EventPlan, ana)
	r = f.fireOK(r, release.EventSchedule, ana)
	_, err = f.eng.Fire(f.ctx, r.ID, release.EventApprove, rui)
	require.ErrorIs(t, err, release.ErrGuardRefused, "no CAB approval yet")

	require.NoError(t, f.srv.Approve(f.change(r)["sys_id"], "kim", "go"))
	assert.Equal(t, sScheduled, f.change(r)["state"], "the instance moves an approved change on")
	_, err = f.sync.ReadBack(f.ctx, f.eng, r.ID)
	require.NoError(t, err)
	r = f.fireOK(r, release.EventApprove, rui)
	assert.Equal(t, release.StateApproved, r.State)
	assert.Equal(t, sScheduled, f.change(r)["state"])
}

func TestReadBackWithoutChangeRequest(t *testing.T) {
	f := newFixture(t, fixtureOpt{})
	r := f.create(release.ClassNormal)
	rb, err := f.sync.ReadBack(f.ctx, f.eng, r.ID)
	require.NoError(t, err)
	assert.Empty(t, rb.Change)
	_, err = f.sync.ReadBack(f.ctx, f.eng, release.ID{1})
	assert.ErrorIs(t, err, release.ErrNotFound)
}

// A window the calendar refuses (a freeze) is reported, not forced.
func TestReadBackWindowTheCalendarRefuses(t *testing.T) {
	f := newFixture(t, fixtureOpt{cfg: func(c *servicenow.Config) { c.HonourWindow = true }})
	cal, err := calendar.New(calendar.Rule{Name: "freeze", Kind: calendar.Freeze, Zone: "UTC",
		Start: calendar.Wall(2026, 3, 4, 0, 0, 0), End: calendar.Wall(2026, 3, 5, 0, 0, 0)})
	require.NoError(t, err)
	f.eng, err = release.New(f.store, release.WithClock(f.clock), release.WithNotifier(f.sync),
		release.WithCalendar(release.CalendarConfig{Calendar: cal}))
	require.NoError(t, err)
	r := f.fireOK(f.create(release.ClassNormal), release.EventPlan, ana)
	r = f.fireOK(r, release.EventSchedule, ana, release.At(monday.Add(24*time.Hour)))
	cr := f.change(r)
	require.True(t, f.srv.Edit("change_request", cr["sys_id"], "pat", snowtest.Record{"start_date": "2026-03-04 10:00:00", "end_date": "2026-03-04 11:00:00"}))
	rb, err := f.sync.ReadBack(f.ctx, f.eng, r.ID)
	require.NoError(t, err)
	assert.False(t, rb.Rescheduled)
	require.Error(t, rb.WindowErr)
	assert.ErrorIs(t, rb.WindowErr, release.ErrGuardRefused)
	assert.Contains(t, rb.WindowErr.Error(), "freeze")
	assert.Equal(t, release.StatePlanned, rb.Release.State, "unscheduled, and the calendar refused the window")
}
