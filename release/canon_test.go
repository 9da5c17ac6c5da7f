package release_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/releasekit/releasekit/change"
	"github.com/releasekit/releasekit/gate"
	"github.com/releasekit/releasekit/release"
)

// canonText draws text that exercises every escaping rule of encoding/json: HTML
// characters, quotes, control characters, U+2028, non-ASCII and invalid UTF-8.
func canonText(t *rapid.T, label string) string {
	return rapid.OneOf(
		rapid.SampledFrom([]string{"", "prod", "payments", "release-manager", "v1.2.3"}),
		rapid.StringMatching(`[a-z0-9 ._:/-]{0,12}`),
		rapid.StringOfN(rapid.SampledFrom([]rune{'a', '<', '>', '&', '"', '\\', '\n', '\t', '\r', 0x01, 0x08, 0x0c, '/', 0x7f, 'é', '\u2028', '\u2029', '😀', 0}), 0, 8, -1),
		rapid.Custom(func(t *rapid.T) string {
			return string(rapid.SliceOfN(rapid.Byte(), 0, 8).Draw(t, "bytes"))
		}),
	).Draw(t, label)
}

// canonRaw draws JSON payloads: compact, spaced, escaped, invalid, empty and nil.
func canonRaw(t *rapid.T, label string) json.RawMessage {
	v := rapid.SampledFrom([]string{
		"<nil>", "", "null", `{}`, `{"a":1}`, `{ "a" : [1, 2] }`, `"<b>&amp;"`, "\"\u2028\"", `[1,2,3]`,
		`{"a":"é"}`, `{"a":1`, `nope`, `1e400`, `-0`, `"\u0041"`, "\t{\"x\":true}\n", `{"a":1} {"b":2}`,
	}).Draw(t, label)
	if v == "<nil>" {
		return nil
	}
	return json.RawMessage(v)
}

func canonTime(t *rapid.T, label string) time.Time {
	zones := []*time.Location{time.UTC, time.FixedZone("X", -7*3600-30*60), time.FixedZone("Y", 5*3600+45*60)}
	if ny, err := time.LoadLocation("America/New_York"); err == nil {
		zones = append(zones, ny)
	}
	sec := rapid.OneOf(
		rapid.Int64Range(0, 4102444800),
		rapid.SampledFrom([]int64{-62167219200 - 1, 253402300800, 0, -1}),
	).Draw(t, label+".sec")
	tm := time.Unix(sec, rapid.SampledFrom([]int64{0, 1, 1000, 123456789, 999999999}).Draw(t, label+".nsec"))
	if rapid.Bool().Draw(t, label+".zero") {
		return time.Time{}
	}
	return tm.In(rapid.SampledFrom(zones).Draw(t, label+".zone"))
}

func canonID(t *rapid.T, label string) release.ID {
	var id release.ID
	copy(id[:], rapid.SliceOfN(rapid.Byte(), 16, 16).Draw(t, label))
	return id
}

func canonStrings(t *rapid.T, label string) []string {
	if rapid.Bool().Draw(t, label+".nil") {
		return nil
	}
	return rapid.SliceOfN(rapid.Custom(func(t *rapid.T) string { return canonText(t, "s") }), 0, 3).Draw(t, label)
}

