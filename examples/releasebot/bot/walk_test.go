package bot_test

import (
	"bytes"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/calendar"
	"github.com/releasekit/releasekit/examples/releasebot/bot"
	"github.com/releasekit/releasekit/gate"
	"github.com/releasekit/releasekit/release"
)

func containsAll(t *testing.T, reasons []string, parts ...string) {
	t.Helper()
	joined := strings.Join(reasons, "\n")
	for _, p := range parts {
		assert.Contains(t, joined, p, "reasons %q lack %q", reasons, p)
	}
}

// TestWalkThroughTheAPI drives one prod release through the HTTP API the way CI and
// people would: every refusal answers with its kind, status and reasons.
func TestWalkThroughTheAPI(t *testing.T) {
	f := newFixture(t)
	r := f.create(t, "checkout", "2.4.0", "prod")
	assert.Equal(t, "ana", r.Author, "the caller is the author")
	assert.Equal(t, release.StateDraft, r.State)

	planned := f.fire(t, r.ID, release.EventPlan, tokAna, map[string]string{"reason": "sprint 12"})
	require.NotNil(t, planned.Release.Risk, "plan assesses the risk")
	require.Len(t, planned.Entries, 1)
	assert.Equal(t, "sprint 12", planned.Entries[0].Reason)

	sched := f.fire(t, r.ID, release.EventSchedule, tokAna, nil)
	tue10 := time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC)
	require.NotNil(t, sched.Release.Slot)
	assert.True(t, sched.Release.Slot.Start.Equal(tue10), "slot %v, want the train's first opening %v", sched.Release.Slot.Start, tue10)
	rev := sched.Release.Revision
	require.Equal(t, int64(3), rev)

	// CI posts: build passed, e2e failed.
	f.check(t, r.ID, "build", "success")
	f.check(t, r.ID, "e2e", "failure")

	// The release manager approves: the gates say No-Go, with the failing check.
	res := f.call(t, "POST", "/releases/"+r.ID.String()+"/events/approve", tokRui, nil)
	require.Equal(t, http.StatusUnprocessableEntity, res.status, "%s", res.body)
	e := res.apiError(t)
	assert.Equal(t, bot.KindRefused, e.Kind)
	containsAll(t, e.Reasons, "gates:", `"e2e" is failure`)

	// The author may not approve: separation of duties, on both routes.
	res = f.call(t, "POST", "/releases/"+r.ID.String()+"/events/approve", tokAna, nil)
	require.Equal(t, http.StatusForbidden, res.status, "%s", res.body)
	e = res.apiError(t)
	assert.Equal(t, bot.KindForbidden, e.Kind)
	containsAll(t, e.Reasons, "separation-of-duties")
	res = f.call(t, "POST", "/releases/"+r.ID.String()+"/approvals", tokAna, nil)
	require.Equal(t, http.StatusForbidden, res.status, "%s", res.body)
	containsAll(t, res.apiError(t).Reasons, "separation-of-duties")
	// An automation may not approve either.
	res = f.call(t, "POST", "/releases/"+r.ID.String()+"/approvals", tokCI, nil)
	require.Equal(t, http.StatusForbidden, res.status, "%s", res.body)

	// The refused approve is in the history, as a decision that left the state; the
	// change advisory board and security record their approvals of the scope, each
	// at the revision it read (every record is an entry).
	etag := f.call(t, "GET", "/releases/"+r.ID.String(), tokSam, nil).header.Get("ETag")
	require.Equal(t, `"6"`, etag, "two checks and a No-Go after revision 3")
	for _, tok := range []string{tokSam, tokLea} {
		res = f.call(t, "POST", "/releases/"+r.ID.String()+"/approvals", tok, map[string]string{"reason": "reviewed"}, "If-Match", etag)
		require.Equal(t, http.StatusCreated, res.status, "%s", res.body)
		etag = res.header.Get("ETag")
	}
	var ev bot.EvidenceResponse
	res.decode(t, &ev)
	require.Len(t, ev.Evidence.Approvals, 2)
	assert.Equal(t, sched.Release.Scope, ev.Evidence.Approvals[1].Scope, "approvals are pinned to the scope")
	assert.Equal(t, "lea", ev.Evidence.Approvals[1].By.ID)

	// CI reruns e2e: green.
	f.check(t, r.ID, "e2e", "success")
	etag = f.call(t, "GET", "/releases/"+r.ID.String(), tokRui, nil).header.Get("ETag")

	// A stale revision is a conflict, and nothing changes.
	res = f.call(t, "POST", "/releases/"+r.ID.String()+"/events/approve", tokRui, nil, "If-Match", `"2"`)
	require.Equal(t, http.StatusConflict, res.status, "%s", res.body)
	assert.Equal(t, bot.KindConflict, res.apiError(t).Kind)
	res = f.call(t, "POST", "/releases/"+r.ID.String()+"/approvals", tokSam, nil, "If-Match", "2")
	require.Equal(t, http.StatusConflict, res.status, "%s", res.body)

	// Approve at the revision the release manager saw: Go, with the decision.
	got := f.fire(t, r.ID, release.EventApprove, tokRui, map[string]string{"reason": "CAB reviewed"}, "If-Match", etag)
	assert.Equal(t, release.StateApproved, got.Release.State)
	require.NotNil(t, got.Decision, "approve answers with the decision")
	assert.True(t, got.Decision.Go)
	require.NoError(t, got.Decision.Gate().Verify(), "the decision travels with its durations as strings and still verifies")
	approvers := []string{}
	for _, a := range got.Decision.Input.Approvals {
		approvers = append(approvers, a.Actor)
	}
	assert.ElementsMatch(t, []string{"sam", "lea", "rui"}, approvers)
	containsAll(t, got.Reasons, "checks: pass")
	assert.Equal(t, `"10"`, f.call(t, "GET", "/releases/"+r.ID.String(), tokAna, nil).header.Get("ETag"))

	// Start at the slot: prod needs the version verified in staging first.
	f.clock.Set(tue10.Add(5 * time.Minute))
	res = f.call(t, "POST", "/releases/"+r.ID.String()+"/events/start", tokCI, nil)
	require.Equal(t, http.StatusUnprocessableEntity, res.status, "%s", res.body)
	containsAll(t, res.apiError(t).Reasons, "staging")

	// The history verifies and tells the story.
	res = f.call(t, "GET", "/releases/"+r.ID.String()+"/history", tokRui, nil)
	require.Equal(t, http.StatusOK, res.status)
	var h bot.HistoryResponse
	res.decode(t, &h)
	assert.True(t, h.Verified, h.Problem)
	var events []release.Event
	records := map[release.Event]int{}
	for _, e := range h.Entries {
		if e.From == e.To && e.Event != release.EventCreate {
			records[e.Event]++
			continue
		}
		events = append(events, e.Event)
	}
	assert.Equal(t, []release.Event{release.EventCreate, release.EventPlan, release.EventSchedule, release.EventApprove}, events)
	assert.Equal(t, map[release.Event]int{release.EventRecord: 5, release.EventDecision: 2}, records,
		"three check results, two approvals, the No-Go and the refused start are history too")
	last := h.Entries[len(h.Entries)-1]
	event, refusals, ok := last.Refused()
	require.True(t, ok, "the last entry is the refused start")
	assert.Equal(t, release.EventStart, event)
	require.Len(t, refusals, 1)
	assert.Equal(t, "pipeline", refusals[0].Guard)
	// The board's history says what each decision refused, and why.
	res = f.call(t, "GET", "/board/releases/"+r.ID.String(), tokRui, nil)
	require.Equal(t, http.StatusOK, res.status, "%s", res.body)
	page := string(res.body)
	assert.Equal(t, 2, strings.Count(page, `data-event="decision"`))
	assert.Contains(t, page, `<span class="refusal">approve refused by gates: No-Go: `)
	assert.Contains(t, page, `<span class="refusal">start refused by pipeline: checkout 2.4.0 has not been verified in staging`)

	// The calendar: rules and the booked slot, readable by any iCalendar client.
	res = f.call(t, "GET", "/calendar.ics", tokSam, nil)
	require.Equal(t, http.StatusOK, res.status, "%s", res.body)
	assert.Contains(t, res.header.Get("Content-Type"), "text/calendar")
	assert.Contains(t, string(res.body), sched.Release.Slot.Booking, "the booked slot is exported")
	rules, err := calendar.ReadICS(bytes.NewReader(res.body))
	require.NoError(t, err)
	var names []string
	for _, rl := range rules {
		names = append(names, rl.Name)
	}
	for _, want := range []string{"prod release train", "staging hours", "year-end freeze"} {
		assert.True(t, slices.Contains(names, want), "rules %v lack %q", names, want)
	}

	// The report: the release, its slot, the gate decision, and the audit.
	res = f.call(t, "GET", "/report?from=2026-03-01T00:00:00Z&to=2026-04-01T00:00:00Z&environment=prod", tokRui, nil)
	require.Equal(t, http.StatusOK, res.status, "%s", res.body)
	assert.Contains(t, res.header.Get("Content-Type"), "text/markdown")
	for _, want := range []string{"Release report (releasebot)", "checkout", "2.4.0", "gantt", "checks"} {
		assert.Contains(t, string(res.body), want)
	}
}

