package memory_test

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/release"
)

// TestStoredForm: whatever a release holds (no, few or many components; a nil, empty
// or full Reached, including a state the lifecycle does not know; empty and shared
// text), Get and List return exactly what was created, and changing what they
// return changes nothing stored. The store keeps releases in a compact form of its
// own (inline states reached and components, one string for the text), which must
// not show.
func TestStoredForm(t *testing.T) {
	text := rapid.SampledFrom([]string{"", "a", "svc", "lib-1", "1.0.0", "prod", "ünïcode"})
	rapid.Check(t, func(t *rapid.T) {
		ctx := context.Background()
		s := memory.New()
		n := rapid.IntRange(1, 4).Draw(t, "releases")
		want := make([]release.Release, n)
		for i := range want {
			r := release.Release{
				ID: release.ID{15: byte(i + 1)}, Name: "svc", Version: text.Draw(t, "version"), Environment: text.Draw(t, "env"),
				Author: text.Draw(t, "author"), Team: text.Draw(t, "team"), Head: text.Draw(t, "head"),
				State: release.StateDraft, Revision: 1, CreatedAt: time.Unix(rapid.Int64Range(0, 1<<37).Draw(t, "created"), 0).UTC(),
			}
			switch rapid.IntRange(0, 2).Draw(t, "components kind") {
			case 1:
				r.Components = []release.Component{}
			case 2:
				for j := range rapid.IntRange(1, 4).Draw(t, "components") {
					r.Components = append(r.Components, release.Component{Name: fmt.Sprintf("lib-%d", j), Version: text.Draw(t, "cversion"), PreviousVersion: text.Draw(t, "prev")})
				}
			}
			switch rapid.IntRange(0, 3).Draw(t, "reached kind") {
			case 1:
				r.Reached = map[release.State]time.Time{}
			case 2, 3:
				r.Reached = map[release.State]time.Time{}
				for _, st := range rapid.SliceOfDistinct(rapid.SampledFrom(release.States()), func(s release.State) release.State { return s }).Draw(t, "states") {
					r.Reached[st] = time.Unix(rapid.Int64Range(0, 1<<37).Draw(t, "at"), 0).UTC()
				}
				if rapid.Bool().Draw(t, "unknown state") {
					r.Reached["not-a-state"] = time.Unix(7, 0).UTC()
				}
			}
			if rapid.Bool().Draw(t, "labels") {
				r.Labels = map[string]string{"team": text.Draw(t, "label")}
			}
			create(t, s, r)
			want[i] = r
		}
		check := func() {
			got, err := s.List(ctx, release.Filter{Name: "svc"})
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Fatalf("List = %#v, %v\nwant %#v", got, err, want)
			}
			for _, r := range want {
				if g, err := s.Get(ctx, r.ID); err != nil || !reflect.DeepEqual(g, r) {
					t.Fatalf("Get = %#v, %v\nwant %#v", g, err, r)
				}
			}
		}
		check()
		got, _ := s.List(ctx, release.Filter{})
		for _, r := range got { // scribble on every copy handed out
			for j := range r.Components {
				r.Components[j].Name = "changed"
			}
			if r.Reached != nil {
				r.Reached[release.StateClosed] = time.Unix(1, 0)
				delete(r.Reached, release.StateDraft)
			}
			if r.Labels != nil {
				r.Labels["team"] = "changed"
			}
		}
		check()
	})
}

// create stores r, a draft, with its create entry.
func create(t interface{ Fatal(...any) }, s *memory.Store, r release.Release) {
	first := release.AuditEntry{ReleaseID: r.ID, Sequence: 1, Event: release.EventCreate, To: release.StateDraft, Actor: release.Person("ana"), Time: r.CreatedAt}
	var err error
	if first.Hash, err = first.ComputeHash(); err != nil {
		t.Fatal(err)
	}
	if err := s.Create(context.Background(), r, first); err != nil {
		t.Fatal(err)
	}
}