func canonEntry(t *rapid.T) release.AuditEntry {
	e := release.AuditEntry{
		ReleaseID:   canonID(t, "id"),
		Sequence:    rapid.Int64().Draw(t, "seq"),
		Event:       release.Event(canonText(t, "event")),
		From:        release.State(canonText(t, "from")),
		To:          release.State(canonText(t, "to")),
		Actor:       release.Actor{ID: canonText(t, "actor"), Kind: release.ActorKind(canonText(t, "kind")), Roles: canonStrings(t, "roles")},
		Reason:      canonText(t, "reason"),
		Time:        canonTime(t, "time"),
		Data:        canonRaw(t, "data"),
		HashVersion: rapid.IntRange(0, 3).Draw(t, "version"),
		PrevHash:    canonText(t, "prev"),
	}
	if rapid.Bool().Draw(t, "annotations") {
		e.Annotations = map[string]json.RawMessage{}
		for i := range rapid.IntRange(0, 4).Draw(t, "nann") {
			_ = i
			if v := canonRaw(t, "ann"); len(v) > 0 {
				e.Annotations[canonText(t, "annkey")] = v
			}
		}
	}
	if rapid.IntRange(0, 4).Draw(t, "snapshot") > 0 {
		s := &release.Snapshot{
			Name: canonText(t, "name"), Version: canonText(t, "sversion"), Environment: canonText(t, "env"),
			Class: change.Class(canonText(t, "class")), Author: canonText(t, "author"), Team: canonText(t, "team"),
			Duration:    time.Duration(rapid.SampledFrom([]int64{0, 1, -5, math.MaxInt64, int64(time.Hour)}).Draw(t, "duration")),
			Scope:       rapid.SampledFrom([]int64{0, 1, -1, math.MinInt64}).Draw(t, "scope"),
			CommittedAt: canonTime(t, "committed"),
		}
		if rapid.Bool().Draw(t, "pred") {
			s.Predecessor = canonID(t, "pred")
		}
		for range rapid.IntRange(0, 2).Draw(t, "ncomp") {
			s.Components = append(s.Components, release.Component{Name: canonText(t, "cn"), Version: canonText(t, "cv"), PreviousVersion: canonText(t, "cp")})
		}
		if rapid.Bool().Draw(t, "emptycomp") && s.Components == nil {
			s.Components = []release.Component{}
		}
		for range rapid.IntRange(0, 2).Draw(t, "nneed") {
			s.Needs = append(s.Needs, release.Need{Name: canonText(t, "nn"), Version: canonText(t, "nv")})
		}
		if rapid.Bool().Draw(t, "labels") {
			s.Labels = map[string]string{}
			for range rapid.IntRange(0, 3).Draw(t, "nlabel") {
				s.Labels[canonText(t, "lk")] = canonText(t, "lv")
			}
		}
		if rapid.Bool().Draw(t, "slot") {
			s.Slot = &release.Slot{Booking: canonText(t, "booking"), Start: canonTime(t, "start"), End: canonTime(t, "end")}
		}
		if rapid.Bool().Draw(t, "risk") {
			s.Risk = &release.RiskSummary{Score: rapid.SampledFrom([]float64{0, 42.5, 1e21, 1e-7, math.Copysign(0, -1)}).Draw(t, "score"), Level: canonText(t, "level"), Reasons: canonStrings(t, "reasons")}
		}
		if rapid.Bool().Draw(t, "rollback") {
			s.Rollback = &release.RollbackRecord{Plan: canonRaw(t, "plan"), Duration: time.Minute, Report: canonRaw(t, "report")}
		}
		if rapid.Bool().Draw(t, "review") {
			s.Review = &release.Review{Outcome: canonText(t, "outcome"), Lessons: canonStrings(t, "lessons")}
		}
		e.Snapshot = s
	}
	if rapid.Bool().Draw(t, "evidence") {
		e.Evidence = &release.Evidence{
			Kind: release.EvidenceKind(canonText(t, "ekind")), By: e.Actor, Name: canonText(t, "ename"),
			Status: gate.CheckStatus(canonText(t, "status")), Value: rapid.Float64().Draw(t, "value"),
			Expires: canonTime(t, "expires"), At: canonTime(t, "at"),
		}
	}
	return e
}

// sameAsJSON fails t unless the hand-written encoding got is encoding/json's want,
// or both failed.
func sameAsJSON(t *rapid.T, got []byte, gotErr error, want []byte, wantErr error) {
	t.Helper()
	if (wantErr != nil) != (gotErr != nil) {
		t.Fatalf("encoding/json error %v, by hand %v", wantErr, gotErr)
	}
	if wantErr == nil && !bytes.Equal(got, want) {
		t.Fatalf("by hand:\n%s\nencoding/json:\n%s", got, want)
	}
}

// TestCanonicalMatchesJSON: the hashed form ComputeHash writes without reflection is
// byte for byte what encoding/json writes for the canonical structs, and fails
// exactly when encoding/json does, so every stored hash stays what it was.
func TestCanonicalMatchesJSON(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		e := canonEntry(t)
		want, wantErr := release.CanonicalByJSON(e)
		got, gotErr := release.CanonicalByHand(e)
		sameAsJSON(t, got, gotErr, want, wantErr)
	})
}

