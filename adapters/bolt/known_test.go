package bolt_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/releasekit/releasekit/adapters/bolt"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/releasetest"
)

// The store remembers the rows and last history entries it last wrote or read, and
// skips decoding and verifying them again when it finds the same bytes. That must
// change no outcome: a store that has been running (warm) and a store opened on a
// copy of its file (cold, remembering nothing) give the same answers to every Get,
// History, Fire and Update, whatever was edited behind the store's back in between: a
// release row edited (author, state) or put back as it was, the last entry rewritten
// with its hash recomputed, an earlier entry deleted; an edit may also come between
// a read and the Update built on it, and that Update may store a release that
// disagrees with its entry.
func TestKnownAgreesWithCold(t *testing.T) {
	dir := t.TempDir()
	var n int
	events := []release.Event{release.EventPlan, release.EventSchedule, release.EventUnschedule, release.EventApprove, release.EventCancel}
	rapid.Check(t, func(t *rapid.T) {
		ctx := context.Background()
		warm := openRapid(t, dir, &n)
		defer warm.Close()
		clock := releasetest.NewClock(t0, 0)
		engine := func(s release.Store) *release.Engine {
			e, err := release.New(s, release.WithClock(clock), release.WithPolicy(release.AllowAll()))
			if err != nil {
				t.Fatal(err)
			}
			return e
		}
		we := engine(warm)
		var ids []release.ID
		for i := range 3 {
			r, err := we.Create(ctx, spec(fmt.Sprintf("svc-%d", i)))
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, r.ID)
		}
		// cold opens a copy of the warm store's file as it is now.
		cold := func(t *rapid.T) *bolt.Store {
			n++
			path := filepath.Join(dir, fmt.Sprintf("cold%d.db", n))
			var buf bytes.Buffer
			if _, err := warm.Backup(ctx, &buf); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
				t.Fatal(err)
			}
			s, err := bolt.Open(path, bolt.WithNoSync(true))
			if err != nil {
				t.Fatalf("open the copy: %v", err)
			}
			return s
		}
		same := func(t *rapid.T, what string, w, c any, werr, cerr error) {
			if fmt.Sprint(werr) != fmt.Sprint(cerr) {
				t.Fatalf("%s: the warm store says %v, a cold copy %v", what, werr, cerr)
			}
			if werr == nil && !reflect.DeepEqual(w, c) {
				t.Fatalf("%s: the warm store returns\n%+v\na cold copy\n%+v", what, w, c)
			}
		}
		pick := func(t *rapid.T) release.ID { return rapid.SampledFrom(ids).Draw(t, "release") }
		// good holds each release's row as it read before its last edit.
		good := map[release.ID]release.Release{}
		// tamper edits release id in the warm store's file behind its back: 0 leaves
		// it alone, 1 edits a field of the row (or puts back the row as it was), 2
		// rewrites the last entry with its hash recomputed, 3 deletes an earlier entry.
		tamper := func(t *rapid.T, id release.ID, how int) {
			switch how {
			case 1:
				r, err := warm.Get(ctx, id)
				if err != nil {
					t.Skip("the row does not read")
				}
				switch rapid.IntRange(0, 2).Draw(t, "field") {
				case 0:
					good[id] = r.Clone()
					r.Author = "mallory"
				case 1:
					good[id] = r.Clone()
					r.State = release.StateApproved
				case 2:
					g, ok := good[id]
					if !ok {
						t.Skip("never edited")
					}
					r = g
				}
				if err := bolt.Tamper.SetRelease(ctx, warm, r); err != nil {
					t.Fatal(err)
				}
			case 2:
				h, err := warm.History(ctx, id)
				if err != nil {
					t.Skip("the history does not read")
				}
				last := h[len(h)-1]
				last.Reason = "rewritten"
				if last.Hash, err = last.ComputeHash(); err != nil {
					t.Fatal(err)
				}
				if err := bolt.Tamper.SetEntry(ctx, warm, last); err != nil {
					t.Fatal(err)
				}
			case 3:
				h, err := warm.History(ctx, id)
				if err != nil || len(h) < 2 {
					t.Skip("no earlier entry")
				}
				seq := rapid.Int64Range(1, int64(len(h))-1).Draw(t, "sequence")
				if err := bolt.Tamper.DeleteEntry(ctx, warm, id, seq); err != nil {
					t.Fatal(err)
				}
			}
		}
		t.Repeat(map[string]func(*rapid.T){
			"fire": func(t *rapid.T) {
				id, ev := pick(t), rapid.SampledFrom(events).Draw(t, "event")
				c := cold(t)
				defer c.Close()
				clock.Advance(time.Minute)
				wr, werr := we.Fire(ctx, id, ev, bob, release.Reason("step"))
				cr, cerr := engine(c).Fire(ctx, id, ev, bob, release.Reason("step"))
				same(t, fmt.Sprintf("Fire %s", ev), wr, cr, werr, cerr)
			},
			// An Update straight through the store, built on a read of the file
			// as it is now, with an edit between that read and the Update.
			"update": func(t *rapid.T) {
				id, ev := pick(t), rapid.SampledFrom(events).Draw(t, "event")
				if _, err := warm.Get(ctx, id); err != nil {
					t.Skip("the row does not read")
				}
				c := cold(t)
				defer c.Close()
				clock.Advance(time.Minute)
				r, err := engine(c).Fire(ctx, id, ev, bob, release.Reason("step"))
				if err != nil {
					t.Skip("the event does not apply")
				}
				h, err := c.History(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				if rapid.Bool().Draw(t, "disagree") {
					// A release that disagrees with its entry's snapshot: the
					// store takes it, and the next append must refuse to build
					// on it, warm or cold.
					r.Author = "mallory"
				}
				tamper(t, id, rapid.IntRange(0, 3).Draw(t, "edit"))
				c2 := cold(t)
				defer c2.Close()
				werr := warm.Update(ctx, r.Revision-1, r, h[len(h)-1])
				cerr := c2.Update(ctx, r.Revision-1, r, h[len(h)-1])
				same(t, "Update", nil, nil, werr, cerr)
			},
			"read": func(t *rapid.T) {
				id := pick(t)
				c := cold(t)
				defer c.Close()
				wr, werr := warm.Get(ctx, id)
				cr, cerr := c.Get(ctx, id)
				same(t, "Get", wr, cr, werr, cerr)
				wh, werr := warm.History(ctx, id)
				ch, cerr := c.History(ctx, id)
				same(t, "History", wh, ch, werr, cerr)
			},
			"edit": func(t *rapid.T) { tamper(t, pick(t), rapid.IntRange(1, 3).Draw(t, "edit")) },
		})
	})
}

