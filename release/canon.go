package release

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
)

// canonBuf appends an entry's canonical form ([AuditEntry.ComputeHash]) without
// reflection. Its output is byte for byte what encoding/json gives for the canonical
// structs (html escaping, sorted map keys, compacted raw JSON, RFC 3339 times): the
// hash of every stored entry depends on it, and TestCanonicalMatchesJSON checks it
// against encoding/json. Values that are rare on the write path (risk, rollback,
// review, evidence, text outside plain ASCII) are handed to encoding/json itself.
type canonBuf struct {
	b   []byte
	err error
}

var canonPool = sync.Pool{New: func() any { return &canonBuf{b: make([]byte, 0, 2048)} }}

// str appends s as a JSON string.
func (c *canonBuf) str(s string) {
	for i := 0; i < len(s); i++ {
		if b := s[i]; b < 0x20 || b >= utf8.RuneSelf || b == '"' || b == '\\' || b == '<' || b == '>' || b == '&' {
			c.marshal(s)
			return
		}
	}
	c.b = append(c.b, '"')
	c.b = append(c.b, s...)
	c.b = append(c.b, '"')
}

// key appends s as an object key and its colon.
func (c *canonBuf) key(s string) {
	c.str(s)
	c.b = append(c.b, ':')
}

// raw appends m, a JSON value, compacted and html-escaped as encoding/json
// marshals a json.RawMessage ("null" for nil).
func (c *canonBuf) raw(m json.RawMessage) {
	if m == nil {
		c.b = append(c.b, "null"...)
		return
	}
	for _, b := range m {
		if b <= ' ' || b == '<' || b == '>' || b == '&' || b >= utf8.RuneSelf {
			c.marshal(m)
			return
		}
	}
	if !json.Valid(m) {
		c.marshal(m) // the error encoding/json gives
		return
	}
	c.b = append(c.b, m...)
}

// time appends t as time.Time's MarshalJSON does.
func (c *canonBuf) time(t time.Time) {
	if y := t.Year(); y < 0 || y > 9999 || t.Location() != time.UTC {
		c.marshal(t)
		return
	}
	c.b = append(c.b, '"')
	c.b = t.AppendFormat(c.b, time.RFC3339Nano)
	c.b = append(c.b, '"')
}

func (c *canonBuf) int(n int64) { c.b = strconv.AppendInt(c.b, n, 10) }

// marshal appends v as encoding/json encodes it.
func (c *canonBuf) marshal(v any) {
	b, err := json.Marshal(v)
	if err != nil && c.err == nil {
		c.err = err
	}
	c.b = append(c.b, b...)
}

// strings appends a list of strings ([] for none).
func (c *canonBuf) strings(l []string) {
	c.b = append(c.b, '[')
	for i, s := range l {
		if i > 0 {
			c.b = append(c.b, ',')
		}
		c.str(s)
	}
	c.b = append(c.b, ']')
}

// canonical appends e's canonical form in hash version v (1, 2 or 3); e's snapshot
// and evidence are normalised.
func (c *canonBuf) canonical(e *AuditEntry, v int) {
	c.b = append(c.b, `{"v":`...)
	c.int(int64(v))
	c.b = append(c.b, ',')
	c.head(e)
	c.b = append(c.b, `,"actor_id":`...)
	c.str(e.Actor.ID)
	c.b = append(c.b, `,"actor_kind":`...)
	c.str(string(e.Actor.Kind))
	c.b = append(c.b, `,"actor_roles":`...)
	c.strings(e.Actor.Roles)
	c.b = append(c.b, `,"reason":`...)
	c.str(e.Reason)
	c.b = append(c.b, `,"time":"`...)
	c.b = e.Time.UTC().AppendFormat(c.b, time.RFC3339Nano)
	c.b = append(c.b, `","data":`...)
	c.raw(nullIfEmpty(e.Data))
	c.b = append(c.b, `,"annotations":`...)
	c.rawMap(e.Annotations)
	c.b = append(c.b, `,"prev_hash":`...)
	c.str(e.PrevHash)
	if v >= 2 {
		c.b = append(c.b, `,"snapshot":`...)
		c.snapshot(e.Snapshot, true)
	}
	if v >= 3 {
		c.b = append(c.b, `,"evidence":`...)
		if e.Evidence == nil {
			c.b = append(c.b, "null"...)
		} else {
			c.marshal(e.Evidence.normalized())
		}
	}
	c.b = append(c.b, '}')
}

