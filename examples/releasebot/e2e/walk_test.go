package e2e_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/examples/releasebot/bot"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/faultstore"
)

func init() {
	// The bot's pages, calendar and report are text: validate them as strings.
	for _, ct := range []string{"text/html", "text/calendar", "text/markdown"} {
		openapi3filter.RegisterBodyDecoder(ct, openapi3filter.PlainBodyDecoder)
	}
}

// TestContract walks every route of the bot through the validator: the successes,
// each error the route gives, and the malformed requests, which the description
// must reject as the bot does. Every answer must be one the description allows.
func TestContract(t *testing.T) {
	k := newContract(t, memory.New(), config())
	ok := func(method, path, token, body string, want int, headers ...string) ([]byte, http.Header) {
		t.Helper()
		return k.do(call{method: method, path: path, token: token, body: body, headers: headers, conforms: true, want: want})
	}
	bad := func(method, path, token, body string, want int, headers ...string) ([]byte, http.Header) {
		t.Helper()
		return k.do(call{method: method, path: path, token: token, body: body, headers: headers, conforms: false, want: want})
	}
	// A body over the limit that follows the description otherwise.
	x := strings.Repeat("x", bot.MaxBodyBytes)
	missing := "/releases/0190b3c4-5f6e-7a8b-9c0d-1e2f3a4b5c6d"

	ok("GET", "/healthz", "", "", 200)
	ok("GET", "/openapi.json", "", "", 200)
	ok("GET", "/whoami", tokAna, "", 200)
	bad("GET", "/whoami", "", "", 401)

	// Create.
	createBody := `{"name": "checkout", "version": "2.4.0", "environment": "dev", "duration": "45m",
		"components": [{"name": "checkout", "version": "2.4.0", "previous_version": "2.3.1"}], "labels": {"team": "payments"}}`
	b, h := ok("POST", "/releases", tokAna, createBody, 201, "Idempotency-Key", "create-checkout")
	v := decode[bot.ReleaseView](t, b)
	id := v.Release.ID.String()
	rel := "/releases/" + id
	assert.Equal(t, rel, h.Get("Location"))
	assert.Equal(t, `"1"`, h.Get("ETag"))
	ok("POST", "/releases", tokAna, createBody, 201, "Idempotency-Key", "create-checkout")
	ok("POST", "/releases", tokAna, `{"name": "checkout", "version": "2.4.1", "environment": "staging"}`, 422, "Idempotency-Key", "create-checkout")
	bad("POST", "/releases", tokAna, `{"name": "x",`, 400)
	bad("POST", "/releases", tokAna, `{"name": "x", "verison": "1", "version": "1", "environment": "dev"}`, 400)
	bad("POST", "/releases", tokAna, `{"name": "x", "version": "1", "environment": "dev", "duration": 2700000000000}`, 400)
	bad("POST", "/releases", tokAna, `{"name": "x", "version": "1", "environment": "dev", "duration": "soon"}`, 400)
	bad("POST", "/releases", tokAna, `{"class": "urgent"}`, 400)
	ok("POST", "/releases", tokAna, `{"name": "x", "version": "1", "environment": "dev", "duration": "0s"}`, 400)
	ok("POST", "/releases", tokAna, `{"name": "x", "version": "1", "environment": "dev", "needs": [{"name": "payments", "version": ">= nonsense"}]}`, 400)
	ok("POST", "/releases", tokAna, `{"name": "`+x+`", "version": "1", "environment": "dev"}`, 413)
	bad("POST", "/releases", "", createBody, 401)
	bad("POST", "/releases", tokAna, createBody, 400, "Idempotency-Key", strings.Repeat("k", 300))

	// Read and list.
	_, h = ok("GET", rel, tokRui, "", 200)
	ok("GET", rel, tokRui, "", 304, "If-None-Match", h.Get("ETag"))
	ok("GET", "/releases/42", tokRui, "", 400)
	ok("GET", missing, tokRui, "", 404)
	ok("GET", rel+"/history", tokRui, "", 200)
	ok("GET", rel+"/history", tokRui, "", 304, "If-None-Match", h.Get("ETag"))
	ok("GET", missing+"/history", tokRui, "", 404)
	ok("GET", "/releases/42/history", tokRui, "", 400)
	ok("GET", "/releases?environment=dev&state=draft,planned&label=team=payments&limit=10", tokRui, "", 200)
	ok("GET", "/releases?state=shipped", tokRui, "", 400)
	bad("GET", "/releases?limit=0", tokRui, "", 400)

	// Fire: plan and schedule; the errors of the route.
	ok("POST", rel+"/events/plan", tokAna, `{"reason": "sprint 12"}`, 200, "If-Match", `"1"`, "Idempotency-Key", "plan-checkout")
	ok("POST", rel+"/events/plan", tokAna, `{"reason": "sprint 12"}`, 200, "If-Match", `"1"`, "Idempotency-Key", "plan-checkout")
	ok("POST", rel+"/events/schedule", tokAna, "", 200)
	ok("POST", rel+"/events/deploy", tokAna, "", 400)
	ok("POST", rel+"/events/start", tokCI, "", 422)
	ok("POST", rel+"/events/approve", tokRui, "", 409, "If-Match", `"1"`)
	ok("POST", rel+"/events/cancel", tokSam, "", 403)
	ok("POST", missing+"/events/plan", tokAna, "", 404)
	bad("POST", rel+"/events/approve", tokRui, `{"reason": 7}`, 400)
	bad("POST", rel+"/events/approve", tokRui, `{"waivers": [{"gate": "checks"}]}`, 400)
	ok("POST", rel+"/events/approve", tokRui, `{"reason": "`+x+`"}`, 413)
	ok("POST", rel+"/events/approve", tokRui, "", 400, "If-Match", "abc")

	// Evidence: checks, approvals, waivers.
	ok("POST", rel+"/checks", tokCI, `{"name": "build", "status": "success", "url": "https://ci.example/1"}`, 200, "Idempotency-Key", "check-build")
	ok("POST", rel+"/checks", tokCI, `{"name": "build", "status": "failure"}`, 422, "Idempotency-Key", "check-build")
	ok("POST", rel+"/checks", tokRui, `{"name": "e2e", "status": "success"}`, 403)
	ok("POST", missing+"/checks", tokCI, `{"name": "e2e", "status": "success"}`, 404)
	ok("POST", rel+"/checks", tokCI, `{"name": "e2e", "status": "success"}`, 409, "If-Match", `"2"`)
	bad("POST", rel+"/checks", tokCI, `{"name": "e2e", "status": "green"}`, 400)
	ok("POST", rel+"/checks", tokCI, `{"name": "`+x+`", "status": "success"}`, 413)
	ok("POST", rel+"/checks", tokCI, `{"name": "e2e", "status": "success", "source": "github", "external_id": "run-7"}`, 200)

	ok("POST", rel+"/approvals", tokSam, `{"reason": "reviewed the migration"}`, 201, "Idempotency-Key", "sam-approves")
	ok("POST", rel+"/approvals", tokSam, `{"decision": "reject", "reason": "changed my mind"}`, 422, "Idempotency-Key", "sam-approves")
	ok("POST", rel+"/approvals", tokAna, "", 403)
	ok("POST", missing+"/approvals", tokSam, "", 404)
	ok("POST", rel+"/approvals", tokLea, "", 409, "If-Match", `"2"`)
	bad("POST", rel+"/approvals", tokLea, `{"decision": "maybe"}`, 400)
	ok("POST", rel+"/approvals", tokLea, `{"reason": "`+x+`"}`, 413)
	ok("POST", rel+"/approvals", tokLea, `{"decision": "reject"}`, 400)

	waiver := `{"gate": "checks", "reason": "flaky e2e, INC-42", "expires": "2026-04-01T00:00:00Z"}`
	ok("POST", rel+"/waivers", tokRui, waiver, 201, "Idempotency-Key", "rui-waives")
	ok("POST", rel+"/waivers", tokRui, `{"gate": "checks", "reason": "other", "expires": "2026-04-01T00:00:00Z"}`, 422, "Idempotency-Key", "rui-waives")
	ok("POST", rel+"/waivers", tokAna, waiver, 403)
	ok("POST", missing+"/waivers", tokRui, waiver, 404)
	ok("POST", rel+"/waivers", tokRui, waiver, 409, "If-Match", `"2"`)
	bad("POST", rel+"/waivers", tokRui, `{"gate": "checks"}`, 400)
	ok("POST", rel+"/waivers", tokRui, `{"gate": "checks", "reason": "`+x+`", "expires": "2026-04-01T00:00:00Z"}`, 413)

	// Approve (the decision in the answer), start in the slot, complete, verify.
	b, _ = ok("POST", rel+"/events/approve", tokRui, `{"reason": "CAB reviewed"}`, 200)
	fr := decode[bot.FireResponse](t, b)
	require.NotNil(t, fr.Decision)
	require.True(t, fr.Decision.Go)
	require.NoError(t, fr.Decision.Gate().Verify())
	require.NotNil(t, fr.Release.Slot)
	k.clock.Set(fr.Release.Slot.Start)
	ok("POST", rel+"/events/start", tokCI, "", 200)
	ok("POST", rel+"/events/complete", tokCI, "", 200)
	b, _ = ok("POST", rel+"/events/verify", tokCI, "", 200)
	assert.Equal(t, release.StateVerified, decode[bot.FireResponse](t, b).Release.State)

	// Promote to prod.
	b, h = ok("POST", rel+"/promote", tokAna, `{"environment": "staging", "reason": "green in dev"}`, 201, "Idempotency-Key", "promote-checkout")
	prod := decode[bot.ReleaseView](t, b)
	assert.Equal(t, "/releases/"+prod.Release.ID.String(), h.Get("Location"))
	assert.Equal(t, v.Release.ID, prod.Release.Predecessor)
	ok("POST", rel+"/promote", tokAna, `{"environment": "staging", "reason": "again"}`, 422, "Idempotency-Key", "promote-checkout")
	ok("POST", rel+"/promote", tokAna, `{"environment": "staging"}`, 409)
	ok("POST", rel+"/promote", tokAna, `{"environment": "qa"}`, 400)
	ok("POST", rel+"/promote", tokSam, `{"environment": "staging"}`, 403)
	ok("POST", missing+"/promote", tokAna, `{"environment": "staging"}`, 404)
	bad("POST", rel+"/promote", tokAna, `{}`, 400)
	ok("POST", rel+"/promote", tokAna, `{"environment": "`+x+`"}`, 413)
	dev := decode[bot.ReleaseView](t, first(ok("POST", "/releases", tokAna, `{"name": "search", "version": "1.0.0", "environment": "dev"}`, 201)))
	ok("POST", "/releases/"+dev.Release.ID.String()+"/promote", tokAna, `{"environment": "staging"}`, 422)
	ok("GET", "/report?environment=dev", tokRui, "", 200)

	// Lockdowns: declare (release managers), list, lift; the errors of each route.
	b, h = ok("POST", "/lockdowns", tokRui, `{"reason": "incident 42", "environments": ["qa"]}`, 201, "Idempotency-Key", "inc-42")
	ld := decode[bot.LockdownResponse](t, b)
	b, _ = ok("POST", "/lockdowns", tokRui, `{"reason": "incident 42", "environments": ["qa"]}`, 201, "Idempotency-Key", "inc-42")
	require.Equal(t, ld.Lockdown.ID, decode[bot.LockdownResponse](t, b).Lockdown.ID, "a retried declaration declares nothing new")
	ok("POST", "/lockdowns", tokRui, `{"reason": "incident 43"}`, 422, "Idempotency-Key", "inc-42")
	lift := "/lockdowns/" + ld.Lockdown.ID.String() + "/lift"
	assert.Equal(t, "/lockdowns/"+ld.Lockdown.ID.String(), h.Get("Location"))
	ok("POST", "/lockdowns", tokRui, `{"kind": "freeze", "reason": "quarter close", "environments": ["qa"], "allow_classes": ["emergency"], "until": "2026-04-01T00:00:00Z"}`, 201)
	ok("POST", "/lockdowns", tokAna, `{"reason": "not mine to declare"}`, 403)
	ok("POST", "/lockdowns", tokRui, `{"reason": " "}`, 400)
	ok("POST", "/lockdowns", tokRui, `{"reason": "r", "allow_classes": ["emergency"]}`, 400)
	bad("POST", "/lockdowns", tokRui, `{"reason": 7}`, 400)
	bad("POST", "/lockdowns", tokRui, `{"kind": "pause", "reason": "r"}`, 400)
	bad("POST", "/lockdowns", tokRui, `{"reason": "r", "scope": "all"}`, 400)
	ok("POST", "/lockdowns", tokRui, `{"reason": "`+x+`"}`, 413)
	b, _ = ok("GET", "/lockdowns", tokAna, "", 200)
	assert.Len(t, decode[[]release.Lockdown](t, b), 2)
	ok("POST", lift, tokAna, `{"reason": "over"}`, 403)
	ok("POST", lift, tokRui, `{"reason": " "}`, 400)
	bad("POST", lift, tokRui, `{}`, 400)
	ok("POST", lift, tokRui, `{"reason": "`+x+`"}`, 413)
	ok("POST", lift, tokRui, `{"reason": "root cause fixed"}`, 200, "Idempotency-Key", "lift-42")
	ok("POST", lift, tokRui, `{"reason": "root cause fixed"}`, 200, "Idempotency-Key", "lift-42")
	ok("POST", lift, tokRui, `{"reason": "again"}`, 409)
	ok("POST", "/lockdowns/0190b3c4-5f6e-7a8b-9c0d-1e2f3a4b5c6d/lift", tokRui, `{"reason": "over"}`, 404)
	ok("POST", "/lockdowns/42/lift", tokRui, `{"reason": "over"}`, 400)

	// Calendar and report.
	ok("GET", "/calendar.ics?from=2026-03-01T00:00:00Z&to=2026-04-01T00:00:00Z", tokRui, "", 200)
	ok("GET", "/calendar.ics?from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z", tokRui, "", 400)
	ok("GET", "/report?environment=staging", tokRui, "", 200)
	ok("GET", "/report?from=2026-03-02T00:00:00Z&to=2026-03-02T00:00:00Z", tokRui, "", 400)
	ok("GET", "/calendar.ics?from=0001-01-01T00:00:00Z&to=9999-12-31T00:00:00Z", tokRui, "", 400)
	ok("GET", "/report?format=html", tokRui, "", 400)
	ok("GET", "/releases?foo=bar", tokRui, "", 400)

	// The CI receivers: deliveries without their signature or token; a signed one for
	// a commit no release carries, one for a release's commit, and its redelivery.
	for _, src := range []string{"github", "gitlab", "jenkins", "generic"} {
		ok("POST", "/ci/"+src, "", `{}`, 401)
	}
	commit := strings.Repeat("c", 40)
	ok("POST", "/releases", tokAna, `{"name": "ledger", "version": "1.0.0", "environment": "dev", "labels": {"commit": "`+commit+`"}}`, 201)
	for _, d := range []struct {
		body string
		want int
	}{
		{`{"delivery": "d-1", "name": "build", "status": "success", "commit": "` + strings.Repeat("a", 40) + `"}`, 202},
		{`{"delivery": "d-2", "name": "build", "status": "success", "commit": "` + commit + `"}`, 200},
		{`{"delivery": "d-2", "name": "build", "status": "success", "commit": "` + commit + `"}`, 409},
	} {
		mac := hmac.New(sha256.New, []byte(hookGeneric))
		mac.Write([]byte(d.body))
		ok("POST", "/ci/generic", "", d.body, d.want, "X-Releasekit-Signature", "sha256="+hex.EncodeToString(mac.Sum(nil)), "Idempotency-Key", "delivery")
	}

	// Every route that takes a token, without one.
	for _, c := range [][2]string{{"GET", "/releases"}, {"GET", rel}, {"GET", rel + "/history"}, {"POST", rel + "/events/plan"},
		{"POST", rel + "/promote"}, {"POST", rel + "/checks"}, {"POST", rel + "/approvals"}, {"POST", rel + "/waivers"},
		{"GET", "/calendar.ics"}, {"GET", "/report"}, {"POST", "/lockdowns"}, {"GET", "/lockdowns"}, {"POST", "/lockdowns/" + id + "/lift"}} {
		bad(c[0], c[1], "", "", 401)
	}

	// The board.
	ok("GET", "/board?weeks=2", tokRui, "", 200)
	bad("GET", "/board", "", "", 303)
	bad("GET", "/board/releases/"+id, "", "", 303)
	bad("GET", "/board?weeks=0", tokRui, "", 400)
	bad("GET", "/board?weeks=many", tokRui, "", 400)
	ok("GET", "/board?week=2", tokRui, "", 400)
	ok("GET", "/board/releases/"+id, tokRui, "", 200)
	ok("GET", "/board/releases/42", tokRui, "", 400)
	ok("GET", "/board"+missing, tokRui, "", 404)
	ok("GET", "/board/login", "", "", 200)
	form := func(v url.Values, want int) {
		t.Helper()
		ok("POST", "/board/login", "", v.Encode(), want, "Content-Type", "application/x-www-form-urlencoded", "Idempotency-Key", "sign-in")
	}
	form(url.Values{"token": {tokRui}}, 303)
	form(url.Values{"token": {""}}, 400)
	form(url.Values{"token": {"nobody-0123456789abcdef"}}, 401)

	// Methods and routes that do not exist.
	for _, c := range [][2]string{{"DELETE", "/releases"}, {"PUT", rel}, {"GET", rel + "/events/plan"}, {"POST", "/healthz"}, {"GET", "/ci/generic"}, {"DELETE", "/board"}, {"PUT", "/lockdowns"}} {
		_, h := bad(c[0], c[1], tokRui, "", 405)
		assert.NotEmpty(t, h.Get("Allow"), "%s %s", c[0], c[1])
	}
	bad("GET", "/nope", tokRui, "", 404)

	// A store that fails: 500 internal on every route that reads it (503 from
	// /healthz), in the described shape, without the store's error text.
	fs, err := faultstore.New(memory.New())
	require.NoError(t, err)
	cfg := config()
	cfg.Webhooks = nil // the receivers need a store that keeps idempotency keys
	kf := newContract(t, fs, cfg)
	kf.seen = k.seen // one coverage for both
	b, _ = kf.do(call{method: "POST", path: "/releases", token: tokAna, body: `{"name": "x", "version": "1", "environment": "dev"}`, conforms: true, want: 201})
	frel := "/releases/" + decode[bot.ReleaseView](t, b).Release.ID.String()
	var faults []faultstore.Fault
	for _, op := range []faultstore.Op{faultstore.OpCreate, faultstore.OpGet, faultstore.OpList, faultstore.OpHistory, faultstore.OpUpdate, faultstore.OpBookings} {
		faults = append(faults, faultstore.Fault{Op: op, Probability: 1})
	}
	require.NoError(t, fs.Injector().SetFaults(faults...))
	for _, c := range []struct{ method, path, token, body string }{
		{"POST", "/releases", tokAna, `{"name": "y", "version": "1", "environment": "dev"}`},
		{"GET", "/releases", tokRui, ""}, {"GET", frel, tokRui, ""}, {"GET", frel + "/history", tokRui, ""},
		{"POST", frel + "/events/plan", tokAna, ""}, {"POST", frel + "/promote", tokAna, `{"environment": "staging"}`},
		{"POST", frel + "/checks", tokCI, `{"name": "build", "status": "success"}`}, {"POST", frel + "/approvals", tokRui, ""},
		{"POST", frel + "/waivers", tokRui, `{"gate": "checks", "reason": "r", "expires": "2026-04-01T00:00:00Z"}`},
		{"GET", "/report", tokRui, ""}, {"GET", "/calendar.ics", tokRui, ""}, {"GET", "/board", tokRui, ""}, {"GET", "/board" + frel, tokRui, ""},
	} {
		b, _ := kf.do(call{method: c.method, path: c.path, token: c.token, body: c.body, conforms: true, want: 500})
		assert.NotContains(t, string(b), "injected", "%s %s: the answer does not leak the store's error", c.method, c.path)
	}
	kf.do(call{method: "GET", path: "/healthz", conforms: true, want: 503})

	k.coverage(t)
}

func first(b []byte, _ http.Header) []byte { return b }

// coverage fails unless every operation of the description was called and every
// status the description declares was given by some route; it logs the statuses an
// operation declares that the walk did not provoke on it.
func (k *contract) coverage(t *testing.T) {
	t.Helper()
	declared := map[int]bool{}
	for path, item := range k.doc.Paths.Map() {
		for method, op := range item.Operations() {
			if len(k.seen[op.OperationID]) == 0 {
				t.Errorf("%s %s (%s) was never called", method, path, op.OperationID)
			}
			var missing []string
			for code := range op.Responses.Map() {
				n, err := strconv.Atoi(code)
				require.NoError(t, err)
				declared[n] = true
				if !k.seen[op.OperationID][n] && n != http.StatusMethodNotAllowed {
					missing = append(missing, code)
				}
			}
			sort.Strings(missing)
			if len(missing) > 0 {
				t.Logf("%s %s: declared but not provoked here: %s", method, path, strings.Join(missing, ", "))
			}
		}
	}
	all := map[int]bool{}
	for _, st := range k.seen {
		for n := range st {
			all[n] = true
		}
	}
	for n := range declared {
		if !all[n] {
			t.Errorf("status %d is declared but no route gave it", n)
		}
	}
}
