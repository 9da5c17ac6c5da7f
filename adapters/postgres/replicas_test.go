package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/adapters/postgres"
	"github.com/releasekit/releasekit/calendar"
	"github.com/releasekit/releasekit/release"
)

// openReplicas opens n stores on one schema, each with its own connection pool, all
// at once: every store runs the migrations concurrently, as replicas starting
// together would.
func openReplicas(t *testing.T, schema string, n int) []*postgres.Store {
	t.Helper()
	d := dsn(t)
	stores := make([]*postgres.Store, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			stores[i], errs[i] = postgres.Open(ctx, d+poolParam(d, 4), postgres.WithSchema(schema))
		})
	}
	wg.Wait()
	for i, s := range stores {
		require.NoError(t, errs[i], "replica %d", i)
		t.Cleanup(s.Close)
	}
	return stores
}

// poolParam appends a pool size to a URL or key=value connection string.
func poolParam(dsn string, n int) string { return dsnParam(dsn, "pool_max_conns", fmt.Sprint(n)) }

// dsnParam returns what to append to dsn to set a connection parameter (a pgxpool
// setting, or a server setting such as default_transaction_isolation).
func dsnParam(dsn, key, value string) string {
	switch {
	case !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://"):
		return fmt.Sprintf(" %s='%s'", key, value)
	case strings.Contains(dsn, "?"):
		return "&" + key + "=" + url.PathEscape(value)
	default:
		return "?" + key + "=" + url.PathEscape(value)
	}
}

// TestReplicasNoLostUpdateNoDoubleBooking: 16 engines, each over its own store and
// connection pool on one schema, fire transitions on the same releases (compare and
// swap with ExpectRevision, retrying on conflict) and book the same slots at the same
// time. Afterwards every release's revision equals one plus its creation and plan
// plus the commits counted by the engines (no lost or duplicated update), every
// history verifies against the head without a gap, and no two stored bookings of one
// service in one environment overlap, checked both in SQL on the slot rows and in Go
// on the exact times.
func TestReplicasNoLostUpdateNoDoubleBooking(t *testing.T) {
	t.Parallel()
	const (
		engines  = 16
		releases = 4
		rounds   = 12
	)
	schema := freshSchema(t)
	stores := openReplicas(t, schema, engines)
	ctx := context.Background()

	clock := release.ClockFunc(func() time.Time { return time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC) })
	engs := make([]*release.Engine, engines)
	for i, s := range stores {
		e, err := release.New(s, release.WithPolicy(release.AllowAll()), release.WithClock(clock))
		require.NoError(t, err)
		engs[i] = e
	}
	ids := make([]release.ID, releases)
	for i := range ids {
		r, err := engs[i%engines].Create(ctx, release.Spec{Name: fmt.Sprintf("svc-%d", i), Version: "1.0.0", Environment: "prod", Author: "ana"})
		require.NoError(t, err)
		_, err = engs[(i+1)%engines].Fire(ctx, r.ID, release.EventPlan, release.Person("bob", release.RoleReleaseManager))
		require.NoError(t, err)
		ids[i] = r.ID
	}

	base := time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)
	services := []string{"api", "db", "web"}
	var (
		commits          [releases]atomic.Int64
		conflicts, books atomic.Int64
		taken            atomic.Int64
		wg               sync.WaitGroup
		failures         = make(chan error, engines*rounds*2)
	)
	for w, e := range engs {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			actor := release.Person(fmt.Sprintf("engine-%d", w), release.RoleReleaseManager)
			booker := e.Store().(release.Booker)
			for round := range rounds {
				// A transition on a shared release, retried until it commits.
				i := rng.IntN(releases)
				for {
					cur, err := e.Get(ctx, ids[i])
					if err != nil {
						failures <- err
						return
					}
					ev := release.EventSchedule
					if cur.State == release.StateScheduled {
						ev = release.EventUnschedule
					}
					_, err = e.Fire(ctx, ids[i], ev, actor, release.ExpectRevision(cur.Revision))
					if err == nil {
						commits[i].Add(1)
						break
					}
					if !errors.Is(err, release.ErrStale) {
						failures <- fmt.Errorf("engine %d: %s: %w", w, ev, err)
						return
					}
					conflicts.Add(1)
				}
				// A booking that competes with everybody else's.
				start := base.Add(time.Duration(rng.IntN(16)) * 30 * time.Minute)
				b := calendar.Booking{
					ID: fmt.Sprintf("e%d-r%d", w, round), Environment: []string{"prod", "staging"}[rng.IntN(2)],
					Services: []string{services[rng.IntN(3)], services[rng.IntN(3)]},
					Start:    start, End: start.Add(time.Duration(1+rng.IntN(3)) * 30 * time.Minute),
				}
				switch err := booker.Book(ctx, b); {
				case err == nil:
					books.Add(1)
				case errors.Is(err, release.ErrSlotTaken):
					taken.Add(1)
				default:
					failures <- fmt.Errorf("engine %d: book %s: %w", w, b.ID, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(failures)
	for err := range failures {
		t.Error(err)
	}
	if t.Failed() {
		return
	}

	for i, id := range ids {
		r, err := stores[0].Get(ctx, id)
		require.NoError(t, err)
		assert.Equal(t, 2+commits[i].Load(), r.Revision, "release %d: revision after %d commits", i, commits[i].Load())
		h, err := stores[engines-1].History(ctx, id)
		require.NoError(t, err)
		assert.Len(t, h, int(r.Revision), "release %d: history length", i)
		assert.NoError(t, release.VerifyHistory(h, r.Head), "release %d", i)
	}
	var total int64
	for i := range commits {
		total += commits[i].Load()
	}
	assert.Equal(t, int64(engines*rounds), total, "every engine commits once per round")

	// No double booking, as PostgreSQL sees the slot rows…
	slots := table(schema, "booking_slots")
	var overlaps int
	require.NoError(t, admin(t).QueryRow(ctx, `SELECT count(*) FROM `+slots+` a JOIN `+slots+` b
		ON a.environment = b.environment AND a.service = b.service AND a.booking_id < b.booking_id AND a.period && b.period`).Scan(&overlaps))
	assert.Zero(t, overlaps, "overlapping slot rows of one service")
	// …and on the exact booked times.
	all, err := stores[3].Bookings(ctx, "", base.Add(-time.Hour), base.Add(24*time.Hour))
	require.NoError(t, err)
	assert.Len(t, all, int(books.Load()), "stored bookings")
	for i, a := range all {
		for _, b := range all[i+1:] {
			if a.Environment != b.Environment || !a.Start.Before(b.End) || !b.Start.Before(a.End) {
				continue
			}
			for _, sa := range a.Services {
				for _, sb := range b.Services {
					assert.NotEqual(t, sa, sb, "bookings %s and %s overlap on %s in %s", a.ID, b.ID, sa, a.Environment)
				}
			}
		}
	}
	assert.Positive(t, taken.Load(), "the scenario should produce refused bookings")
	t.Logf("%d commits, %d conflicts retried, %d bookings, %d refused", total, conflicts.Load(), books.Load(), taken.Load())
}