// TestCanonicalMatchesJSONOnFixtures: the same on the fully set entry.
func TestCanonicalMatchesJSONOnFixtures(t *testing.T) {
	e := fullEntry(t)
	for v := range release.CurrentHashVersion + 1 {
		e.HashVersion = v
		want, err := release.CanonicalByJSON(e)
		if err != nil {
			t.Fatal(err)
		}
		got, err := release.CanonicalByHand(e)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("version %d: by hand (%v):\n%s\nencoding/json:\n%s", v, err, got, want)
		}
	}
}

// FuzzCanonicalMatchesJSON: for any payload, annotation and text, the hashed form
// is encoding/json's, or both fail.
func FuzzCanonicalMatchesJSON(f *testing.F) {
	f.Add([]byte(`{"a": "<b>"}`), "reason \u2028", "k")
	f.Add([]byte("\xff"), "\xff<", "")
	f.Fuzz(func(t *testing.T, data []byte, text, key string) {
		e := release.AuditEntry{
			Sequence: 1, Event: release.Event(text), Actor: release.Actor{ID: text, Roles: []string{key}},
			Reason: text, Data: data, Annotations: map[string]json.RawMessage{key: data, "x": json.RawMessage(`1`)},
			Snapshot:    &release.Snapshot{Name: text, Labels: map[string]string{key: text}, Rollback: &release.RollbackRecord{Plan: data}},
			HashVersion: release.CurrentHashVersion,
		}
		want, wantErr := release.CanonicalByJSON(e)
		got, gotErr := release.CanonicalByHand(e)
		if (wantErr != nil) != (gotErr != nil) || (wantErr == nil && !bytes.Equal(got, want)) {
			t.Fatalf("by hand (%v):\n%q\nencoding/json (%v):\n%q", gotErr, got, wantErr, want)
		}
	})
}

// canonRelease draws a release whose fields exercise the stored form's decoding.
func canonRelease(t *rapid.T) release.Release {
	e := canonEntry(t)
	s := e.Snapshot
	if s == nil {
		s = &release.Snapshot{}
	}
	r := release.Release{
		ID: e.ReleaseID, Name: s.Name, Version: s.Version, Components: s.Components, Environment: s.Environment,
		Class: s.Class, Author: s.Author, Labels: s.Labels, State: e.To, Revision: e.Sequence, Scope: s.Scope,
		Head: e.PrevHash, CreatedAt: canonTime(t, "created"), UpdatedAt: e.Time, Team: s.Team, Duration: s.Duration,
		Needs: s.Needs, Slot: s.Slot, Risk: s.Risk, Rollback: s.Rollback, Review: s.Review,
		Predecessor: s.Predecessor, CommittedAt: s.CommittedAt,
	}
	if rapid.Bool().Draw(t, "reached") {
		r.Reached = map[release.State]time.Time{}
		for range rapid.IntRange(0, 3).Draw(t, "nreached") {
			r.Reached[release.State(canonText(t, "state"))] = canonTime(t, "at")
		}
	}
	return r
}

// mangle applies an edit that encoding/json may or may not accept: whitespace, a
// key's case, a duplicate, a stray byte, a cut.
func mangle(t *rapid.T, b []byte) []byte {
	if len(b) == 0 || rapid.IntRange(0, 2).Draw(t, "mangle?") == 0 {
		return b
	}
	i := rapid.IntRange(0, len(b)-1).Draw(t, "at")
	out := bytes.Clone(b)
	switch rapid.IntRange(0, 5).Draw(t, "edit") {
	case 0:
		return append(out[:i:i], append([]byte(" "), b[i:]...)...)
	case 1:
		if c := out[i]; c >= 'a' && c <= 'z' {
			out[i] = c - 'a' + 'A'
		}
		return out
	case 2:
		return append(out[:i:i], append([]byte(rapid.SampledFrom([]string{`,"name":"x"`, `,"hash":"y"`, `null`, `\u0041`, `0`, `-`, `"`, `}`, `,"extra":1`}).Draw(t, "ins")), b[i:]...)...)
	case 3:
		return out[:i]
	case 4:
		return append(out, '\n')
	default:
		out[i] = rapid.Byte().Draw(t, "byte")
		return out
	}
}

