package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/examples/releasebot/bot"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/releasetest"
)

// Monday 2026-03-02 08:00 Berlin; the prod train runs Tuesdays and Thursdays.
var monday = time.Date(2026, 3, 2, 7, 0, 0, 0, time.UTC)

const (
	tokAna = "ana-0123456789abcdef"
	tokRui = "rui-0123456789abcdef"
	tokSam = "sam-0123456789abcdef"
	tokLea = "lea-0123456789abcdef"
	tokCI  = "ci--0123456789abcdef"
)

const hookGeneric = "generic-0123456789abcdef"

func config() bot.Config {
	return bot.Config{Tokens: map[string]bot.Identity{
		tokAna: {ID: "ana", Roles: []string{release.RoleDeveloper, release.RoleDeployer}, Kind: release.ActorPerson},
		tokRui: {ID: "rui", Roles: []string{release.RoleReleaseManager}, Kind: release.ActorPerson},
		tokSam: {ID: "sam", Roles: []string{release.RoleApprover, bot.RoleChangeAdvisoryBoard}, Kind: release.ActorPerson},
		tokLea: {ID: "lea", Roles: []string{release.RoleApprover, bot.RoleSecurity}, Kind: release.ActorPerson},
		tokCI:  {ID: "ci", Roles: []string{bot.RoleCI, release.RoleDeployer}, Kind: release.ActorAutomation},
	}, Webhooks: map[string]string{"github": "github-0123456789abcdef", "gitlab": "gitlab-0123456789abcdef",
		"jenkins": "jenkins-0123456789abcdef", "generic": hookGeneric}}
}

// contract validates every request sent through it and every answer against the
// OpenAPI description the bot serves, and counts the statuses seen per operation.
type contract struct {
	t      *testing.T
	doc    *openapi3.T
	router routers.Router
	srv    *httptest.Server
	clock  *releasetest.Clock

	mu   sync.Mutex
	seen map[string]map[int]bool // operationId -> statuses
}

// newContract serves a bot over store and loads the description from its
// /openapi.json.
func newContract(t *testing.T, store release.Store, cfg bot.Config) *contract {
	t.Helper()
	clock := releasetest.NewClock(monday, 0)
	b, err := bot.New(store, cfg, bot.WithClock(clock), bot.WithNotifier(nil))
	require.NoError(t, err)
	srv := httptest.NewServer(b.Handler())
	t.Cleanup(srv.Close)
	res, err := srv.Client().Get(srv.URL + "/openapi.json")
	require.NoError(t, err)
	raw, err := io.ReadAll(res.Body)
	res.Body.Close()
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.Equal(t, bot.OpenAPI(), raw, "/openapi.json serves the embedded description")

	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(raw)
	require.NoError(t, err)
	require.Equal(t, "3.1.0", doc.OpenAPI)
	require.True(t, doc.IsOpenAPI31OrLater())
	require.NoError(t, doc.Validate(loader.Context), "the description is a valid OpenAPI 3.1 document")
	doc.Servers = openapi3.Servers{{URL: srv.URL}}
	router, err := gorillamux.NewRouter(doc)
	require.NoError(t, err)
	return &contract{t: t, doc: doc, router: router, srv: srv, clock: clock, seen: map[string]map[int]bool{}}
}

// authenticate checks what the description's security schemes ask: a bearer token
// in Authorization, or the board's session cookie.
func authenticate(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	r := in.RequestValidationInput.Request
	switch in.SecuritySchemeName {
	case "bearer":
		if v := r.Header.Get("Authorization"); len(v) > 7 && strings.EqualFold(v[:7], "bearer ") {
			return nil
		}
		return errors.New("no bearer token")
	case "session":
		if _, err := r.Cookie("releasebot_session"); err == nil {
			return nil
		}
		return errors.New("no session cookie")
	}
	return fmt.Errorf("unknown security scheme %q", in.SecuritySchemeName)
}

// call is one request of the walk. conforms says whether the request itself follows
// the description (false for the deliberately malformed ones, which the validator
// must reject too).
type call struct {
	method, path, token string
	body                string
	headers             []string
	conforms            bool
	want                int
}

