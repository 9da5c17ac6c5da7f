package badinput_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/adapters/bolt"
	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/adapters/webhook"
	"github.com/releasekit/releasekit/calendar"
	"github.com/releasekit/releasekit/depgraph"
	"github.com/releasekit/releasekit/gate"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/releasetest"
	"github.com/releasekit/releasekit/risk"
	"github.com/releasekit/releasekit/rollback"
)

var (
	t0     = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	alice  = release.Person("alice", release.RoleDeveloper)
	bob    = release.Person("bob", release.RoleApprover)
	secret = []byte("0123456789abcdef0123456789abcdef")
)

// world is the state the bad inputs are thrown at: an engine over a store holding
// one planned release, a calendar with one booking, and a webhook replay cache
// holding one accepted delivery.
type world struct {
	ctx     context.Context
	store   release.Store
	eng     *release.Engine
	planned release.Release
	// calEng is an engine over the same store with the calendar wired in, and
	// timed a planned release of one hour that it can schedule.
	calEng  *release.Engine
	timed   release.Release
	cal     *calendar.Calendar
	replays *webhook.MemoryReplayCache
	// delivery is the accepted webhook delivery.
	hdr  http.Header
	body []byte
}

func newWorld(t *testing.T, store release.Store) *world {
	t.Helper()
	w := &world{ctx: context.Background(), store: store}
	var err error
	w.eng, err = release.New(store, release.WithClock(releasetest.NewClock(t0, time.Second)))
	require.NoError(t, err)
	r, err := w.eng.Create(w.ctx, release.Spec{Name: "checkout", Version: "1.4.0", Environment: "prod", Author: alice.ID,
		Components: []release.Component{{Name: "checkout", Version: "1.4.0", PreviousVersion: "1.3.2"}}})
	require.NoError(t, err)
	w.planned, err = w.eng.Fire(w.ctx, r.ID, release.EventPlan, alice, release.Reason("ready"))
	require.NoError(t, err)

	w.cal, err = calendar.New(calendar.Rule{Name: "train", Kind: calendar.Window, Zone: "Europe/Berlin",
		Start: calendar.Wall(2026, 3, 3, 10, 0, 0), End: calendar.Wall(2026, 3, 3, 16, 0, 0), RRule: "FREQ=WEEKLY;BYDAY=TU,TH"})
	require.NoError(t, err)
	require.NoError(t, w.cal.Book(calendar.Booking{ID: "b1", Environment: "prod", Services: []string{"checkout"},
		Start: time.Date(2026, 3, 3, 10, 0, 0, 0, time.UTC), End: time.Date(2026, 3, 3, 11, 0, 0, 0, time.UTC)}))

	w.calEng, err = release.New(store, release.WithClock(releasetest.NewClock(t0, time.Second)), release.WithCalendar(release.CalendarConfig{Calendar: w.cal}))
	require.NoError(t, err)
	r, err = w.calEng.Create(w.ctx, release.Spec{Name: "payments", Version: "2.0.0", Environment: "prod", Author: alice.ID, Duration: time.Hour,
		Components: []release.Component{{Name: "payments", Version: "2.0.0", PreviousVersion: "1.9.0"}, {Name: "checkout", Version: "1.4.0"}}})
	require.NoError(t, err)
	w.timed, err = w.calEng.Fire(w.ctx, r.ID, release.EventPlan, alice)
	require.NoError(t, err)

	w.replays = webhook.NewMemoryReplayCache()
	w.body = []byte(`{"version":1,"type":"release.transition","idempotency_key":"` + w.planned.ID.String() + `/2","release_id":"` + w.planned.ID.String() +
		`","sequence":2,"event":"plan","from":"draft","to":"planned","actor":{"id":"alice","kind":"person"},"time":"2026-03-02T09:00:01Z","release":{"name":"checkout","version":"1.4.0","environment":"prod","class":"normal","state":"planned","revision":2}}`)
	w.hdr = http.Header{webhook.SignatureHeader: {webhook.Sign(w.body, t0, secret)}}
	if _, err := webhook.Verify(w.hdr, w.body, [][]byte{secret}, t0, webhook.WithReplayCache(w.replays)); err != nil {
		// The payload format belongs to the webhook package; when it changes, sign a
		// payload it decodes instead of failing the tour on the fixture.
		t.Fatalf("fixture delivery does not verify: %v", err)
	}
	return w
}

