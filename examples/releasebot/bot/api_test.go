package bot_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/examples/releasebot/bot"
	"github.com/releasekit/releasekit/release"
)

// TestErrorAnswers: every malformed, unauthenticated or refused request answers with
// its kind, the kind's status, and reasons a person can act on.
func TestErrorAnswers(t *testing.T) {
	f := newFixture(t)
	r := f.create(t, "checkout", "2.4.0", "prod")
	rel := "/releases/" + r.ID.String()
	missing := "/releases/" + "0190b3c4-5f6e-7a8b-9c0d-1e2f3a4b5c6d"
	for _, tc := range []struct {
		why          string
		method, path string
		token        string
		body         any
		headers      []string
		want         bot.ErrorKind
		mention      string
	}{
		{"no token", "GET", "/releases", "", nil, nil, bot.KindUnauthenticated, "Authorization: Bearer"},
		{"an unknown token", "GET", "/releases", "nobody-0123456789abcdef", nil, nil, bot.KindUnauthenticated, "configuration"},
		{"a token one character short", "GET", "/releases", tokRui[:len(tokRui)-1], nil, nil, bot.KindUnauthenticated, "configuration"},
		{"an empty token", "GET", "/releases", " ", nil, nil, bot.KindUnauthenticated, "Bearer"},
		{"malformed JSON", "POST", "/releases", tokAna, `{"name": "x",`, nil, bot.KindInvalid, "JSON"},
		{"an unknown field (a typo)", "POST", "/releases", tokAna, `{"name": "x", "verison": "1"}`, nil, bot.KindInvalid, "verison"},
		{"two JSON values", "POST", "/releases", tokAna, `{"name": "x"} {}`, nil, bot.KindInvalid, "after the JSON"},
		{"no body where one is needed", "POST", "/releases", tokAna, nil, nil, bot.KindInvalid, "JSON body"},
		{"a spec with every problem", "POST", "/releases", tokAna, `{"class": "urgent"}`, nil, bot.KindInvalid, "environment is empty"},
		{"a bad duration", "POST", "/releases", tokAna, `{"name": "x", "version": "1", "environment": "prod", "duration": "soon"}`, nil, bot.KindInvalid, "45m"},
		{"an unknown event", "POST", rel + "/events/deploy", tokRui, nil, nil, bot.KindInvalid, "finish_rollback"},
		{"an event the state does not allow", "POST", rel + "/events/start", tokRui, nil, nil, bot.KindRefused, "from draft you can: plan"},
		{"a malformed fire body", "POST", rel + "/events/plan", tokAna, `{"reason": 7}`, nil, bot.KindInvalid, "reason"},
		{"a malformed If-Match", "POST", rel + "/events/plan", tokAna, nil, []string{"If-Match", "abc"}, bot.KindInvalid, "revision"},
		{"the policy refuses a role", "POST", rel + "/events/plan", tokSam, nil, nil, bot.KindForbidden, "plan"},
		{"a release that does not exist", "GET", missing, tokAna, nil, nil, bot.KindNotFound, "not found"},
		{"an event on a release that does not exist", "POST", missing + "/events/plan", tokAna, nil, nil, bot.KindNotFound, "not found"},
		{"a malformed release ID", "GET", "/releases/42", tokAna, nil, nil, bot.KindInvalid, "UUID"},
		{"a route that does not exist", "GET", "/nope", tokAna, nil, nil, bot.KindNotFound, "POST /releases"},
		{"a check by a person", "POST", rel + "/checks", tokRui, `{"name": "build", "status": "success"}`, nil, bot.KindForbidden, "ci"},
		{"a check with an unknown status", "POST", rel + "/checks", tokCI, `{"name": "build", "status": "green"}`, nil, bot.KindInvalid, "success"},
		{"a check without a name", "POST", rel + "/checks", tokCI, `{"status": "success"}`, nil, bot.KindInvalid, "name: a check needs a name"},
		{"a check for a release that does not exist", "POST", missing + "/checks", tokCI, `{"name": "build", "status": "success"}`, nil, bot.KindNotFound, "not found"},
		{"a bad filter", "GET", "/releases?state=shipped&limit=0&class=x&label=novalue", tokAna, nil, nil, bot.KindInvalid, "shipped"},
		{"a creation time that is not RFC 3339", "GET", "/releases?created_from=yesterday", tokAna, nil, nil, bot.KindInvalid, "RFC 3339"},
		{"an inverted creation range", "GET", "/releases?created_from=2026-12-08T00:00:00Z&created_to=2026-12-07T00:00:00Z", tokAna, nil, nil, bot.KindInvalid, "created_from must come before created_to"},
		{"a bad calendar span", "GET", "/calendar.ics?from=yesterday", tokAna, nil, nil, bot.KindInvalid, "RFC 3339"},
		{"an inverted calendar span", "GET", "/calendar.ics?from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z", tokAna, nil, nil, bot.KindInvalid, "after from"},
		{"a report over an empty span", "GET", "/report?from=2026-03-02T00:00:00Z&to=2026-03-02T00:00:00Z", tokAna, nil, nil, bot.KindInvalid, "after from"},
		{"a body over the limit", "POST", "/releases", tokAna, `{"name": "` + strings.Repeat("x", bot.MaxBodyBytes) + `"}`, nil, bot.KindTooLarge, "larger"},
	} {
		t.Run(tc.why, func(t *testing.T) {
			res := f.call(t, tc.method, tc.path, tc.token, tc.body, tc.headers...)
			require.Equal(t, tc.want.Status(), res.status, "%s", res.body)
			e := res.apiError(t)
			assert.Equal(t, tc.want, e.Kind)
			assert.NotEmpty(t, e.Message)
			assert.Contains(t, e.Message+"\n"+strings.Join(e.Reasons, "\n"), tc.mention)
			assert.Contains(t, res.header.Get("Content-Type"), "application/json")
			if tc.want == bot.KindUnauthenticated {
				assert.Contains(t, res.header.Get("WWW-Authenticate"), "Bearer")
			}
		})
	}
	// None of that changed the release.
	res := f.call(t, "GET", rel, tokAna, nil)
	var v bot.ReleaseView
	res.decode(t, &v)
	assert.Equal(t, int64(1), v.Release.Revision)
	assert.Empty(t, v.Evidence.Checks)
	assert.Equal(t, []release.Event{release.EventPlan, release.EventCancel}, v.Events)
}

