package memory

import (
	"maps"
	"math/bits"
	"slices"
	"strings"
	"time"

	"github.com/releasekit/releasekit/release"
)

// states are the lifecycle states, in the order of stored.reached.
var states = release.States()

// stored is a release as the store keeps it, in a form with few heap objects. A
// release made through an engine was about ten: the release, its components, each
// component's name, its name, its head hash, and the two objects of its Reached map.
// In a store of 100,000 releases they are out of the cache: every garbage collection
// marks each of them and every copy of a release reads each of them, and that is
// most of what made a List slower as the store grew (docs/bench/lists.md). Here:
//
//   - the text of the release (name, version, environment, author, head, team and
//     its components' names and versions) is one string, which the fields slice;
//   - up to two components are held inline;
//   - the states reached are held inline (packed), and a copy builds a fresh map
//     from them; a Reached that names a state [release.States] does not list stays
//     a map.
//
// A stored value is never changed once made: an update makes a new one, so the
// outbox can share it. Read it through release (a deep copy) or view.
type stored struct {
	r       release.Release // Components may point into comps; Reached is nil when packed
	packed  bool
	mask    uint16 // bit i: the release reached states[i], at reached[i]
	reached [12]time.Time
	comps   [2]release.Component
}

// init fills s with the stored form of a deep copy of r; s is new (not shared).
func (s *stored) init(r release.Release) {
	comps, reached := r.Components, r.Reached
	r.Components, r.Reached = nil, nil
	s.r = r.Clone()
	switch {
	case comps == nil:
	case len(comps) <= len(s.comps):
		s.r.Components = s.comps[:copy(s.comps[:], comps):len(comps)]
	default:
		s.r.Components = slices.Clone(comps)
	}
	s.intern()
	s.pack(reached)
}

// intern makes the release's text one string.
func (s *stored) intern() {
	r := &s.r
	fields := []*string{&r.Name, &r.Version, &r.Environment, &r.Author, &r.Head, &r.Team}
	for i := range r.Components {
		c := &r.Components[i]
		fields = append(fields, &c.Name, &c.Version, &c.PreviousVersion)
	}
	n := 0
	for _, f := range fields {
		n += len(*f)
	}
	var b strings.Builder
	b.Grow(n)
	for _, f := range fields {
		b.WriteString(*f)
	}
	text, off := b.String(), 0
	for _, f := range fields {
		if *f != "" {
			*f = text[off : off+len(*f)]
			off += len(*f)
		}
	}
}

// pack holds reached inline when every state in it is one of states.
func (s *stored) pack(reached map[release.State]time.Time) {
	if reached == nil {
		return
	}
	for st, at := range reached {
		i := slices.Index(states, st)
		if i < 0 || i >= len(s.reached) {
			s.r.Reached, s.mask, s.reached = maps.Clone(reached), 0, [12]time.Time{}
			return
		}
		s.mask |= 1 << i
		s.reached[i] = at
	}
	s.packed = true
}

// release returns a deep copy of the stored release.
func (s *stored) release() release.Release {
	r := s.r.Clone()
	if s.packed {
		r.Reached = s.reachedMap()
	}
	return r
}

// view returns the stored release with its Reached map, sharing everything else
// with the store: for reading under the lock only.
func (s *stored) view() release.Release {
	r := s.r
	if s.packed {
		r.Reached = s.reachedMap()
	}
	return r
}

func (s *stored) reachedMap() map[release.State]time.Time {
	m := make(map[release.State]time.Time, bits.OnesCount16(s.mask))
	for mask := s.mask; mask != 0; mask &= mask - 1 {
		i := bits.TrailingZeros16(mask)
		m[states[i]] = s.reached[i]
	}
	return m
}
