package release_test

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/release"
)

// chainID is the release every generated chain belongs to.
var chainID = func() release.ID {
	id, err := release.ParseID("019a2b3c-4d5e-7f60-8a1b-2c3d4e5f6a7b")
	if err != nil {
		panic(err)
	}
	return id
}()

// chainSnapshot is the release every generated entry records (the author is the
// first actor, who creates it).
var chainSnapshot = &release.Snapshot{Name: "checkout", Version: "2.4.0", Environment: "prod", Class: release.ClassNormal, Author: "alice",
	Components: []release.Component{{Name: "checkout", Version: "2.4.0"}}}

// chain builds a valid hash-chained history of n entries directly with ComputeHash
// (the engine would append the same entries, only slower): create, plan, then
// schedule and unschedule in turn, one second apart, each by one of three actors
// with a reason and a JSON payload. It returns the entries and the head hash.
func chain(tb testing.TB, n int) ([]release.AuditEntry, string) {
	tb.Helper()
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	actors := []release.Actor{
		release.Person("alice", release.RoleDeveloper), release.Person("bob", release.RoleReleaseManager),
		release.Automation("ci", release.RoleDeployer),
	}
	h := make([]release.AuditEntry, n)
	prev, state := "", release.State("")
	for i := range h {
		ev := release.EventSchedule
		switch {
		case i == 0:
			ev = release.EventCreate
		case i == 1:
			ev = release.EventPlan
		case state == release.StateScheduled:
			ev = release.EventUnschedule
		}
		to := release.StateDraft
		if i > 0 {
			var ok bool
			if to, ok = release.Next(state, ev); !ok {
				tb.Fatalf("entry %d: %s is not a transition from %s", i+1, ev, state)
			}
		}
		e := release.AuditEntry{
			ReleaseID: chainID, Sequence: int64(i + 1), Event: ev, From: state, To: to,
			Actor: actors[i%len(actors)], Reason: "step " + strconv.Itoa(i+1),
			Time: t0.Add(time.Duration(i) * time.Second), Data: json.RawMessage(`{"i":` + strconv.Itoa(i) + `}`),
			PrevHash: prev, Snapshot: chainSnapshot.Clone(), HashVersion: release.CurrentHashVersion,
		}
		var err error
		if e.Hash, err = e.ComputeHash(); err != nil {
			tb.Fatal(err)
		}
		h[i], prev, state = e, e.Hash, to
	}
	return h, prev
}

// rehash recomputes the hash of entry i after an edit, as an attacker who knows
// the (public) hashing scheme would.
func rehash(tb testing.TB, h []release.AuditEntry, i int) {
	tb.Helper()
	var err error
	if h[i].Hash, err = h[i].ComputeHash(); err != nil {
		tb.Fatal(err)
	}
}

// A tampering applies one change to a copy of a history at position i and says
// which sequence number VerifyHistory must name: the first entry that no longer
// verifies (or, for a cut tail, the first missing one).
type tampering struct {
	kind  string
	apply func(tb testing.TB, h []release.AuditEntry, i int) []release.AuditEntry
	// want is the sequence named in the *HistoryError, given the position and the
	// original length.
	want func(i, n int) int64
}

