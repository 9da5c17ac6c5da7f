package bot_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/examples/releasebot/bot"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/releasetest"
)

func benchServer(b *testing.B, cfg bot.Config) *bot.Server {
	b.Helper()
	srv, err := bot.New(memory.New(), cfg, bot.WithClock(releasetest.NewClock(monday, 0)), bot.WithNotifier(nil))
	if err != nil {
		b.Fatal(err)
	}
	return srv
}

// BenchmarkCreateAndPlan: create a release and plan it (risk assessed) through the
// HTTP handler (JSON in and out, authentication, the history read back for the
// answer), against the same two calls on the bot's engine directly, in one run.
func BenchmarkCreateAndPlan(b *testing.B) {
	body := []byte(`{"name": "checkout", "version": "2.4.0", "environment": "dev", "components": [{"name": "checkout", "version": "2.4.0", "previous_version": "2.3.1"}]}`)
	b.Run("http", func(b *testing.B) {
		h := benchServer(b, testConfig()).Handler()
		b.ReportAllocs()
		for b.Loop() {
			rec := serve(h, "POST", "/releases", tokAna, body)
			if rec.Code != http.StatusCreated {
				b.Fatal(rec.Body.String())
			}
			loc := rec.Header().Get("Location")
			if rec = serve(h, "POST", loc+"/events/plan", tokAna, nil); rec.Code != http.StatusOK {
				b.Fatal(rec.Body.String())
			}
		}
	})
	b.Run("engine", func(b *testing.B) {
		eng := benchServer(b, testConfig()).Engine()
		ctx := context.Background()
		ana := release.Person("ana", release.RoleDeveloper)
		spec := release.Spec{Name: "checkout", Version: "2.4.0", Environment: "dev", Author: "ana", Duration: bot.DefaultDuration,
			Components: []release.Component{{Name: "checkout", Version: "2.4.0", PreviousVersion: "2.3.1"}}}
		b.ReportAllocs()
		for b.Loop() {
			r, err := eng.Create(ctx, spec)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := eng.Fire(ctx, r.ID, release.EventPlan, ana); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkAuthenticate: GET /whoami with the last of n configured tokens; every
// token is compared, so the cost grows with n.
func BenchmarkAuthenticate(b *testing.B) {
	for _, n := range []int{5, 100, 1000} {
		b.Run(fmt.Sprintf("tokens=%d", n), func(b *testing.B) {
			cfg := bot.Config{Tokens: map[string]bot.Identity{}}
			last := ""
			for i := range n {
				last = fmt.Sprintf("token-%06d-0123456789abcdef", i)
				cfg.Tokens[last] = bot.Identity{ID: fmt.Sprintf("p%d", i), Kind: release.ActorPerson}
			}
			h := benchServer(b, cfg).Handler()
			b.ReportAllocs()
			for b.Loop() {
				if rec := serve(h, "GET", "/whoami", last, nil); rec.Code != http.StatusOK {
					b.Fatal(rec.Body.String())
				}
			}
		})
	}
}
