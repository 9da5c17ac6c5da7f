package release

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// jr reads the stored JSON of entries and releases without reflection, on the
// layout encoding/json writes for them: no whitespace between tokens, integers in
// plain form, every key known and given once. It gives up (ok false) at anything
// else, and the caller then decodes with encoding/json, which decides. What it
// accepts, it decodes exactly as encoding/json does (TestFastDecodeMatchesJSON,
// FuzzDecodeEntryFast and FuzzDecodeReleaseFast check this), so it changes the cost
// of a read, never its outcome.
type jr struct {
	b []byte
	i int
}

func (r *jr) next(c byte) bool {
	if r.i < len(r.b) && r.b[r.i] == c {
		r.i++
		return true
	}
	return false
}

// object reads an object, calling field for each key with r at its value; field
// reads the value and reports whether it could. A key given twice fails.
func (r *jr) object(field func(key string) bool) bool {
	if !r.next('{') {
		return false
	}
	if r.next('}') {
		return true
	}
	var seen [32]string
	n := 0
	for {
		k, ok := r.str()
		if !ok || !r.next(':') || n == len(seen) {
			return false
		}
		for _, s := range seen[:n] {
			if s == k {
				return false
			}
		}
		seen[n] = k
		n++
		if !field(k) {
			return false
		}
		if r.next('}') {
			return true
		}
		if !r.next(',') {
			return false
		}
	}
}

// array reads an array, calling elem for each element with r at it.
func (r *jr) array(elem func() bool) bool {
	if !r.next('[') {
		return false
	}
	if r.next(']') {
		return true
	}
	for {
		if !elem() {
			return false
		}
		if r.next(']') {
			return true
		}
		if !r.next(',') {
			return false
		}
	}
}

// strLit reads a string in valid UTF-8 without control characters, and returns its
// text: the bytes between the quotes, or, when it holds escapes, a copy with them
// replaced (a surrogate escape gives up: encoding/json pairs or replaces those).
func (r *jr) strLit() ([]byte, bool) {
	if !r.next('"') {
		return nil, false
	}
	start := r.i
	ascii := true
	for ; r.i < len(r.b); r.i++ {
		switch c := r.b[r.i]; {
		case c == '"':
			s := r.b[start:r.i]
			r.i++
			return s, ascii || utf8.Valid(s)
		case c == '\\':
			return r.unescape(start)
		case c < 0x20:
			return nil, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return nil, false
}

// unescape continues strLit from the first escape of the string that began at start.
func (r *jr) unescape(start int) ([]byte, bool) {
	out := append([]byte(nil), r.b[start:r.i]...)
	for r.i < len(r.b) {
		c := r.b[r.i]
		switch {
		case c == '"':
			r.i++
			return out, utf8.Valid(out)
		case c < 0x20:
			return nil, false
		case c != '\\':
			out = append(out, c)
			r.i++
			continue
		}
		if r.i+1 >= len(r.b) {
			return nil, false
		}
		e := r.b[r.i+1]
		r.i += 2
		switch e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			if r.i+4 > len(r.b) {
				return nil, false
			}
			n, err := strconv.ParseUint(string(r.b[r.i:r.i+4]), 16, 32)
			if err != nil || utf16.IsSurrogate(rune(n)) {
				return nil, false
			}
			out = utf8.AppendRune(out, rune(n))
			r.i += 4
		default:
			return nil, false
		}
	}
	return nil, false
}

func (r *jr) str() (string, bool) {
	s, ok := r.strLit()
	return string(s), ok
}

// texts reads an object whose fields are strings: the one named keys[i] into dst[i].
func (r *jr) texts(keys []string, dst ...*string) bool {
	return r.object(func(k string) bool {
		i := slices.Index(keys, k)
		if i < 0 {
			return false
		}
		var ok bool
		*dst[i], ok = r.str()
		return ok
	})
}

// strOf reads a string as a string type.
func strOf[T ~string](r *jr) (T, bool) {
	s, ok := r.str()
	return T(s), ok
}

// int reads an integer in plain form (-?(0|[1-9][0-9]*)).
func (r *jr) int() (int64, bool) {
	start := r.i
	r.next('-')
	digits := r.i
	for r.i < len(r.b) && r.b[r.i] >= '0' && r.b[r.i] <= '9' {
		r.i++
	}
	if r.i == digits || (r.b[digits] == '0' && r.i > digits+1) {
		return 0, false
	}
	if r.i < len(r.b) && (r.b[r.i] == '.' || r.b[r.i] == 'e' || r.b[r.i] == 'E') {
		return 0, false
	}
	n, err := strconv.ParseInt(string(r.b[start:r.i]), 10, 64)
	return n, err == nil
}

// value returns the extent of the JSON value at r (not null), after checking that
// it is valid JSON.
func (r *jr) value() ([]byte, bool) {
	start, depth := r.i, 0
	for r.i < len(r.b) {
		switch c := r.b[r.i]; c {
		case '"':
			for r.i++; r.i < len(r.b) && r.b[r.i] != '"'; r.i++ {
				if r.b[r.i] == '\\' {
					r.i++
				}
			}
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				goto end
			}
			depth--
		case ',':
			if depth == 0 {
				goto end
			}
		}
		r.i++
	}
end:
	v := r.b[start:min(r.i, len(r.b))]
	if len(v) == 0 || v[0] == 'n' || space(v[0]) || space(v[len(v)-1]) || depth != 0 || !json.Valid(v) {
		return nil, false
	}
	return v, true
}