// head appends the fields both forms of an entry begin with: release_id, sequence,
// event, from and to.
func (c *canonBuf) head(e *AuditEntry) {
	c.b = append(c.b, `"release_id":"`...)
	c.b = appendID(c.b, e.ReleaseID)
	c.b = append(c.b, `","sequence":`...)
	c.int(e.Sequence)
	c.b = append(c.b, `,"event":`...)
	c.str(string(e.Event))
	c.b = append(c.b, `,"from":`...)
	c.str(string(e.From))
	c.b = append(c.b, `,"to":`...)
	c.str(string(e.To))
}

// entry appends e's stored form: what encoding/json gives for an AuditEntry.
func (c *canonBuf) entry(e *AuditEntry) {
	c.b = append(c.b, '{')
	c.head(e)
	c.b = append(c.b, `,"actor":{"id":`...)
	c.str(e.Actor.ID)
	if len(e.Actor.Roles) > 0 {
		c.b = append(c.b, `,"roles":`...)
		c.strings(e.Actor.Roles)
	}
	c.b = append(c.b, `,"kind":`...)
	c.str(string(e.Actor.Kind))
	c.b = append(c.b, '}')
	if e.Reason != "" {
		c.b = append(c.b, `,"reason":`...)
		c.str(e.Reason)
	}
	c.b = append(c.b, `,"time":`...)
	c.time(e.Time)
	if len(e.Data) > 0 {
		c.b = append(c.b, `,"data":`...)
		c.raw(e.Data)
	}
	if len(e.Annotations) > 0 {
		c.b = append(c.b, `,"annotations":`...)
		c.rawMap(e.Annotations)
	}
	if e.Snapshot != nil {
		c.b = append(c.b, `,"snapshot":`...)
		c.snapshot(e.Snapshot, false)
	}
	if e.Evidence != nil {
		c.b = append(c.b, `,"evidence":`...)
		c.marshal(e.Evidence)
	}
	if e.HashVersion != 0 {
		c.b = append(c.b, `,"hash_version":`...)
		c.int(int64(e.HashVersion))
	}
	c.b = append(c.b, `,"prev_hash":`...)
	c.str(e.PrevHash)
	c.b = append(c.b, `,"hash":`...)
	c.str(e.Hash)
	c.b = append(c.b, '}')
}

// rawMap appends m, its keys sorted ("null" for nil).
func (c *canonBuf) rawMap(m map[string]json.RawMessage) {
	if m == nil {
		c.b = append(c.b, "null"...)
		return
	}
	c.b = append(c.b, '{')
	for i, k := range sortedKeys(m, make([]string, 0, 8)) {
		if i > 0 {
			c.b = append(c.b, ',')
		}
		c.key(k)
		c.raw(m[k])
	}
	c.b = append(c.b, '}')
}

// snapshot appends s as encoding/json does, normalised first when norm is set (see
// [Snapshot.normalized]).
func (c *canonBuf) snapshot(s *Snapshot, norm bool) {
	if s == nil {
		c.b = append(c.b, "null"...)
		return
	}
	c.b = append(c.b, '{')
	c.described(s)
	c.planned(s, norm)
	if s.Scope != 0 {
		c.b = append(c.b, `,"scope":`...)
		c.int(s.Scope)
	}
	c.lineage(s, norm)
	c.b = append(c.b, '}')
}

// release appends r's stored form: what encoding/json gives for a Release.
func (c *canonBuf) release(r *Release) {
	s := sharedSnapshot(*r)
	c.b = append(c.b, `{"id":"`...)
	c.b = appendID(c.b, r.ID)
	c.b = append(c.b, `",`...)
	c.described(&s)
	c.b = append(c.b, `,"state":`...)
	c.str(string(r.State))
	c.b = append(c.b, `,"revision":`...)
	c.int(r.Revision)
	if r.Scope != 0 {
		c.b = append(c.b, `,"scope":`...)
		c.int(r.Scope)
	}
	c.b = append(c.b, `,"head":`...)
	c.str(r.Head)
	c.b = append(c.b, `,"created_at":`...)
	c.time(r.CreatedAt)
	c.b = append(c.b, `,"updated_at":`...)
	c.time(r.UpdatedAt)
	if len(r.Reached) > 0 {
		c.b = append(c.b, `,"reached":{`...)
		for i, k := range sortedKeys(r.Reached, make([]State, 0, 12)) {
			if i > 0 {
				c.b = append(c.b, ',')
			}
			c.key(string(k))
			c.time(r.Reached[k])
		}
		c.b = append(c.b, '}')
	}
	c.planned(&s, false)
	c.lineage(&s, false)
	c.b = append(c.b, '}')
}

