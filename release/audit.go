package release

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// AuditEntry is one committed change in a release's history. Entries form a hash
// chain: each Hash is SHA-256 over the entry's canonical encoding, which includes the
// previous entry's hash, so an edit, deletion, insertion or reordering anywhere breaks
// every later link.
type AuditEntry struct {
	ReleaseID ID `json:"release_id"`
	// Sequence numbers the entries 1, 2, 3…; it equals the release's Revision after
	// the change.
	Sequence int64 `json:"sequence"`
	Event    Event `json:"event"`
	// From is empty for the EventCreate entry.
	From   State  `json:"from"`
	To     State  `json:"to"`
	Actor  Actor  `json:"actor"`
	Reason string `json:"reason,omitempty"`
	// Time is when the change committed, in UTC, to the microsecond (the precision
	// every store keeps).
	Time time.Time `json:"time"`
	// Data is the caller's JSON payload (compact), or nil.
	Data json.RawMessage `json:"data,omitempty"`
	// Annotations are what guards recorded about the decision (gate results, the
	// booked slot, the risk assessment), by guard name.
	Annotations map[string]json.RawMessage `json:"annotations,omitempty"`
	// Snapshot is the release's fields right after the change (see [Snapshot]); the
	// engine writes one in every entry (hash version 2). Entries written before
	// snapshots existed have none.
	Snapshot *Snapshot `json:"snapshot,omitempty"`
	// Evidence is the evidence an [EventRecord] entry records, nil on every other
	// entry.
	Evidence *Evidence `json:"evidence,omitempty"`
	// HashVersion is the canonical form Hash covers: 0 (or 1) for entries written
	// before snapshots, 2 for entries with a Snapshot, 3 for entries that may carry
	// Evidence (every entry the engine writes now). A history never goes back to an
	// older version.
	HashVersion int    `json:"hash_version,omitempty"`
	PrevHash    string `json:"prev_hash"`
	Hash        string `json:"hash"`
}

// CurrentHashVersion is the hash version of the entries the engine writes.
const CurrentHashVersion = 3

// The hashed form of an entry of hash version 1 is a JSON object with a fixed field
// order: v (1), release_id, sequence, event, from, to, actor_id, actor_kind,
// actor_roles ([] for none), reason, time (UTC RFC 3339 text), data (compact, null
// for none), annotations (sorted keys) and prev_hash; no Hash. Version 2 (v: 2)
// appends the snapshot, normalised (UTC times, no empty lists); version 3 (v: 3)
// appends the evidence, normalised, null on entries without. It is what
// encoding/json gives for those fields ([canonBuf] writes it without reflection).

