package storetest

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/releasekit/releasekit/release"
)

// rewrite is one kind of rewrite of an anchored release, made beneath the store as
// someone with write access to the database would. apply changes h (a copy of the
// history) at entry i and may change the row; the case then renumbers, relinks and
// rehashes the chain and recomputes the row's revision, state and head, so every
// rewrite verifies as a chain.
type rewrite struct {
	kind  string
	apply func(r *release.Release, h []release.AuditEntry, i int, other []release.AuditEntry) []release.AuditEntry
}

func rewrites() []rewrite {
	edit := func(kind string, f func(e *release.AuditEntry)) rewrite {
		return rewrite{kind, func(_ *release.Release, h []release.AuditEntry, i int, _ []release.AuditEntry) []release.AuditEntry {
			f(&h[i])
			return h
		}}
	}
	swap := func(kind string, j func(i, n int) int) rewrite {
		return rewrite{kind, func(_ *release.Release, h []release.AuditEntry, i int, _ []release.AuditEntry) []release.AuditEntry {
			k := j(i, len(h))
			if k == i {
				k = (i + 1) % len(h)
			}
			h[i], h[k] = h[k], h[i]
			return h
		}}
	}
	return []rewrite{
		edit("reason", func(e *release.AuditEntry) { e.Reason = "approved by the CAB" }),
		edit("actor", func(e *release.AuditEntry) { e.Actor.ID = "mallory" }),
		edit("actor kind", func(e *release.AuditEntry) {
			e.Actor.Kind = map[release.ActorKind]release.ActorKind{release.ActorPerson: release.ActorAutomation, release.ActorAutomation: release.ActorPerson}[e.Actor.Kind]
		}),
		edit("roles", func(e *release.AuditEntry) { e.Actor.Roles = append(slices.Clone(e.Actor.Roles), "admin") }),
		edit("time (+1µs)", func(e *release.AuditEntry) { e.Time = e.Time.Add(time.Microsecond) }),
		edit("data", func(e *release.AuditEntry) { e.Data = json.RawMessage(`{"ticket":"CHG-forged"}`) }),
		edit("data removed", func(e *release.AuditEntry) {
			if e.Data == nil {
				e.Data = json.RawMessage(`{}`)
			} else {
				e.Data = nil
			}
		}),
		edit("annotation", func(e *release.AuditEntry) {
			e.Annotations = map[string]json.RawMessage{"gates": json.RawMessage(`{"go":true}`)}
		}),
		edit("from and to", func(e *release.AuditEntry) { e.From, e.To = release.StateCancelled, release.StateCancelled }),
		edit("event", func(e *release.AuditEntry) {
			if e.Event == release.EventCancel {
				e.Event = release.EventPlan
			} else {
				e.Event = release.EventCancel
			}
		}),
		{"rewrite tail as mallory", func(_ *release.Release, h []release.AuditEntry, i int, _ []release.AuditEntry) []release.AuditEntry {
			for j := i; j < len(h); j++ {
				h[j].Actor = release.Person("mallory", release.RoleReleaseManager)
			}
			return h
		}},
		{"two entries", func(_ *release.Release, h []release.AuditEntry, i int, _ []release.AuditEntry) []release.AuditEntry {
			h[i].Reason += " (edited)"
			h[len(h)-1].Reason += " (edited)"
			return h
		}},
		{"backdate everything", func(r *release.Release, h []release.AuditEntry, _ int, _ []release.AuditEntry) []release.AuditEntry {
			for j := range h {
				h[j].Time = h[j].Time.Add(-time.Hour)
			}
			r.CreatedAt = r.CreatedAt.Add(-time.Hour)
			return h
		}},
		{"delete", func(_ *release.Release, h []release.AuditEntry, i int, _ []release.AuditEntry) []release.AuditEntry {
			return slices.Delete(h, i, i+1)
		}},
		{"delete a range", func(_ *release.Release, h []release.AuditEntry, i int, _ []release.AuditEntry) []release.AuditEntry {
			return slices.Delete(h, i, min(i+3, len(h)))
		}},
		// Insertions push the last entry out (a store's tables are edited in place), so
		// at the last entry they insert before it.
		{"insert duplicate", func(_ *release.Release, h []release.AuditEntry, i int, _ []release.AuditEntry) []release.AuditEntry {
			j := min(i, len(h)-2)
			return slices.Insert(h, j+1, h[j].Clone())[:len(h)]
		}},
		{"insert forged", func(_ *release.Release, h []release.AuditEntry, i int, _ []release.AuditEntry) []release.AuditEntry {
			j := min(i, len(h)-2)
			f := release.AuditEntry{Event: release.EventRevoke, From: h[j].To, To: h[j].To, Actor: release.Person("mallory"), Time: h[j].Time}
			return slices.Insert(h, j+1, f)[:len(h)]
		}},
		{"splice from another release", func(_ *release.Release, h []release.AuditEntry, i int, other []release.AuditEntry) []release.AuditEntry {
			h[i] = other[min(i, len(other)-1)].Clone()
			return h
		}},
		swap("swap adjacent", func(i, n int) int { return min(i+1, n-1) }),
		swap("swap far", func(i, n int) int { return n - 1 - i }),
		{"reverse", func(_ *release.Release, h []release.AuditEntry, _ int, _ []release.AuditEntry) []release.AuditEntry {
			slices.Reverse(h)
			return h
		}},
		{"truncate", func(_ *release.Release, h []release.AuditEntry, i int, _ []release.AuditEntry) []release.AuditEntry {
			return h[:max(i, 1)]
		}},
		{"replace the whole history", func(r *release.Release, h []release.AuditEntry, _ int, _ []release.AuditEntry) []release.AuditEntry {
			r.Author = "mallory"
			first := h[0].Clone()
			first.Actor = release.Person("mallory")
			return []release.AuditEntry{first}
		}},
		{"author", func(r *release.Release, h []release.AuditEntry, _ int, _ []release.AuditEntry) []release.AuditEntry {
			r.Author = "mallory"
			h[0].Actor.ID = "mallory"
			return h
		}},
	}
}

