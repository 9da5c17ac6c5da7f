// Package memory is the reference [release.Store], [release.Outbox],
// [release.CapacityBooker] and [release.LockdownStore]: every method follows the contracts exactly, in memory,
// for one process.
//
// Use it in tests, examples and short-lived tools. Its limits: nothing survives the
// process; everything lives in the heap (a history entry is kept as it reads back
// from its JSON encoding, as the durable stores return it);
// List walks sorted per-field indexes (name, component, environment, state; each
// holds the releases' IDs and where they are kept, so a candidate is read without a
// lookup by ID: a binary search per seek, so a selective filter costs O(k log n) for k candidates; several
// fields are intersected; a creation range alone gathers and sorts the IDs created
// in it; no indexed field scans every release), and a write that changes an indexed
// field moves the release between two sorted lists (a copy of each list's tail);
// bookings are indexed per environment by start, so Book and Bookings cost
// O(log n + k) for the k bookings near the range asked about; the outbox keeps every transition until it is acknowledged; one mutex serialises
// writers, which is fast for one process and meaningless across processes. For a
// durable store use adapters/bolt (one machine) or adapters/postgres (many replicas).
package memory

import (
	"context"
	"slices"
	"sync"

	"github.com/releasekit/releasekit/adapters/internal/entrycodec"
	"github.com/releasekit/releasekit/adapters/internal/listplan"
	"github.com/releasekit/releasekit/calendar"
	"github.com/releasekit/releasekit/release"
)

// Store is an in-memory [release.Store], safe for concurrent use. Values are copied on
// the way in and out. The zero value is not usable; call [New].
type Store struct {
	mu sync.RWMutex
	// recs holds each release with its history (see record), at the position
	// releases gives; a release keeps its position for the life of the store, so
	// the indexes hold positions and List reads a release without looking its ID
	// up (a map lookup in a large store is two or three cache misses).
	recs     []*record
	releases map[release.ID]int32
	order    []slot // ascending
	// index holds, per indexed field value, the releases that carry it (ascending
	// by ID); created is every release by creation time, then ID.
	index    map[indexKey][]slot
	created  []createdID
	outbox   map[string]*outboxRow
	bookings map[string]*calendar.Booking
	envs     map[string]*envBookings
	keys     map[string]release.KeyRecord
	// lockdowns is the lockdown history (lockdown.go).
	lockdowns []release.LockdownEntry
}

var _ release.Store = (*Store)(nil)

// record is a stored release and its history. Each entry is kept as it reads back
// from its stored form ([release.EncodeEntry], then [release.DecodeEntry]), so the
// memory store hands out what bolt and postgres would, packed (packedEntry): History
// copies entries instead of decoding them (gates read whole histories on every
// approve).
type record struct {
	stored
	hist []packedEntry
}

// newRecord returns a record of a deep copy of r with history hist.
func newRecord(r release.Release, hist []packedEntry) *record {
	rec := &record{hist: hist}
	rec.init(r)
	return rec
}

// readBack is e as it reads back from its stored form, packed; an entry a store could
// not return is refused with [release.ErrInvalid] before anything is stored, as bolt
// refuses it (see [entrycodec.Encode]).
func readBack(e release.AuditEntry) (packedEntry, error) {
	_, back, err := entrycodec.Encode("memory", e)
	if err != nil {
		return packedEntry{}, err
	}
	return packEntry(back), nil
}

// New returns an empty Store.
func New() *Store {
	return &Store{
		releases: map[release.ID]int32{},
		index:    map[indexKey][]slot{},
		outbox:   map[string]*outboxRow{},
		bookings: map[string]*calendar.Booking{},
		envs:     map[string]*envBookings{},
		keys:     map[string]release.KeyRecord{},
	}
}

// Create implements [release.Store].
func (s *Store) Create(ctx context.Context, r release.Release, first release.AuditEntry) error {
	return s.create(ctx, r, first, nil)
}

// create is Create that also stores k, when not nil, under the same lock.
func (s *Store) create(ctx context.Context, r release.Release, first release.AuditEntry, k *release.KeyRecord) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.record(r.ID) != nil {
		return release.ErrAlreadyExists
	}
	if err := s.keyFree(k); err != nil {
		return err
	}
	back, err := readBack(first)
	if err != nil {
		return err
	}
	s.put(newRecord(r, []packedEntry{back}))
	s.reindex(nil, r)
	s.keep(k)
	return nil
}