// ComputeHash returns the hash the entry should carry: hex SHA-256 over its canonical
// encoding (every field but Hash) in the entry's hash version.
func (e AuditEntry) ComputeHash() (string, error) {
	switch {
	case e.HashVersion < 0 || e.HashVersion > CurrentHashVersion:
		return "", &CorruptError{What: "audit entry", Reason: fmt.Sprintf("hash version %d is not one this code knows (0 to %d); was it written by a newer releasekit?", e.HashVersion, CurrentHashVersion)}
	case e.HashVersion >= 2 && e.Snapshot == nil:
		return "", &CorruptError{What: "audit entry", Reason: fmt.Sprintf("hash version %d but no snapshot", e.HashVersion)}
	case e.HashVersion < 3 && e.Evidence != nil:
		return "", &CorruptError{What: "audit entry", Reason: fmt.Sprintf("hash version %d cannot carry evidence", e.HashVersion)}
	case e.HashVersion < 2 && e.Snapshot != nil:
		return "", &CorruptError{What: "audit entry", Reason: fmt.Sprintf("hash version %d cannot carry a snapshot", e.HashVersion)}
	}
	for k, v := range e.Annotations {
		if len(v) == 0 {
			return "", &CorruptError{What: "audit entry", Reason: fmt.Sprintf("annotation %q is empty", k)}
		}
	}
	c := canonPool.Get().(*canonBuf)
	defer c.free()
	c.canonical(&e, max(e.HashVersion, 1))
	if c.err != nil {
		return "", &CorruptError{What: "audit entry", Reason: "payload is not valid JSON: " + c.err.Error()}
	}
	b := c.b
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

func nullIfEmpty(b json.RawMessage) json.RawMessage {
	if len(b) == 0 {
		return json.RawMessage("null")
	}
	return b
}

// Clone returns a deep copy of e.
func (e AuditEntry) Clone() AuditEntry {
	e.Actor.Roles = slices.Clone(e.Actor.Roles)
	e.Data = bytes.Clone(e.Data)
	if e.Annotations != nil {
		m := make(map[string]json.RawMessage, len(e.Annotations))
		for k, v := range e.Annotations {
			m[k] = bytes.Clone(v)
		}
		e.Annotations = m
	}
	e.Snapshot = e.Snapshot.Clone()
	e.Evidence = e.Evidence.Clone()
	return e
}

// EncodeEntry returns the stored form of e (JSON). Stores that keep entries as bytes
// use it with [DecodeEntry], and must decode what it returns before writing it: an
// entry that does not read back with its own hash (invalid UTF-8 or non-compact JSON
// data change in encoding, a hash that is not the content's) would make the release's
// history unreadable, and is refused with [ErrInvalid]. EncodeEntry refuses two such
// entries itself, with ErrInvalid: an empty, non-nil Annotations map (stored as
// absent), and text holding U+0000, which PostgreSQL's JSON cannot hold (every store
// refuses what one store cannot hold).
func EncodeEntry(e AuditEntry) ([]byte, error) {
	if e.Annotations != nil && len(e.Annotations) == 0 {
		return nil, fmt.Errorf("%w: audit entry %d of release %s: an empty, non-nil Annotations map is hashed but not stored; use nil", ErrInvalid, e.Sequence, e.ReleaseID)
	}
	c := canonPool.Get().(*canonBuf)
	defer c.free()
	c.entry(&e)
	if c.err != nil {
		return nil, &CorruptError{What: "audit entry", Reason: c.err.Error()}
	}
	b := bytes.Clone(c.b)
	if hasNUL(b) {
		return nil, fmt.Errorf("%w: audit entry %d of release %s: its text holds the character U+0000, which PostgreSQL cannot store; remove it from the entry's text (reason, data, annotations, actor, release fields)", ErrInvalid, e.Sequence, e.ReleaseID)
	}
	return b, nil
}

// hasNUL reports whether the JSON text b holds the escape \u0000 (JSON encodes
// U+0000 only that way), and not a backslash followed by the text u0000.
func hasNUL(b []byte) bool {
	const esc = `\u0000`
	for {
		i := bytes.Index(b, []byte(esc))
		if i < 0 {
			return false
		}
		n := 1 // the backslashes that end at i, this one included
		for n <= i && b[i-n] == '\\' {
			n++
		}
		if n%2 == 1 {
			return true
		}
		b = b[i+len(esc):]
	}
}

// DecodeEntry parses the stored form of an entry and checks it: known event and
// states, a positive sequence, a hash that matches the content. Anything else is a
// *CorruptError (ErrCorrupt).
func DecodeEntry(b []byte) (AuditEntry, error) {
	e, ok := decodeEntryFast(b)
	if !ok {
		var err error
		if e, err = decodeEntryJSON(b); err != nil {
			return AuditEntry{}, err
		}
	}
	if err := e.check(); err != nil {
		return AuditEntry{}, &CorruptError{What: "audit entry", Reason: err.Error()}
	}
	return e, nil
}

// decodeEntryJSON is DecodeEntry's parse with encoding/json: what decodeEntryFast
// gives up on.
func decodeEntryJSON(b []byte) (AuditEntry, error) {
	var e AuditEntry
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return AuditEntry{}, &CorruptError{What: "audit entry", Reason: err.Error()}
	}
	if dec.More() {
		return AuditEntry{}, &CorruptError{What: "audit entry", Reason: "trailing data after the entry"}
	}
	return e, nil
}

