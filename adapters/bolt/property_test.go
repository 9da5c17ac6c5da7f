package bolt_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/releasekit/releasekit/adapters/bolt"
	"github.com/releasekit/releasekit/calendar"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/releasetest"
)

// openRapid opens a fresh store in dir for one rapid check.
func openRapid(t *rapid.T, dir string, n *int) *bolt.Store {
	*n++
	s, err := bolt.Open(filepath.Join(dir, fmt.Sprintf("p%d.db", *n)), bolt.WithNoSync(true))
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	return s
}

// Bookings against a model: every Book, Unbook and Bookings gives what the contract
// says (validation, duplicate IDs, overlaps sharing a service in one environment,
// touching is fine), stored bookings never overlap on a shared service, Bookings lists
// exactly the overlapping ones by start then ID, times before 1970 included, and the
// file checks clean after every step.
func TestPropertyBookings(t *testing.T) {
	dir := t.TempDir()
	var n int
	rapid.Check(t, func(t *rapid.T) {
		ctx := context.Background()
		s := openRapid(t, dir, &n)
		defer s.Close()
		base := rapid.SampledFrom([]time.Time{t0, time.Date(1961, 7, 1, 0, 0, 0, 0, time.UTC), time.Unix(0, 0).UTC()}).Draw(t, "base")
		at := func(h int) time.Time { return base.Add(time.Duration(h) * 30 * time.Minute) }
		model := map[string]calendar.Booking{}
		overlap := func(a, b calendar.Booking) bool { return a.Start.Before(b.End) && b.Start.Before(a.End) }
		shares := func(a, b calendar.Booking) bool {
			for _, x := range a.Services {
				if slices.Contains(b.Services, x) {
					return true
				}
			}
			return false
		}
		t.Repeat(map[string]func(*rapid.T){
			"book": func(t *rapid.T) {
				start := rapid.IntRange(-8, 16).Draw(t, "start")
				b := calendar.Booking{
					ID:          rapid.SampledFrom([]string{"a", "b", "c", "d", "e", "f", "g"}).Draw(t, "id"),
					Environment: rapid.SampledFrom([]string{"prod", "staging", "prod\x00x"}).Draw(t, "env"),
					Services:    rapid.SliceOfNDistinct(rapid.SampledFrom([]string{"pay", "ledger", "web"}), 0, 3, func(s string) string { return s }).Draw(t, "services"),
					Start:       at(start),
					End:         at(start + rapid.IntRange(-1, 4).Draw(t, "len")),
				}
				err := s.Book(ctx, b)
				var want error
				if release.CheckBookable(b) != nil {
					want = release.ErrInvalid
				} else if _, ok := model[b.ID]; ok {
					want = release.ErrAlreadyExists
				} else {
					for _, o := range model {
						if o.Environment == b.Environment && overlap(o, b) && shares(o, b) {
							want = release.ErrSlotTaken
						}
					}
				}
				if want == nil {
					require.NoError(t, err)
					model[b.ID] = b
					return
				}
				require.ErrorIs(t, err, want)
			},
			"unbook": func(t *rapid.T) {
				id := rapid.SampledFrom([]string{"a", "b", "c", "d", "e", "f", "g"}).Draw(t, "id")
				err := s.Unbook(ctx, id)
				if _, ok := model[id]; !ok {
					require.ErrorIs(t, err, release.ErrNotFound)
					return
				}
				require.NoError(t, err)
				delete(model, id)
			},
			"bookings": func(t *rapid.T) {
				env := rapid.SampledFrom([]string{"", "prod", "staging", "prod\x00x"}).Draw(t, "env")
				from := rapid.IntRange(-10, 20).Draw(t, "from")
				to := from + rapid.IntRange(0, 10).Draw(t, "width")
				q := calendar.Booking{Start: at(from), End: at(to)}
				want := []string{}
				var ws []calendar.Booking
				for _, b := range model {
					if (env == "" || b.Environment == env) && overlap(b, q) {
						ws = append(ws, b)
					}
				}
				slices.SortFunc(ws, func(a, b calendar.Booking) int { return cmp.Or(a.Start.Compare(b.Start), cmp.Compare(a.ID, b.ID)) })
				for _, b := range ws {
					want = append(want, b.ID)
				}
				got, err := s.Bookings(ctx, env, q.Start, q.End)
				require.NoError(t, err)
				ids := []string{}
				for _, b := range got {
					ids = append(ids, b.ID)
					require.True(t, b.Start.Equal(model[b.ID].Start) && b.End.Equal(model[b.ID].End), "booking %s came back with other times", b.ID)
				}
				require.Equal(t, want, ids, "Bookings(%q, %d, %d)", env, from, to)
			},
			"": func(t *rapid.T) {
				require.NoError(t, s.Check(ctx))
			},
		})
	})
}