// TestFastDecodeMatchesJSON: whatever the fast parse of a stored entry or release
// accepts (what encoding/json writes, and edits of it), it decodes exactly as
// encoding/json does; and it accepts what the stores write.
func TestFastDecodeMatchesJSON(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var b []byte
		var err error
		entry := rapid.Bool().Draw(t, "entry")
		if entry {
			b, err = json.Marshal(canonEntry(t))
		} else {
			b, err = json.Marshal(canonRelease(t))
		}
		if err != nil {
			t.Skip("not encodable:", err)
		}
		b = mangle(t, b)
		var got, want any
		var ok bool
		if entry {
			got, ok = release.DecodeEntryFast(b)
			want, err = release.DecodeEntryJSON(b)
		} else {
			got, ok = release.DecodeReleaseFast(b)
			want, err = release.DecodeReleaseJSON(b)
		}
		if ok && (err != nil || !reflect.DeepEqual(got, want)) {
			t.Fatalf("input %s\nfast: %#v\nencoding/json (%v): %#v", b, got, err, want)
		}
	})
}

// TestFastDecodeAcceptsStoredForms: the stores' own encodings of a fully set entry
// and release take the fast parse, so the test above compares something.
func TestFastDecodeAcceptsStoredForms(t *testing.T) {
	e := fullEntry(t)
	b, err := release.EncodeEntry(e)
	if err != nil {
		t.Fatal(err)
	}
	got, ok := release.DecodeEntryFast(b)
	if want, err := release.DecodeEntryJSON(b); !ok || err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("entry: fast %v, encoding/json %v", ok, err)
	}
	s := e.Snapshot
	r := release.Release{
		ID: e.ReleaseID, Name: s.Name, Version: s.Version, Components: s.Components, Environment: s.Environment,
		Class: s.Class, Author: s.Author, Labels: s.Labels, State: e.To, Revision: 4, Scope: 2, Head: e.Hash,
		CreatedAt: e.Time, UpdatedAt: e.Time, Reached: map[release.State]time.Time{release.StateDraft: e.Time},
		Team: s.Team, Duration: s.Duration, Needs: s.Needs, Slot: s.Slot, Risk: s.Risk, Rollback: s.Rollback,
		Review: s.Review, Predecessor: s.Predecessor, CommittedAt: e.Time,
	}
	if b, err = json.Marshal(r); err != nil {
		t.Fatal(err)
	}
	gotR, ok := release.DecodeReleaseFast(b)
	if want, err := release.DecodeReleaseJSON(b); !ok || err != nil || !reflect.DeepEqual(gotR, want) {
		t.Fatalf("release: fast %v, encoding/json %v", ok, err)
	}
}