func tamperings() []tampering {
	at := func(i, n int) int64 { return int64(i + 1) }
	next := func(i, n int) int64 { return int64(i + 2) }
	edit := func(kind string, change func(e *release.AuditEntry)) tampering {
		return tampering{kind: "edit " + kind, want: at, apply: func(_ testing.TB, h []release.AuditEntry, i int) []release.AuditEntry {
			h[i] = h[i].Clone() // the copy shares the snapshot and slices with the original
			change(&h[i])
			return h
		}}
	}
	return []tampering{
		edit("reason", func(e *release.AuditEntry) { e.Reason += "!" }),
		edit("actor", func(e *release.AuditEntry) { e.Actor.ID = "mallory" }),
		edit("roles", func(e *release.AuditEntry) { e.Actor.Roles = append(slices.Clone(e.Actor.Roles), "admin") }),
		edit("snapshot (environment)", func(e *release.AuditEntry) { e.Snapshot.Environment = "dev" }),
		edit("actor kind", func(e *release.AuditEntry) {
			e.Actor.Kind = map[release.ActorKind]release.ActorKind{release.ActorPerson: release.ActorAutomation, release.ActorAutomation: release.ActorPerson}[e.Actor.Kind]
		}),
		edit("time (+1ns)", func(e *release.AuditEntry) { e.Time = e.Time.Add(time.Nanosecond) }),
		edit("data", func(e *release.AuditEntry) { e.Data = json.RawMessage(`{"i":-1}`) }),
		edit("annotation", func(e *release.AuditEntry) {
			e.Annotations = map[string]json.RawMessage{"gates": json.RawMessage(`{"go":true}`)}
		}),
		edit("hash", func(e *release.AuditEntry) { e.Hash = e.Hash[:63] + string("10"[e.Hash[63]&1]) }),
		// An edit whose hash the attacker recomputed verifies on its own; the next
		// entry's link to it breaks (for the last entry: the release's head).
		{kind: "edit and rehash", want: next, apply: func(tb testing.TB, h []release.AuditEntry, i int) []release.AuditEntry {
			h[i].Reason = "approved by the CAB"
			rehash(tb, h, i)
			return h
		}},
		// Rewriting the whole tail from i on, rehashing and relinking every entry:
		// the chain is internally consistent, and only the head catches it.
		{kind: "rewrite tail and relink", want: func(i, n int) int64 { return int64(n + 1) },
			apply: func(tb testing.TB, h []release.AuditEntry, i int) []release.AuditEntry {
				h[i].Actor = release.Person("mallory", release.RoleReleaseManager)
				for j := i; j < len(h); j++ {
					// A consistent rewrite: the snapshots name the creator as author.
					h[j] = h[j].Clone()
					h[j].Snapshot.Author = h[0].Actor.ID
					if j > 0 {
						h[j].PrevHash = h[j-1].Hash
					}
					rehash(tb, h, j)
				}
				return h
			}},
		{kind: "delete", want: at, apply: func(_ testing.TB, h []release.AuditEntry, i int) []release.AuditEntry {
			return slices.Delete(h, i, i+1)
		}},
		// A duplicate of entry i inserted after it.
		{kind: "insert duplicate", want: next, apply: func(_ testing.TB, h []release.AuditEntry, i int) []release.AuditEntry {
			return slices.Insert(h, i+1, h[i])
		}},
		// A forged entry, correctly numbered, chained and hashed, inserted after entry
		// i: it verifies as entry i+2; the old entry i+2 after it does not. Appended
		// after the last entry, it is named itself: it comes after the head.
		{kind: "insert forged", want: func(i, n int) int64 { return int64(min(i+3, n+1)) }, apply: func(tb testing.TB, h []release.AuditEntry, i int) []release.AuditEntry {
			f := release.AuditEntry{ReleaseID: chainID, Sequence: int64(i + 2), Event: release.EventCancel, From: h[i].To,
				To: release.StateCancelled, Actor: release.Person("mallory"), Time: h[i].Time, PrevHash: h[i].Hash,
				Snapshot: h[i].Snapshot.Clone(), HashVersion: release.CurrentHashVersion}
			if to, ok := release.Next(f.From, f.Event); ok {
				f.To = to
			}
			var err error
			if f.Hash, err = f.ComputeHash(); err != nil {
				tb.Fatal(err)
			}
			return slices.Insert(h, i+1, f)
		}},
		// Entry i swapped with its neighbour (the one before it for the last entry).
		{kind: "swap adjacent", want: func(i, n int) int64 { return int64(min(i, n-2) + 1) },
			apply: func(_ testing.TB, h []release.AuditEntry, i int) []release.AuditEntry {
				j := min(i, len(h)-2)
				h[j], h[j+1] = h[j+1], h[j]
				return h
			}},
		// Entry i swapped with one far away (at the other end of the history); the
		// earlier of the two positions is named.
		{kind: "swap far", want: func(i, n int) int64 { return int64(min(i, n-1-i) + 1) },
			apply: func(_ testing.TB, h []release.AuditEntry, i int) []release.AuditEntry {
				j := len(h) - 1 - i
				if j == i {
					j = 0
				}
				h[i], h[j] = h[j], h[i]
				return h
			}},
		// Swapped and renumbered, so the sequence numbers run 1…n again.
		{kind: "swap and renumber", want: func(i, n int) int64 { return int64(min(i, n-2) + 1) },
			apply: func(_ testing.TB, h []release.AuditEntry, i int) []release.AuditEntry {
				j := min(i, len(h)-2)
				h[j], h[j+1] = h[j+1], h[j]
				h[j].Sequence, h[j+1].Sequence = int64(j+1), int64(j+2)
				return h
			}},
		// Everything from entry i on cut off (i = 0: an empty history).
		{kind: "truncate", want: at, apply: func(_ testing.TB, h []release.AuditEntry, i int) []release.AuditEntry {
			return h[:i]
		}},
	}
}

// chainLen is the length of the history the tampering test attacks. The default
// (10,000 events; 1,000 under the race detector, which slows hashing twentyfold)
// keeps the test to a few seconds; the 100,000-event run the reliability report
// quotes is
//
//	go test -run TestAuditChainDetectsEveryTampering -v ./release -args -audit.chain=100000
var chainLen = flag.Int("audit.chain", 0, "length of the history TestAuditChainDetectsEveryTampering attacks (0: 10,000, or 1,000 under -race)")