// snapshot is everything stored: every release with its history, the calendar's
// bookings, the number of remembered webhook deliveries.
type snapshot struct {
	Releases  []release.Release
	Histories map[release.ID][]release.AuditEntry
	Bookings  []calendar.Booking
	Stored    []calendar.Booking
	Replays   int
}

func (w *world) snapshot(t *testing.T) snapshot {
	t.Helper()
	rs, err := w.store.List(w.ctx, release.Filter{})
	require.NoError(t, err)
	s := snapshot{Releases: rs, Histories: map[release.ID][]release.AuditEntry{}, Bookings: w.cal.Bookings(), Replays: w.replays.Len()}
	for _, r := range rs {
		h, err := w.store.History(w.ctx, r.ID)
		require.NoError(t, err)
		require.NoError(t, release.VerifyHistory(h, r.Head))
		s.Histories[r.ID] = h
	}
	if b, ok := w.store.(release.Booker); ok {
		s.Stored, err = b.Bookings(w.ctx, "prod", t0.AddDate(-1, 0, 0), t0.AddDate(1, 0, 0))
		require.NoError(t, err)
	}
	return s
}

// A row is one malformed input: what it is, how it is given, the sentinel its error
// must match and a pointer to the typed error it must carry (nil when the package
// has only a sentinel for it).
type row struct {
	name     string
	sentinel error
	typed    any
	call     func(w *world) error
}

func as[T any]() any { return new(T) }

func shopGraph() *depgraph.Graph[string] {
	g := depgraph.New[string]()
	_ = g.AddDependency("checkout", "payments")
	_ = g.AddDependency("payments", "ledger")
	return g
}

func shopDeployment() rollback.Deployment {
	return rollback.Deployment{Release: "r1", Components: []rollback.ComponentChange{
		{Name: "ledger", From: "2.0.0", To: "2.1.0", Finished: true},
		{Name: "payments", From: "1.4.0", To: "1.5.0", Wave: 1, Finished: true},
	}}
}

