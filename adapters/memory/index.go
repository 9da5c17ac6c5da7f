package memory

import (
	"cmp"
	"slices"
	"time"

	"github.com/releasekit/releasekit/adapters/internal/listplan"
	"github.com/releasekit/releasekit/release"
)

// indexKey is one indexed field value.
type indexKey struct {
	field listplan.Field
	value string
}

// slot is a release in an index: its ID and its position in Store.recs.
type slot struct {
	id  release.ID
	pos int32
}

func (sl slot) key() release.ID { return sl.id }

func compareSlots(a, b slot) int { return a.id.Compare(b.id) }

// createdID is an entry of the creation-time index.
type createdID struct {
	at time.Time
	id release.ID
}

func compareCreated(a, b createdID) int {
	return cmp.Or(a.at.Compare(b.at), a.id.Compare(b.id))
}

// indexKeys returns the field values r is indexed under.
func indexKeys(r release.Release) []indexKey {
	keys := []indexKey{{listplan.Name, r.Name}, {listplan.Environment, r.Environment}, {listplan.State, string(r.State)}}
	for _, c := range r.Components {
		k := indexKey{listplan.Component, c.Name}
		if !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	return keys
}

// reindex moves r from the index entries of old (nil for a new release) to its own;
// s.mu is held for writing and r is stored (it has a position). Entries both have are left alone, so an update that
// changes only the state touches two lists.
func (s *Store) reindex(old *release.Release, r release.Release) {
	var oldKeys []indexKey
	if old != nil {
		oldKeys = indexKeys(*old)
	}
	newKeys := indexKeys(r)
	sl := slot{id: r.ID, pos: s.releases[r.ID]}
	for _, k := range oldKeys {
		if !slices.Contains(newKeys, k) {
			ids := s.index[k]
			if i, ok := slices.BinarySearchFunc(ids, sl, compareSlots); ok {
				ids = slices.Delete(ids, i, i+1)
			}
			if len(ids) == 0 {
				delete(s.index, k)
			} else {
				s.index[k] = ids
			}
		}
	}
	for _, k := range newKeys {
		if !slices.Contains(oldKeys, k) {
			ids := s.index[k]
			if i, ok := slices.BinarySearchFunc(ids, sl, compareSlots); !ok {
				s.index[k] = slices.Insert(ids, i, sl)
			}
		}
	}
	if old != nil && old.CreatedAt.Equal(r.CreatedAt) {
		return
	}
	if old != nil {
		if i, ok := slices.BinarySearchFunc(s.created, createdID{old.CreatedAt, r.ID}, compareCreated); ok {
			s.created = slices.Delete(s.created, i, i+1)
		}
	}
	e := createdID{r.CreatedAt, r.ID}
	i, _ := slices.BinarySearchFunc(s.created, e, compareCreated)
	s.created = slices.Insert(s.created, i, e)
}

// indexes reads the store's indexes; s.mu is held for reading while they are used.
// lead is the first stream of positions it handed out: every candidate of a plan
// with one stream, or an intersection, is where lead stands when the walk reaches it.
type indexes struct {
	s    *Store
	lead *listplan.Cursor[slot]
}

// record returns the release id, a candidate of the plan x served.
func (x *indexes) record(id release.ID) *record {
	if x.lead != nil {
		if sl, ok := x.lead.At(id); ok {
			return x.s.recs[sl.pos]
		}
	}
	return x.s.record(id)
}

func (x *indexes) slots(sls []slot) listplan.Stream {
	c := listplan.SortedBy(sls, slot.key)
	if x.lead == nil {
		x.lead = c
	}
	return c
}

func (x *indexes) Values(f listplan.Field, v string) listplan.Stream {
	return x.slots(x.s.index[indexKey{f, v}])
}

func (x *indexes) Created(from, to time.Time) (listplan.Stream, error) {
	lo := 0
	if !from.IsZero() {
		lo, _ = slices.BinarySearchFunc(x.s.created, from, func(e createdID, t time.Time) int { return cmp.Or(e.at.Compare(t), 1) })
	}
	hi := len(x.s.created)
	if !to.IsZero() {
		hi, _ = slices.BinarySearchFunc(x.s.created, to, func(e createdID, t time.Time) int { return cmp.Or(e.at.Compare(t), 1) })
	}
	ids := make([]release.ID, 0, max(hi-lo, 0))
	for _, e := range x.s.created[lo:max(lo, hi)] {
		ids = append(ids, e.id)
	}
	return listplan.Sorted(listplan.SortIDs(ids)), nil
}

func (x *indexes) All() listplan.Stream { return x.slots(x.s.order) }