// relink renumbers, relinks and rehashes h, as an attacker who knows the (public)
// hashing scheme does, and returns r with its revision, state and head recomputed.
func relink(r release.Release, h []release.AuditEntry) (release.Release, error) {
	prev := ""
	for i := range h {
		h[i].ReleaseID, h[i].Sequence, h[i].PrevHash = r.ID, int64(i+1), prev
		var err error
		if h[i].Hash, err = h[i].ComputeHash(); err != nil {
			return r, err
		}
		prev = h[i].Hash
	}
	r.Revision, r.Head = int64(len(h)), prev
	if len(h) > 0 {
		r.State = h[len(h)-1].To
	}
	return r, nil
}

// memSink is a release.CheckpointSink in memory, with compare-and-swap.
type memSink struct {
	mu  sync.Mutex
	cps []release.Checkpoint
}

func (s *memSink) Publish(_ context.Context, c release.Checkpoint) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var last int64
	if len(s.cps) > 0 {
		last = s.cps[len(s.cps)-1].Size
	}
	if c.Size-int64(len(c.Leaves)) != last {
		return fmt.Errorf("%w: the sink ends at %d", release.ErrStale, last)
	}
	s.cps = append(s.cps, c)
	return nil
}

func (s *memSink) Checkpoints(context.Context) ([]release.Checkpoint, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.cps), nil
}