func rows() []row {
	return []row{
		// release: the engine.
		{"an unknown event", release.ErrInvalidTransition, as[*release.TransitionError](), func(w *world) error {
			_, err := w.eng.Fire(w.ctx, w.planned.ID, release.Event("launch"), alice)
			return err
		}},
		{"an event the state does not allow (start from planned)", release.ErrInvalidTransition, as[*release.TransitionError](), func(w *world) error {
			_, err := w.eng.Fire(w.ctx, w.planned.ID, release.EventStart, alice)
			return err
		}},
		{"a stale revision", release.ErrConflict, as[*release.ConflictError](), func(w *world) error {
			_, err := w.eng.Fire(w.ctx, w.planned.ID, release.EventSchedule, alice, release.ExpectRevision(w.planned.Revision-1))
			return err
		}},
		{"a revision from the future", release.ErrConflict, as[*release.ConflictError](), func(w *world) error {
			_, err := w.eng.Fire(w.ctx, w.planned.ID, release.EventSchedule, alice, release.ExpectRevision(w.planned.Revision+5))
			return err
		}},
		{"an expected revision of zero", release.ErrInvalid, as[*release.ValidationError](), func(w *world) error {
			_, err := w.eng.Fire(w.ctx, w.planned.ID, release.EventSchedule, alice, release.ExpectRevision(0))
			return err
		}},
		{"an actor without the role", release.ErrForbidden, as[*release.ForbiddenError](), func(w *world) error {
			_, err := w.eng.Fire(w.ctx, w.planned.ID, release.EventSchedule, bob)
			return err
		}},
		{"an unknown release", release.ErrNotFound, as[*release.NotFoundError](), func(w *world) error {
			id, _ := release.ParseID("019a2b3c-4d5e-7f60-8a1b-000000000001")
			_, err := w.eng.Fire(w.ctx, id, release.EventSchedule, alice)
			return err
		}},
		{"a release ID that is not a UUID", release.ErrInvalid, as[*release.ValidationError](), func(w *world) error {
			_, err := release.ParseID("release-42")
			return err
		}},
		{"data that is not JSON", release.ErrInvalid, as[*release.ValidationError](), func(w *world) error {
			_, err := w.eng.Fire(w.ctx, w.planned.ID, release.EventSchedule, alice, release.Data(json.RawMessage(`{"a":`)))
			return err
		}},
		{"data that cannot be encoded", release.ErrInvalid, as[*release.ValidationError](), func(w *world) error {
			_, err := w.eng.Fire(w.ctx, w.planned.ID, release.EventSchedule, alice, release.Data(make(chan int)))
			return err
		}},
		{"a spec with no name and an unknown class", release.ErrInvalid, as[*release.ValidationError](), func(w *world) error {
			_, err := w.eng.Create(w.ctx, release.Spec{Environment: "prod", Class: "urgent", Author: "alice"})
			return err
		}},
		{"an invalid authorization policy", release.ErrInvalid, as[*release.ValidationError](), func(w *world) error {
			_, err := release.New(w.store, release.WithPolicy(release.Policy{Permissions: []release.Permission{{Name: "p", Events: []release.Event{"launch"}}}}))
			return err
		}},
		{"a cancelled context", context.Canceled, nil, func(w *world) error {
			ctx, cancel := context.WithCancel(w.ctx)
			cancel()
			_, err := w.eng.Fire(ctx, w.planned.ID, release.EventSchedule, alice)
			return err
		}},
		{"a tampered history", release.ErrTampered, as[*release.HistoryError](), func(w *world) error {
			h, err := w.store.History(w.ctx, w.planned.ID)
			if err != nil {
				return err
			}
			h[1].Reason = "edited"
			return release.VerifyHistory(h, w.planned.Head)
		}},
		{"a stored entry that is not JSON", release.ErrCorrupt, as[*release.CorruptError](), func(w *world) error {
			_, err := release.DecodeEntry([]byte(`{"sequence":1,`))
			return err
		}},

		// release with the calendar wired in.
		{"a booking in the past", release.ErrGuardRefused, as[*release.GuardError](), func(w *world) error {
			_, err := w.calEng.Fire(w.ctx, w.timed.ID, release.EventSchedule, alice, release.At(t0.Add(-24*time.Hour)))
			return err
		}},
		{"a slot over another booking of the same service", release.ErrGuardRefused, as[*calendar.ConflictError](), func(w *world) error {
			_, err := w.calEng.Fire(w.ctx, w.timed.ID, release.EventSchedule, alice, release.At(time.Date(2026, 3, 3, 10, 0, 0, 0, time.UTC)))
			return err
		}},
		{"a slot outside every release window", release.ErrGuardRefused, as[*calendar.ConflictError](), func(w *world) error {
			_, err := w.calEng.Fire(w.ctx, w.timed.ID, release.EventSchedule, alice, release.At(time.Date(2026, 3, 9, 10, 0, 0, 0, time.UTC)))
			return err
		}},
		{"scheduling a release without a duration", release.ErrGuardRefused, as[*release.GuardError](), func(w *world) error {
			_, err := w.calEng.Fire(w.ctx, w.planned.ID, release.EventSchedule, alice)
			return err
		}},

		// calendar.
		{"a malformed RRULE", calendar.ErrInvalidRule, as[*calendar.RuleError](), func(w *world) error {
			_, err := calendar.New(calendar.Rule{Name: "bad", Kind: calendar.Window, Zone: "UTC", Start: calendar.Wall(2026, 1, 1, 10, 0, 0),
				Duration: time.Hour, RRule: "FREQ=FORTNIGHTLY;BYDAY=XX"})
			return err
		}},
		{"an unknown time zone", calendar.ErrUnknownZone, as[*calendar.ZoneError](), func(w *world) error {
			_, err := calendar.New(calendar.Rule{Name: "mars", Kind: calendar.Freeze, Zone: "Mars/Olympus_Mons", Start: calendar.Wall(2026, 1, 1, 10, 0, 0), Duration: time.Hour})
			return err
		}},
		{"a rule that ends before it starts", calendar.ErrInvalidRule, as[*calendar.RuleError](), func(w *world) error {
			_, err := calendar.New(calendar.Rule{Name: "backwards", Kind: calendar.Freeze, Zone: "UTC", Start: calendar.Wall(2026, 1, 2, 0, 0, 0), End: calendar.Wall(2026, 1, 1, 0, 0, 0)})
			return err
		}},
		{"an impossible wall-clock date (30 February)", calendar.ErrInvalidRule, as[*calendar.RuleError](), func(w *world) error {
			_, err := calendar.New(calendar.Rule{Name: "feb", Kind: calendar.Freeze, Zone: "UTC", Start: calendar.Wall(2026, 2, 30, 0, 0, 0), Duration: time.Hour})
			return err
		}},
		{"an empty booking", calendar.ErrInvalidBooking, as[*calendar.BookingError](), func(w *world) error {
			return w.cal.Book(calendar.Booking{})
		}},
		{"a booking that ends before it starts", calendar.ErrInvalidBooking, as[*calendar.BookingError](), func(w *world) error {
			return w.cal.Book(calendar.Booking{ID: "b2", Environment: "prod", Services: []string{"checkout"}, Start: t0.Add(time.Hour), End: t0})
		}},
		{"a booking over an existing one", calendar.ErrConflict, as[*calendar.ConflictError](), func(w *world) error {
			return w.cal.Book(calendar.Booking{ID: "b3", Environment: "prod", Services: []string{"checkout"},
				Start: time.Date(2026, 3, 3, 10, 30, 0, 0, time.UTC), End: time.Date(2026, 3, 3, 11, 30, 0, 0, time.UTC)})
		}},
		{"a slot request whose latest time is before its earliest", calendar.ErrInvalidRequest, as[*calendar.RequestError](), func(w *world) error {
			_, err := w.cal.NextSlot(calendar.Request{ID: "r", Environment: "prod", Services: []string{"checkout"}, Duration: time.Hour, NotBefore: t0, NotAfter: t0.Add(-time.Hour)})
			return err
		}},
		{"malformed iCalendar data", calendar.ErrMalformedICS, as[*calendar.ParseError](), func(w *world) error {
			_, err := calendar.ReadICS(strings.NewReader("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:2026-01-01\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"))
			return err
		}},

		// depgraph.
		{"a cycle in a graph", depgraph.ErrCycle, as[*depgraph.CycleError[string]](), func(w *world) error {
			g := shopGraph()
			_ = g.AddDependency("ledger", "checkout")
			_, err := g.Waves()
			return err
		}},
		{"a self-dependency", depgraph.ErrSelfDependency, as[*depgraph.SelfDependencyError[string]](), func(w *world) error {
			return shopGraph().AddDependency("ledger", "ledger")
		}},
		{"a malformed version constraint", depgraph.ErrInvalidConstraint, as[*depgraph.ConstraintError[string]](), func(w *world) error {
			return shopGraph().AddRequirement("checkout", "payments", ">= one.five")
		}},

		// gate.
		{"a malformed gate criterion", gate.ErrInvalidCriterion, as[*gate.CriterionError](), func(w *world) error {
			_, err := gate.ParseCriterion("<=+ten%")
			return err
		}},
		{"a criterion with no number", gate.ErrInvalidCriterion, as[*gate.CriterionError](), func(w *world) error {
			_, err := gate.ParseCriterion(">=")
			return err
		}},

		// risk.
		{"a risk model without factors and with thresholds out of order", risk.ErrInvalidModel, as[*risk.ModelError](), func(w *world) error {
			return risk.Model{Thresholds: risk.Thresholds{Medium: 80, High: 50, Critical: 20}}.Validate()
		}},
		{"a risk model with a negative weight", risk.ErrInvalidModel, as[*risk.ModelError](), func(w *world) error {
			m := risk.DefaultModel()
			m.Weights[string(risk.FactorSize)] = -1
			return m.Validate()
		}},
		{"a risk policy where high asks less than low", risk.ErrInvalidPolicy, as[*risk.PolicyError](), func(w *world) error {
			p := risk.DefaultPolicy()
			p.Requirements[risk.High] = risk.Requirement{}
			return p.Validate()
		}},
		{"an unknown risk level", risk.ErrInvalidLevel, as[*risk.LevelError](), func(w *world) error {
			_, err := risk.ParseLevel("extreme")
			return err
		}},

		// rollback.
		{"a negative duration in rollback options", rollback.ErrInvalidOptions, as[*rollback.ValidationError](), func(w *world) error {
			_, err := rollback.Plan(shopGraph(), shopDeployment(), rollback.Options{Durations: map[rollback.StepKind]time.Duration{rollback.KindRedeploy: -time.Minute}})
			return err
		}},
		{"a negative duration on a deployed action", rollback.ErrInvalidDeployment, as[*rollback.ValidationError](), func(w *world) error {
			d := shopDeployment()
			d.Components[1].Actions = []rollback.Action{{Kind: rollback.ActionCustom, Name: "warm caches", Duration: -time.Second}}
			_, err := rollback.Plan(shopGraph(), d, rollback.Options{})
			return err
		}},
		{"a deployed component the graph does not know", rollback.ErrUnknownComponent, as[*rollback.UnknownComponentError](), func(w *world) error {
			d := shopDeployment()
			d.Components = append(d.Components, rollback.ComponentChange{Name: "search", From: "1", To: "2", Finished: true})
			_, err := rollback.Plan(shopGraph(), d, rollback.Options{})
			return err
		}},

		// webhook.
		{"a forged webhook signature", webhook.ErrBadSignature, as[*webhook.SignatureError](), func(w *world) error {
			h := http.Header{webhook.SignatureHeader: {webhook.Sign(w.body, t0, []byte("not the secret"))}}
			_, err := webhook.Verify(h, w.body, [][]byte{secret}, t0, webhook.WithReplayCache(w.replays))
			return err
		}},
		{"a webhook body changed after signing", webhook.ErrBadSignature, as[*webhook.SignatureError](), func(w *world) error {
			_, err := webhook.Verify(w.hdr, bytes.Replace(w.body, []byte(`"plan"`), []byte(`"close"`), 1), [][]byte{secret}, t0, webhook.WithReplayCache(w.replays))
			return err
		}},
		{"a malformed webhook signature header", webhook.ErrMalformedSignature, as[*webhook.SignatureError](), func(w *world) error {
			h := http.Header{webhook.SignatureHeader: {"t=now,v1=zz"}}
			_, err := webhook.Verify(h, w.body, [][]byte{secret}, t0, webhook.WithReplayCache(w.replays))
			return err
		}},
		{"a stale webhook delivery", webhook.ErrStale, as[*webhook.StaleError](), func(w *world) error {
			_, err := webhook.Verify(w.hdr, w.body, [][]byte{secret}, t0.Add(time.Hour), webhook.WithReplayCache(w.replays))
			return err
		}},
		{"a replayed webhook delivery", webhook.ErrReplay, as[*webhook.ReplayError](), func(w *world) error {
			_, err := webhook.Verify(w.hdr, w.body, [][]byte{secret}, t0.Add(time.Minute), webhook.WithReplayCache(w.replays))
			return err
		}},
	}
}

