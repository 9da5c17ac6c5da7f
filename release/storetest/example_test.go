package storetest_test

// This file is the skeleton of docs/STORE.md: a release.Store over a key-value backend
// with transactions, written the way a real adapter is written (releases and entries
// kept as bytes, backend errors mapped onto the sentinels), and its conformance test.
// The backend here is a map behind a mutex; swap it for yours.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/releasetest"
	"github.com/releasekit/releasekit/release/storetest"
)

// ---- the backend: stands in for your database ----

// errDuplicateKey and errNoRow are the backend's own errors, as a driver would return
// them (a unique violation, no rows).
var (
	errDuplicateKey = errors.New("kv: duplicate key")
	errNoRow        = errors.New("kv: no row")
)

// kv is a transactional key-value backend: tx runs fn atomically against the rows.
type kv struct {
	mu   sync.Mutex
	rows map[string][]byte
}

// tx runs fn with exclusive access; writes made by fn are kept only when fn returns nil.
func (b *kv) tx(fn func(rows map[string][]byte) (map[string][]byte, error)) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	writes, err := fn(b.rows)
	if err != nil {
		return err
	}
	for k, v := range writes {
		b.rows[k] = v
	}
	return nil
}

// ---- the store ----

// kvStore keeps each release as the JSON of release.Release under "r/<id>" and each
// history entry as the exact bytes of release.EncodeEntry under "h/<id>/<sequence>".
type kvStore struct{ db *kv }

var _ release.Store = (*kvStore)(nil)

func newKVStore() *kvStore { return &kvStore{db: &kv{rows: map[string][]byte{}}} }

func releaseKey(id release.ID) string { return "r/" + id.String() }

func entryKey(id release.ID, seq int64) string { return fmt.Sprintf("h/%s/%020d", id, seq) }

// mapErr turns the backend's errors into the release sentinels the engine and
// storetest understand.
func mapErr(op string, id release.ID, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, errDuplicateKey):
		return fmt.Errorf("kvstore: %s %s: %w", op, id, release.ErrAlreadyExists)
	case errors.Is(err, errNoRow):
		return fmt.Errorf("kvstore: %s %s: %w", op, id, release.ErrNotFound)
	}
	return fmt.Errorf("kvstore: %s %s: %w", op, id, err)
}

func (s *kvStore) Create(ctx context.Context, r release.Release, first release.AuditEntry) error {
	if err := ctx.Err(); err != nil {
		return err // nothing written
	}
	doc, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("%w: release %s cannot be encoded: %v", release.ErrInvalid, r.ID, err)
	}
	entry, err := release.EncodeEntry(first) // the exact bytes; never re-encode them
	if err != nil {
		return err
	}
	if _, err := release.DecodeEntry(entry); err != nil { // never store what will not read back
		return fmt.Errorf("%w: entry 1 of release %s would not read back: %v", release.ErrInvalid, r.ID, err)
	}
	return mapErr("create", r.ID, s.db.tx(func(rows map[string][]byte) (map[string][]byte, error) {
		if _, ok := rows[releaseKey(r.ID)]; ok {
			return nil, errDuplicateKey
		}
		return map[string][]byte{releaseKey(r.ID): doc, entryKey(r.ID, first.Sequence): entry}, nil
	}))
}

func (s *kvStore) Get(ctx context.Context, id release.ID) (release.Release, error) {
	if err := ctx.Err(); err != nil {
		return release.Release{}, err
	}
	var doc []byte
	err := s.db.tx(func(rows map[string][]byte) (map[string][]byte, error) {
		v, ok := rows[releaseKey(id)]
		if !ok {
			return nil, errNoRow
		}
		doc = v
		return nil, nil
	})
	if err != nil {
		return release.Release{}, mapErr("get", id, err)
	}
	return decodeRelease(doc)
}

func decodeRelease(doc []byte) (release.Release, error) {
	var r release.Release
	if err := json.Unmarshal(doc, &r); err != nil {
		return release.Release{}, &release.CorruptError{What: "release row", Reason: err.Error()}
	}
	return r, nil // decoding gives the caller its own copy
}

func (s *kvStore) List(ctx context.Context, f release.Filter) ([]release.Release, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := f.Validate(); err != nil {
		return nil, err
	}
	var docs [][]byte
	if err := s.db.tx(func(rows map[string][]byte) (map[string][]byte, error) {
		for k, v := range rows {
			if strings.HasPrefix(k, "r/") {
				docs = append(docs, v)
			}
		}
		return nil, nil
	}); err != nil {
		log.Fatal(err)
	}
	out := []release.Release{} // no match is an empty slice, not nil
	for _, d := range docs {
		r, err := decodeRelease(d)
		if err != nil {
			return nil, err
		}
		if f.Match(r) && (f.After.IsZero() || r.ID.Compare(f.After) > 0) {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b release.Release) int { return a.ID.Compare(b.ID) })
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out, nil
}

