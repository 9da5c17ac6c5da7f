package bot_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/examples/releasebot/bot"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/releasetest"
	"github.com/releasekit/releasekit/rollback"
)

// Monday 2026-03-02 08:00 Berlin (07:00 UTC); the prod train runs Tuesdays and
// Thursdays 10:00–16:00 Berlin, so the first slot is Tuesday 09:00 UTC.
var monday = time.Date(2026, 3, 2, 7, 0, 0, 0, time.UTC)

// Fixed tokens for the tests; each at least bot.MinTokenLength long.
const (
	tokAna = "ana-0123456789abcdef"
	tokRui = "rui-0123456789abcdef"
	tokSam = "sam-0123456789abcdef"
	tokLea = "lea-0123456789abcdef"
	tokCI  = "ci--0123456789abcdef"
)

func testConfig() bot.Config {
	return bot.Config{Tokens: map[string]bot.Identity{
		tokAna: {ID: "ana", Roles: []string{release.RoleDeveloper, release.RoleDeployer}, Kind: release.ActorPerson},
		tokRui: {ID: "rui", Roles: []string{release.RoleReleaseManager}, Kind: release.ActorPerson},
		tokSam: {ID: "sam", Roles: []string{release.RoleApprover, bot.RoleChangeAdvisoryBoard}, Kind: release.ActorPerson},
		tokLea: {ID: "lea", Roles: []string{release.RoleApprover, bot.RoleSecurity}, Kind: release.ActorPerson},
		tokCI:  {ID: "ci", Roles: []string{bot.RoleCI, release.RoleDeployer}, Kind: release.ActorAutomation},
	}, Webhooks: map[string]string{"github": hookGitHub, "gitlab": hookGitLab, "jenkins": hookJenkins, "generic": hookGeneric}}
}

// The CI receivers' secrets.
const (
	hookGitHub  = "github-0123456789abcdef"
	hookGitLab  = "gitlab-0123456789abcdef"
	hookJenkins = "jenkins-0123456789abcdef"
	hookGeneric = "generic-0123456789abcdef"
)

type fixture struct {
	srv   *bot.Server
	http  *httptest.Server
	clock *releasetest.Clock
	store *memory.Store
}

func newFixture(t *testing.T, opts ...bot.Option) *fixture {
	t.Helper()
	f := &fixture{clock: releasetest.NewClock(monday, 0), store: memory.New()}
	srv, err := bot.New(f.store, testConfig(), append([]bot.Option{bot.WithClock(f.clock), bot.WithNotifier(nil)}, opts...)...)
	require.NoError(t, err)
	f.srv = srv
	f.http = httptest.NewServer(srv.Handler())
	t.Cleanup(f.http.Close)
	return f
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) decode(t *testing.T, v any) {
	t.Helper()
	require.NoError(t, json.Unmarshal(r.body, v), "body: %s", r.body)
}

func (r response) apiError(t *testing.T) bot.APIError {
	t.Helper()
	var e bot.APIError
	r.decode(t, &e)
	return e
}

// call sends a request; body is JSON-encoded unless it is a string or nil.
func (f *fixture) call(t *testing.T, method, path, token string, body any, headers ...string) response {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewBufferString(b)
	default:
		raw, err := json.Marshal(b)
		require.NoError(t, err)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, f.http.URL+path, rd)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := f.http.Client().Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return response{status: res.StatusCode, header: res.Header, body: b}
}

// create makes a release authored by ana and returns it.
func (f *fixture) create(t *testing.T, name, version, env string) bot.Release {
	t.Helper()
	res := f.call(t, "POST", "/releases", tokAna, bot.CreateRequest{Name: name, Version: version, Environment: env,
		Duration: "1h", Components: []release.Component{{Name: name, Version: version, PreviousVersion: "1.0.0"}}})
	require.Equal(t, http.StatusCreated, res.status, "create: %s", res.body)
	var v bot.ReleaseView
	res.decode(t, &v)
	return v.Release
}

// fire fires ev as token and requires success.
func (f *fixture) fire(t *testing.T, id release.ID, ev release.Event, token string, body any, headers ...string) bot.FireResponse {
	t.Helper()
	res := f.call(t, "POST", "/releases/"+id.String()+"/events/"+string(ev), token, body, headers...)
	require.Equal(t, http.StatusOK, res.status, "%s: %s", ev, res.body)
	var fr bot.FireResponse
	res.decode(t, &fr)
	return fr
}

func (f *fixture) check(t *testing.T, id release.ID, name string, status string) {
	t.Helper()
	res := f.call(t, "POST", "/releases/"+id.String()+"/checks", tokCI, map[string]string{"name": name, "status": status, "url": "https://ci.example/" + name})
	require.Equal(t, http.StatusOK, res.status, "check %s: %s", name, res.body)
}

// executorFunc is a rollback executor that hands each step's ID to fn, one call at a
// time.
func executorFunc(fn func(id string) error) rollback.Executor {
	var mu sync.Mutex
	return rollback.ExecutorFunc(func(_ context.Context, s rollback.Step) error {
		mu.Lock()
		defer mu.Unlock()
		return fn(s.ID)
	})
}

// status sends a bodiless POST and returns the status, or 0 when the request could
// not be made: safe in goroutines other than the test's (it never calls FailNow).
func (f *fixture) status(path, token string, headers ...string) int {
	req, err := http.NewRequest("POST", f.http.URL+path, nil)
	if err != nil {
		return 0
	}
	req.Header.Set("Authorization", "Bearer "+token)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := f.http.Client().Do(req)
	if err != nil {
		return 0
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, res.Body)
	return res.StatusCode
}