// TestBadInputTour throws every row at a fresh world on each store and checks the
// error's sentinel and type, and that the snapshot of everything stored is the same
// before and after.
func TestBadInputTour(t *testing.T) {
	stores := []struct {
		name string
		open func(t *testing.T) release.Store
	}{
		{"memory", func(*testing.T) release.Store { return memory.New() }},
		{"bolt", func(t *testing.T) release.Store {
			s, err := bolt.Open(filepath.Join(t.TempDir(), "releases.db"))
			require.NoError(t, err)
			t.Cleanup(func() { _ = s.Close() })
			return s
		}},
	}
	tried := 0
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			w := newWorld(t, st.open(t))
			for _, r := range rows() {
				t.Run(r.name, func(t *testing.T) {
					before := w.snapshot(t)
					err := r.call(w)
					tried++
					require.Error(t, err, "bad input accepted")
					require.ErrorIs(t, err, r.sentinel)
					if r.typed != nil {
						require.True(t, errors.As(err, r.typed), "%v (%T) does not carry a %s", err, err, reflect.TypeOf(r.typed).Elem())
					}
					require.NotEmpty(t, err.Error())
					require.Equal(t, before, w.snapshot(t), "bad input changed what is stored")
				})
			}
		})
	}
	t.Logf("%d bad inputs tried (%d rows on %d stores), each refused with its typed error and nothing stored changed", tried, len(rows()), len(stores))
}

