package bot_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/examples/releasebot/bot"
	"github.com/releasekit/releasekit/release"
)

// TestPromoteThroughTheAPI: a version verified in dev is promoted to staging with
// POST /releases/{id}/promote (same version, linked to dev's release, the caller its
// author); promoting an unverified release, skipping staging or promoting twice is
// refused with the pipeline named.
func TestPromoteThroughTheAPI(t *testing.T) {
	f := newFixture(t)
	dev := f.create(t, "checkout", "2.7.0", "dev")
	path := "/releases/" + dev.ID.String() + "/promote"

	res := f.call(t, "POST", path, tokRui, bot.PromoteRequest{Environment: "staging"})
	require.Equal(t, http.StatusUnprocessableEntity, res.status, "a draft was promoted: %s", res.body)
	containsAll(t, res.apiError(t).Reasons, "once it is verified")

	f.fire(t, dev.ID, release.EventPlan, tokAna, nil)
	sched := f.fire(t, dev.ID, release.EventSchedule, tokAna, nil)
	f.check(t, dev.ID, "build", "success")
	f.check(t, dev.ID, "e2e", "success")
	f.fire(t, dev.ID, release.EventApprove, tokRui, nil)
	f.clock.Set(sched.Release.Slot.Start)
	for _, ev := range []release.Event{release.EventStart, release.EventComplete, release.EventVerify} {
		f.fire(t, dev.ID, ev, tokCI, nil)
	}

	res = f.call(t, "POST", path, tokRui, bot.PromoteRequest{Environment: "prod"})
	require.Equal(t, http.StatusBadRequest, res.status, "staging was skipped: %s", res.body)
	e := res.apiError(t)
	assert.Equal(t, bot.KindInvalid, e.Kind)
	containsAll(t, e.Reasons, "skip staging", "pipeline: dev -> staging -> prod")

	res = f.call(t, "POST", path, tokRui, bot.PromoteRequest{Environment: "staging", Reason: "dev is green"})
	require.Equal(t, http.StatusCreated, res.status, "%s", res.body)
	var sv bot.ReleaseView
	res.decode(t, &sv)
	st := sv.Release
	assert.Equal(t, dev.ID, st.Predecessor)
	assert.Equal(t, "staging", st.Environment)
	assert.Equal(t, "2.7.0", st.Version)
	assert.Equal(t, "rui", st.Author)
	assert.Equal(t, "/releases/"+st.ID.String(), res.header.Get("Location"))

	res = f.call(t, "POST", path, tokRui, bot.PromoteRequest{Environment: "staging"})
	require.Equal(t, http.StatusConflict, res.status, "promoted twice: %s", res.body)
	containsAll(t, res.apiError(t).Reasons, st.ID.String())
}
