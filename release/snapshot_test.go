package release_test

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/calendar"
	"github.com/releasekit/releasekit/release"
)

// chainFields are the fields of a Release that the chain itself gives (not the
// snapshot). adapters/postgres strips the same keys from a stored release before it
// compares the rest with the last entry's snapshot.
var chainFields = []string{"id", "state", "revision", "head", "created_at", "updated_at", "reached"}

// fields lists the fields of struct type T.
func fields[T any]() []reflect.StructField {
	typ := reflect.TypeFor[T]()
	out := make([]reflect.StructField, typ.NumField())
	for i := range out {
		out[i] = typ.Field(i)
	}
	return out
}

func jsonName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	return name
}

// TestSnapshotCoversTheRelease: every field of a Release is either given by the
// chain or recorded in the snapshot, under the same JSON name and with the same
// omitempty choice; a field added to Release without either fails here.
func TestSnapshotCoversTheRelease(t *testing.T) {
	snap := map[string]reflect.StructField{}
	for _, f := range fields[release.Snapshot]() {
		snap[jsonName(f)] = f
	}
	seen := 0
	for _, f := range fields[release.Release]() {
		name := jsonName(f)
		if slices.Contains(chainFields, name) {
			if _, dup := snap[name]; dup {
				t.Errorf("%s is both given by the chain and in the snapshot", name)
			}
			continue
		}
		sf, ok := snap[name]
		if !ok {
			t.Errorf("Release.%s (%q) is neither given by the chain nor recorded in the snapshot", f.Name, name)
			continue
		}
		seen++
		if sf.Tag.Get("json") != f.Tag.Get("json") || sf.Type != f.Type {
			t.Errorf("Snapshot.%s is %s `%s`, Release.%s is %s `%s`: they must encode alike", sf.Name, sf.Type, sf.Tag, f.Name, f.Type, f.Tag)
		}
	}
	if seen != len(snap) {
		t.Errorf("the snapshot has %d fields, %d of them from Release", len(snap), seen)
	}
}