// TestCorruptBoltRows overwrites bytes of a stored release row and of a stored
// history entry in the bolt file: reading them gives release.ErrCorrupt with a
// *release.CorruptError, VerifyHistory is never reached with bad data, and the other
// release still reads exactly as before.
func TestCorruptBoltRows(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "releases.db")
	s, err := bolt.Open(path)
	require.NoError(t, err)
	w := newWorld(t, s)
	victim, err := w.eng.Create(ctx, release.Spec{Name: "MARKERROW", Version: "1.0.0", Environment: "prod", Author: alice.ID})
	require.NoError(t, err)
	_, err = w.eng.Fire(ctx, w.planned.ID, release.EventSchedule, alice, release.Reason("MARKERHIST"))
	require.NoError(t, err)
	healthy, err := w.eng.Create(ctx, release.Spec{Name: "healthy", Version: "2.0.0", Environment: "prod", Author: alice.ID})
	require.NoError(t, err)
	healthyHist, err := s.History(ctx, healthy.ID)
	require.NoError(t, err)
	require.NoError(t, s.Close())

	b, err := os.ReadFile(path)
	require.NoError(t, err)
	for marker, repl := range map[string]string{"MARKERROW": `MARK"RROW`, "MARKERHIST": `MARKER\HIS`} {
		require.Positive(t, bytes.Count(b, []byte(marker)), "marker %q not in the file", marker)
		b = bytes.ReplaceAll(b, []byte(marker), []byte(repl))
	}
	require.NoError(t, os.WriteFile(path, b, 0o600))

	s, err = bolt.Open(path)
	require.NoError(t, err)
	defer s.Close()
	var ce *release.CorruptError
	_, err = s.Get(ctx, victim.ID)
	require.ErrorIs(t, err, release.ErrCorrupt, "release row")
	require.ErrorAs(t, err, &ce)
	_, err = s.History(ctx, w.planned.ID)
	require.ErrorIs(t, err, release.ErrCorrupt, "history entry")
	require.ErrorAs(t, err, &ce)

	got, err := s.Get(ctx, healthy.ID)
	require.NoError(t, err)
	require.Equal(t, healthy, got, "the untouched release")
	h, err := s.History(ctx, healthy.ID)
	require.NoError(t, err)
	require.Equal(t, healthyHist, h, "the untouched history")
}

