package bot_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/examples/releasebot/bot"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/releasetest"
)

// TestQuorumCannotBeWaived: sam (approver, change advisory board) may not approve a
// release alone by waiving the quorum that asks for a release manager: 422 with the
// reason, and the release stays scheduled. With rui's approval it goes through.
func TestQuorumCannotBeWaived(t *testing.T) {
	for _, env := range []string{"dev", "staging"} {
		t.Run(env, func(t *testing.T) {
			f := newFixture(t)
			r := f.create(t, "checkout", "2.6.0", env)
			planned := f.fire(t, r.ID, release.EventPlan, tokAna, nil)
			f.fire(t, r.ID, release.EventSchedule, tokAna, nil)
			f.check(t, r.ID, "build", "success")
			f.check(t, r.ID, "e2e", "success")
			quorum := "approvals (" + planned.Release.Risk.Level + " risk)"

			res := f.call(t, "POST", "/releases/"+r.ID.String()+"/events/approve", tokSam, nil)
			require.Equal(t, http.StatusUnprocessableEntity, res.status, "%s", res.body)
			containsAll(t, res.apiError(t).Reasons, "needs 1 of release-manager")

			body := map[string]any{"waivers": []map[string]any{{"gate": quorum, "reason": "alone", "expires": "2099-01-01T00:00:00Z"}}}
			res = f.call(t, "POST", "/releases/"+r.ID.String()+"/events/approve", tokSam, body)
			require.Equal(t, http.StatusUnprocessableEntity, res.status, "a waiver lifted the quorum: %s", res.body)
			containsAll(t, res.apiError(t).Reasons, "cannot be waived")

			got := f.call(t, "GET", "/releases/"+r.ID.String(), tokSam, nil)
			var v bot.ReleaseView
			got.decode(t, &v)
			assert.Equal(t, release.StateScheduled, v.Release.State)

			f.fire(t, r.ID, release.EventApprove, tokRui, nil)
		})
	}
}

// TestAutomationWithManagerRoleDoesNotApprove: an automation configured with the
// release manager's role may fire approve, but it is no approver: without a
// person's approval the quorum is not met.
func TestAutomationWithManagerRoleDoesNotApprove(t *testing.T) {
	const tokBot = "bot-0123456789abcdef"
	cfg := testConfig()
	cfg.Tokens[tokBot] = bot.Identity{ID: "merge-bot", Roles: []string{release.RoleReleaseManager}, Kind: release.ActorAutomation}
	f := &fixture{clock: releasetest.NewClock(monday, 0), store: memory.New()}
	srv, err := bot.New(f.store, cfg, bot.WithClock(f.clock), bot.WithNotifier(nil))
	require.NoError(t, err)
	f.srv, f.http = srv, httptest.NewServer(srv.Handler())
	t.Cleanup(f.http.Close)

	r := f.create(t, "checkout", "2.7.0", "dev")
	f.fire(t, r.ID, release.EventPlan, tokAna, nil)
	f.fire(t, r.ID, release.EventSchedule, tokAna, nil)
	f.check(t, r.ID, "build", "success")
	res := f.call(t, "POST", "/releases/"+r.ID.String()+"/events/approve", tokBot, nil)
	require.Equal(t, http.StatusUnprocessableEntity, res.status, "an automation approved alone: %s", res.body)
	containsAll(t, res.apiError(t).Reasons, "needs 1 of release-manager")
	res = f.call(t, "POST", "/releases/"+r.ID.String()+"/approvals", tokBot, nil)
	require.Equal(t, http.StatusForbidden, res.status, "%s", res.body)

	// Once a person has approved, the automation may fire approve.
	f.clock.Set(monday.Add(time.Minute))
	res = f.call(t, "POST", "/releases/"+r.ID.String()+"/approvals", tokRui, nil)
	require.Equal(t, http.StatusCreated, res.status, "%s", res.body)
	f.fire(t, r.ID, release.EventApprove, tokBot, nil)
}