func TestHealthzNeedsNoToken(t *testing.T) {
	f := newFixture(t)
	res := f.call(t, "GET", "/healthz", "", nil)
	require.Equal(t, http.StatusOK, res.status)
	assert.JSONEq(t, `{"status": "ok"}`, string(res.body))
}

func TestListFilters(t *testing.T) {
	f := newFixture(t)
	a := f.create(t, "checkout", "2.4.0", "prod")
	b := f.create(t, "checkout", "2.4.0", "staging")
	c := f.create(t, "search", "1.0.0", "prod")
	f.fire(t, c.ID, release.EventPlan, tokAna, nil)
	for _, tc := range []struct {
		why   string
		query string
		want  []release.ID
	}{
		{"everything, in creation order", "", []release.ID{a.ID, b.ID, c.ID}},
		{"by environment", "?environment=prod", []release.ID{a.ID, c.ID}},
		{"by name and version", "?name=checkout&version=2.4.0", []release.ID{a.ID, b.ID}},
		{"by states, comma separated", "?state=planned,scheduled", []release.ID{c.ID}},
		{"by state, repeated", "?state=draft&state=planned", []release.ID{a.ID, b.ID, c.ID}},
		{"a page after a cursor", "?after=" + a.ID.String() + "&limit=1", []release.ID{b.ID}},
		{"by component", "?component=search", []release.ID{c.ID}},
		{"created from a time on", "?created_from=" + a.CreatedAt.Format(time.RFC3339Nano), []release.ID{a.ID, b.ID, c.ID}},
		{"created before a time", "?created_to=" + a.CreatedAt.Format(time.RFC3339Nano), nil},
		{"no match", "?name=nothing", nil},
	} {
		t.Run(tc.why, func(t *testing.T) {
			res := f.call(t, "GET", "/releases"+tc.query, tokRui, nil)
			require.Equal(t, http.StatusOK, res.status, "%s", res.body)
			var lr bot.ListResponse
			res.decode(t, &lr)
			var got []release.ID
			for _, r := range lr.Releases {
				got = append(got, r.ID)
			}
			assert.Equal(t, tc.want, got)
		})
	}
	res := f.call(t, "GET", "/releases?limit=2", tokRui, nil)
	var lr bot.ListResponse
	res.decode(t, &lr)
	assert.Equal(t, b.ID.String(), lr.Next, "a full page names the cursor of the next")
}

// TestRollbackThroughTheAPI: a dev release fails; fail attaches the plan, rollback
// runs it through the executor and answers with both committed entries.
func TestRollbackThroughTheAPI(t *testing.T) {
	var ran []string
	f := newFixture(t, bot.WithExecutor(executorFunc(func(id string) error { ran = append(ran, id); return nil })))
	r := f.create(t, "payments", "3.1.0", "dev")
	f.fire(t, r.ID, release.EventPlan, tokAna, nil)
	f.fire(t, r.ID, release.EventSchedule, tokAna, nil)
	f.check(t, r.ID, "build", "success")
	f.fire(t, r.ID, release.EventApprove, tokRui, nil)
	f.fire(t, r.ID, release.EventStart, tokCI, nil)
	f.fire(t, r.ID, release.EventComplete, tokCI, nil)
	failed := f.fire(t, r.ID, release.EventFail, tokCI, map[string]any{"reason": "error rate 12%", "failed_components": []string{"payments"}})
	require.NotNil(t, failed.Release.Rollback, "fail attaches a rollback plan")
	back := f.fire(t, r.ID, release.EventRollback, tokRui, nil)
	assert.Equal(t, release.StateRolledBack, back.Release.State)
	require.Len(t, back.Entries, 2, "rollback and the finish_rollback the executor's run committed")
	assert.Equal(t, release.EventFinishRollback, back.Entries[1].Event)
	assert.NotEmpty(t, ran)
	closed := f.fire(t, r.ID, release.EventClose, tokRui, map[string]any{"review": map[string]any{"outcome": "rolled back", "lessons": []string{"canary first"}}})
	require.NotNil(t, closed.Release.Review)
	assert.Equal(t, "rolled back", closed.Release.Review.Outcome)
}