// The snapshot sees every kind of change a bad input could make, so the tour's
// "nothing stored changed" can fail: a good transition, a calendar booking through
// the engine, a direct calendar booking and an accepted webhook delivery each change
// it.
func TestSnapshotSeesChanges(t *testing.T) {
	w := newWorld(t, memory.New())
	changes := []struct {
		name string
		do   func() error
	}{
		{"a transition", func() error {
			_, err := w.eng.Fire(w.ctx, w.planned.ID, release.EventCancel, alice)
			return err
		}},
		{"a slot booked through the engine", func() error {
			_, err := w.calEng.Fire(w.ctx, w.timed.ID, release.EventSchedule, alice, release.At(time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)))
			return err
		}},
		{"a calendar booking", func() error {
			return w.cal.Book(calendar.Booking{ID: "b9", Environment: "dev", Services: []string{"x"}, Start: time.Date(2026, 3, 5, 10, 0, 0, 0, time.UTC), End: time.Date(2026, 3, 5, 11, 0, 0, 0, time.UTC)})
		}},
		{"an accepted delivery", func() error {
			body := bytes.Replace(w.body, []byte(`/2"`), []byte(`/3"`), 1)
			_, err := webhook.Verify(http.Header{webhook.SignatureHeader: {webhook.Sign(body, t0, secret)}}, body, [][]byte{secret}, t0, webhook.WithReplayCache(w.replays))
			return err
		}},
	}
	for _, c := range changes {
		before := w.snapshot(t)
		require.NoError(t, c.do(), c.name)
		require.NotEqual(t, before, w.snapshot(t), "the snapshot missed %s", c.name)
	}
}
