package bot_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"testing"

	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/examples/releasebot/bot"
	"github.com/releasekit/releasekit/release/releasetest"
)

// FuzzLoadConfig: the configuration parser never panics, and what it accepts is
// valid and survives a JSON round trip.
func FuzzLoadConfig(f *testing.F) {
	for _, seed := range []string{
		`{"tokens": {"rui-0123456789abcdef": {"id": "rui", "roles": ["release-manager"], "kind": "person"}}}`,
		`{"tokens": {"ci-0123456789abcdefg": {"id": "ci", "kind": "automation"}, "sam-0123456789abcdef": {"id": "sam", "kind": "person"}}}`,
		`{"tokens": {}}`, `{}`, `[]`, `null`, `{"tokens": {"short": {"id": "", "kind": "robot"}}}`,
		`{"tokens": {"a-0123456789abcdefgh": {"id": "a", "kind": "person"}, "b-0123456789abcdefgh": {"id": "a", "kind": "person"}}}`,
		`{"tokens": {"rui-0123456789abcdef": {"id": "rui", "kind": "person", "role": ["x"]}}}`, `{"tokens": 1} {}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := bot.LoadConfig(bytes.NewReader(b))
		if err != nil {
			if c.Tokens != nil {
				t.Fatalf("an error with a configuration: %+v", c)
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("accepted an invalid configuration: %v", err)
		}
		raw, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := bot.LoadConfig(bytes.NewReader(raw)); err != nil {
			t.Fatalf("a re-encoded configuration does not load: %v", err)
		}
	})
}

// FuzzFireRequest: whatever body and If-Match a caller sends with an event, the bot
// answers with a documented status and a typed error body, never a server error.
func FuzzFireRequest(f *testing.F) {
	for _, seed := range []struct{ event, ifMatch, body string }{
		{"plan", "", ""}, {"plan", `"1"`, `{"reason": "sprint 12"}`}, {"schedule", "", `{"at": "2026-03-03T09:00:00Z"}`},
		{"approve", "1", `{"waivers": [{"gate": "checks", "reason": "flaky", "expires": "2026-03-04T00:00:00Z"}]}`},
		{"start", "*", `{"override": "CAB emergency"}`}, {"close", "W/\"9\"", `{"review": {"outcome": "ok"}}`},
		{"fail", "", `{"failed_components": ["checkout"]}`}, {"deploy", "", `{}`}, {"plan", "-1", `{"reason": 1}`},
		{"plan", "", `{"at": "yesterday"}`}, {"plan", "", "\x00"},
	} {
		f.Add(seed.event, seed.ifMatch, seed.body)
	}
	srv, err := bot.New(memory.New(), testConfig(), bot.WithClock(releasetest.NewClock(monday, 0)), bot.WithNotifier(nil))
	if err != nil {
		f.Fatal(err)
	}
	h := srv.Handler()
	rec := serve(h, "POST", "/releases", tokAna, []byte(`{"name": "checkout", "version": "1.0.0", "environment": "dev"}`))
	var v bot.ReleaseView
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		f.Fatal(err)
	}
	r := v.Release
	allowed := []int{http.StatusOK, http.StatusBadRequest, http.StatusForbidden, http.StatusNotFound, http.StatusConflict,
		http.StatusUnprocessableEntity, http.StatusRequestEntityTooLarge}
	f.Fuzz(func(t *testing.T, event, ifMatch, body string) {
		if !validHeaderValue(ifMatch) {
			return // a client cannot send it
		}
		rec := serve(h, "POST", "/releases/"+r.ID.String()+"/events/"+url.PathEscape(event), tokRui, []byte(body), "If-Match", ifMatch)
		if !slices.Contains(allowed, rec.Code) {
			t.Fatalf("event %q, If-Match %q, body %q: status %d %s", event, ifMatch, body, rec.Code, rec.Body.String())
		}
		if rec.Code != http.StatusOK {
			var e bot.APIError
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Kind.Status() != rec.Code {
				t.Fatalf("status %d with body %s", rec.Code, rec.Body.String())
			}
		}
	})
}

// validHeaderValue reports whether a client could send v as a header value: no
// control characters but tab (RFC 9110, section 5.5).
func validHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// FuzzBoardQuery: whatever query a browser sends to the board, it answers the page
// (200) or a 400 page, never a server error, and never echoes markup unescaped.
func FuzzBoardQuery(f *testing.F) {
	for _, seed := range []string{"", "weeks=2", "from=2026-12-14&weeks=3&environment=prod", "weeks=0", "weeks=13",
		"from=next%20week", "week=2", "environment=%3Cscript%3E", "weeks=%3Cb%3E", "from=2026-02-30", "from=0001-01-01&weeks=12",
		"from=9999-12-31&weeks=12", "%zz", "weeks=1&weeks=99"} {
		f.Add(seed)
	}
	srv, err := bot.New(memory.New(), testConfig(), bot.WithClock(releasetest.NewClock(monday, 0)), bot.WithNotifier(nil))
	if err != nil {
		f.Fatal(err)
	}
	h := srv.Handler()
	f.Fuzz(func(t *testing.T, query string) {
		req, err := http.NewRequest("GET", "/board", nil)
		if err != nil {
			t.Skip()
		}
		req.URL.RawQuery = query
		req.Header.Set("Authorization", "Bearer "+tokRui)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK && rec.Code != http.StatusBadRequest {
			t.Fatalf("?%s: %d %s", query, rec.Code, rec.Body.String())
		}
		if bytes.Contains(rec.Body.Bytes(), []byte("<script")) {
			t.Fatalf("?%s: markup echoed: %s", query, rec.Body.String())
		}
	})
}
