package bot_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/examples/releasebot/bot"
	"github.com/releasekit/releasekit/release"
)

// TestBoardShowsReleasesCalendarAndGraph: the board lists a release under its
// environment and state, lays out the prod release train and the booked slot, and
// draws every service of the graph.
func TestBoardShowsReleasesCalendarAndGraph(t *testing.T) {
	f := newFixture(t)
	r := f.create(t, "checkout", "2.4.0", "staging")
	f.fire(t, r.ID, release.EventPlan, tokAna, nil)
	f.fire(t, r.ID, release.EventSchedule, tokAna, nil)
	res := f.call(t, "GET", "/board?weeks=2", tokRui, nil)
	require.Equal(t, http.StatusOK, res.status, "%s", res.body)
	assert.Contains(t, res.header.Get("Content-Type"), "text/html")
	page := string(res.body)
	assert.Contains(t, page, `<tr data-environment="staging">`)
	assert.Contains(t, page, `<td data-state="scheduled"><a class="release" data-id="`+r.ID.String()+`" href="/board/releases/`+r.ID.String()+`">checkout 2.4.0</a>`)
	assert.Contains(t, page, `data-date="2026-03-03"`, "the grid starts on the Monday of the week and covers two weeks")
	assert.Contains(t, page, `data-kind="window" title="window: prod release train (prod) 2026-03-03 09:00 UTC – 2026-03-03 15:00 UTC"`)
	assert.Contains(t, page, `data-kind="booking"`, "the booked slot is on the calendar")
	for _, svc := range []string{"web", "mobile", "checkout", "payments", "inventory", "ledger", "notifications"} {
		assert.Contains(t, page, `data-service="`+svc+`"`)
	}
	assert.Contains(t, page, `class="edge" data-from="checkout" data-to="payments"`)
	assert.NotContains(t, page, "<script", "the board needs no JavaScript")
}

// TestBoardFreezeInTheComingWeeks: in December the calendar shows the year-end freeze.
func TestBoardFreezeInTheComingWeeks(t *testing.T) {
	f := newFixture(t)
	res := f.call(t, "GET", "/board?from=2026-12-14&weeks=3&environment=prod", tokRui, nil)
	require.Equal(t, http.StatusOK, res.status, "%s", res.body)
	assert.Contains(t, string(res.body), `data-kind="freeze" title="freeze: year-end freeze (prod)`)
	assert.NotContains(t, string(res.body), "staging hours", "the environment filter applies to the calendar")
}

// TestBoardReleasePage: a release's page shows its fields, evidence, history and a
// verified chain.
func TestBoardReleasePage(t *testing.T) {
	f := newFixture(t)
	r := f.create(t, "payments", "3.1.0", "dev")
	f.fire(t, r.ID, release.EventPlan, tokAna, map[string]string{"reason": "sprint 12"})
	f.check(t, r.ID, "build", "success")
	res := f.call(t, "GET", "/board/releases/"+r.ID.String(), tokRui, nil)
	require.Equal(t, http.StatusOK, res.status, "%s", res.body)
	page := string(res.body)
	assert.Contains(t, page, `<td data-field="state" class="state">planned</td>`)
	assert.Contains(t, page, `<td data-field="revision">3</td>`)
	assert.Contains(t, page, `<td data-field="duration">1h0m0s</td>`)
	assert.Contains(t, page, `data-verified="true"`)
	assert.Contains(t, page, `<tr data-kind="check"><td>check</td><td>build: <strong>success</strong>`)
	assert.Equal(t, 3, strings.Count(page, `<tr class="entry"`), "create, plan and the recorded check")
	assert.Contains(t, page, "sprint 12")
}

