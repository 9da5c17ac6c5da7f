// Package listplan serves a release.Filter from a store's indexes. It is shared by
// adapters/memory and adapters/bolt and is not part of the public API.
//
// Each indexed field value (a name, a component, an environment, a state) is a
// [Stream]: the IDs of the releases that carry it, ascending. [Plan] intersects the
// streams of the fields a filter sets (a leapfrog join: each stream seeks to the
// largest ID another one reached, so the cost follows the shortest stream, not the
// longest), takes the union of the streams of its States, and falls back to the
// creation-time index, then to every release in ID order, when the filter sets none
// of them. The caller walks the plan from the filter's After cursor, reads each
// candidate and keeps it when [release.Filter.Match] says so: an index narrows the
// search but never decides alone, so the result is always exactly what Match
// defines, in ascending ID order.
package listplan

import (
	"slices"
	"time"

	"github.com/releasekit/releasekit/release"
)

// Field names an indexed field; its value is the tag byte the bolt store writes.
type Field byte

// The indexed fields.
const (
	Name        Field = 'n'
	Component   Field = 'c'
	Environment Field = 'e'
	State       Field = 's'
)

// Stream is an ascending sequence of release IDs.
type Stream interface {
	// Seek returns the first ID of the stream that is greater than or equal to id;
	// ok is false when there is none. Successive calls pass non-decreasing IDs.
	Seek(id release.ID) (next release.ID, ok bool, err error)
}

// Indexes are a store's indexes, read in one consistent view.
type Indexes interface {
	// Values is the stream of the releases whose field f has value v (for
	// Component: that carry a component named v).
	Values(f Field, v string) Stream
	// Created returns the IDs of the releases created in [from, to) (a zero bound is
	// open), as a stream.
	Created(from, to time.Time) (Stream, error)
	// All is every stored release in ID order.
	All() Stream
}

// Plan returns the stream of candidate IDs for f: a superset of the releases that
// match it, in ascending order.
func Plan(f release.Filter, ix Indexes) (Stream, error) {
	var ss []Stream
	for _, fv := range []struct {
		f Field
		v string
	}{{Name, f.Name}, {Component, f.Component}, {Environment, f.Environment}} {
		if fv.v != "" {
			ss = append(ss, ix.Values(fv.f, fv.v))
		}
	}
	if len(f.States) > 0 {
		var us []Stream
		seen := map[release.State]bool{}
		for _, st := range f.States {
			if !seen[st] {
				seen[st] = true
				us = append(us, ix.Values(State, string(st)))
			}
		}
		ss = append(ss, Union(us...))
	}
	switch {
	case len(ss) == 1:
		return ss[0], nil
	case len(ss) > 1:
		return Intersect(ss...), nil
	case !f.CreatedFrom.IsZero() || !f.CreatedTo.IsZero():
		// Only without an equality field: the range's IDs must be gathered and
		// sorted, which costs as much as the releases created in it.
		return ix.Created(f.CreatedFrom, f.CreatedTo)
	}
	return ix.All(), nil
}

// Walk calls fn with the IDs of s greater than after (all of them when after is
// zero), in order, until fn returns false or an error.
func Walk(s Stream, after release.ID, fn func(release.ID) (more bool, err error)) error {
	target := after
	if !after.IsZero() {
		var ok bool
		if target, ok = Succ(after); !ok {
			return nil
		}
	}
	for {
		id, ok, err := s.Seek(target)
		if err != nil || !ok {
			return err
		}
		more, err := fn(id)
		if err != nil || !more {
			return err
		}
		if target, ok = Succ(id); !ok {
			return nil
		}
	}
}

// Succ returns the smallest ID greater than id; ok is false when id is the largest.
func Succ(id release.ID) (release.ID, bool) {
	for i := len(id) - 1; i >= 0; i-- {
		id[i]++
		if id[i] != 0 {
			return id, true
		}
	}
	return id, false
}

// Intersect is the stream of the IDs every one of ss holds (a leapfrog join).
func Intersect(ss ...Stream) Stream { return intersection(ss) }

type intersection []Stream

func (in intersection) Seek(target release.ID) (release.ID, bool, error) {
	agreed := 0
	for i := 0; agreed < len(in); i = (i + 1) % len(in) {
		id, ok, err := in[i].Seek(target)
		if err != nil || !ok {
			return release.ID{}, false, err
		}
		if id == target {
			agreed++
		} else {
			target, agreed = id, 1
		}
	}
	return target, true, nil
}

// Union is the stream of the IDs any one of ss holds.
func Union(ss ...Stream) Stream {
	if len(ss) == 1 {
		return ss[0]
	}
	return union(ss)
}

type union []Stream

func (u union) Seek(target release.ID) (release.ID, bool, error) {
	var (
		best  release.ID
		found bool
	)
	for _, s := range u {
		id, ok, err := s.Seek(target)
		if err != nil {
			return release.ID{}, false, err
		}
		if ok && (!found || id.Compare(best) < 0) {
			best, found = id, true
		}
	}
	return best, found, nil
}

// Sorted is a stream over IDs sorted in ascending order (it does not copy them).
func Sorted(ids []release.ID) Stream {
	return SortedBy(ids, func(id release.ID) release.ID { return id })
}

// SortedBy is a stream over xs, sorted by ascending key and without repeats (it does
// not copy them). A store whose index holds more than the IDs (where each release
// is kept, say) reads it from [Cursor.At] instead of looking the ID up again.
func SortedBy[T any](xs []T, key func(T) release.ID) *Cursor[T] {
	return &Cursor[T]{xs: xs, key: key}
}

// Cursor is the stream [SortedBy] returns.
type Cursor[T any] struct {
	xs  []T
	key func(T) release.ID
	i   int
}

// Seek implements [Stream].
func (c *Cursor[T]) Seek(target release.ID) (release.ID, bool, error) {
	if c.i < len(c.xs) && c.key(c.xs[c.i]).Compare(target) < 0 {
		// Most seeks move by one; a binary search handles the jumps.
		if c.i+1 < len(c.xs) && c.key(c.xs[c.i+1]).Compare(target) >= 0 {
			c.i++
		} else {
			j, _ := slices.BinarySearchFunc(c.xs[c.i:], target, func(x T, id release.ID) int { return c.key(x).Compare(id) })
			c.i += j
		}
	}
	if c.i >= len(c.xs) {
		return release.ID{}, false, nil
	}
	return c.key(c.xs[c.i]), true, nil
}

// At returns the element the cursor stands on when its ID is id: after a Seek that
// returned id, or in a join whose result is id, when this cursor reached it too.
func (c *Cursor[T]) At(id release.ID) (x T, ok bool) {
	if c.i < len(c.xs) && c.key(c.xs[c.i]) == id {
		return c.xs[c.i], true
	}
	return x, false
}

// SortIDs sorts ids in ascending order and drops repeats.
func SortIDs(ids []release.ID) []release.ID {
	slices.SortFunc(ids, release.ID.Compare)
	return slices.Compact(ids)
}
