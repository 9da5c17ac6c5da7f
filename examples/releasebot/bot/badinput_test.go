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

// TestBadInputSaysWhatToDo: each bad request below is refused in the error shape,
// with the kind of its status and a reason an HTTP caller can act on (no Go parse
// error, no Go field or option names), and none of them changes anything.
func TestBadInputSaysWhatToDo(t *testing.T) {
	f := newFixture(t)
	rel := f.create(t, "checkout", "2.7.0", "dev")
	id := rel.ID.String()
	for _, c := range []struct {
		reason, method, path string
		body                 string
		headers              []string
		status               int
		want                 string // in the message or a reason
	}{
		{"a bad time in at", "POST", "/releases/" + id + "/events/plan", `{"at": "tomorrow"}`, nil, 400, "RFC 3339"},
		{"a bad time in expires", "POST", "/releases/" + id + "/waivers", `{"gate": "checks", "reason": "r", "expires": "soon"}`, nil, 400, "RFC 3339"},
		{"a waiver that has expired", "POST", "/releases/" + id + "/waivers", `{"gate": "checks", "reason": "r", "expires": "2020-01-01T00:00:00Z"}`, nil, 400, "has passed"},
		{"a duration past the limit", "POST", "/releases", `{"name": "a", "version": "1", "environment": "dev", "duration": "9999999h"}`, nil, 400, "2562047h"},
		{"an environment the bot does not deploy to", "POST", "/releases", `{"name": "a", "version": "1", "environment": "moon"}`, nil, 400, "dev, staging, prod"},
		{"an unknown list parameter", "GET", "/releases?foo=bar", "", nil, 400, `"foo" is not a parameter`},
		{"an unknown report parameter", "GET", "/report?foo=1", "", nil, 400, `"foo" is not a parameter`},
		{"a report format not offered", "GET", "/report?format=html", "", nil, 400, `"format" is not a parameter`},
		{"a calendar span of millennia", "GET", "/calendar.ics?from=0001-01-01T00:00:00Z&to=9999-12-31T00:00:00Z", "", nil, 400, "366 days"},
		{"a weak If-Match", "POST", "/releases/" + id + "/events/plan", "", []string{"If-Match", `W/"1"`}, 400, "strongly"},
		{"a release not found", "GET", "/releases/0190b3c4-5f6e-7a8b-9c0d-1e2f3a4b5c6d", "", nil, 404, "GET /releases lists"},
	} {
		res := f.call(t, c.method, c.path, tokRui, rawBody(c.body), c.headers...)
		require.Equal(t, c.status, res.status, "%s: %s", c.reason, res.body)
		e := res.apiError(t)
		assert.Equal(t, c.status, e.Kind.Status(), c.reason)
		text := e.Message + " | " + strings.Join(e.Reasons, " | ")
		assert.Contains(t, text, c.want, c.reason)
		for _, leak := range []string{"parsing time", "List the stored", "Spec.", "At(t)", "cannot parse"} {
			assert.NotContains(t, text, leak, c.reason)
		}
	}
	// The board: an unknown page is an HTML 404 page, not JSON.
	res := f.call(t, "GET", "/board/nope", tokRui, nil)
	require.Equal(t, http.StatusNotFound, res.status)
	assert.True(t, strings.HasPrefix(res.header.Get("Content-Type"), "text/html"), res.header.Get("Content-Type"))

	// A cancelled release says what to do next.
	f.fire(t, rel.ID, release.EventCancel, tokAna, bot.FireRequest{Reason: "superseded"})
	res = f.call(t, "POST", "/releases/"+id+"/events/plan", tokAna, nil)
	require.Equal(t, http.StatusUnprocessableEntity, res.status)
	assert.Contains(t, strings.Join(res.apiError(t).Reasons, " "), "POST /releases")
}

// rawBody is s as a body for fixture.call; the empty string is no body.
func rawBody(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// TestNotFoundListsEveryRoute: the 404 of an unknown path names every route,
// lockdowns, the board and the CI receivers included.
func TestNotFoundListsEveryRoute(t *testing.T) {
	f := newFixture(t)
	res := f.call(t, "GET", "/nope", tokRui, nil)
	require.Equal(t, http.StatusNotFound, res.status)
	text := strings.Join(res.apiError(t).Reasons, " ")
	for _, route := range []string{"POST /lockdowns", "GET /lockdowns", "POST /lockdowns/{id}/lift", "GET /board", "POST /board/login", "GET /openapi.json"} {
		assert.Contains(t, text, route)
	}
}

// TestRefusalAdviceIsForHTTPCallers: a start before the slot is refused with the
// library's advice rewritten for an HTTP caller: the routes to fire, not Go calls.
func TestRefusalAdviceIsForHTTPCallers(t *testing.T) {
	f := newFixture(t)
	rel := f.create(t, "checkout", "2.7.0", "dev")
	f.fire(t, rel.ID, release.EventPlan, tokAna, nil)
	f.fire(t, rel.ID, release.EventSchedule, tokAna, bot.FireRequest{At: ptr(f.clock.Now().Add(48 * time.Hour).Truncate(time.Hour))})
	f.check(t, rel.ID, "build", "success")
	f.fire(t, rel.ID, release.EventApprove, tokRui, nil)
	res := f.call(t, "POST", "/releases/"+rel.ID.String()+"/events/start", tokCI, nil)
	require.Equal(t, http.StatusUnprocessableEntity, res.status, "%s", res.body)
	text := strings.Join(res.apiError(t).Reasons, " ")
	assert.Contains(t, text, "POST /releases/{id}/events/unschedule")
	assert.NotContains(t, text, "At(t)")
}

func ptr[T any](v T) *T { return &v }