// everyField is a release through plan, schedule, approve, start, complete, fail,
// rollback, finish_rollback and close on an engine wired with a calendar, so every
// field of the stored release is set.
func everyField(t *testing.T) (release.Release, []release.AuditEntry) {
	t.Helper()
	ctx := context.Background()
	cal, err := calendar.NewWithOptions(nil)
	if err != nil {
		t.Fatal(err)
	}
	w := newWired(t, nil, release.WithCalendar(release.CalendarConfig{Calendar: cal}), release.WithRisk(release.RiskConfig{}),
		release.WithRollback(release.RollbackConfig{}))
	ledger := w.create(t, "ledger", "4.1.0")
	w.fire(t, ledger.ID, release.EventPlan)
	w.fire(t, ledger.ID, release.EventSchedule)
	// payments is verified in staging after the ledger, then promoted to prod (which
	// sets Predecessor).
	sl, err := w.eng.Create(ctx, release.Spec{Name: "ledger", Version: "4.1.0", Environment: "staging", Author: "ana", Duration: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range []release.Event{release.EventPlan, release.EventSchedule} {
		sl = w.fire(t, sl.ID, ev)
	}
	st, err := w.eng.Create(ctx, release.Spec{Name: "payments", Version: "2.0.0", Environment: "staging", Author: "ana", Team: "payments",
		Duration: time.Hour, CommittedAt: w.clock.Now().Add(-26 * time.Hour), Labels: map[string]string{"ticket": "CHG-1"}, Needs: []release.Need{{Name: "ledger"}},
		Components: []release.Component{{Name: "payments", Version: "2.0.0", PreviousVersion: "1.9.0"}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range []release.Event{release.EventPlan, release.EventSchedule, release.EventApprove} {
		st = w.fire(t, st.ID, ev)
	}
	w.clock.Set(sl.Slot.Start)
	for _, ev := range []release.Event{release.EventApprove, release.EventStart, release.EventComplete, release.EventVerify} {
		w.fire(t, sl.ID, ev)
	}
	w.clock.Set(st.Slot.Start)
	for _, ev := range []release.Event{release.EventStart, release.EventComplete, release.EventVerify} {
		st = w.fire(t, st.ID, ev)
	}
	r, err := w.eng.Promote(ctx, st.ID, "prod", release.Person("ana", release.RoleDeveloper))
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range []release.Event{release.EventPlan, release.EventSchedule, release.EventApprove} {
		r = w.fire(t, r.ID, ev)
	}
	w.clock.Set(r.Slot.Start)
	for _, ev := range []release.Event{release.EventComplete, release.EventFail, release.EventRollback, release.EventFinishRollback} {
		if ev == release.EventComplete {
			w.fire(t, r.ID, release.EventStart)
		}
		r = w.fire(t, r.ID, ev)
	}
	r = w.fire(t, r.ID, release.EventClose, release.WithReview(release.Review{Outcome: "rolled back"}))
	h, err := w.eng.History(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	return r, h
}

// TestVerifyReleaseNamesEveryField: an edit of any field of a stored release is
// detected by VerifyRelease, which names the field (an edited head is a history
// that does not end there). The fields are listed by reflection, so a new field
// must get a way to be edited here.
func TestVerifyReleaseNamesEveryField(t *testing.T) {
	r, h := everyField(t)
	if err := release.VerifyRelease(r, h); err != nil {
		t.Fatalf("an untouched release does not verify: %v", err)
	}
	for _, f := range fields[release.Release]() {
		name := jsonName(f)
		edited := r.Clone()
		v := reflect.ValueOf(&edited).Elem().FieldByName(f.Name)
		if v.IsZero() {
			t.Errorf("the release of this test leaves %s empty: set it so that its edit is tested", name)
			continue
		}
		editValue(t, name, v)
		err := release.VerifyRelease(edited, h)
		if name == "head" {
			var he *release.HistoryError
			if !errors.As(err, &he) {
				t.Errorf("an edited head: %v, want a *HistoryError", err)
			}
			continue
		}
		var me *release.MismatchError
		if !errors.As(err, &me) || !errors.Is(err, release.ErrTampered) || me.Field != name {
			t.Errorf("an edited %s: %v, want a *MismatchError naming %s", name, err, name)
		}
	}
}

// editValue changes v (a field of a Release) to another value of its type.
func editValue(t *testing.T, name string, v reflect.Value) {
	t.Helper()
	switch v.Interface().(type) {
	case string, release.State, release.Class:
		v.SetString(v.String() + "x")
	case int64:
		v.SetInt(v.Int() + 1)
	case time.Duration:
		v.SetInt(v.Int() + int64(time.Minute))
	case time.Time:
		v.Set(reflect.ValueOf(v.Interface().(time.Time).Add(time.Microsecond)))
	case release.ID:
		id := v.Interface().(release.ID)
		id[15] ^= 1
		v.Set(reflect.ValueOf(id))
	case []release.Component:
		v.Index(0).FieldByName("Version").SetString("9.9.9")
	case []release.Need:
		v.Index(0).FieldByName("Version").SetString(">= 9")
	case map[string]string:
		v.SetMapIndex(reflect.ValueOf("forged"), reflect.ValueOf("yes"))
	case map[release.State]time.Time:
		v.SetMapIndex(reflect.ValueOf(release.StateVerified), reflect.ValueOf(time.Unix(0, 0).UTC()))
	case *release.Slot:
		v.Elem().FieldByName("Booking").SetString("forged")
	case *release.RiskSummary:
		v.Elem().FieldByName("Level").SetString(v.Elem().FieldByName("Level").String() + "x")
	case *release.RollbackRecord:
		v.Elem().FieldByName("Duration").SetInt(1)
	case *release.Review:
		v.Elem().FieldByName("Outcome").SetString("forged")
	default:
		t.Fatalf("no edit for field %s of type %s: add one", name, v.Type())
	}
}

// TestLaunderedEditIsInTheHistory: a release row edited in the database and then
// built upon (a store that did not refuse the append) leaves an entry whose snapshot
// changes a field its event does not change: VerifyHistory names that entry.
func TestLaunderedEditIsInTheHistory(t *testing.T) {
	f := newFixture(t, release.WithPolicy(release.AllowAll()))
	r := f.walk(t, f.create(t, "prod").ID, rui, release.EventPlan, release.EventSchedule)
	h, _ := f.eng.History(context.Background(), r.ID)
	for _, tc := range []struct {
		field string
		edit  func(r *release.Release)
	}{
		{"author", func(r *release.Release) { r.Author = "mallory" }},
		{"environment", func(r *release.Release) { r.Environment = "dev" }},
		{"slot", func(r *release.Release) { r.Slot = &release.Slot{Booking: "x", Start: t0, End: t0.Add(time.Hour)} }},
	} {
		edited := r.Clone()
		tc.edit(&edited)
		next := release.AuditEntry{ReleaseID: r.ID, Sequence: r.Revision + 1, Event: release.EventApprove, From: r.State, To: release.StateApproved,
			Actor: rui, Time: r.UpdatedAt.Add(time.Second), PrevHash: r.Head, HashVersion: release.CurrentHashVersion}
		edited.State = release.StateApproved
		next.Snapshot = edited.Snapshot()
		var err error
		if next.Hash, err = next.ComputeHash(); err != nil {
			t.Fatal(err)
		}
		err = release.VerifyHistory(append(slices.Clone(h), next), next.Hash)
		var he *release.HistoryError
		if !errors.As(err, &he) || he.Sequence != next.Sequence || !strings.Contains(he.Reason, tc.field) {
			t.Errorf("an approve entry that changes %s: %v, want a *HistoryError naming entry %d and %s", tc.field, err, next.Sequence, tc.field)
		}
	}
}

// TestHistoryFromBeforeSnapshots: a release and history written by releasekit before
// snapshots (testdata/upgrade/v1-history.json, written by that code) verify; what the
// chain gives is still checked (an edited author or state is named); once the engine
// appends to it, the new entries carry snapshots and every field is checked.
func TestHistoryFromBeforeSnapshots(t *testing.T) {
	ctx := context.Background()
	b, err := os.ReadFile("testdata/upgrade/v1-history.json")
	if err != nil {
		t.Fatal(err)
	}
	var old struct {
		Release release.Release      `json:"release"`
		History []release.AuditEntry `json:"history"`
	}
	if err := json.Unmarshal(b, &old); err != nil {
		t.Fatal(err)
	}
	r, h := old.Release, old.History
	for _, e := range h {
		if e.Snapshot != nil || e.HashVersion != 0 {
			t.Fatalf("the fixture holds an entry with a snapshot: it was not written by the old code")
		}
	}
	if err := release.VerifyRelease(r, h); err != nil {
		t.Fatalf("a history written before snapshots does not verify: %v", err)
	}
	for _, tc := range []struct {
		field string
		edit  func(r *release.Release)
	}{
		{"author", func(r *release.Release) { r.Author = "rui" }},
		{"state", func(r *release.Release) { r.State = release.StateDeployed }},
		{"revision", func(r *release.Release) { r.Revision = 2 }},
		{"reached", func(r *release.Release) { r.Reached[release.StateVerified] = r.UpdatedAt }},
	} {
		edited := r.Clone()
		tc.edit(&edited)
		var me *release.MismatchError
		if err := release.VerifyRelease(edited, h); !errors.As(err, &me) || me.Field != tc.field {
			t.Errorf("an edited %s of an old release: %v, want a *MismatchError naming it", tc.field, err)
		}
	}
	// What an old history cannot say: its environment.
	edited := r.Clone()
	edited.Environment = "dev"
	if err := release.VerifyRelease(edited, h); err != nil {
		t.Fatalf("an old history says nothing of the environment, yet: %v", err)
	}

	// Load it into a store as the old code left it, and go on with the engine.
	s := memory.New()
	first := r.Clone()
	first.Revision, first.Head, first.State, first.UpdatedAt = 1, h[0].Hash, h[0].To, h[0].Time
	if err := s.Create(ctx, first, h[0]); err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(h); i++ {
		row := r.Clone()
		row.Revision, row.Head, row.State, row.UpdatedAt = int64(i+1), h[i].Hash, h[i].To, h[i].Time
		if err := s.Update(ctx, int64(i), row, h[i]); err != nil {
			t.Fatalf("replaying entry %d: %v", i+1, err)
		}
	}
	eng, err := release.New(s, release.WithPolicy(release.AllowAll()), release.WithClock(release.ClockFunc(func() time.Time { return r.UpdatedAt.Add(time.Hour) })))
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.Verify(ctx, r.ID); err != nil {
		t.Fatalf("the old release in a store does not verify: %v", err)
	}
	if _, err := eng.Fire(ctx, r.ID, release.EventRevoke, rui, release.Reason("after the upgrade")); err != nil {
		t.Fatalf("fire on an old release: %v", err)
	}
	if err := eng.Verify(ctx, r.ID); err != nil {
		t.Fatalf("the old history with a new entry does not verify: %v", err)
	}
	nh, _ := eng.History(ctx, r.ID)
	if last := nh[len(nh)-1]; last.Snapshot == nil || last.HashVersion != release.CurrentHashVersion {
		t.Fatalf("the entry appended after the upgrade has no snapshot: %+v", last)
	}
	cur, _ := eng.Get(ctx, r.ID)
	cur.Environment = "dev"
	var me *release.MismatchError
	if err := release.VerifyRelease(cur, nh); !errors.As(err, &me) || me.Field != "environment" {
		t.Fatalf("after the upgrade an edited environment is not named: %v", err)
	}
}

// A risk score of -0 in the stored release against 0 in the history is a mismatch:
// the two are equal numbers but not the same stored text.
func TestVerifyAppendNegativeZeroScore(t *testing.T) {
	r, h := everyField(t)
	last := h[len(h)-1].Clone()
	if last.Snapshot == nil || last.Snapshot.Risk == nil || r.Risk == nil {
		t.Fatal("the release of this test has no risk in its last entry's snapshot")
	}
	risk := *last.Snapshot.Risk
	risk.Score = 0
	snap := *last.Snapshot
	snap.Risk = &risk
	last.Snapshot = &snap
	var err error
	if last.Hash, err = last.ComputeHash(); err != nil {
		t.Fatal(err)
	}
	cur := r.Clone()
	cur.Head = last.Hash
	stored := *r.Risk
	cur.Risk = &stored
	cur.Risk.Score = 0
	if err := release.VerifyAppend(cur, cur.Revision, last); err != nil {
		t.Fatalf("score 0 against 0: %v", err)
	}
	cur.Risk.Score = math.Copysign(0, -1)
	var me *release.MismatchError
	if err := release.VerifyAppend(cur, cur.Revision, last); !errors.As(err, &me) || me.Field != "risk" {
		t.Fatalf("score -0 against 0: %v, want a *MismatchError naming risk", err)
	}
}