// TestWaiver: a release manager waives the failed checks gate with a reason and an
// expiry; the decision records the waiver in the waiver's own name.
func TestWaiver(t *testing.T) {
	f := newFixture(t)
	r := f.create(t, "search", "1.2.0", "prod")
	f.fire(t, r.ID, release.EventPlan, tokAna, nil)
	f.fire(t, r.ID, release.EventSchedule, tokAna, nil)
	f.check(t, r.ID, "build", "success")
	f.check(t, r.ID, "e2e", "failure")

	body := map[string]any{"waivers": []map[string]any{{"gate": "checks", "reason": "flaky e2e, INC-42", "expires": monday.Add(24 * time.Hour)}}}
	// The release manager (a waiver role) waives and approves in one request.
	res := f.call(t, "POST", "/releases/"+r.ID.String()+"/events/approve", tokRui, body)
	require.Equal(t, http.StatusOK, res.status, "%s", res.body)
	var fr bot.FireResponse
	res.decode(t, &fr)
	require.NotNil(t, fr.Decision)
	var waived *gate.Waiver
	for _, rs := range fr.Decision.Results {
		if rs.Waived != nil {
			waived = rs.Waived
		}
	}
	require.NotNil(t, waived, "decision %+v", fr.Decision.Results)
	assert.Equal(t, "rui", waived.Actor, "the waiver is in the caller's name")
	containsAll(t, fr.Reasons, "waived by rui")

	// A waiver without an expiry is malformed.
	r2 := f.create(t, "search", "1.2.1", "prod")
	f.fire(t, r2.ID, release.EventPlan, tokAna, nil)
	res = f.call(t, "POST", "/releases/"+r2.ID.String()+"/events/approve", tokRui, map[string]any{"waivers": []map[string]any{{"gate": "checks", "reason": "x"}}})
	require.Equal(t, http.StatusBadRequest, res.status, "%s", res.body)
}