// TestOutboxSharesNothingMutable: a pending notification carries the release as the
// transition committed it, even after later updates, and the entry the history
// holds.
func TestOutboxSharesNothingMutable(t *testing.T) {
	ctx := context.Background()
	s := memory.New()
	eng, err := release.New(s, release.WithPolicy(release.AllowAll()))
	if err != nil {
		t.Fatal(err)
	}
	r, err := eng.Create(ctx, release.Spec{Name: "svc", Version: "1.0.0", Environment: "prod", Author: "ana",
		Components: []release.Component{{Name: "lib", Version: "1.0.0"}}})
	if err != nil {
		t.Fatal(err)
	}
	actor := release.Person("rui", release.RoleReleaseManager)
	planned, err := eng.Fire(ctx, r.ID, release.EventPlan, actor)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eng.Fire(ctx, r.ID, release.EventCancel, actor); err != nil {
		t.Fatal(err)
	}
	h, err := s.History(ctx, r.ID)
	if err != nil || len(h) != 3 {
		t.Fatalf("History = %d entries, %v; want 3", len(h), err)
	}
	ps, err := s.ClaimNotifications(ctx, time.Now().Add(time.Hour), 0, time.Minute, 0)
	if err != nil || len(ps) != 2 {
		t.Fatalf("ClaimNotifications = %d, %v; want 2", len(ps), err)
	}
	for _, p := range ps {
		if p.Notification.Entry.Sequence == 2 {
			if !reflect.DeepEqual(p.Notification.Release, planned) {
				t.Errorf("the plan notification's release = %#v\nwant the release as planned %#v", p.Notification.Release, planned)
			}
			if !reflect.DeepEqual(p.Notification.Entry, h[1]) {
				t.Errorf("the plan notification's entry = %#v\nwant the history's %#v", p.Notification.Entry, h[1])
			}
			if p.Attempts != 1 {
				t.Errorf("attempts = %d, want 1", p.Attempts)
			}
		}
	}
	if err := eng.VerifyAudit(ctx, r.ID); err != nil {
		t.Errorf("VerifyAudit: %v", err)
	}
}

// TestPackedHistory: whatever strings, roles, snapshot components and evidence a
// history entry holds, History and the pending notification return it exactly as
// it was written, and changing what they return changes nothing stored. The store
// keeps entries packed (their strings in one string beside the rest), which must
// not show.
func TestPackedHistory(t *testing.T) {
	text := rapid.SampledFrom([]string{"", "a", "ana", "release-manager", "lib-1", "1.0.0", "ünïcode", strings.Repeat("x", 200)})
	actor := func(t *rapid.T, label string) release.Actor {
		a := release.Actor{ID: text.Draw(t, label+" id"), Kind: release.ActorKind(text.Draw(t, label+" kind"))}
		if n := rapid.IntRange(-1, 3).Draw(t, label+" roles"); n >= 0 {
			a.Roles = []string{}
			for range n {
				a.Roles = append(a.Roles, text.Draw(t, label+" role"))
			}
		}
		return a
	}
	rapid.Check(t, func(t *rapid.T) {
		ctx := context.Background()
		s := memory.New()
		r := release.Release{ID: release.ID{15: 1}, Name: "svc", Version: "1.0.0", Environment: "prod", Author: "ana",
			State: release.StateDraft, Revision: 1, CreatedAt: time.Unix(1700000000, 0).UTC()}
		entry := func(seq int64, prev string) release.AuditEntry {
			e := release.AuditEntry{ReleaseID: r.ID, Sequence: seq, Event: release.EventPlan, From: release.StateDraft, To: release.StatePlanned, Actor: actor(t, "actor"), Reason: text.Draw(t, "reason"), Time: r.CreatedAt, PrevHash: prev,
				HashVersion: release.CurrentHashVersion,
				Snapshot: &release.Snapshot{Name: text.Draw(t, "name"), Version: text.Draw(t, "version"), Environment: text.Draw(t, "env"),
					Author: text.Draw(t, "author"), Team: text.Draw(t, "team")}}
			if seq == 1 {
				e.Event, e.From, e.To = release.EventCreate, "", release.StateDraft
			} else if rapid.Bool().Draw(t, "cancel") {
				e.Event, e.To = release.EventCancel, release.StateCancelled
			}
			for range rapid.IntRange(0, 3).Draw(t, "components") {
				e.Snapshot.Components = append(e.Snapshot.Components, release.Component{Name: text.Draw(t, "cname"), Version: text.Draw(t, "cversion"), PreviousVersion: text.Draw(t, "prev")})
			}
			if seq > 1 && rapid.Bool().Draw(t, "evidence") {
				e.Event, e.To = release.EventRecord, release.StateDraft
				by := e.Actor // a record entry's evidence is by its actor
				by.Roles = slices.Clone(by.Roles)
				e.Evidence = &release.Evidence{Kind: release.EvidenceCheck, By: by, Name: text.Draw(t, "check"), Source: text.Draw(t, "source"),
					URL: text.Draw(t, "url"), Commit: text.Draw(t, "commit"), Reason: text.Draw(t, "ereason")}
			}
			var err error
			if e.Hash, err = e.ComputeHash(); err != nil {
				t.Fatal(err)
			}
			return e
		}
		first := entry(1, "")
		sn := first.Snapshot // the stored release is what its last entry says
		r.Name, r.Version, r.Environment, r.Author, r.Team = sn.Name, sn.Version, sn.Environment, sn.Author, sn.Team
		r.Components, r.UpdatedAt, r.Head = slices.Clone(sn.Components), first.Time, first.Hash
		if err := s.Create(ctx, r, first); err != nil {
			t.Fatal(err)
		}
		second := entry(2, first.Hash)
		next := r
		next.Revision, next.Head = 2, second.Hash
		if err := s.Update(ctx, 1, next, second); err != nil {
			t.Fatal(err)
		}
		var want []release.AuditEntry // as the entries read back from their stored form
		for _, e := range []release.AuditEntry{first, second} {
			b, err := release.EncodeEntry(e)
			if err != nil {
				t.Fatal(err)
			}
			back, err := release.DecodeEntry(b)
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, back)
		}
		check := func() []release.AuditEntry {
			h, err := s.History(ctx, r.ID)
			if err != nil || !reflect.DeepEqual(h, want) {
				t.Fatalf("History = %#v, %v\nwant %#v", h, err, want)
			}
			return h
		}
		for _, e := range check() { // scribble on every copy handed out
			e.Actor.Roles = append(e.Actor.Roles[:0], "changed")
			for i := range e.Snapshot.Components {
				e.Snapshot.Components[i].Name = "changed"
			}
			e.Snapshot.Name = "changed"
			if e.Evidence != nil {
				e.Evidence.By.Roles = append(e.Evidence.By.Roles[:0], "changed")
				e.Evidence.Name = "changed"
			}
		}
		check()
		ps, err := s.ClaimNotifications(ctx, time.Now(), 0, time.Minute, 0)
		if err != nil || len(ps) != 1 || !reflect.DeepEqual(ps[0].Notification.Entry, want[1]) {
			t.Fatalf("ClaimNotifications = %#v, %v\nwant the entry %#v", ps, err, want[1])
		}
	})
}

