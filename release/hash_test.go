package release_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/releasekit/releasekit/gate"
	"github.com/releasekit/releasekit/release"
)

// fullEntry is an entry in which every field, at every depth, is set: the fixture of
// TestEveryFieldIsHashed, which fails when a field (a new one included) is left
// empty here.
func fullEntry(t *testing.T) release.AuditEntry {
	t.Helper()
	at := time.Date(2026, 3, 3, 9, 0, 0, 123000, time.UTC)
	baseline := 0.2
	e := release.AuditEntry{
		ReleaseID: chainID, Sequence: 4, Event: release.EventApprove, From: release.StateScheduled, To: release.StateApproved,
		Actor:  release.Actor{ID: "rui", Roles: []string{release.RoleReleaseManager, "cab"}, Kind: release.ActorPerson},
		Reason: "CAB reviewed", Time: at, Data: json.RawMessage(`{"ticket":"CHG-1"}`),
		Annotations: map[string]json.RawMessage{"gates": json.RawMessage(`{"go":true}`), "calendar": json.RawMessage(`{}`)},
		Snapshot: &release.Snapshot{
			Name: "payments", Version: "2.0.0", Environment: "prod", Class: release.ClassNormal, Author: "ana",
			Components: []release.Component{{Name: "payments", Version: "2.0.0", PreviousVersion: "1.9.0"}},
			Labels:     map[string]string{"ticket": "CHG-1"}, Team: "payments", Duration: time.Hour,
			Needs:       []release.Need{{Name: "ledger", Version: ">= 4"}},
			Slot:        &release.Slot{Booking: "b1", Start: at, End: at.Add(time.Hour)},
			Risk:        &release.RiskSummary{Score: 42.5, Level: "medium", Reasons: []string{"big (+10)"}},
			Rollback:    &release.RollbackRecord{Plan: json.RawMessage(`{"waves":[]}`), Duration: time.Minute, Report: json.RawMessage(`{"done":[]}`)},
			Review:      &release.Review{Outcome: "ok", Lessons: []string{"canary"}, FollowUps: []string{"PAY-1"}},
			Scope:       2,
			Predecessor: release.ID{1},
		},
		// Every field of every kind, though no one kind uses them all: the hash covers
		// what is there.
		Evidence: &release.Evidence{
			Kind: release.EvidenceCheck, By: release.Automation("ci", "deployer"), Role: "cab", Reason: "green",
			Name: "build", Status: gate.CheckSuccess, URL: "https://ci.example/1", ExternalID: "run-1", Source: "github",
			Commit: "9fceb02", Value: 0.25, Baseline: &baseline, Window: 5 * time.Minute, Gate: "checks",
			Expires: at.Add(time.Hour), Scope: 2, At: at,
		},
		HashVersion: release.CurrentHashVersion,
		PrevHash:    "7f0c2e6d3b1a", // any text: the chain is not checked here
	}
	var err error
	if e.Hash, err = e.ComputeHash(); err != nil {
		t.Fatal(err)
	}
	return e
}

// TestEveryFieldIsHashed: changing any field of an entry, at any depth (the actor's
// kind, a role, the snapshot's slot end, an annotation…), changes its hash, so an
// edit of that field is detected. The fields are found by reflection: a field added
// to AuditEntry, Actor, Snapshot, Evidence or what they hold is covered without editing this
// test, and fails it if the canonical form leaves it out (or the fixture leaves it
// empty).
func TestEveryFieldIsHashed(t *testing.T) {
	base := fullEntry(t)
	var paths []string
	walkLeaves(t, reflect.ValueOf(&base).Elem(), "AuditEntry", func(path string, _ func()) { paths = append(paths, path) })
	if len(paths) < 30 {
		t.Fatalf("only %d fields found: the walk is broken", len(paths))
	}
	for i, path := range paths {
		e := base.Clone()
		n := 0
		walkLeaves(t, reflect.ValueOf(&e).Elem(), "AuditEntry", func(_ string, mutate func()) {
			if n == i {
				mutate()
			}
			n++
		})
		sum, err := e.ComputeHash()
		if err == nil && sum == base.Hash {
			t.Errorf("%s is not covered by the hash: changing it leaves the hash %s", path, sum)
		}
	}
	t.Logf("%d fields, each covered by the hash", len(paths))
}

