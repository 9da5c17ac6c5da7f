package bot_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/examples/releasebot/bot"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/releasetest"
)

// A bot over an in-memory store: ana creates a release, plans and schedules it, then tries to
// approve her own release and is refused by separation of duties.
func ExampleNew() {
	cfg := bot.Config{Tokens: map[string]bot.Identity{
		"ana-token-0123456789": {ID: "ana", Roles: []string{release.RoleDeveloper}, Kind: release.ActorPerson},
	}}
	clock := releasetest.NewClock(time.Date(2026, 3, 2, 7, 0, 0, 0, time.UTC), 0)
	srv, err := bot.New(memory.New(), cfg, bot.WithClock(clock), bot.WithNotifier(nil))
	if err != nil {
		fmt.Println(err)
		return
	}
	send := func(method, path, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer ana-token-0123456789")
		rec := httptest.NewRecorder()
		srv.Handler().ServeHTTP(rec, req)
		return rec
	}

	rec := send("POST", "/releases", `{"name": "checkout", "version": "2.4.0", "environment": "dev"}`)
	var v bot.ReleaseView
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		log.Fatal(err)
	}
	r := v.Release
	fmt.Println(rec.Code, r.State, "by", r.Author, "revision", rec.Header().Get("ETag"))

	for _, ev := range []string{"plan", "schedule"} {
		rec = send("POST", "/releases/"+r.ID.String()+"/events/"+ev, `{"reason": "sprint 12"}`)
		fmt.Println(ev, rec.Code)
	}

	rec = send("POST", "/releases/"+r.ID.String()+"/events/approve", "")
	var e bot.APIError
	if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil {
		log.Fatal(err)
	}
	fmt.Println(rec.Code, e.Kind)
	fmt.Println(e.Reasons[0])
	// Output:
	// 201 draft by ana revision "1"
	// plan 200
	// schedule 200
	// 403 forbidden
	// separation-of-duties: ana wrote this release and may not approve it; ask another approver
}

// Classify turns an engine error into the answer the bot sends.
func ExampleClassify() {
	err := &release.TransitionError{State: release.StatePlanned, Event: release.EventStart,
		Available: []release.Event{release.EventSchedule, release.EventCancel}}
	e := bot.Classify(fmt.Errorf("firing: %w", err))
	fmt.Println(e.Kind, e.Kind.Status())
	fmt.Println(e.Message)
	fmt.Println(e.Reasons)
	fmt.Println(errors.Is(e, release.ErrInvalidTransition))
	// Output:
	// refused 422
	// cannot start a release that is planned
	// [from planned you can: schedule, cancel]
	// true
}