// TestConcurrentApprovals: many approvers fire approve at once on the revision they
// all saw; exactly one commits, the others get 409 and nothing is lost.
func TestConcurrentApprovals(t *testing.T) {
	f := newFixture(t)
	r := f.create(t, "checkout", "2.5.0", "dev")
	f.fire(t, r.ID, release.EventPlan, tokAna, nil)
	f.fire(t, r.ID, release.EventSchedule, tokAna, nil)
	f.check(t, r.ID, "build", "success")
	require.Equal(t, http.StatusCreated, f.status("/releases/"+r.ID.String()+"/approvals", tokSam))
	var wg sync.WaitGroup
	codes := make(chan int, 16)
	for range 16 {
		wg.Go(func() { codes <- f.status("/releases/"+r.ID.String()+"/events/approve", tokRui, "If-Match", `"5"`) })
	}
	wg.Wait()
	close(codes)
	count := map[int]int{}
	for c := range codes {
		count[c]++
	}
	assert.Equal(t, map[int]int{http.StatusOK: 1, http.StatusConflict: 15}, count)
	res := f.call(t, "GET", "/releases/"+r.ID.String()+"/history", tokRui, nil)
	var h bot.HistoryResponse
	res.decode(t, &h)
	assert.True(t, h.Verified, h.Problem)
	assert.Len(t, h.Entries, 6, "create, plan, schedule, the check, sam's approval, the approve")
}

