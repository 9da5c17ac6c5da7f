package postgres_test

import (
	"context"
	"errors"
	"testing"

	"github.com/releasekit/releasekit/release"
)

// FuzzStoredRows writes arbitrary bytes into a stored history entry and into the
// release row's document, then reads them back: History either returns
// ErrCorrupt or entries that decode, verify on their own and sit at their row's
// sequence; Get either returns ErrCorrupt or the release with the row's ID. Nothing
// panics. Run with:
//
//	go test -run '^$' -fuzz FuzzStoredRows -fuzztime 1m ./
func FuzzStoredRows(f *testing.F) {
	schema := freshSchema(f)
	s := openStore(f, schema)
	ctx := context.Background()
	e := newEngine(f, s)
	r, err := e.Create(ctx, spec("fuzz"))
	if err != nil {
		f.Fatal(err)
	}
	h, err := s.History(ctx, r.ID)
	if err != nil {
		f.Fatal(err)
	}
	entry, err := release.EncodeEntry(h[0])
	if err != nil {
		f.Fatal(err)
	}
	validDoc := []byte(`{"id":"` + r.ID.String() + `","name":"fuzz","version":"1.0.0","environment":"prod","class":"normal","author":"ana","state":"draft","revision":1,"head":"` + r.Head + `","created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z"}`)
	f.Add(entry, validDoc)
	f.Add(entry[:len(entry)/2], []byte(`{"id":5}`))
	f.Add([]byte(`{}`), []byte(`[]`))
	f.Add([]byte(`null`), []byte(`null`))
	f.Add([]byte{0xff, 0x00}, []byte(`{"id":"00000000-0000-0000-0000-000000000000"}`))
	hist := table(schema, "history")
	db := admin(f)

	f.Fuzz(func(t *testing.T, entry, doc []byte) {
		if _, err := db.Exec(ctx, "UPDATE "+hist+" SET entry = $1 WHERE release_id = $2 AND seq = 1", entry, [16]byte(r.ID)); err != nil {
			t.Fatal(err)
		}
		got, err := s.History(ctx, r.ID)
		switch {
		case err != nil && !errors.Is(err, release.ErrCorrupt):
			t.Fatalf("History = %v, want nil or ErrCorrupt", err)
		case err == nil:
			if len(got) != 1 || got[0].Sequence != 1 || got[0].ReleaseID != r.ID {
				t.Fatalf("History returned %+v for the row (release %s, seq 1)", got, r.ID)
			}
			if _, err := release.DecodeEntry(entry); err != nil {
				t.Fatalf("History accepted bytes that DecodeEntry refuses: %v", err)
			}
		}
		if err := setDoc(ctx, db, schema, r.ID, doc); err != nil {
			t.Fatal(err)
		}
		gr, err := s.Get(ctx, r.ID)
		switch {
		case err != nil && !errors.Is(err, release.ErrCorrupt):
			t.Fatalf("Get = %v, want nil or ErrCorrupt", err)
		case err == nil && gr.ID != r.ID:
			t.Fatalf("Get returned release %s for row %s", gr.ID, r.ID)
		}
	})
}
