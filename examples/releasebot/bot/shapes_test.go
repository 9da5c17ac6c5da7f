package bot_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/examples/releasebot/bot"
	"github.com/releasekit/releasekit/release"
)

// TestDurationsAreStringsBothWays: a duration goes in as "45m" and comes out as
// "45m0s", in the release, its history snapshots and the gate decision.
func TestDurationsAreStringsBothWays(t *testing.T) {
	f := newFixture(t)
	res := f.call(t, "POST", "/releases", tokAna, `{"name": "ledger", "version": "4.0.0", "environment": "dev", "duration": "45m"}`)
	require.Equal(t, http.StatusCreated, res.status, "%s", res.body)
	var raw struct {
		Release map[string]any `json:"release"`
	}
	res.decode(t, &raw)
	assert.Equal(t, "45m0s", raw.Release["duration"])
	var v bot.ReleaseView
	res.decode(t, &v)
	assert.Equal(t, bot.Duration(45*60e9), v.Release.Duration)

	h := f.call(t, "GET", "/releases/"+v.Release.ID.String()+"/history", tokAna, nil)
	var hist struct {
		Entries []struct {
			Snapshot map[string]any `json:"snapshot"`
		} `json:"entries"`
	}
	h.decode(t, &hist)
	require.Len(t, hist.Entries, 1)
	assert.Equal(t, "45m0s", hist.Entries[0].Snapshot["duration"])

	for _, bad := range []string{`"soon"`, `2700000000000`, `"-5m"`, `"0s"`} {
		res := f.call(t, "POST", "/releases", tokAna, `{"name": "ledger", "version": "4.0.1", "environment": "dev", "duration": `+bad+`}`)
		require.Equal(t, http.StatusBadRequest, res.status, "duration %s: %s", bad, res.body)
		e := res.apiError(t)
		assert.Contains(t, e.Message+strings.Join(e.Reasons, " "), `"45m"`, "the answer shows how to write one")
	}
}

// TestOneReleaseShape: POST /releases, GET /releases/{id} and POST .../promote answer
// the same ReleaseView; the list and fire answers carry the same release object.
func TestOneReleaseShape(t *testing.T) {
	f := newFixture(t)
	created := f.call(t, "POST", "/releases", tokAna, bot.CreateRequest{Name: "search", Version: "1.2.0", Environment: "dev", Duration: "30m"})
	require.Equal(t, http.StatusCreated, created.status, "%s", created.body)
	var v bot.ReleaseView
	created.decode(t, &v)
	got := f.call(t, "GET", "/releases/"+v.Release.ID.String(), tokAna, nil)
	require.Equal(t, http.StatusOK, got.status)
	assert.JSONEq(t, string(created.body), string(got.body), "POST and GET answer the same document")
	assert.Equal(t, created.header.Get("ETag"), got.header.Get("ETag"))

	list := f.call(t, "GET", "/releases", tokAna, nil)
	var lr struct {
		Releases []json.RawMessage `json:"releases"`
	}
	list.decode(t, &lr)
	require.Len(t, lr.Releases, 1)
	var fromView struct {
		Release json.RawMessage `json:"release"`
	}
	got.decode(t, &fromView)
	assert.JSONEq(t, string(fromView.Release), string(lr.Releases[0]))
}

