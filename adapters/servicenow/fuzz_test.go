package servicenow_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/adapters/servicenow"
	"github.com/releasekit/releasekit/release"
)

// FuzzAnswers feeds the syncer whatever an instance (or a proxy in front of it)
// might answer: any status, any body, any Retry-After. It never panics, never
// waits, and every failure is an *Error.
func FuzzAnswers(f *testing.F) {
	f.Add(200, `{"result": []}`, "")
	f.Add(200, `{"result": [{"sys_id": "1", "number": "CHG1", "state": "-5", "type": "normal", "sys_mod_count": "x"}]}`, "")
	f.Add(201, `{"result": {"sys_id": "1", "state": "-9", "type": "odd"}}`, "")
	f.Add(200, `{"result": [{"sys_id": 1}]}`, "")
	f.Add(429, `{"error": {"message": "Too many", "detail": "slow down"}, "status": "failure"}`, "99999999999")
	f.Add(503, `<html>maintenance</html>`, "Wed, 21 Oct 2015 07:28:00 GMT")
	f.Add(403, `{"error": "not an object"}`, "")
	f.Add(200, `{"result": [{"sys_id": "1", "state": "3", "type": "standard", "start_date": "garbage"}]}`, "")
	f.Fuzz(func(t *testing.T, status int, body, retryAfter string) {
		if status < 200 || status > 599 {
			status = 200 + (status%400+400)%400
		}
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			if retryAfter != "" {
				w.Header().Set("Retry-After", retryAfter)
			}
			w.WriteHeader(status)
			_, _ = w.Write([]byte(body))
		}))
		defer ts.Close()
		clock := release.ClockFunc(func() time.Time { return monday })
		store := memory.New()
		s, err := servicenow.New(servicenow.Config{Instance: ts.URL, User: "u", Password: "p", HonourWindow: true},
			servicenow.WithReleases(store), servicenow.WithClock(clock), servicenow.WithRetry(2, time.Nanosecond, time.Nanosecond),
			servicenow.WithSleep(func(ctx context.Context, _ time.Duration) error { return ctx.Err() }))
		if err != nil {
			t.Fatal(err)
		}
		eng, err := release.New(store, release.WithClock(clock), release.WithPolicy(release.AllowAll()))
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		r, err := eng.Create(ctx, release.Spec{Name: "svc", Version: "1", Environment: "prod", Author: "ana"})
		if err != nil {
			t.Fatal(err)
		}
		r, err = eng.Fire(ctx, r.ID, release.EventPlan, release.Person("ana"))
		if err != nil {
			t.Fatal(err)
		}
		check := func(err error) {
			var e *servicenow.Error
			if err != nil && !errors.As(err, &e) && !errors.Is(err, release.ErrInvalid) && !errors.Is(err, release.ErrForbidden) &&
				!errors.Is(err, release.ErrGuardRefused) && !errors.Is(err, release.ErrInvalidTransition) {
				t.Fatalf("an error that is not an *Error: %T %v", err, err)
			}
		}
		check(s.Notify(ctx, release.Notification{Release: r, Entry: release.AuditEntry{ReleaseID: r.ID, Sequence: r.Revision, Event: release.EventPlan}}))
		_, err = s.ReadBack(ctx, eng, r.ID)
		check(err)
	})
}
