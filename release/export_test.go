package release

import (
	"encoding/json"
	"time"
)

// The canonical structs below are the reference for the hashed form: encoding/json
// over them is what canonBuf must write byte for byte (TestCanonicalMatchesJSON).

// canonical is the hashed form of an entry of hash version 1: a fixed field order,
// times as UTC RFC 3339 text, compact JSON payloads, sorted annotation keys
// (encoding/json sorts map keys) and no Hash. Version 2 ([canonicalV2]) appends the
// snapshot.
type canonical struct {
	V           int                        `json:"v"`
	ReleaseID   string                     `json:"release_id"`
	Sequence    int64                      `json:"sequence"`
	Event       Event                      `json:"event"`
	From        State                      `json:"from"`
	To          State                      `json:"to"`
	ActorID     string                     `json:"actor_id"`
	ActorKind   ActorKind                  `json:"actor_kind"`
	ActorRoles  []string                   `json:"actor_roles"`
	Reason      string                     `json:"reason"`
	Time        string                     `json:"time"`
	Data        json.RawMessage            `json:"data"`
	Annotations map[string]json.RawMessage `json:"annotations"`
	PrevHash    string                     `json:"prev_hash"`
}

// canonicalV2 is the hashed form of hash version 2: version 1's fields (with "v":2)
// followed by the snapshot, normalised (UTC times, no empty lists).
type canonicalV2 struct {
	canonical
	Snapshot *Snapshot `json:"snapshot"`
}

// canonicalV3 is the hashed form of hash version 3: version 2's fields (with "v":3)
// followed by the evidence, normalised (UTC times), null on entries without.
type canonicalV3 struct {
	canonicalV2
	Evidence *Evidence `json:"evidence"`
}

// CanonicalByJSON is e's hashed form as encoding/json writes it from the canonical
// structs.
func CanonicalByJSON(e AuditEntry) ([]byte, error) {
	c := canonical{
		V: 1, ReleaseID: e.ReleaseID.String(), Sequence: e.Sequence, Event: e.Event,
		From: e.From, To: e.To, ActorID: e.Actor.ID, ActorKind: e.Actor.Kind,
		ActorRoles: e.Actor.Roles, Reason: e.Reason,
		Time: e.Time.UTC().Format(time.RFC3339Nano), Data: nullIfEmpty(e.Data),
		Annotations: e.Annotations, PrevHash: e.PrevHash,
	}
	if c.ActorRoles == nil {
		c.ActorRoles = []string{}
	}
	var v any = c
	switch e.HashVersion {
	case 2:
		c.V = 2
		v = canonicalV2{canonical: c, Snapshot: e.Snapshot.normalized()}
	case 3:
		c.V = 3
		v = canonicalV3{canonicalV2: canonicalV2{canonical: c, Snapshot: e.Snapshot.normalized()}, Evidence: e.Evidence.normalized()}
	}
	return json.Marshal(v)
}

// CanonicalByHand is e's hashed form as ComputeHash writes it.
func CanonicalByHand(e AuditEntry) ([]byte, error) {
	var c canonBuf
	c.canonical(&e, max(e.HashVersion, 1))
	return c.b, c.err
}

// DecodeEntryFast and DecodeEntryJSON are DecodeEntry's two parses; the fast one
// reports false when it leaves the input to encoding/json.
func DecodeEntryFast(b []byte) (AuditEntry, bool)  { return decodeEntryFast(b) }
func DecodeEntryJSON(b []byte) (AuditEntry, error) { return decodeEntryJSON(b) }
func DecodeReleaseFast(b []byte) (Release, bool)   { return decodeReleaseFast(b) }
func DecodeReleaseJSON(b []byte) (Release, error)  { return decodeReleaseJSON(b) }

// EncodeEntryByHand is EncodeEntry's encoding, without its refusals.
func EncodeEntryByHand(e AuditEntry) ([]byte, error) {
	var c canonBuf
	c.entry(&e)
	return c.b, c.err
}