// check verifies one entry on its own: fields in range and the hash.
func (e AuditEntry) check() error {
	switch {
	case e.Sequence < 1:
		return fmt.Errorf("sequence %d is not positive", e.Sequence)
	case e.Event == EventCreate:
		if e.From != "" || e.To != StateDraft {
			return fmt.Errorf("create entry goes from %q to %q, want \"\" to %q", e.From, e.To, StateDraft)
		}
	case e.Event == EventRecord || e.Event == EventDecision || e.Event == EventHalt:
		if e.From != e.To || !e.From.Valid() {
			return fmt.Errorf("%s entry goes from %q to %q; it must stay in one state", e.Event, e.From, e.To)
		}
		if e.HashVersion < 3 {
			return fmt.Errorf("%s entry has hash version %d; it takes version 3", e.Event, e.HashVersion)
		}
		if (e.Evidence != nil) != (e.Event == EventRecord) {
			return fmt.Errorf("%s entry with evidence %v: only a record entry carries evidence, and it always does", e.Event, e.Evidence != nil)
		}
		if e.Evidence != nil && (e.Evidence.By.ID != e.Actor.ID || e.Evidence.By.Kind != e.Actor.Kind || !slices.Equal(e.Evidence.By.Roles, e.Actor.Roles)) {
			return fmt.Errorf("record entry's evidence is by %s %q %v but its actor is %s %q %v", e.Evidence.By.Kind, e.Evidence.By.ID, e.Evidence.By.Roles, e.Actor.Kind, e.Actor.ID, e.Actor.Roles)
		}
	case !e.Event.Valid():
		return fmt.Errorf("event %q is not one of %v", e.Event, Events())
	case e.Evidence != nil:
		return fmt.Errorf("%s entry carries evidence; only a record entry does", e.Event)
	default:
		if to, ok := Next(e.From, e.Event); !ok || to != e.To {
			return fmt.Errorf("%s from %q to %q is not a lifecycle transition", e.Event, e.From, e.To)
		}
	}
	want, err := e.ComputeHash()
	if err != nil {
		return err
	}
	if e.Hash != want {
		return fmt.Errorf("hash %q does not match the content (want %q)", e.Hash, want)
	}
	return nil
}

// VerifyHistory checks a release's whole history: sequence numbers 1…n without gaps,
// one release, a create entry first, each entry's From equal to the previous To, every
// transition a lifecycle edge, every hash matching its content and chained to the one
// before, hash versions that never go back, and snapshots ([Snapshot]) whose author is
// the creator and whose fields change only with the events that change them (a slot
// with schedule, unschedule and cancel, the risk with plan, the rollback record with
// fail, rollback and finish_rollback, the review with close; nothing else after
// create). With a non-empty head (the release's Head), it also checks that the last
// entry is the head, which detects a tail cut off, rewritten or extended. It returns nil or a
// *HistoryError naming the first bad entry.
func VerifyHistory(entries []AuditEntry, head string) error {
	var id ID
	if len(entries) > 0 {
		id = entries[0].ReleaseID
	}
	bad := func(i int, format string, args ...any) error {
		return &HistoryError{ID: id, Index: i, Sequence: int64(i + 1), Reason: fmt.Sprintf(format, args...)}
	}
	prev := ""
	var snap *Snapshot
	for i, e := range entries {
		switch {
		case e.ReleaseID != id:
			return bad(i, "belongs to release %s", e.ReleaseID)
		case e.Sequence != int64(i+1):
			return bad(i, "has sequence %d (an entry was removed, inserted or moved)", e.Sequence)
		case i == 0 && e.Event != EventCreate:
			return bad(i, "the first entry is %s, not %s", e.Event, EventCreate)
		case i > 0 && e.Event == EventCreate:
			return bad(i, "a second %s entry", EventCreate)
		case i > 0 && e.From != entries[i-1].To:
			return bad(i, "starts from %s but the previous entry ended in %s", e.From, entries[i-1].To)
		case e.PrevHash != prev:
			return bad(i, "does not chain to the entry before it")
		case i > 0 && version(e) < version(entries[i-1]):
			return bad(i, "has hash version %d after an entry of version %d (an entry was rewritten in an older form)", e.HashVersion, entries[i-1].HashVersion)
		}
		if err := e.check(); err != nil {
			return bad(i, "%v", err)
		}
		if err := checkSnapshot(entries, i, snap); err != nil {
			return bad(i, "%v", err)
		}
		prev = e.Hash
		if e.Snapshot != nil {
			snap = e.Snapshot
		}
	}
	if head != "" && prev != head {
		if len(entries) == 0 {
			return &HistoryError{ID: id, Index: 0, Sequence: 1, Reason: "the history is empty but the release has a head"}
		}
		for j := len(entries) - 2; j >= 0; j-- {
			if entries[j].Hash == head {
				return bad(j+1, "comes after the release's head: entries were appended")
			}
		}
		return bad(len(entries), "is missing: the last entry is not the release's head (the tail was cut off or rewritten)")
	}
	return nil
}

// version is e's hash version, 0 and 1 being the same.
func version(e AuditEntry) int { return max(e.HashVersion, 1) }