// TestListBatches: List reads its candidates a batch at a time; whatever the number
// of candidates (more than a batch, few of them matching), the cursor and the limit,
// it returns exactly the releases that match, in ID order, from the cursor, up to the
// limit.
func TestListBatches(t *testing.T) {
	ctx := context.Background()
	s := memory.New()
	var all []release.Release
	for i := range 70 {
		r := release.Release{ID: release.ID{14: byte(i / 7), 15: byte(i + 1)}, Name: "svc", Version: fmt.Sprint(i % 5), Environment: "prod", Author: "ana",
			State: release.StateDraft, Revision: 1, CreatedAt: time.Unix(int64(i), 0).UTC()}
		create(t, s, r)
		all = append(all, r)
	}
	slices.SortFunc(all, func(a, b release.Release) int { return a.ID.Compare(b.ID) })
	rapid.Check(t, func(t *rapid.T) {
		f := release.Filter{Name: "svc", Limit: rapid.IntRange(0, 40).Draw(t, "limit")}
		if rapid.Bool().Draw(t, "version") {
			f.Version = fmt.Sprint(rapid.IntRange(0, 5).Draw(t, "which"))
		}
		if k := rapid.IntRange(-1, len(all)-1).Draw(t, "after"); k >= 0 {
			f.After = all[k].ID
		}
		var want []release.Release
		for _, r := range all {
			if (f.After.IsZero() || r.ID.Compare(f.After) > 0) && (f.Version == "" || r.Version == f.Version) && (f.Limit == 0 || len(want) < f.Limit) {
				want = append(want, r)
			}
		}
		got, err := s.List(ctx, f)
		if err != nil || len(got) != len(want) || (len(want) > 0 && !reflect.DeepEqual(got, want)) {
			t.Fatalf("List(%+v) = %d releases, %v; want %d", f, len(got), err, len(want))
		}
	})
}