// TestBoardBadInput: bad query parameters and IDs get a 400 page saying what the
// page takes; a release that does not exist a 404 page; never a 500.
func TestBoardBadInput(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		why, path string
		status    int
		mention   string
	}{
		{"weeks not a number", "/board?weeks=many", 400, "weeks &#34;many&#34; is not a number from 1 to 12"},
		{"weeks too many", "/board?weeks=13", 400, "from 1 to 12"},
		{"weeks zero", "/board?weeks=0", 400, "from 1 to 12"},
		{"from not a date", "/board?from=next%20week", 400, "YYYY-MM-DD"},
		{"from a time, not a date", "/board?from=2026-03-02T00:00:00Z", 400, "YYYY-MM-DD"},
		{"an unknown parameter", "/board?week=2", 400, "takes from, weeks and environment"},
		{"markup in a parameter is escaped", "/board?weeks=%3Cscript%3E", 400, "&lt;script&gt;"},
		{"a malformed release ID", "/board/releases/42", 400, "UUID"},
		{"a query on a release page", "/board/releases/0190b3c4-5f6e-7a8b-9c0d-1e2f3a4b5c6d?x=1", 400, "no query parameters"},
		{"a release that does not exist", "/board/releases/0190b3c4-5f6e-7a8b-9c0d-1e2f3a4b5c6d", 404, "back to /board"},
	} {
		t.Run(tc.why, func(t *testing.T) {
			res := f.call(t, "GET", tc.path, tokRui, nil)
			require.Equal(t, tc.status, res.status, "%s", res.body)
			assert.Contains(t, res.header.Get("Content-Type"), "text/html")
			assert.Contains(t, string(res.body), tc.mention)
			assert.NotContains(t, string(res.body), "<script>")
		})
	}
}

// TestBoardSignIn: without a token the board sends a browser to the sign-in form;
// the form's cookie opens the board's pages and never the API.
func TestBoardSignIn(t *testing.T) {
	f := newFixture(t)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Get(f.http.URL + "/board?weeks=1")
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	assert.Equal(t, "/board/login?next="+url.QueryEscape("/board?weeks=1"), res.Header.Get("Location"))

	for _, tc := range []struct {
		token  string
		status int
	}{{"", http.StatusBadRequest}, {"nobody-0123456789abcdef", http.StatusUnauthorized}} {
		res, err = client.PostForm(f.http.URL+"/board/login", url.Values{"token": {tc.token}})
		require.NoError(t, err)
		res.Body.Close()
		assert.Equal(t, tc.status, res.StatusCode, "token %q", tc.token)
	}

	res, err = client.PostForm(f.http.URL+"/board/login", url.Values{"token": {tokRui}, "next": {"https://elsewhere.example/"}})
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	assert.Equal(t, "/board", res.Header.Get("Location"), "never a redirect off the board")
	cookies := res.Cookies()
	require.Len(t, cookies, 1)
	c := cookies[0]
	assert.True(t, c.HttpOnly)
	assert.Equal(t, "/board", c.Path)
	assert.Equal(t, http.SameSiteStrictMode, c.SameSite)

	req, _ := http.NewRequest("GET", f.http.URL+"/board", nil)
	req.AddCookie(c)
	res, err = client.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusOK, res.StatusCode)
	req, _ = http.NewRequest("GET", f.http.URL+"/releases", nil)
	req.AddCookie(c)
	res, err = client.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, res.StatusCode, "the board's cookie does not open the API")
}

// tamperedStore answers Get with a release whose author was changed outside its
// history, as someone with database access might.
type tamperedStore struct{ *memory.Store }

func (s tamperedStore) Get(ctx context.Context, id release.ID) (release.Release, error) {
	r, err := s.Store.Get(ctx, id)
	r.Author = "mallory"
	return r, err
}

// TestBoardShowsATamperedRelease: a release that no longer matches its history is
// shown as not verifying, with the field that differs.
func TestBoardShowsATamperedRelease(t *testing.T) {
	f := newFixture(t)
	r := f.create(t, "payments", "3.1.0", "dev")
	srv, err := bot.New(tamperedStore{f.store}, testConfig(), bot.WithClock(f.clock), bot.WithNotifier(nil))
	require.NoError(t, err)
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/board/releases/"+r.ID.String(), nil)
	req.Header.Set("Authorization", "Bearer "+tokRui)
	srv.Handler().ServeHTTP(rec, req)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	assert.Contains(t, rec.Body.String(), `data-verified="false"`)
	assert.Contains(t, rec.Body.String(), "the stored author is")
}