// TestWaiverRoute: a waiver recorded on its own route lifts the failed checks gate
// at a later approve; the author may not waive.
func TestWaiverRoute(t *testing.T) {
	f := newFixture(t)
	r := f.create(t, "search", "1.3.0", "prod")
	f.fire(t, r.ID, release.EventPlan, tokAna, nil)
	f.fire(t, r.ID, release.EventSchedule, tokAna, nil)
	f.check(t, r.ID, "build", "success")
	f.check(t, r.ID, "e2e", "failure")
	waiver := map[string]any{"gate": "checks", "reason": "flaky e2e, INC-42", "expires": monday.Add(24 * time.Hour)}
	res := f.call(t, "POST", "/releases/"+r.ID.String()+"/waivers", tokAna, waiver)
	require.Equal(t, http.StatusForbidden, res.status, "%s", res.body)
	res = f.call(t, "POST", "/releases/"+r.ID.String()+"/waivers", tokRui, map[string]any{"gate": "checks", "reason": "x"})
	require.Equal(t, http.StatusBadRequest, res.status, "a waiver without expiry: %s", res.body)
	res = f.call(t, "POST", "/releases/"+r.ID.String()+"/waivers", tokRui, waiver)
	require.Equal(t, http.StatusCreated, res.status, "%s", res.body)
	got := f.fire(t, r.ID, release.EventApprove, tokRui, nil)
	assert.Equal(t, release.StateApproved, got.Release.State)
	containsAll(t, got.Reasons, "waived by rui")
}

// TestIdempotencyKeyHeader: a POST retried with its Idempotency-Key gets the first
// status and body and changes nothing; the key with another body is refused.
func TestIdempotencyKeyHeader(t *testing.T) {
	f := newFixture(t)
	body := map[string]string{"name": "ledger", "version": "4.0.0", "environment": "dev"}
	first := f.call(t, "POST", "/releases", tokAna, body, "Idempotency-Key", "create-ledger-4")
	require.Equal(t, http.StatusCreated, first.status, "%s", first.body)
	for range 2 {
		again := f.call(t, "POST", "/releases", tokAna, body, "Idempotency-Key", "create-ledger-4")
		assert.Equal(t, first.status, again.status)
		assert.Equal(t, string(first.body), string(again.body))
	}
	res := f.call(t, "GET", "/releases?name=ledger", tokAna, nil)
	var list bot.ListResponse
	res.decode(t, &list)
	assert.Len(t, list.Releases, 1, "three POSTs, one release")
	body["version"] = "4.0.1"
	res = f.call(t, "POST", "/releases", tokAna, body, "Idempotency-Key", "create-ledger-4")
	require.Equal(t, http.StatusUnprocessableEntity, res.status, "%s", res.body)

	var v bot.ReleaseView
	first.decode(t, &v)
	r := v.Release
	plan := f.call(t, "POST", "/releases/"+r.ID.String()+"/events/plan", tokAna, nil, "Idempotency-Key", "plan-ledger")
	require.Equal(t, http.StatusOK, plan.status, "%s", plan.body)
	again := f.call(t, "POST", "/releases/"+r.ID.String()+"/events/plan", tokAna, nil, "Idempotency-Key", "plan-ledger")
	assert.Equal(t, http.StatusOK, again.status, "a retried plan is not an invalid transition: %s", again.body)
	assert.Equal(t, string(plan.body), string(again.body))
	chk := map[string]string{"name": "build", "status": "success", "source": "github", "external_id": "run-9"}
	c1 := f.call(t, "POST", "/releases/"+r.ID.String()+"/checks", tokCI, chk, "Idempotency-Key", "gh-delivery-9")
	c2 := f.call(t, "POST", "/releases/"+r.ID.String()+"/checks", tokCI, chk, "Idempotency-Key", "gh-delivery-9")
	require.Equal(t, http.StatusOK, c1.status, "%s", c1.body)
	assert.Equal(t, string(c1.body), string(c2.body))
	res = f.call(t, "GET", "/releases/"+r.ID.String()+"/history", tokAna, nil)
	var h bot.HistoryResponse
	res.decode(t, &h)
	assert.Len(t, h.Entries, 3, "create, plan and one check, each sent twice or more")
}
