package bot_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/examples/releasebot/bot"
	"github.com/releasekit/releasekit/release"
)

func hubSignature(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// The bot mounts the CI receivers: GitHub's "completed" check run and Jenkins'
// "SUCCESS" (the vendors' own samples) are recorded on the release of their commit,
// without a bearer token (the receivers check the senders' signature or token).
func TestCIReceiversRecordVendorResults(t *testing.T) {
	f := newFixture(t)
	gh, err := os.ReadFile("../../../adapters/ci/testdata/github/check_run.completed.json")
	require.NoError(t, err)
	jk, err := os.ReadFile("../../../adapters/ci/testdata/jenkins/notification.json")
	require.NoError(t, err)

	res := f.call(t, "POST", "/releases", tokAna, bot.CreateRequest{Name: "hello", Version: "1.4.0", Environment: "staging",
		Labels: map[string]string{"commit": "ec26c3e57ca3a959ca5aad62de7213c562f8c821"}})
	require.Equal(t, http.StatusCreated, res.status, "%s", res.body)
	var ghRel bot.ReleaseView
	res.decode(t, &ghRel)
	res = f.call(t, "POST", "/releases", tokAna, bot.CreateRequest{Name: "asgard", Version: "18", Environment: "staging",
		Labels: map[string]string{"commit": "c6d86dc654b12425e706bcf951adfe5a8627a517"}})
	require.Equal(t, http.StatusCreated, res.status, "%s", res.body)
	var jkRel bot.ReleaseView
	res.decode(t, &jkRel)

	headers := []string{"Content-Type", "application/json", "X-GitHub-Event", "check_run",
		"X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958", "X-Hub-Signature-256", hubSignature(hookGitHub, gh)}
	res = f.call(t, "POST", "/ci/github", "", string(gh), headers...)
	require.Equal(t, http.StatusOK, res.status, "%s", res.body)
	res = f.call(t, "POST", "/ci/github", "", string(gh), headers...)
	assert.Equal(t, http.StatusConflict, res.status, "a redelivery: %s", res.body)
	res = f.call(t, "POST", "/ci/github", "", string(gh), append(headers[:len(headers)-1:len(headers)-1], hubSignature("guess", gh))...)
	assert.Equal(t, http.StatusUnauthorized, res.status, "a forged delivery: %s", res.body)

	res = f.call(t, "POST", "/ci/jenkins?token="+hookJenkins, "", string(jk), "Content-Type", "application/json")
	require.Equal(t, http.StatusOK, res.status, "%s", res.body)

	for _, c := range []struct {
		rel  bot.ReleaseView
		name string
	}{{ghRel, "Octocoders-linter"}, {jkRel, "asgard"}} {
		res = f.call(t, "GET", "/releases/"+c.rel.Release.ID.String()+"/history", tokRui, nil)
		require.Equal(t, http.StatusOK, res.status, "%s", res.body)
		var h bot.HistoryResponse
		res.decode(t, &h)
		assert.True(t, h.Verified, h.Problem)
		var evs []release.Evidence
		for _, e := range h.Entries {
			if e.Evidence != nil {
				evs = append(evs, e.Evidence.Evidence)
			}
		}
		require.Len(t, evs, 1, "one record per result, none for the replay or the forgery")
		assert.Equal(t, c.name, evs[0].Name)
		assert.Equal(t, "success", string(evs[0].Status))
		assert.Equal(t, release.ActorAutomation, evs[0].By.Kind)
	}
}

func TestWebhookSecretsAreValidated(t *testing.T) {
	c := testConfig()
	c.Webhooks = map[string]string{"github": "short", "bitbucket": "bitbucket-0123456789abcdef"}
	err := c.Validate()
	require.ErrorIs(t, err, bot.ErrConfig)
	assert.ErrorContains(t, err, "the github secret is 5 characters long")
	assert.ErrorContains(t, err, `"bitbucket" is not one of`)
}

// The checks route takes the gate's words and says where a CI system's own words go.
func TestChecksRouteNamesTheReceivers(t *testing.T) {
	f := newFixture(t)
	r := f.create(t, "hello", "1.4.0", "staging")
	res := f.call(t, "POST", "/releases/"+r.ID.String()+"/checks", tokCI, map[string]string{"name": "build", "status": "SUCCESS"})
	require.Equal(t, http.StatusBadRequest, res.status, "%s", res.body)
	e := res.apiError(t)
	assert.Contains(t, e.Message, `status "SUCCESS" is not one of`)
	assert.Contains(t, e.Reasons[0], "POST /ci/github")
}