// walkLeaves calls visit for every leaf field under v (a settable struct), with a
// function that changes that leaf in v. It fails the test on an empty leaf (the
// fixture must set every field) and skips AuditEntry.Hash, the hash itself.
func walkLeaves(t *testing.T, v reflect.Value, path string, visit func(path string, mutate func())) {
	t.Helper()
	switch v.Kind() {
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			visit(path, func() { v.Set(reflect.ValueOf(v.Interface().(time.Time).Add(time.Microsecond))) })
			return
		}
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if !f.IsExported() || path == "AuditEntry" && f.Name == "Hash" {
				continue
			}
			walkLeaves(t, v.Field(i), path+"."+f.Name, visit)
		}
	case reflect.Pointer:
		if v.IsNil() {
			t.Fatalf("the fixture leaves %s nil: set it so that the test covers it", path)
		}
		walkLeaves(t, v.Elem(), path, visit)
	case reflect.Interface:
		if v.IsNil() {
			t.Fatalf("the fixture leaves %s nil: set it so that the test covers it", path)
		}
		inner := reflect.New(v.Elem().Type()).Elem()
		inner.Set(v.Elem())
		walkLeaves(t, inner, path, func(p string, mutate func()) {
			visit(p, func() { mutate(); v.Set(inner) })
		})
	case reflect.Slice:
		if v.Len() == 0 {
			t.Fatalf("the fixture leaves %s empty: set it so that the test covers it", path)
		}
		if v.Type() == reflect.TypeFor[json.RawMessage]() {
			visit(path, func() { v.Set(reflect.ValueOf(json.RawMessage(`{"edited":true}`))) })
			return
		}
		walkLeaves(t, v.Index(0), path+"[0]", visit)
		visit(path+" (one more element)", func() { v.Set(reflect.Append(v, v.Index(0))) })
	case reflect.Map:
		if v.Len() == 0 {
			t.Fatalf("the fixture leaves %s empty: set it so that the test covers it", path)
		}
		keys := v.MapKeys()
		slices.SortFunc(keys, func(a, b reflect.Value) int { return compareText(fmt.Sprint(a), fmt.Sprint(b)) })
		k := keys[0]
		visit(fmt.Sprintf("%s[%v]", path, k), func() {
			val := reflect.New(v.Type().Elem()).Elem()
			val.Set(v.MapIndex(k))
			mutateLeaf(t, val)
			v.SetMapIndex(k, val)
		})
		visit(path+" (one more key)", func() {
			nk := reflect.New(v.Type().Key()).Elem()
			nk.SetString(k.String() + "-added")
			v.SetMapIndex(nk, v.MapIndex(k))
		})
	default:
		if v.IsZero() {
			t.Fatalf("the fixture leaves %s zero: set it so that the test covers it", path)
		}
		visit(path, func() { mutateLeaf(t, v) })
	}
}

// mutateLeaf changes a scalar (or a raw JSON value) to another value of its kind.
func mutateLeaf(t *testing.T, v reflect.Value) {
	t.Helper()
	if v.Type() == reflect.TypeFor[json.RawMessage]() {
		v.Set(reflect.ValueOf(json.RawMessage(`{"edited":true}`)))
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(v.String() + "x")
	case reflect.Int, reflect.Int64, reflect.Int32:
		v.SetInt(v.Int() + 1)
	case reflect.Uint8:
		v.SetUint(v.Uint() ^ 1)
	case reflect.Float64:
		v.SetFloat(v.Float() + 1)
	case reflect.Bool:
		v.SetBool(!v.Bool())
	case reflect.Array:
		mutateLeaf(t, v.Index(v.Len()-1))
	default:
		t.Fatalf("no way to change a %s: add one", v.Type())
	}
}

func compareText(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