// A running store that counted a release's history itself looks only at its last
// key on the next append, as long as every write committed since was its own. An
// earlier entry deleted by another transaction on the file must still be refused,
// also when the store's own writes of other releases come between the deletion and
// the append.
func TestKnownCountsAfterAnotherWriter(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	e := newEngine(t, s)
	a, err := e.Create(ctx, spec("a"))
	require.NoError(t, err)
	b, err := e.Create(ctx, spec("b"))
	require.NoError(t, err)
	for _, step := range []struct {
		id release.ID
		ev release.Event
	}{{a.ID, release.EventPlan}, {b.ID, release.EventPlan}, {a.ID, release.EventSchedule}, {a.ID, release.EventUnschedule}} {
		_, err := e.Fire(ctx, step.id, step.ev, bob)
		require.NoError(t, err)
	}
	require.NoError(t, bolt.Tamper.DeleteEntry(ctx, s, a.ID, 2))
	_, err = e.Fire(ctx, b.ID, release.EventSchedule, bob)
	require.NoError(t, err, "the store's own write of another release")
	_, err = e.Fire(ctx, a.ID, release.EventSchedule, bob)
	var he *release.HistoryError
	require.ErrorAs(t, err, &he, "append after an earlier entry was deleted")
	require.ErrorIs(t, err, release.ErrTampered)
}