// do sends c, checks the request's verdict against c.conforms, the status against
// c.want, and validates the answer; it returns the answer's body and headers.
func (k *contract) do(c call) ([]byte, http.Header) {
	t := k.t
	t.Helper()
	var body io.Reader
	if c.body != "" {
		body = strings.NewReader(c.body)
	}
	req, err := http.NewRequest(c.method, k.srv.URL+c.path, body)
	require.NoError(t, err)
	if c.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for i := 0; i+1 < len(c.headers); i += 2 {
		req.Header.Set(c.headers[i], c.headers[i+1])
	}
	route, params, err := k.router.FindRoute(req)
	if errors.Is(err, routers.ErrMethodNotAllowed) || errors.Is(err, routers.ErrPathNotFound) {
		require.False(t, c.conforms, "%s %s: the description has no such operation: %v", c.method, c.path, err)
		return k.send(req, c, nil)
	}
	require.NoError(t, err, "%s %s", c.method, c.path)
	if req.Header.Get("Idempotency-Key") != "" {
		require.NotNil(t, route.Operation.Parameters.GetByInAndName("header", "Idempotency-Key"),
			"%s %s: the request sends an Idempotency-Key the description does not declare", c.method, c.path)
	}
	// SkipSettingDefaults: the validator must not add the described defaults to
	// the request the bot gets.
	opts := &openapi3filter.Options{AuthenticationFunc: authenticate, IncludeResponseStatus: true, MultiError: true, SkipSettingDefaults: true}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
	// ValidateRequest reads the body: keep a copy to send.
	var raw []byte
	if req.Body != nil {
		raw, _ = io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(raw))
	}
	verr := openapi3filter.ValidateRequest(context.Background(), in)
	if c.conforms {
		require.NoError(t, verr, "%s %s: the request should follow the description", c.method, c.path)
	} else {
		require.Error(t, verr, "%s %s: the description should reject this request (the bot answers %d)", c.method, c.path, c.want)
	}
	req.Body = io.NopCloser(bytes.NewReader(raw))
	return k.send(req, c, in)
}

func (k *contract) send(req *http.Request, c call, in *openapi3filter.RequestValidationInput) ([]byte, http.Header) {
	t := k.t
	t.Helper()
	client := *k.srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	res, err := client.Do(req)
	require.NoError(t, err)
	out, err := io.ReadAll(res.Body)
	res.Body.Close()
	require.NoError(t, err)
	require.Equal(t, c.want, res.StatusCode, "%s %s: %s", c.method, c.path, out)
	route := in
	if route == nil {
		// A request the description has no operation for: the answer is the bot's
		// error shape all the same.
		var e bot.APIError
		require.NoError(t, json.Unmarshal(out, &e), "%s", out)
		require.NotEmpty(t, e.Kind)
		k.note("(no operation)", res.StatusCode)
		return out, res.Header
	}
	rin := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: res.StatusCode, Header: res.Header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true}}
	rin.SetBodyBytes(out)
	require.NoError(t, openapi3filter.ValidateResponse(context.Background(), rin),
		"%s %s answered %d with a body the description does not allow: %s", c.method, c.path, res.StatusCode, out)
	// Headers the description marks required (Allow on 405) must be there.
	if resp := in.Route.Operation.Responses.Status(res.StatusCode); resp != nil && resp.Value != nil {
		for name, h := range resp.Value.Headers {
			if h.Value != nil && h.Value.Required {
				require.NotEmpty(t, res.Header.Get(name), "%s %s %d: header %s", c.method, c.path, res.StatusCode, name)
			}
		}
	}
	// The bot's own errors (not the CI receivers', which answer in adapters/ci's shape).
	if res.StatusCode >= 400 && strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") && !slices.Contains(in.Route.Operation.Tags, "ci") {
		var e bot.APIError
		require.NoError(t, json.Unmarshal(out, &e))
		require.Equal(t, res.StatusCode, e.Kind.Status(), "the kind fixes the status")
		require.NotEmpty(t, e.Message)
		require.NotEmpty(t, e.Reasons, "%s %s answered %d without a reason saying what to do: %s", c.method, c.path, res.StatusCode, out)
	}
	k.note(in.Route.Operation.OperationID, res.StatusCode)
	return out, res.Header
}

func (k *contract) note(op string, status int) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.seen[op] == nil {
		k.seen[op] = map[int]bool{}
	}
	k.seen[op][status] = true
}

func decode[T any](t *testing.T, b []byte) T {
	t.Helper()
	var v T
	require.NoError(t, json.Unmarshal(b, &v), "%s", b)
	return v
}
