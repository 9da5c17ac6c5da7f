package bot_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/examples/releasebot/bot"
	"github.com/releasekit/releasekit/release"
)

// TestLockdownThroughTheAPI: a release manager stops the line in dev with POST
// /lockdowns: the release deploying there comes back to halt (and its history says
// so), another start in dev is refused, a developer may not lift it, the calendar
// shows it; after the release manager lifts it the start goes.
func TestLockdownThroughTheAPI(t *testing.T) {
	f := newFixture(t)
	deploying := f.create(t, "checkout", "2.7.0", "dev")
	waiting := f.create(t, "payments", "4.1.0", "dev")
	var slot *release.Slot
	for _, id := range []release.ID{deploying.ID, waiting.ID} {
		f.fire(t, id, release.EventPlan, tokAna, nil)
		sched := f.fire(t, id, release.EventSchedule, tokAna, nil)
		f.check(t, id, "build", "success")
		f.check(t, id, "e2e", "success")
		f.fire(t, id, release.EventApprove, tokRui, nil)
		if slot == nil {
			slot = sched.Release.Slot
		}
	}
	f.clock.Set(slot.Start)
	f.fire(t, deploying.ID, release.EventStart, tokCI, nil)

	res := f.call(t, "POST", "/lockdowns", tokAna, bot.LockdownRequest{Reason: "I want to", Environments: []string{"dev"}})
	require.Equal(t, http.StatusForbidden, res.status, "a developer stopped the line: %s", res.body)
	res = f.call(t, "POST", "/lockdowns", tokRui, bot.LockdownRequest{Environments: []string{"dev"}})
	require.Equal(t, http.StatusBadRequest, res.status, "a lockdown without a reason: %s", res.body)
	containsAll(t, res.apiError(t).Reasons, "the reason is empty")

	res = f.call(t, "POST", "/lockdowns", tokRui, bot.LockdownRequest{Reason: "INC-7: dev database restore", Environments: []string{"dev"}})
	require.Equal(t, http.StatusCreated, res.status, "%s", res.body)
	var lr bot.LockdownResponse
	res.decode(t, &lr)
	require.Len(t, lr.Halt, 1)
	assert.Equal(t, deploying.ID, lr.Halt[0].ID)
	res = f.call(t, "GET", "/releases/"+deploying.ID.String()+"/history", tokAna, nil)
	require.Equal(t, http.StatusOK, res.status)
	assert.Contains(t, string(res.body), `"event": "halt"`)

	res = f.call(t, "POST", "/releases/"+waiting.ID.String()+"/events/start", tokCI, nil)
	require.NotEqual(t, http.StatusOK, res.status, "a start during the lockdown: %s", res.body)
	containsAll(t, res.apiError(t).Reasons, "INC-7: dev database restore")

	ics := f.call(t, "GET", "/calendar.ics", tokAna, nil)
	require.Equal(t, http.StatusOK, ics.status)
	assert.Contains(t, strings.ReplaceAll(string(ics.body), "\r\n ", ""), "SUMMARY:Lockdown of dev: INC-7: dev database restore")
	assert.Contains(t, string(ics.body), "SUMMARY:checkout 2.7.0 in dev")

	lift := "/lockdowns/" + lr.Lockdown.ID.String() + "/lift"
	res = f.call(t, "POST", lift, tokAna, bot.LiftRequest{Reason: "looks fine"})
	require.Equal(t, http.StatusForbidden, res.status, "a developer lifted it: %s", res.body)
	res = f.call(t, "POST", lift, tokRui, bot.LiftRequest{Reason: "restored"})
	require.Equal(t, http.StatusOK, res.status, "%s", res.body)
	f.fire(t, waiting.ID, release.EventStart, tokCI, nil)

	res = f.call(t, "GET", "/lockdowns", tokAna, nil)
	require.Equal(t, http.StatusOK, res.status)
	var all []release.Lockdown
	res.decode(t, &all)
	require.Len(t, all, 1)
	assert.Equal(t, "restored", all[0].LiftReason)
}

// TestLockdownIdempotencyKey: POST /lockdowns retried with its Idempotency-Key
// declares one lockdown (the same id both times), and the key with another body is
// refused; a lift retried with its key gets the first answer, not a 409; a second
// lift without a key is a 409 that says the lockdown was lifted already, not to read
// a release again; a malformed lockdown id says so.
func TestLockdownIdempotencyKey(t *testing.T) {
	f := newFixture(t)
	req := bot.LockdownRequest{Reason: "INC-9", Environments: []string{"dev"}}
	first := f.call(t, "POST", "/lockdowns", tokRui, req, "Idempotency-Key", "inc-9")
	require.Equal(t, http.StatusCreated, first.status, "%s", first.body)
	again := f.call(t, "POST", "/lockdowns", tokRui, req, "Idempotency-Key", "inc-9")
	require.Equal(t, http.StatusCreated, again.status, "%s", again.body)
	var a, b bot.LockdownResponse
	first.decode(t, &a)
	again.decode(t, &b)
	require.Equal(t, a.Lockdown.ID, b.Lockdown.ID, "a retried declaration declared a second lockdown")
	res := f.call(t, "POST", "/lockdowns", tokRui, bot.LockdownRequest{Reason: "INC-10"}, "Idempotency-Key", "inc-9")
	require.Equal(t, http.StatusUnprocessableEntity, res.status, "%s", res.body)
	var all []release.Lockdown
	res = f.call(t, "GET", "/lockdowns", tokAna, nil)
	res.decode(t, &all)
	require.Len(t, all, 1, "lockdowns declared")

	lift := "/lockdowns/" + a.Lockdown.ID.String() + "/lift"
	l1 := f.call(t, "POST", lift, tokRui, bot.LiftRequest{Reason: "restored"}, "Idempotency-Key", "lift-9")
	require.Equal(t, http.StatusOK, l1.status, "%s", l1.body)
	l2 := f.call(t, "POST", lift, tokRui, bot.LiftRequest{Reason: "restored"}, "Idempotency-Key", "lift-9")
	require.Equal(t, http.StatusOK, l2.status, "a retried lift: %s", l2.body)
	assert.JSONEq(t, string(l1.body), string(l2.body))
	l3 := f.call(t, "POST", lift, tokRui, bot.LiftRequest{Reason: "restored"})
	require.Equal(t, http.StatusConflict, l3.status, "%s", l3.body)
	e := l3.apiError(t)
	assert.Contains(t, e.Message, "lifted already")
	assert.NotContains(t, strings.Join(e.Reasons, " "), "ETag")

	res = f.call(t, "POST", "/lockdowns/42/lift", tokRui, bot.LiftRequest{Reason: "x"})
	require.Equal(t, http.StatusBadRequest, res.status)
	assert.NotContains(t, string(res.body), "release ID")
	assert.Contains(t, strings.Join(res.apiError(t).Reasons, " "), "GET /lockdowns")
}
