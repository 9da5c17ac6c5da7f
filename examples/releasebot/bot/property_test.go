package bot_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/examples/releasebot/bot"
	"github.com/releasekit/releasekit/gate"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/releasetest"
)

func serve(h http.Handler, method, path, token string, body []byte, headers ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// Every configured token authenticates as exactly its identity; nothing else does.
func TestPropertyTokensMapToTheirIdentity(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		ids := rapid.SliceOfNDistinct(rapid.StringMatching(`[a-z]{1,8}`), 1, 6, func(s string) string { return s }).Draw(t, "ids")
		cfg := bot.Config{Tokens: map[string]bot.Identity{}}
		for _, id := range ids {
			tok := rapid.StringMatching(`[A-Za-z0-9_-]{16,40}`).Draw(t, "token of "+id)
			if _, dup := cfg.Tokens[tok]; dup {
				continue
			}
			kind := rapid.SampledFrom(release.ActorKinds()).Draw(t, "kind")
			roles := rapid.SliceOfDistinct(rapid.SampledFrom([]string{"ci", "developer", "approver", "release-manager"}), func(s string) string { return s }).Draw(t, "roles")
			cfg.Tokens[tok] = bot.Identity{ID: id, Roles: roles, Kind: kind}
		}
		srv, err := bot.New(memory.New(), cfg, bot.WithNotifier(nil))
		require.NoError(t, err)
		h := srv.Handler()
		for tok, want := range cfg.Tokens {
			rec := serve(h, "GET", "/whoami", tok, nil)
			require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
			var got bot.Identity
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &got))
			if len(want.Roles) == 0 {
				want.Roles = nil // "roles" is omitted when empty
			}
			require.Equal(t, want, got)
		}
		guess := rapid.String().Draw(t, "guess")
		if _, ok := cfg.Tokens[strings.TrimSpace(guess)]; !ok {
			rec := serve(h, "GET", "/whoami", guess, nil)
			require.Equal(t, http.StatusUnauthorized, rec.Code, "guess %q", guess)
		}
	})
}

// Random events by random people through the API: every answer has a documented
// status and kind, a refused request changes nothing, a committed one moves the
// revision on, and the history always verifies.
func TestPropertyRefusalsChangeNothing(t *testing.T) {
	tokens := []string{tokAna, tokRui, tokSam, tokLea, tokCI}
	allowed := []int{http.StatusOK, http.StatusBadRequest, http.StatusForbidden, http.StatusConflict, http.StatusUnprocessableEntity}
	rapid.Check(t, func(t *rapid.T) {
		clock := releasetest.NewClock(monday, 0)
		srv, err := bot.New(memory.New(), testConfig(), bot.WithClock(clock), bot.WithNotifier(nil))
		require.NoError(t, err)
		h := srv.Handler()
		env := rapid.SampledFrom([]string{"dev", "staging", "prod"}).Draw(t, "env")
		rec := serve(h, "POST", "/releases", tokAna, []byte(`{"name": "checkout", "version": "1.0.0", "environment": "`+env+`", "components": [{"name": "checkout", "version": "1.0.0", "previous_version": "0.9.0"}]}`))
		require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
		var created bot.ReleaseView
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &created))
		r := created.Release
		base := "/releases/" + r.ID.String()
		get := func() bot.Release {
			var v bot.ReleaseView
			require.NoError(t, json.Unmarshal(serve(h, "GET", base, tokAna, nil).Body.Bytes(), &v))
			return v.Release
		}
		// A short random walk of actions, the invariant checked after each (rapid's
		// T.Repeat walks about 30 steps: too slow under the race detector here).
		actions := map[string]func(*rapid.T){
			"fire": func(t *rapid.T) {
				before := get()
				ev := rapid.SampledFrom(release.Events()).Draw(t, "event")
				tok := rapid.SampledFrom(tokens).Draw(t, "who")
				var hdr []string
				if rapid.Bool().Draw(t, "if-match") {
					hdr = []string{"If-Match", fmt.Sprint(before.Revision - rapid.Int64Range(0, 1).Draw(t, "stale"))}
				}
				rec := serve(h, "POST", base+"/events/"+string(ev), tok, nil, hdr...)
				require.True(t, slices.Contains(allowed, rec.Code), "%s: %d %s", ev, rec.Code, rec.Body.String())
				after := get()
				if rec.Code == http.StatusOK {
					require.Greater(t, after.Revision, before.Revision)
				} else {
					var e bot.APIError
					require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &e))
					require.Equal(t, e.Kind.Status(), rec.Code)
					require.NotEmpty(t, e.Message)
					if (ev == release.EventApprove || ev == release.EventStart) && rec.Code == http.StatusUnprocessableEntity && after.Revision == before.Revision+1 {
						// A No-Go or a refused start is history: one decision entry, the
						// release as it was.
						var hr bot.HistoryResponse
						require.NoError(t, json.Unmarshal(serve(h, "GET", base+"/history", tokRui, nil).Body.Bytes(), &hr))
						require.Equal(t, release.EventDecision, hr.Entries[len(hr.Entries)-1].Event)
						before.Revision, before.Head, before.UpdatedAt = after.Revision, after.Head, after.UpdatedAt
					}
					require.Equal(t, before, after, "a refused %s changed the release", ev)
				}
			},
			"check": func(t *rapid.T) {
				body := fmt.Sprintf(`{"name": %q, "status": %q}`, rapid.SampledFrom([]string{"build", "e2e"}).Draw(t, "check"),
					rapid.SampledFrom(gate.CheckStatuses()).Draw(t, "status"))
				rec := serve(h, "POST", base+"/checks", tokCI, []byte(body))
				require.True(t, rec.Code == http.StatusOK || rec.Code == http.StatusUnprocessableEntity && get().State.Terminal(), "%d %s", rec.Code, rec.Body.String())
			},
			"approval": func(t *rapid.T) {
				rec := serve(h, "POST", base+"/approvals", rapid.SampledFrom(tokens).Draw(t, "who"), nil)
				require.True(t, slices.Contains([]int{http.StatusCreated, http.StatusForbidden, http.StatusUnprocessableEntity}, rec.Code), rec.Body.String())
			},
			"time passes": func(t *rapid.T) {
				clock.Advance(time.Duration(rapid.SampledFrom([]int{15, 60, 6 * 60, 24 * 60}).Draw(t, "minutes")) * time.Minute)
			},
		}
		invariant := func() {
			var hr bot.HistoryResponse
			require.NoError(t, json.Unmarshal(serve(h, "GET", base+"/history", tokRui, nil).Body.Bytes(), &hr))
			require.True(t, hr.Verified, hr.Problem)
			require.Equal(t, get().Revision, int64(len(hr.Entries)))
		}
		names := []string{"fire", "fire", "fire", "check", "approval", "time passes"}
		for range rapid.IntRange(1, 12).Draw(t, "steps") {
			actions[rapid.SampledFrom(names).Draw(t, "action")](t)
			invariant()
		}
	})
}