func space(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// raw reads a JSON value (not null) as a json.RawMessage of its own.
func (r *jr) raw() (json.RawMessage, bool) {
	v, ok := r.value()
	return bytes.Clone(v), ok
}

func (r *jr) time() (time.Time, bool) {
	start := r.i
	if _, ok := r.strLit(); !ok {
		return time.Time{}, false
	}
	var t time.Time
	err := t.UnmarshalJSON(r.b[start:r.i])
	return t, err == nil
}

func (r *jr) id() (ID, bool) {
	s, ok := r.strLit()
	if !ok {
		return ID{}, false
	}
	var id ID
	err := id.UnmarshalText(s)
	return id, err == nil
}

// strings reads an array of strings (an empty one is empty, not nil).
func (r *jr) strings() ([]string, bool) {
	l := []string{}
	ok := r.array(func() bool {
		s, ok := r.str()
		l = append(l, s)
		return ok
	})
	return l, ok
}

// with decodes the value at r into v with encoding/json (unknown fields refused when
// strict): the parts of a row that are rare on the write path.
func (r *jr) with(v any, strict bool) bool {
	b, ok := r.value()
	if !ok {
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if strict {
		dec.DisallowUnknownFields()
	}
	return dec.Decode(v) == nil
}

// sharedField reads the value of key, a field that a Snapshot and a Release share,
// into s; false for any other key.
func (r *jr) sharedField(key string, s *Release, strict bool) bool {
	var ok bool
	switch key {
	case "name":
		s.Name, ok = r.str()
	case "version":
		s.Version, ok = r.str()
	case "environment":
		s.Environment, ok = r.str()
	case "author":
		s.Author, ok = r.str()
	case "team":
		s.Team, ok = r.str()
	case "class":
		s.Class, ok = strOf[Class](r)
	case "components":
		s.Components = []Component{}
		ok = r.array(func() bool {
			var c Component
			ok := r.texts([]string{"name", "version", "previous_version"}, &c.Name, &c.Version, &c.PreviousVersion)
			s.Components = append(s.Components, c)
			return ok
		})
	case "needs":
		s.Needs = []Need{}
		ok = r.array(func() bool {
			var n Need
			ok := r.texts([]string{"name", "version"}, &n.Name, &n.Version)
			s.Needs = append(s.Needs, n)
			return ok
		})
	case "labels":
		s.Labels = map[string]string{}
		ok = r.object(func(k string) bool {
			v, ok := r.str()
			s.Labels[k] = v
			return ok
		})
	case "duration":
		var n int64
		n, ok = r.int()
		s.Duration = time.Duration(n)
	case "scope":
		s.Scope, ok = r.int()
	case "predecessor":
		s.Predecessor, ok = r.id()
	case "committed_at":
		s.CommittedAt, ok = r.time()
	case "slot":
		s.Slot = &Slot{}
		ok = r.object(func(k string) bool {
			var ok bool
			switch k {
			case "booking":
				s.Slot.Booking, ok = r.str()
			case "start":
				s.Slot.Start, ok = r.time()
			case "end":
				s.Slot.End, ok = r.time()
			}
			return ok
		})
	case "risk":
		s.Risk = &RiskSummary{}
		ok = r.with(s.Risk, strict)
	case "rollback":
		s.Rollback = &RollbackRecord{}
		ok = r.with(s.Rollback, strict)
	case "review":
		s.Review = &Review{}
		ok = r.with(s.Review, strict)
	}
	return ok
}

// decodeEntryFast decodes the stored form of an entry as encoding/json does (with
// unknown fields refused), or reports that it cannot (see [jr]).
func decodeEntryFast(b []byte) (AuditEntry, bool) {
	var e AuditEntry
	r := jr{b: b}
	ok := r.object(func(key string) bool {
		var ok bool
		switch key {
		case "release_id":
			e.ReleaseID, ok = r.id()
		case "sequence":
			e.Sequence, ok = r.int()
		case "event":
			e.Event, ok = strOf[Event](&r)
		case "from":
			e.From, ok = strOf[State](&r)
		case "to":
			e.To, ok = strOf[State](&r)
		case "actor":
			ok = r.object(func(k string) bool {
				var ok bool
				switch k {
				case "id":
					e.Actor.ID, ok = r.str()
				case "roles":
					e.Actor.Roles, ok = r.strings()
				case "kind":
					e.Actor.Kind, ok = strOf[ActorKind](&r)
				}
				return ok
			})
		case "reason":
			e.Reason, ok = r.str()
		case "time":
			e.Time, ok = r.time()
		case "data":
			e.Data, ok = r.raw()
		case "annotations":
			e.Annotations = map[string]json.RawMessage{}
			ok = r.object(func(k string) bool {
				v, ok := r.raw()
				e.Annotations[k] = v
				return ok
			})
		case "snapshot":
			var fields Release
			ok = r.object(func(k string) bool { return r.sharedField(k, &fields, true) })
			s := sharedSnapshot(fields)
			e.Snapshot = &s
		case "evidence":
			e.Evidence = &Evidence{}
			ok = r.with(e.Evidence, true)
		case "hash_version":
			var n int64
			n, ok = r.int()
			e.HashVersion = int(n)
			ok = ok && int64(e.HashVersion) == n
		case "prev_hash":
			e.PrevHash, ok = r.str()
		case "hash":
			e.Hash, ok = r.str()
		}
		return ok
	})
	return e, ok && r.i == len(b)
}

// decodeReleaseFast decodes the stored form of a release as encoding/json does, or
// reports that it cannot (see [jr]).
func decodeReleaseFast(b []byte) (Release, bool) {
	var rel Release
	r := jr{b: b}
	ok := r.object(func(key string) bool {
		var ok bool
		switch key {
		case "id":
			rel.ID, ok = r.id()
		case "state":
			rel.State, ok = strOf[State](&r)
		case "revision":
			rel.Revision, ok = r.int()
		case "head":
			rel.Head, ok = r.str()
		case "created_at":
			rel.CreatedAt, ok = r.time()
		case "updated_at":
			rel.UpdatedAt, ok = r.time()
		case "reached":
			rel.Reached = map[State]time.Time{}
			ok = r.object(func(k string) bool {
				t, ok := r.time()
				rel.Reached[State(k)] = t
				return ok
			})
		default:
			ok = r.sharedField(key, &rel, false)
		}
		return ok
	})
	return rel, ok && r.i == len(b)
}
