package memory

import (
	"encoding/binary"
	"strings"

	"github.com/releasekit/releasekit/release"
)

// packedEntry is a history entry as the store keeps it: the entry with every string
// field emptied, and the strings in one string. A decoded entry holds about twenty
// strings (event, states, actor, hashes, the snapshot's fields and components),
// each a pointer that the garbage collector follows on every cycle; in a store of
// 100,000 releases that was most of the collector's work, and of what made every
// List slower as the store grew (docs/bench/lists.md). Packed, an entry keeps a
// few pointers (its snapshot, its payloads; its roles and components, emptied,
// share one array), and reading it back is the copy History makes anyway plus
// slicing the text.
//
// The fields packed are the ones entryStrings lists; a string field it does not
// list stays in e, so the packed entry always reads back whole. A packedEntry is
// never changed once made.
type packedEntry struct {
	e    release.AuditEntry // the string fields entryStrings lists are empty
	text string             // their lengths (uvarints, in that order), then the strings
}

// packEntry returns the packed form of e, which the caller owns and which packEntry
// takes (its string fields are emptied).
func packEntry(e release.AuditEntry) packedEntry {
	var buf [40]*string
	fields := entryStrings(buf[:0], &e)
	var tmp [binary.MaxVarintLen64]byte
	n := 0
	for _, f := range fields {
		n += len(binary.AppendUvarint(tmp[:0], uint64(len(*f)))) + len(*f)
	}
	var b strings.Builder
	b.Grow(n)
	for _, f := range fields {
		b.Write(binary.AppendUvarint(tmp[:0], uint64(len(*f))))
	}
	for _, f := range fields {
		b.WriteString(*f)
		*f = ""
	}
	// The roles and components now hold empty strings only: they share one array
	// of zero values instead of being an object each (copyTo copies them out
	// before it fills them).
	e.Actor.Roles = shareZeros(e.Actor.Roles, &emptyStrings)
	if sn := e.Snapshot; sn != nil {
		sn.Components = shareZeros(sn.Components, &zeroComponents)
	}
	if ev := e.Evidence; ev != nil {
		ev.By.Roles = shareZeros(ev.By.Roles, &emptyStrings)
	}
	return packedEntry{e: e, text: b.String()}
}

// emptyStrings and zeroComponents are the arrays shareZeros hands out; nothing
// writes to them.
var (
	emptyStrings   [16]string
	zeroComponents [16]release.Component
)

// shareZeros returns xs, or, when every element of xs is the zero value and zeros
// is long enough, a slice of zeros of xs's length (nil when xs is nil).
func shareZeros[T comparable](xs []T, zeros *[16]T) []T {
	var zero T
	if xs == nil || len(xs) > len(zeros) {
		return xs
	}
	for _, x := range xs {
		if x != zero {
			return xs
		}
	}
	return zeros[:len(xs):len(xs)]
}

// entry returns a deep copy of the entry p holds (see copyTo).
func (p *packedEntry) entry() release.AuditEntry {
	var e release.AuditEntry
	p.copyTo(&e)
	return e
}

// copyTo sets *e to a deep copy of the entry p holds. Its strings share p's text
// (strings are immutable); everything else is copied. (Filling the caller's entry
// in place, where History's result already is, saves a copy on the heap per entry.)
func (p *packedEntry) copyTo(e *release.AuditEntry) {
	*e = p.e.Clone()
	var buf [40]*string
	fields := entryStrings(buf[:0], e)
	var lens [40]uint64
	ls := lens[:0]
	off := 0
	for range fields {
		v, k := uvarint(p.text[off:])
		ls = append(ls, v)
		off += k
	}
	for i, f := range fields {
		if n := int(ls[i]); n > 0 {
			*f = p.text[off : off+n]
			off += n
		}
	}
}

// uvarint is binary.Uvarint on a string.
func uvarint(s string) (uint64, int) {
	var v uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		v |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			return v, i + 1
		}
	}
	return v, len(s)
}

// entryStrings appends to fields a pointer to each string field of e, in an order
// that depends only on e's shape (which of its pointers are nil, how many roles and
// components it has), which the packed entry keeps.
func entryStrings(fields []*string, e *release.AuditEntry) []*string {
	fields = append(fields, (*string)(&e.Event), (*string)(&e.From), (*string)(&e.To), &e.Reason, &e.PrevHash, &e.Hash)
	fields = actorStrings(fields, &e.Actor)
	if sn := e.Snapshot; sn != nil {
		fields = append(fields, &sn.Name, &sn.Version, &sn.Environment, (*string)(&sn.Class), &sn.Author, &sn.Team)
		for i := range sn.Components {
			c := &sn.Components[i]
			fields = append(fields, &c.Name, &c.Version, &c.PreviousVersion)
		}
	}
	if ev := e.Evidence; ev != nil {
		fields = append(fields, (*string)(&ev.Kind), &ev.Role, &ev.Reason, &ev.Name, (*string)(&ev.Status), &ev.URL, &ev.ExternalID, &ev.Source, &ev.Commit)
		fields = actorStrings(fields, &ev.By)
	}
	return fields
}

func actorStrings(fields []*string, a *release.Actor) []*string {
	fields = append(fields, &a.ID, (*string)(&a.Kind))
	for i := range a.Roles {
		fields = append(fields, &a.Roles[i])
	}
	return fields
}