// testAnchoredRewrites: every kind of rewrite of an anchored release, with the chain,
// the head and the row recomputed and written beneath the store, is named by
// release.VerifyCheckpoints (holding only the public key and the published
// checkpoints): the rewritten release and the first entry that is not as anchored.
// Each rewrite is made on releases of its own, at the first, a middle and the last
// entry, after a checkpoint covers them.
func testAnchoredRewrites(t *testing.T, s release.Store, tp *Tamper) {
	ctx := context.Background()
	skey, vkey, err := note.GenerateKey(rand.Reader, "audit.storetest.example")
	if err != nil {
		t.Fatal(err)
	}
	signer, _ := note.NewSigner(skey)
	key, _ := note.NewVerifier(vkey)
	sink := &memSink{}
	e := newEngine(t, s, release.WithCheckpoints(signer, sink, release.CheckpointEvery(0), release.CheckpointInterval(0)))
	walk := []release.Event{release.EventPlan, release.EventSchedule, release.EventApprove, release.EventRevoke, release.EventApprove, release.EventStart, release.EventComplete}
	build := func(name string) (release.Release, []release.AuditEntry) {
		r := mustCreate(t, e, spec(name, "prod"))
		for _, ev := range walk {
			r = mustFire(t, e, r.ID, ev, release.Reason("step"), release.Data(map[string]string{"ev": string(ev)}))
		}
		h, err := s.History(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		return r, h
	}
	// write puts r and h in the store beneath it: entries overwritten in place, the
	// ones past the end of h deleted.
	write := func(r release.Release, h []release.AuditEntry, n int) error {
		for i := range h {
			if err := tp.SetEntry(ctx, s, h[i]); err != nil {
				return err
			}
		}
		for seq := int64(n); seq > int64(len(h)); seq-- { // from the end: some stores renumber
			if err := tp.DeleteEntry(ctx, s, r.ID, seq); err != nil {
				return err
			}
		}
		return tp.SetRelease(ctx, s, r)
	}
	broken := map[release.ID]bool{}
	kinds, tried, byStore := 0, 0, 0
	for _, rw := range rewrites() {
		kinds++
		for _, at := range []string{"first", "middle", "last"} {
			target, orig := build("target")
			_, other := build("other")
			if _, err := e.Checkpoint(ctx); err != nil {
				t.Fatalf("%s at the %s entry: checkpoint: %v", rw.kind, at, err)
			}
			i := map[string]int{"first": 0, "middle": len(orig) / 2, "last": len(orig) - 1}[at]
			h := make([]release.AuditEntry, len(orig))
			for j, en := range orig {
				h[j] = en.Clone()
			}
			r := target.Clone()
			h = rw.apply(&r, h, i, other)
			if r, err = relink(r, h); err != nil {
				t.Fatal(err)
			}
			if err := write(r, h, len(orig)); err != nil {
				t.Fatalf("%s at the %s entry: tamper: %v", rw.kind, at, err)
			}
			broken[r.ID] = true
			want := int64(len(orig) + 1)
			for k := range orig {
				if k >= len(h) || h[k].Hash != orig[k].Hash {
					want = int64(k + 1)
					break
				}
			}
			err := release.VerifyCheckpoints(ctx, s, key, must(sink.Checkpoints(ctx)))
			named := map[release.ID]*release.HistoryError{}
			unreadable := false
			for _, one := range unjoin(err) {
				var he *release.HistoryError
				switch {
				case errors.As(one, &he) && errors.Is(one, release.ErrTampered):
					named[he.ID] = he
				case errors.Is(one, release.ErrCorrupt) && strings.Contains(one.Error(), r.ID.String()):
					// The store itself refuses to read the rewritten entry (it checks
					// each entry's lifecycle as it decodes it): detected, by the store.
					unreadable = true
				case errors.Is(one, release.ErrCorrupt) && brokenIn(broken, one):
					// a release rewritten by an earlier kind
				default:
					t.Fatalf("%s at the %s entry: VerifyCheckpoints gave %v, want *release.HistoryError", rw.kind, at, one)
				}
			}
			he := named[r.ID]
			switch {
			case unreadable:
				byStore++
			case he == nil:
				t.Fatalf("%s at the %s entry: not detected (VerifyCheckpoints = %v)", rw.kind, at, err)
			case he.Sequence != want:
				t.Errorf("%s at the %s entry: named entry %d, want %d: %v", rw.kind, at, he.Sequence, want, he)
			}
			for id := range named {
				if !broken[id] {
					t.Errorf("%s at the %s entry: an untouched release is named: %v", rw.kind, at, named[id])
				}
			}
			tried++
		}
	}
	t.Logf("recomputed-chain rewrites after a checkpoint: %d of %d kinds (%d rewrites) detected; %d named by release and entry, %d refused as corrupt by the store when read",
		kinds, kinds, tried, tried-byStore, byStore)
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// unjoin lists the errors joined in err (err itself when it joins nothing).
func unjoin(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// brokenIn reports whether err names one of the broken releases.
func brokenIn(broken map[release.ID]bool, err error) bool {
	for id := range broken {
		if strings.Contains(err.Error(), id.String()) {
			return true
		}
	}
	return false
}
