package release

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/releasekit/releasekit/change"
)

// EncodeRelease returns the stored form of r: its JSON encoding, the bytes
// json.Marshal writes, without its reflection. Stores that keep releases as bytes
// write it and read it back with [DecodeRelease]. A release that cannot be encoded
// (a rollback plan that is not JSON, a time outside years 0 to 9999) is refused with
// [ErrInvalid].
func EncodeRelease(r Release) ([]byte, error) {
	c := canonPool.Get().(*canonBuf)
	defer c.free()
	c.release(&r)
	if c.err != nil {
		return nil, fmt.Errorf("%w: release %s cannot be encoded as JSON: %v", ErrInvalid, r.ID, c.err)
	}
	return bytes.Clone(c.b), nil
}

// DecodeRelease parses the stored form of a release ([EncodeRelease], the JSON
// encoding json.Marshal writes) and checks that it is one a store can have written: a
// non-zero ID, a known state and class, a positive revision, a head, known states in
// Reached, a duration that is not negative, a slot that ends after it starts. Anything
// else is a *CorruptError (ErrCorrupt) listing every problem. Stores that keep
// releases as bytes decode them with it, so that every store refuses the same rows.
func DecodeRelease(b []byte) (Release, error) {
	r, ok := decodeReleaseFast(b)
	if !ok {
		var err error
		if r, err = decodeReleaseJSON(b); err != nil {
			return Release{}, err
		}
	}
	if p := storedProblems(r); len(p) > 0 {
		return Release{}, &CorruptError{What: "release " + r.ID.String(), Reason: strings.Join(p, "; ")}
	}
	return r, nil
}

// decodeReleaseJSON is DecodeRelease's parse with encoding/json: what
// decodeReleaseFast gives up on.
func decodeReleaseJSON(b []byte) (Release, error) {
	var r Release
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&r); err != nil {
		return Release{}, &CorruptError{What: "release", Reason: "not a release: " + err.Error()}
	}
	if dec.More() {
		return Release{}, &CorruptError{What: "release", Reason: "trailing data after the release"}
	}
	return r, nil
}

// storedProblems lists what no store can have written in r.
func storedProblems(r Release) []string {
	var p []string
	if r.ID.IsZero() {
		p = append(p, "the ID is zero")
	}
	if !r.State.Valid() {
		p = append(p, fmt.Sprintf("state %q is not one of %v", r.State, States()))
	}
	if !r.Class.Valid() {
		p = append(p, fmt.Sprintf("class %q is not one of %v", r.Class, change.Classes()))
	}
	if r.Revision < 1 {
		p = append(p, fmt.Sprintf("revision %d is not positive", r.Revision))
	}
	if r.Head == "" {
		p = append(p, "the head (hash of the last history entry) is empty")
	}
	for s := range r.Reached {
		if !s.Valid() {
			p = append(p, fmt.Sprintf("reached state %q is not one of %v", s, States()))
		}
	}
	if r.Duration < 0 {
		p = append(p, fmt.Sprintf("duration %v is negative", r.Duration))
	}
	if r.Slot != nil && (r.Slot.Booking == "" || !r.Slot.End.After(r.Slot.Start)) {
		p = append(p, "the slot has no booking ID or does not end after it starts")
	}
	return p
}