// described appends the fields that describe a release, from name to labels, as a
// Snapshot and a Release both begin (without the opening brace).
func (c *canonBuf) described(s *Snapshot) {
	c.b = append(c.b, `"name":`...)
	c.str(s.Name)
	c.b = append(c.b, `,"version":`...)
	c.str(s.Version)
	if len(s.Components) > 0 {
		c.b = append(c.b, `,"components":[`...)
		for i, p := range s.Components {
			if i > 0 {
				c.b = append(c.b, ',')
			}
			c.b = append(c.b, `{"name":`...)
			c.str(p.Name)
			c.b = append(c.b, `,"version":`...)
			c.str(p.Version)
			if p.PreviousVersion != "" {
				c.b = append(c.b, `,"previous_version":`...)
				c.str(p.PreviousVersion)
			}
			c.b = append(c.b, '}')
		}
		c.b = append(c.b, ']')
	}
	c.b = append(c.b, `,"environment":`...)
	c.str(s.Environment)
	c.b = append(c.b, `,"class":`...)
	c.str(string(s.Class))
	c.b = append(c.b, `,"author":`...)
	c.str(s.Author)
	if len(s.Labels) > 0 {
		c.b = append(c.b, `,"labels":{`...)
		for i, k := range sortedKeys(s.Labels, make([]string, 0, 8)) {
			if i > 0 {
				c.b = append(c.b, ',')
			}
			c.key(k)
			c.str(s.Labels[k])
		}
		c.b = append(c.b, '}')
	}
}

// planned appends the fields from team to review (times in UTC when norm is set).
func (c *canonBuf) planned(s *Snapshot, norm bool) {
	if s.Team != "" {
		c.b = append(c.b, `,"team":`...)
		c.str(s.Team)
	}
	if s.Duration != 0 {
		c.b = append(c.b, `,"duration":`...)
		c.int(int64(s.Duration))
	}
	if len(s.Needs) > 0 {
		c.b = append(c.b, `,"needs":[`...)
		for i, n := range s.Needs {
			if i > 0 {
				c.b = append(c.b, ',')
			}
			c.b = append(c.b, `{"name":`...)
			c.str(n.Name)
			if n.Version != "" {
				c.b = append(c.b, `,"version":`...)
				c.str(n.Version)
			}
			c.b = append(c.b, '}')
		}
		c.b = append(c.b, ']')
	}
	if s.Slot != nil {
		c.b = append(c.b, `,"slot":{"booking":`...)
		c.str(s.Slot.Booking)
		c.b = append(c.b, `,"start":`...)
		c.time(utcIf(norm, s.Slot.Start))
		c.b = append(c.b, `,"end":`...)
		c.time(utcIf(norm, s.Slot.End))
		c.b = append(c.b, '}')
	}
	if s.Risk != nil {
		c.b = append(c.b, `,"risk":`...)
		c.marshal(s.Risk)
	}
	if s.Rollback != nil {
		c.b = append(c.b, `,"rollback":`...)
		c.marshal(s.Rollback)
	}
	if s.Review != nil {
		c.b = append(c.b, `,"review":`...)
		c.marshal(s.Review)
	}
}

// lineage appends predecessor and committed_at, the fields both end with.
func (c *canonBuf) lineage(s *Snapshot, norm bool) {
	if !s.Predecessor.IsZero() {
		c.b = append(c.b, `,"predecessor":"`...)
		c.b = appendID(c.b, s.Predecessor)
		c.b = append(c.b, '"')
	}
	if !s.CommittedAt.IsZero() {
		c.b = append(c.b, `,"committed_at":`...)
		c.time(utcIf(norm, s.CommittedAt))
	}
}

// appendID appends id's text form ([ID.String]) to b.
func appendID(b []byte, id ID) []byte {
	const digits = "0123456789abcdef"
	for i, x := range id {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b = append(b, '-')
		}
		b = append(b, digits[x>>4], digits[x&0xf])
	}
	return b
}

// sortedKeys returns m's keys in the order encoding/json writes them, in keys (an
// empty slice whose array may be big enough).
func sortedKeys[K ~string, V any](m map[K]V, keys []K) []K {
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func utcIf(utc bool, t time.Time) time.Time {
	if utc {
		return t.UTC()
	}
	return t
}

// sameSnapshot reports whether a and b, normalised, encode alike (false when either
// does not encode).
func sameSnapshot(a, b *Snapshot) bool {
	c := canonPool.Get().(*canonBuf)
	defer c.free()
	c.snapshot(a, true)
	n := len(c.b)
	c.snapshot(b, true)
	return c.err == nil && bytes.Equal(c.b[:n], c.b[n:])
}

// free returns c to canonPool, empty.
func (c *canonBuf) free() {
	if cap(c.b) <= 64<<10 {
		c.b, c.err = c.b[:0], nil
		canonPool.Put(c)
	}
}