func (s *kvStore) Update(ctx context.Context, expected int64, r release.Release, e release.AuditEntry) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	doc, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("%w: release %s cannot be encoded: %v", release.ErrInvalid, r.ID, err)
	}
	entry, err := release.EncodeEntry(e)
	if err != nil {
		return err
	}
	_, unreadable := release.DecodeEntry(entry) // refused below, after the compare
	var actual int64
	err = s.db.tx(func(rows map[string][]byte) (map[string][]byte, error) {
		cur, ok := rows[releaseKey(r.ID)]
		if !ok {
			return nil, errNoRow
		}
		var stored struct {
			Revision int64 `json:"revision"`
		}
		if err := json.Unmarshal(cur, &stored); err != nil {
			return nil, &release.CorruptError{What: "release row", Reason: err.Error()}
		}
		if stored.Revision != expected { // the compare of compare-and-swap
			actual = stored.Revision
			return nil, release.ErrStale
		}
		if _, dup := rows[entryKey(r.ID, e.Sequence)]; dup {
			return nil, release.ErrStale // never overwrite an entry
		}
		if unreadable != nil { // never store what will not read back
			return nil, fmt.Errorf("%w: entry %d of release %s would not read back: %v", release.ErrInvalid, e.Sequence, r.ID, unreadable)
		}
		// The swap: the release and its new entry in one transaction.
		return map[string][]byte{releaseKey(r.ID): doc, entryKey(r.ID, e.Sequence): entry}, nil
	})
	if errors.Is(err, release.ErrStale) {
		return &release.StaleError{ID: r.ID, Expected: expected, Actual: actual}
	}
	return mapErr("update", r.ID, err)
}

func (s *kvStore) History(ctx context.Context, id release.ID) ([]release.AuditEntry, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var keys []string
	var raw map[string][]byte
	err := s.db.tx(func(rows map[string][]byte) (map[string][]byte, error) {
		if _, ok := rows[releaseKey(id)]; !ok {
			return nil, errNoRow
		}
		raw = map[string][]byte{}
		prefix := "h/" + id.String() + "/"
		for k, v := range rows {
			if strings.HasPrefix(k, prefix) {
				keys = append(keys, k)
				raw[k] = v
			}
		}
		return nil, nil
	})
	if err != nil {
		return nil, mapErr("history", id, err)
	}
	slices.Sort(keys) // zero-padded sequence numbers sort in sequence order
	out := make([]release.AuditEntry, 0, len(keys))
	for _, k := range keys {
		e, err := release.DecodeEntry(raw[k]) // checks the hash: ErrCorrupt on a bad row
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// ---- its conformance test ----

// TestKVStoreConformance is the test every adapter has: the whole suite against a
// fresh store per case.
func TestKVStoreConformance(t *testing.T) {
	storetest.Run(t, func(*testing.T) release.Store { return newKVStore() })
}

// The skeleton store of docs/STORE.md carries an engine through a lifecycle, and its
// history verifies. storetest.Run (in TestKVStoreConformance) checks the rest of the
// contract.
func Example_store() {
	ctx := context.Background()
	eng, err := release.New(newKVStore(),
		release.WithClock(releasetest.NewClock(time.Date(2026, 5, 4, 9, 0, 0, 123456789, time.UTC), time.Minute)),
		release.WithPolicy(release.AllowAll()))
	if err != nil {
		fmt.Println(err)
		return
	}
	r, err := eng.Create(ctx, release.Spec{Name: "checkout", Version: "2.4.0", Environment: "prod", Author: "ana"})
	if err != nil {
		log.Fatal(err)
	}
	r, err = eng.Fire(ctx, r.ID, release.EventPlan, release.Person("ana"))
	if err != nil {
		log.Fatal(err)
	}
	r, err = eng.Fire(ctx, r.ID, release.EventSchedule, release.Person("ana"))
	if err != nil {
		log.Fatal(err)
	}

	// A caller that decided on revision 2 acts on a release that has moved on: refused.
	_, err = eng.Fire(ctx, r.ID, release.EventCancel, release.Person("rui"), release.ExpectRevision(2))
	fmt.Println(errors.Is(err, release.ErrStale))

	hist, err := eng.History(ctx, r.ID)
	if err != nil {
		log.Fatal(err)
	}
	for _, e := range hist {
		fmt.Println(e.Sequence, e.Event, e.To, e.Time.Format("15:04:05.000000"))
	}
	fmt.Println(eng.Verify(ctx, r.ID))
	// Output:
	// true
	// 1 create draft 09:00:00.123456
	// 2 plan planned 09:01:00.123456
	// 3 schedule scheduled 09:02:00.123456
	// <nil>
}