// The outbox against a model of the contract: rows appear with each transition (due at
// the entry's time), claims take the due and unleased rows oldest first up to the limit
// and lease them, acks remove for good, retries move the due time and clear the lease;
// at the end the pending rows are the model's and the file checks clean.
func TestPropertyOutbox(t *testing.T) {
	dir := t.TempDir()
	var n int
	type row struct {
		due      time.Time
		leased   time.Time
		attempts int
		lastErr  string
	}
	rapid.Check(t, func(t *rapid.T) {
		ctx := context.Background()
		s := openRapid(t, dir, &n)
		defer s.Close()
		e, err := release.New(s, release.WithClock(releasetest.NewClock(t0, time.Minute)), release.WithPolicy(release.AllowAll()))
		require.NoError(t, err)
		model := map[string]*row{}
		var keys []string
		var ids []release.ID
		minute := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
		pickKey := func(t *rapid.T) string {
			if len(keys) == 0 || rapid.IntRange(0, 9).Draw(t, "unknown") == 0 {
				return "no-such-key"
			}
			return rapid.SampledFrom(keys).Draw(t, "key")
		}
		t.Repeat(map[string]func(*rapid.T){
			"create": func(t *rapid.T) {
				r, err := e.Create(ctx, spec(fmt.Sprintf("svc-%d", len(ids))))
				require.NoError(t, err)
				ids = append(ids, r.ID)
			},
			"fire": func(t *rapid.T) {
				if len(ids) == 0 {
					t.Skip("nothing to fire on")
				}
				id := rapid.SampledFrom(ids).Draw(t, "release")
				cur, err := e.Get(ctx, id)
				require.NoError(t, err)
				ev := release.EventSchedule
				switch cur.State {
				case release.StateDraft:
					ev = release.EventPlan
				case release.StateScheduled:
					ev = release.EventUnschedule
				}
				r, err := e.Fire(ctx, id, ev, bob)
				require.NoError(t, err)
				k := release.Notification{Entry: release.AuditEntry{ReleaseID: id, Sequence: r.Revision}}.Key()
				model[k] = &row{due: r.UpdatedAt}
				keys = append(keys, k)
			},
			"claim": func(t *rapid.T) {
				now := minute(rapid.IntRange(0, 120).Draw(t, "now"))
				minAge := time.Duration(rapid.IntRange(0, 10).Draw(t, "minAge")) * time.Minute
				lease := time.Duration(rapid.IntRange(1, 30).Draw(t, "lease")) * time.Minute
				limit := rapid.IntRange(0, 4).Draw(t, "limit")
				var want []string
				for k, r := range model {
					if !r.due.After(now.Add(-minAge)) && !r.leased.After(now) {
						want = append(want, k)
					}
				}
				slices.SortFunc(want, func(a, b string) int { return cmp.Or(model[a].due.Compare(model[b].due), cmp.Compare(a, b)) })
				if limit > 0 && len(want) > limit {
					want = want[:limit]
				}
				got, err := s.ClaimNotifications(ctx, now, minAge, lease, limit)
				require.NoError(t, err)
				gotKeys := []string{}
				for i, p := range got {
					k := p.Notification.Key()
					gotKeys = append(gotKeys, k)
					if i < len(want) && k == want[i] {
						m := model[k]
						m.attempts++
						m.leased = now.Add(lease)
						require.Equal(t, m.attempts, p.Attempts, "attempts of %s", k)
						require.Equal(t, m.lastErr, p.LastError, "last error of %s", k)
						require.True(t, p.Due.Equal(m.due), "due of %s: %v, want %v", k, p.Due, m.due)
					}
				}
				if want == nil {
					want = []string{}
				}
				require.Equal(t, want, gotKeys)
			},
			"ack": func(t *rapid.T) {
				k := pickKey(t)
				require.NoError(t, s.AckNotification(ctx, k))
				delete(model, k)
			},
			"retry": func(t *rapid.T) {
				k := pickKey(t)
				due := minute(rapid.IntRange(0, 120).Draw(t, "due"))
				msg := rapid.StringMatching(`[a-z ]{0,8}`).Draw(t, "err")
				require.NoError(t, s.RetryNotification(ctx, k, due, msg))
				if m, ok := model[k]; ok {
					m.due, m.leased, m.lastErr = due, time.Time{}, msg
				}
			},
		})
		p, err := s.Pending(ctx)
		require.NoError(t, err)
		require.Len(t, p, len(model))
		for _, x := range p {
			_, ok := model[x.Notification.Key()]
			require.True(t, ok, "pending %s is not in the model", x.Notification.Key())
		}
		require.NoError(t, s.Check(ctx))
	})
}

// Every error the store returns for a bad claim argument is typed.
func TestClaimRefusesNonPositiveLease(t *testing.T) {
	s, _ := openTemp(t)
	_, err := s.ClaimNotifications(context.Background(), t0, 0, 0, 1)
	require.ErrorIs(t, err, release.ErrInvalid)
	require.False(t, errors.Is(err, release.ErrCorrupt))
}