// TestAuditChainDetectsEveryTampering builds a long history once (10,000 events by
// default, 100,000 with -audit.chain=100000) and
// attacks a copy of it with every kind of tampering (edits of each field, an edit
// with its hash recomputed, a rewritten and relinked tail, deletion, insertion of a
// duplicate and of a forged well-formed entry, reordering with and without
// renumbering, truncation) at the first, the last and the middle entry and at five
// random positions. Each must give a *HistoryError (ErrTampered) naming the right
// sequence number; the untouched history verifies.
func TestAuditChainDetectsEveryTampering(t *testing.T) {
	n := *chainLen
	if n == 0 {
		n = 10_000
		if raceEnabled {
			n = 1_000
		}
	}
	require.GreaterOrEqual(t, n, 16, "-audit.chain")
	base, head := chain(t, n)
	require.NoError(t, release.VerifyHistory(base, head), "the untouched history verifies")

	rng := rand.New(rand.NewPCG(9, 2026))
	positions := []int{0, n - 1, n / 2}
	for range 5 {
		positions = append(positions, 1+rng.IntN(n-2))
	}
	work := make([]release.AuditEntry, n, n+1)
	checked := 0
	for _, tm := range tamperings() {
		for _, i := range positions {
			t.Run(fmt.Sprintf("%s at %d", tm.kind, i+1), func(t *testing.T) {
				work = work[:n]
				copy(work, base)
				h := tm.apply(t, work, i)
				err := release.VerifyHistory(h, head)
				var he *release.HistoryError
				require.ErrorIs(t, err, release.ErrTampered)
				require.ErrorAs(t, err, &he)
				require.Equal(t, tm.want(i, n), he.Sequence, "sequence named by %v", err)
				if len(h) > 0 {
					require.Equal(t, chainID, he.ID)
				}
				checked++
			})
		}
	}
	t.Logf("%d tamperings of %d kinds at %d positions in a %d-entry history, all detected", checked, len(tamperings()), len(positions), n)
	// The copies shared no state with the original.
	require.NoError(t, release.VerifyHistory(base, head), "the original still verifies")
}

// Without the head, a cut tail cannot be told from a shorter history: VerifyHistory
// with head "" accepts every prefix. This pins the documented limit, so a caller
// knows to pass the release's Head.
func TestAuditChainTruncationNeedsTheHead(t *testing.T) {
	h, head := chain(t, 50)
	for _, i := range []int{0, 1, 25, 49} {
		require.NoError(t, release.VerifyHistory(h[:i], ""), "prefix of %d without a head", i)
		err := release.VerifyHistory(h[:i], head)
		var he *release.HistoryError
		require.ErrorAs(t, err, &he, "prefix of %d with the head", i)
		require.Equal(t, int64(i+1), he.Sequence)
	}
}

// A history belonging to another release, spliced in whole, is caught at its first
// entry: the chain covers the release ID.
func TestAuditChainDetectsSplicedRelease(t *testing.T) {
	h, head := chain(t, 20)
	other := slices.Clone(h)
	otherID, err := release.ParseID("019a2b3c-4d5e-7f60-8a1b-000000000000")
	require.NoError(t, err)
	other[5].ReleaseID = otherID
	err = release.VerifyHistory(other, head)
	var he *release.HistoryError
	require.ErrorAs(t, err, &he)
	require.Equal(t, int64(6), he.Sequence)
	require.True(t, errors.Is(err, release.ErrTampered))
}

// BenchmarkVerifyHistorySizes measures VerifyHistory over valid histories of 1,000,
// 10,000 and 100,000 entries (the hash of every entry recomputed over its canonical
// JSON, and every link checked), reported as entries per second.
func BenchmarkVerifyHistorySizes(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000} {
		h, head := chain(b, n)
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := release.VerifyHistory(h, head); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "entries/s")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/entry")
		})
	}
}

// Entries appended after the release's head, however well formed, are named: the
// first one after the head does not verify.
func TestAuditChainNamesAppendedEntries(t *testing.T) {
	h, head := chain(t, 30)
	for extra := 1; extra <= 3; extra++ {
		longer, _ := chain(t, 30+extra)
		err := release.VerifyHistory(longer, head)
		var he *release.HistoryError
		require.ErrorAs(t, err, &he)
		require.Equal(t, int64(31), he.Sequence, "%v", err)
		require.Contains(t, he.Reason, "appended")
	}
	err := release.VerifyHistory(h[:29], head)
	var he *release.HistoryError
	require.ErrorAs(t, err, &he)
	require.Equal(t, int64(30), he.Sequence)
	require.Contains(t, he.Reason, "cut off")
}
