package release_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/releasekit/releasekit/release"
)

func TestDecodeRelease(t *testing.T) {
	id, err := release.ParseID("0190b3c4-5f6e-7a8b-9c0d-1e2f3a4b5c6d")
	if err != nil {
		t.Fatal(err)
	}
	good := release.Release{ID: id, Name: "checkout", Version: "1.0.0", Environment: "prod", Class: release.ClassNormal,
		Author: "ana", State: release.StateScheduled, Revision: 3, Head: "abc",
		Reached:  map[release.State]time.Time{release.StateDraft: time.Unix(1, 0).UTC()},
		Duration: time.Hour, Slot: &release.Slot{Booking: "b", Start: time.Unix(10, 0).UTC(), End: time.Unix(20, 0).UTC()}}
	b, err := json.Marshal(good)
	if err != nil {
		t.Fatal(err)
	}
	got, err := release.DecodeRelease(b)
	if err != nil {
		t.Fatalf("DecodeRelease(a good release) = %v", err)
	}
	if got.ID != good.ID || got.State != good.State || got.Revision != good.Revision || !got.Slot.End.Equal(good.Slot.End) {
		t.Fatalf("DecodeRelease = %+v, want %+v", got, good)
	}
	for _, tc := range []struct {
		why     string
		edit    func(r *release.Release)
		raw     string
		mention string
	}{
		{why: "an unknown state", edit: func(r *release.Release) { r.State = "bogus" }, mention: `state "bogus"`},
		{why: "a negative revision", edit: func(r *release.Release) { r.Revision = -1 }, mention: "revision -1"},
		{why: "revision 0", edit: func(r *release.Release) { r.Revision = 0 }, mention: "revision 0"},
		{why: "an unknown class", edit: func(r *release.Release) { r.Class = "urgent" }, mention: `class "urgent"`},
		{why: "a zero ID", edit: func(r *release.Release) { r.ID = release.ID{} }, mention: "ID is zero"},
		{why: "no head", edit: func(r *release.Release) { r.Head = "" }, mention: "head"},
		{why: "an unknown reached state", edit: func(r *release.Release) { r.Reached["nowhere"] = time.Unix(1, 0) }, mention: `"nowhere"`},
		{why: "a negative duration", edit: func(r *release.Release) { r.Duration = -time.Second }, mention: "duration"},
		{why: "an inverted slot", edit: func(r *release.Release) { r.Slot.End = r.Slot.Start }, mention: "slot"},
		{why: "not JSON", raw: "not json", mention: "not a release"},
		{why: "not an object", raw: "[]", mention: "not a release"},
		{why: "trailing data", raw: string(b) + " {}", mention: "trailing"},
	} {
		raw := []byte(tc.raw)
		if tc.edit != nil {
			r := good.Clone()
			tc.edit(&r)
			if raw, err = json.Marshal(r); err != nil {
				t.Fatal(err)
			}
		}
		_, err := release.DecodeRelease(raw)
		var ce *release.CorruptError
		if !errors.Is(err, release.ErrCorrupt) || !errors.As(err, &ce) || !strings.Contains(err.Error(), tc.mention) {
			t.Errorf("%s: DecodeRelease = %v, want a *CorruptError mentioning %q", tc.why, err, tc.mention)
		}
	}
}