// TestWrongMethodIs405WithAllow: a route served with other methods answers 405, the
// Allow header and the error shape.
func TestWrongMethodIs405WithAllow(t *testing.T) {
	f := newFixture(t)
	r := f.create(t, "checkout", "2.4.0", "dev")
	for _, tc := range []struct{ method, path, allow string }{
		{"DELETE", "/releases", "GET, HEAD, POST"},
		{"PUT", "/releases/" + r.ID.String(), "GET, HEAD"},
		{"GET", "/releases/" + r.ID.String() + "/events/plan", "POST"},
		{"POST", "/healthz", "GET, HEAD"},
		{"GET", "/ci/github", "POST"},
		{"DELETE", "/board/login", "GET, HEAD, POST"},
	} {
		res := f.call(t, tc.method, tc.path, tokAna, nil)
		require.Equal(t, http.StatusMethodNotAllowed, res.status, "%s %s: %s", tc.method, tc.path, res.body)
		assert.Equal(t, tc.allow, res.header.Get("Allow"), "%s %s", tc.method, tc.path)
		e := res.apiError(t)
		assert.Equal(t, bot.KindMethodNotAllowed, e.Kind)
		assert.Contains(t, strings.Join(e.Reasons, " "), "Allow header")
	}
	res := f.call(t, "GET", "/no/such/route", tokAna, nil)
	assert.Equal(t, http.StatusNotFound, res.status, "a path served with no method is still 404")
}

// TestIfNoneMatch: the GETs of a release answer 304 while the ETag stands, 200 once
// the release moved.
func TestIfNoneMatch(t *testing.T) {
	f := newFixture(t)
	r := f.create(t, "checkout", "2.4.0", "dev")
	for _, path := range []string{"/releases/" + r.ID.String(), "/releases/" + r.ID.String() + "/history"} {
		first := f.call(t, "GET", path, tokAna, nil)
		etag := first.header.Get("ETag")
		require.Equal(t, `"1"`, etag)
		for _, inm := range []string{etag, "W/" + etag, `"7", ` + etag, "*"} {
			res := f.call(t, "GET", path, tokAna, nil, "If-None-Match", inm)
			assert.Equal(t, http.StatusNotModified, res.status, "%s If-None-Match %s", path, inm)
			assert.Empty(t, res.body)
			assert.Equal(t, etag, res.header.Get("ETag"))
		}
		res := f.call(t, "GET", path, tokAna, nil, "If-None-Match", `"2"`)
		assert.Equal(t, http.StatusOK, res.status)
	}
	f.fire(t, r.ID, release.EventPlan, tokAna, nil)
	res := f.call(t, "GET", "/releases/"+r.ID.String(), tokAna, nil, "If-None-Match", `"1"`)
	assert.Equal(t, http.StatusOK, res.status, "the release moved on")
	assert.Equal(t, `"2"`, res.header.Get("ETag"))
}

// TestIdempotencyKeyEverywhere: every mutating route answers a retry with the first
// answer and refuses a malformed key with what to send.
func TestIdempotencyKeyEverywhere(t *testing.T) {
	f := newFixture(t)
	r := f.create(t, "checkout", "2.4.0", "dev")
	base := "/releases/" + r.ID.String()
	for _, tc := range []struct {
		path, token, body string
	}{
		{"/releases", tokAna, `{"name": "x", "version": "1", "environment": "dev"}`},
		{base + "/events/plan", tokAna, `{"reason": "r"}`},
		{base + "/checks", tokCI, `{"name": "build", "status": "success"}`},
		{base + "/approvals", tokRui, `{"reason": "ok"}`},
		{base + "/waivers", tokRui, `{"gate": "checks", "reason": "flaky", "expires": "2026-04-01T00:00:00Z"}`},
	} {
		key := "key-" + tc.path
		first := f.call(t, "POST", tc.path, tc.token, tc.body, "Idempotency-Key", key)
		require.Less(t, first.status, 300, "%s: %s", tc.path, first.body)
		again := f.call(t, "POST", tc.path, tc.token, tc.body, "Idempotency-Key", key)
		assert.Equal(t, first.status, again.status, tc.path)
		assert.Equal(t, string(first.body), string(again.body), tc.path)
	}
	for _, key := range []string{" ", strings.Repeat("k", release.MaxKeyLength+1)} {
		res := f.call(t, "POST", base+"/events/schedule", tokAna, nil, "Idempotency-Key", key)
		require.Equal(t, http.StatusBadRequest, res.status, "%s", res.body)
		assert.Contains(t, strings.Join(res.apiError(t).Reasons, " "), "1 to 255 bytes")
	}
}