// Get implements [release.Store].
func (s *Store) Get(ctx context.Context, id release.ID) (release.Release, error) {
	if err := ctx.Err(); err != nil {
		return release.Release{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	rec := s.record(id)
	if rec == nil {
		return release.Release{}, release.ErrNotFound
	}
	return rec.release(), nil
}

// List implements [release.Store]. It walks the indexes of the fields f sets (see
// the package documentation for the costs) from f.After, under the read lock.
func (s *Store) List(ctx context.Context, f release.Filter) ([]release.Release, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := f.Validate(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	ix := &indexes{s: s}
	plan, err := listplan.Plan(f, ix)
	if err != nil {
		return nil, err
	}
	// The matches are found first and copied out after, into a slice of their
	// number: growing the result by appends would allocate about three times the
	// page, and on a large heap every byte allocated costs garbage-collector work in
	// proportion to the whole store.
	//
	// The candidates are gathered a batch at a time and read together (see
	// touch): in a large store each is a cache miss, and misses taken together
	// overlap where misses taken in turn add up.
	var buf [32]*record
	recs := buf[:0]
	var batch [16]*record
	for after, more := f.After, true; more; {
		n, stopped := 0, false
		err = listplan.Walk(plan, after, func(id release.ID) (bool, error) {
			batch[n], after = ix.record(id), id
			n++
			stopped = n == len(batch) || (f.Limit > 0 && len(recs)+n == f.Limit)
			return !stopped, nil
		})
		if err != nil {
			return nil, err
		}
		if touch(batch[:n]) < 0 {
			panic("memory: negative text length")
		}
		for _, rec := range batch[:n] {
			if f.Limit > 0 && len(recs) == f.Limit {
				break
			}
			if f.Match(rec.r) { // Match reads no Reached (packed away)
				recs = append(recs, rec)
			}
		}
		more = stopped && (f.Limit == 0 || len(recs) < f.Limit)
	}
	out := make([]release.Release, len(recs))
	for i, rec := range recs {
		out[i] = rec.release()
	}
	return out, nil
}

// touch reads each record's first field and the first byte of its text, in two
// passes, and returns their sum. The reads of a pass do not depend on one another,
// so the processor takes their cache misses together; Match and the copy that
// follow find the records in the cache.
func touch(recs []*record) int {
	n := 0
	for _, rec := range recs {
		n += len(rec.r.Name)
	}
	for _, rec := range recs {
		if rec.r.Name != "" {
			n += int(rec.r.Name[0])
		}
	}
	return n
}

// Update implements [release.Store].
func (s *Store) Update(ctx context.Context, expected int64, r release.Release, e release.AuditEntry) error {
	return s.update(ctx, expected, r, e, nil, nil)
}

// update is Update that also stores k, when not nil, under the same lock, and first
// asks fence, when not nil, whether it may go.
func (s *Store) update(ctx context.Context, expected int64, r release.Release, e release.AuditEntry, k *release.KeyRecord, fence func() error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rec := s.record(r.ID)
	if rec == nil {
		return release.ErrNotFound
	}
	cur := rec.view()
	if cur.Revision != expected {
		return &release.ConflictError{ID: r.ID, Expected: expected, Actual: cur.Revision}
	}
	var last release.AuditEntry
	if n := len(rec.hist); n > 0 {
		last = rec.hist[n-1].entry()
	}
	if err := release.VerifyAppend(cur, int64(len(rec.hist)), last); err != nil {
		return err
	}
	back, err := readBack(e)
	if err != nil {
		return err
	}
	if fence != nil {
		if err := fence(); err != nil {
			return err
		}
	}
	if err := s.keyFree(k); err != nil {
		return err
	}
	s.keep(k)
	s.reindex(&cur, r)
	rec = newRecord(r, append(rec.hist, back))
	s.put(rec)
	// The pending notification shares the stored release and entry: the
	// store never changes either in place (an update makes a new record), and the
	// outbox copies what it hands out. One copy fewer per update is less heap for the
	// garbage collector to mark.
	key := release.Notification{Entry: e}.Key()
	s.outbox[key] = &outboxRow{key: key, release: &rec.stored, entry: back, due: e.Time}
	return nil
}

// record returns the stored release id, or nil; s.mu is held.
func (s *Store) record(id release.ID) *record {
	if i, ok := s.releases[id]; ok {
		return s.recs[i]
	}
	return nil
}

// put stores rec in its release's position, or in a new one for a new release
// (which it adds to the ID order); s.mu is held for writing.
func (s *Store) put(rec *record) {
	id := rec.r.ID
	if i, ok := s.releases[id]; ok {
		s.recs[i] = rec
		return
	}
	sl := slot{id: id, pos: int32(len(s.recs))}
	s.recs = append(s.recs, rec)
	s.releases[id] = sl.pos
	i, _ := slices.BinarySearchFunc(s.order, sl, compareSlots)
	s.order = slices.Insert(s.order, i, sl)
}

// History implements [release.Store].
func (s *Store) History(ctx context.Context, id release.ID) ([]release.AuditEntry, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	rec := s.record(id)
	if rec == nil {
		return nil, release.ErrNotFound
	}
	out := make([]release.AuditEntry, len(rec.hist))
	for i := range rec.hist {
		rec.hist[i].copyTo(&out[i])
	}
	return out, nil
}
