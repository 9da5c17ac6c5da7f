package jiratest_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/releasekit/releasekit/adapters/jira/jiratest"
)

type client struct {
	t   *testing.T
	srv *jiratest.Server
}

// call sends a request with the default credentials (auth false: none) and
// returns the status, the Retry-After header and the decoded JSON answer.
func (c client) call(method, path, body string, auth bool) (int, string, map[string]any) {
	c.t.Helper()
	req, _ := http.NewRequest(method, c.srv.URL+path, strings.NewReader(body))
	if auth {
		req.SetBasicAuth("bot@your-site.example", "api-token")
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return resp.StatusCode, resp.Header.Get("Retry-After"), out
}

func TestShapes(t *testing.T) {
	srv := jiratest.New()
	defer srv.Close()
	c := client{t, srv}
	adf := `{"type":"doc","version":1,"content":[{"type":"paragraph","content":[{"type":"text","text":"hi"}]}]}`
	steps := []struct {
		why          string
		method, path string
		body         string
		auth         bool
		status       int
		has          string // a key the answer must hold
	}{
		{"no credentials", "GET", "/rest/api/3/project/REL", "", false, 401, "errorMessages"},
		{"the project", "GET", "/rest/api/3/project/REL", "", true, 200, "id"},
		{"an unknown project", "GET", "/rest/api/2/project/NOPE/versions", "", true, 404, "errorMessages"},
		{"a v3 description must be ADF", "POST", "/rest/api/3/issue", `{"fields":{"project":{"key":"REL"},"issuetype":{"name":"Task"},"summary":"s","description":"text"}}`, true, 400, "errors"},
		{"an issue without summary", "POST", "/rest/api/2/issue", `{"fields":{"project":{"key":"REL"},"issuetype":{"name":"Task"}}}`, true, 400, "errors"},
		{"an issue", "POST", "/rest/api/3/issue", `{"fields":{"project":{"key":"REL"},"issuetype":{"name":"Task"},"summary":"s","labels":["a"],"description":` + adf + `}}`, true, 201, "key"},
		{"a v2 comment must be a string", "POST", "/rest/api/2/issue/REL-1/comment", `{"body":` + adf + `}`, true, 400, "errors"},
		{"a v3 comment", "POST", "/rest/api/3/issue/REL-1/comment", `{"body":` + adf + `}`, true, 201, "id"},
		{"comments are paged", "GET", "/rest/api/3/issue/REL-1/comment?startAt=0&maxResults=10", "", true, 200, "total"},
		{"a missing property", "GET", "/rest/api/3/issue/REL-1/properties/p", "", true, 404, "errorMessages"},
		{"a new property", "PUT", "/rest/api/3/issue/REL-1/properties/p", `{"a":1}`, true, 201, ""},
		{"an updated property", "PUT", "/rest/api/3/issue/REL-1/properties/p", `{"a":2}`, true, 200, ""},
		{"the property", "GET", "/rest/api/3/issue/REL-1/properties/p", "", true, 200, "value"},
		{"transitions", "GET", "/rest/api/3/issue/REL-1/transitions", "", true, 200, "transitions"},
		{"a transition not offered", "POST", "/rest/api/3/issue/REL-1/transitions", `{"transition":{"id":"71"}}`, true, 400, "errorMessages"},
		{"a transition", "POST", "/rest/api/3/issue/REL-1/transitions", `{"transition":{"id":"11"}}`, true, 204, ""},
		{"enhanced search", "POST", "/rest/api/3/search/jql", `{"jql":"project = REL AND labels = \"a\" ORDER BY created ASC"}`, true, 200, "isLast"},
		{"v2 search", "POST", "/rest/api/2/search", `{"jql":"project = \"REL\"","startAt":0}`, true, 200, "total"},
		{"JQL the server does not know", "POST", "/rest/api/3/search/jql", `{"jql":"status changed AFTER -1d"}`, true, 400, "errorMessages"},
		{"a version", "POST", "/rest/api/3/version", `{"name":"v1","projectId":10000}`, true, 201, "id"},
		{"the same version", "POST", "/rest/api/3/version", `{"name":"v1","projectId":10000}`, true, 400, "errors"},
		{"a bad release date", "PUT", "/rest/api/3/version/10102", `{"released":true,"releaseDate":"7/12/2026"}`, true, 400, "errors"},
		{"released", "PUT", "/rest/api/3/version/10102", `{"released":true,"releaseDate":"2026-12-07"}`, true, 200, "released"},
		{"not a service request", "GET", "/rest/servicedeskapi/request/REL-1/approval", "", true, 404, "errorMessages"},
	}
	for _, s := range steps {
		status, _, out := c.call(s.method, s.path, s.body, s.auth)
		if status != s.status {
			t.Errorf("%s: %s %s = %d %v, want %d", s.why, s.method, s.path, status, out, s.status)
		}
		if _, ok := out[s.has]; s.has != "" && !ok {
			t.Errorf("%s: the answer %v has no %q", s.why, out, s.has)
		}
	}
	if is := srv.Issues(); len(is) != 1 || is[0].Status != "Planned" || len(is[0].Comments) != 1 {
		t.Errorf("issues = %+v", is)
	}
	if vs := srv.Versions(); len(vs) != 1 || !vs[0].Released || vs[0].ReleaseDate != "2026-12-07" {
		t.Errorf("versions = %+v", vs)
	}
}

func TestFaults(t *testing.T) {
	srv := jiratest.New()
	defer srv.Close()
	c := client{t, srv}
	srv.Inject(jiratest.Fault{Method: "GET", Path: "/project", Status: 429, RetryAfter: "3", Times: 2})
	for range 2 {
		if status, ra, _ := c.call("GET", "/rest/api/3/project/REL", "", true); status != 429 || ra != "3" {
			t.Errorf("= %d Retry-After %q, want 429 and 3", status, ra)
		}
	}
	if status, _, _ := c.call("GET", "/rest/api/3/project/REL", "", true); status != 200 {
		t.Errorf("after the fault: %d", status)
	}
	srv.Inject(jiratest.Fault{Method: "POST", Path: "/version", Applied: true})
	if status, _, _ := c.call("POST", "/rest/api/3/version", `{"name":"v1","projectId":10000}`, true); status != 502 {
		t.Errorf("applied fault answered %d, want 502", status)
	}
	if len(srv.Versions()) != 1 {
		t.Errorf("the applied write is missing: %+v", srv.Versions())
	}
	srv.SetDown(true)
	if status, _, _ := c.call("GET", "/rest/api/3/project/REL", "", true); status != 503 {
		t.Errorf("down: %d", status)
	}
	srv.SetDown(false)

	srv.Inject(jiratest.Fault{Hang: true})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/rest/api/3/project/REL", nil)
	if _, err := http.DefaultClient.Do(req); err == nil {
		t.Error("a hanging request answered")
	}
	if srv.Move("REL-9", "Done") {
		t.Error("Move of an unknown issue reported true")
	}
}