// FuzzDecodeEntryFast: for any bytes, what the fast parse accepts, encoding/json
// decodes alike.
func FuzzDecodeEntryFast(f *testing.F) {
	e := fullEntry(&testing.T{})
	b, _ := release.EncodeEntry(e)
	f.Add(b)
	f.Add([]byte(`{"release_id":"00000000-0000-0000-0000-000000000000","sequence":1,"actor":{"id":"a","roles":[]},"data":{ "a" : 1 },"annotations":{}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, ok := release.DecodeEntryFast(b)
		want, err := release.DecodeEntryJSON(b)
		if ok && (err != nil || !reflect.DeepEqual(got, want)) {
			t.Fatalf("fast: %#v\nencoding/json (%v): %#v", got, err, want)
		}
	})
}

// FuzzDecodeReleaseFast: the same for a release row.
func FuzzDecodeReleaseFast(f *testing.F) {
	f.Add([]byte(`{"id":"00000000-0000-0000-0000-000000000001","name":"n","state":"draft","revision":1,"head":"h","labels":{"a":"b"},"reached":{"draft":"2026-01-01T00:00:00Z"},"risk":{"score":1.5,"level":"low"}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, ok := release.DecodeReleaseFast(b)
		want, err := release.DecodeReleaseJSON(b)
		if ok && (err != nil || !reflect.DeepEqual(got, want)) {
			t.Fatalf("fast: %#v\nencoding/json (%v): %#v", got, err, want)
		}
	})
}

// TestFastDecodeEdges: inputs that encoding/json reads in its own way (empty lists
// and maps, escapes, whitespace, repeated or case-folded keys, null, numbers that
// are not plain integers) decode alike on both parses, or the fast one gives up.
func TestFastDecodeEdges(t *testing.T) {
	const id = `"release_id":"00000000-0000-0000-0000-000000000001"`
	for _, tc := range []struct {
		in   string
		fast bool // the fast parse must take it
	}{
		{`{` + id + `,"actor":{"id":"a","roles":[]}}`, true},
		{`{` + id + `,"annotations":{}}`, true},
		{`{` + id + `,"snapshot":{"components":[],"labels":{},"needs":[]}}`, true},
		{`{` + id + `,"reason":"a\"b\\c\/d\b\f\n\r\t\u0041\u00e9\u003c"}`, true},
		{`{` + id + `,"reason":"\ud83d\ude00"}`, false},
		{`{` + id + `,"reason":"\ud83d"}`, false},
		{`{` + id + `,"re\u0061son":"x"}`, true},
		{`{` + id + `,"Reason":"x"}`, false},
		{`{` + id + `,"reason":"x","reason":"y"}`, false},
		{`{` + id + `,"data":{ "a" : [1, 2] }}`, true},
		{`{` + id + `,"data":1 }`, false},
		{`{` + id + `,"data": 1}`, false},
		{`{` + id + `,"data":null}`, false},
		{`{` + id + `,"reason":null}`, false},
		{`{` + id + `,"sequence":-0}`, true},
		{`{` + id + `,"sequence":1.0}`, false},
		{`{` + id + `,"sequence":01}`, false},
		{`{` + id + `,"sequence":1e2}`, false},
		{`{` + id + `,"sequence":99999999999999999999}`, false},
		{`{` + id + `,"time":"2026-03-01T09:00:00+01:00"}`, true},
		{`{` + id + `,"time":"2026-03-01 09:00"}`, false},
		{`{` + id + `,"reason":"` + "\xff" + `"}`, false},
		{`{` + id + `}` + "\n", false},
		{`{` + id + `,"evidence":{"kind":"check","value":1e-7}}`, true},
		{`{` + id + `,"evidence":{"kind":"check","extra":1}}`, false},
	} {
		got, ok := release.DecodeEntryFast([]byte(tc.in))
		want, err := release.DecodeEntryJSON([]byte(tc.in))
		if ok != tc.fast {
			t.Errorf("%s: fast parse took it: %v, want %v", tc.in, ok, tc.fast)
		}
		if ok && (err != nil || !reflect.DeepEqual(got, want)) {
			t.Errorf("%s:\nfast: %#v\nencoding/json (%v): %#v", tc.in, got, err, want)
		}
	}
	for _, in := range []string{
		`{"id":"00000000-0000-0000-0000-000000000001","reached":{},"labels":{"a":"b"},"unknown":1}`,
		`{"id":"00000000-0000-0000-0000-000000000001","reached":{"draft":"2026-01-01T00:00:00Z"},"risk":{"score":-0,"level":"low","extra":true}}`,
	} {
		got, ok := release.DecodeReleaseFast([]byte(in))
		want, err := release.DecodeReleaseJSON([]byte(in))
		if ok && (err != nil || !reflect.DeepEqual(got, want)) {
			t.Errorf("%s:\nfast: %#v\nencoding/json (%v): %#v", in, got, err, want)
		}
	}
}

// TestEncodeEntryMatchesJSON: the stored form EncodeEntry writes is encoding/json's
// for the entry, byte for byte, and fails exactly when encoding/json does.
func TestEncodeEntryMatchesJSON(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		e := canonEntry(t)
		e.Hash = canonText(t, "hash")
		want, wantErr := json.Marshal(e)
		got, gotErr := release.EncodeEntryByHand(e)
		sameAsJSON(t, got, gotErr, want, wantErr)
	})
}

// TestEncodeReleaseMatchesJSON: EncodeRelease writes encoding/json's bytes for the
// release, and refuses (ErrInvalid) exactly what encoding/json cannot encode.
func TestEncodeReleaseMatchesJSON(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		r := canonRelease(t)
		want, wantErr := json.Marshal(r)
		got, gotErr := release.EncodeRelease(r)
		if gotErr != nil && !errors.Is(gotErr, release.ErrInvalid) {
			t.Fatalf("EncodeRelease refused with %v, want ErrInvalid", gotErr)
		}
		sameAsJSON(t, got, gotErr, want, wantErr)
	})
}
