package bolt_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/releasekit/releasekit/adapters/bolt"
	"github.com/releasekit/releasekit/release"
)

// seedRows returns a real stored release, entry and outbox row to start fuzzing from.
func seedRows(t interface {
	Fatalf(string, ...any)
	TempDir() string
	Cleanup(func())
}) (id release.ID, rel, entry, pending []byte) {
	s, err := bolt.Open(t.TempDir()+"/seed.db", bolt.WithNoSync(true))
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer s.Close()
	e, err := release.New(s, release.WithPolicy(release.AllowAll()), release.WithClock(release.ClockFunc(func() time.Time { return t0 })))
	if err != nil {
		t.Fatalf("engine: %v", err)
	}
	ctx := context.Background()
	r, err := e.Create(ctx, spec("checkout"))
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	r, err = e.Fire(ctx, r.ID, release.EventPlan, bob, release.Reason("fuzz seed"), release.Data(map[string]int{"n": 1}))
	if err != nil {
		t.Fatalf("fire: %v", err)
	}
	h, _ := s.History(ctx, r.ID)
	p, _ := s.Pending(ctx)
	rel, _ = json.Marshal(r)
	entry, _ = release.EncodeEntry(h[1])
	pending, _ = json.Marshal(p[0])
	return r.ID, rel, entry, pending
}

// Stored release rows: any bytes decode to a release or to a *release.CorruptError,
// never a panic; what decodes belongs to its key and encodes back to something that
// decodes the same.
func FuzzDecodeRelease(f *testing.F) {
	id, rel, _, _ := seedRows(f)
	f.Add(id[:], rel)
	f.Add(id[:], []byte(`{}`))
	f.Add([]byte("short"), rel)
	f.Add(id[:], []byte(`{"id":"not-a-uuid"}`))
	f.Add(id[:], append(append([]byte{}, rel...), ` {}`...))
	f.Fuzz(func(t *testing.T, key, val []byte) {
		r, err := bolt.DecodeRelease(key, val)
		if err != nil {
			if !errors.Is(err, release.ErrCorrupt) {
				t.Fatalf("error %v does not match ErrCorrupt", err)
			}
			return
		}
		if !bytes.Equal(r.ID[:], key) {
			t.Fatalf("decoded release %s from key %x", r.ID, key)
		}
		again, err := json.Marshal(r)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		if _, err := bolt.DecodeRelease(key, again); err != nil {
			t.Fatalf("a decoded release does not decode after re-encoding: %v", err)
		}
	})
}

// Stored history entries: any bytes under any key give an entry of that release with
// that sequence, or a *release.CorruptError; never a panic.
func FuzzDecodeHistoryRow(f *testing.F) {
	id, _, entry, _ := seedRows(f)
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 2}, entry)
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 1}, entry)
	f.Add([]byte{2}, entry)
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 2}, []byte(`{"sequence":2}`))
	f.Fuzz(func(t *testing.T, key, val []byte) {
		e, err := bolt.DecodeHistoryRow(id, key, val)
		if err != nil {
			if !errors.Is(err, release.ErrCorrupt) {
				t.Fatalf("error %v does not match ErrCorrupt", err)
			}
			return
		}
		if e.ReleaseID != id || len(key) != 8 {
			t.Fatalf("decoded entry of release %s under key %x", e.ReleaseID, key)
		}
	})
}

// Stored outbox rows and bookings: any bytes give a row or a *release.CorruptError,
// never a panic.
func FuzzDecodeOutboxAndBooking(f *testing.F) {
	id, _, _, pending := seedRows(f)
	f.Add([]byte(id.String()+"/2"), pending)
	f.Add([]byte("b1"), []byte(`{"id":"b1","environment":"prod","services":["a"],"start":"2026-03-02T09:00:00Z","end":"2026-03-02T10:00:00Z"}`))
	f.Add([]byte("b1"), []byte(`{"id":"b1","start":"2026-03-02T10:00:00Z","end":"2026-03-02T09:00:00Z"}`))
	f.Add([]byte("x"), []byte(`null`))
	f.Fuzz(func(t *testing.T, key, val []byte) {
		if err := bolt.DecodeOutboxRow(key, val); err != nil && !errors.Is(err, release.ErrCorrupt) {
			t.Fatalf("outbox row: error %v does not match ErrCorrupt", err)
		}
		b, err := bolt.DecodeBooking(key, val)
		if err != nil {
			if !errors.Is(err, release.ErrCorrupt) {
				t.Fatalf("booking: error %v does not match ErrCorrupt", err)
			}
			return
		}
		if b.ID != string(key) || !b.End.After(b.Start) {
			t.Fatalf("decoded booking %q [%v, %v) under key %q", b.ID, b.Start, b.End, key)
		}
	})
}
