package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/releasekit/releasekit/release"
)

// PayloadVersion is the version of the [Payload] format this package writes. Within
// a version fields are only ever added; a receiver must ignore fields it does not
// know. A change that removes or changes the meaning of a field gets a new version.
const PayloadVersion = 1

// PayloadType is the Type of every transition payload.
const PayloadType = "release.transition"

// Payload is the JSON body of one webhook delivery (version 1):
//
//	{
//	  "version": 1,
//	  "type": "release.transition",
//	  "idempotency_key": "019cad00-0000-7000-8000-000000000001/5",
//	  "event": "start",
//	  "from": "approved",
//	  "to": "deploying",
//	  "release": {"id": "…", "name": "payments", "version": "1.1.0",
//	              "environment": "staging", "class": "normal", "state": "deploying",
//	              "revision": 5, "author": "alice", "components": […], "labels": {…}},
//	  "actor": {"id": "deploy-bot", "roles": ["deployer"], "kind": "automation"},
//	  "reason": "…",
//	  "time": "2026-03-02T10:28:00Z",
//	  "sequence": 5,
//	  "hash": "…",
//	  "prev_hash": "…"
//	}
//
// Time is when the transition committed; the signature header carries when the
// delivery was sent. Hash and PrevHash are the audit history's chain links, so a
// receiver can check what it was told against the history.
type Payload struct {
	Version        int            `json:"version"`
	Type           string         `json:"type"`
	IdempotencyKey string         `json:"idempotency_key"`
	Event          release.Event  `json:"event"`
	From           release.State  `json:"from"`
	To             release.State  `json:"to"`
	Release        PayloadRelease `json:"release"`
	Actor          release.Actor  `json:"actor"`
	Reason         string         `json:"reason,omitempty"`
	Time           time.Time      `json:"time"`
	Sequence       int64          `json:"sequence"`
	Hash           string         `json:"hash"`
	PrevHash       string         `json:"prev_hash"`
}

// PayloadRelease is the release as committed by the transition.
type PayloadRelease struct {
	ID          release.ID          `json:"id"`
	Name        string              `json:"name"`
	Version     string              `json:"version"`
	Environment string              `json:"environment"`
	Class       release.Class       `json:"class"`
	State       release.State       `json:"state"`
	Revision    int64               `json:"revision"`
	Author      string              `json:"author"`
	Components  []release.Component `json:"components,omitempty"`
	Labels      map[string]string   `json:"labels,omitempty"`
}

// NewPayload returns the payload for n. The entry's data and annotations are left
// out: they can be large and are the host application's to share.
func NewPayload(n release.Notification) Payload {
	r, e := n.Release, n.Entry
	return Payload{
		Version:        PayloadVersion,
		Type:           PayloadType,
		IdempotencyKey: n.Key(),
		Event:          e.Event,
		From:           e.From,
		To:             e.To,
		Release: PayloadRelease{
			ID: r.ID, Name: r.Name, Version: r.Version, Environment: r.Environment,
			Class: r.Class, State: r.State, Revision: r.Revision, Author: r.Author,
			Components: r.Components, Labels: r.Labels,
		},
		Actor:    e.Actor,
		Reason:   e.Reason,
		Time:     e.Time.UTC(),
		Sequence: e.Sequence,
		Hash:     e.Hash,
		PrevHash: e.PrevHash,
	}
}

// ErrMalformedPayload is matched by a [*PayloadError].
var ErrMalformedPayload = errors.New("webhook: malformed payload")

// PayloadError says a body is not a payload this package understands.
type PayloadError struct {
	Reason string
}

func (e *PayloadError) Error() string {
	return "webhook: the body is not a releasekit webhook payload: " + e.Reason
}

// Unwrap returns [ErrMalformedPayload].
func (e *PayloadError) Unwrap() error { return ErrMalformedPayload }

// DecodePayload parses a webhook body. It accepts unknown fields (later minor
// additions) and rejects anything else that is not a version 1 transition payload,
// with a *PayloadError saying why.
func DecodePayload(body []byte) (Payload, error) {
	var p Payload
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&p); err != nil {
		return Payload{}, &PayloadError{Reason: err.Error()}
	}
	if dec.More() {
		return Payload{}, &PayloadError{Reason: "trailing data after the JSON object"}
	}
	var problems []string
	if p.Version != PayloadVersion {
		problems = append(problems, fmt.Sprintf("version %d is not %d (upgrade the receiver to read newer versions)", p.Version, PayloadVersion))
	}
	if p.Type != PayloadType {
		problems = append(problems, fmt.Sprintf("type %q is not %q", p.Type, PayloadType))
	}
	if p.IdempotencyKey == "" {
		problems = append(problems, "idempotency_key is empty")
	}
	if !p.Event.Valid() && p.Event != release.EventCreate {
		problems = append(problems, fmt.Sprintf("event %q is not one of %v", p.Event, release.Events()))
	}
	if !p.To.Valid() {
		problems = append(problems, fmt.Sprintf("to state %q is not one of %v", p.To, release.States()))
	}
	if p.Sequence < 1 {
		problems = append(problems, fmt.Sprintf("sequence %d is not positive", p.Sequence))
	}
	if len(problems) > 0 {
		return Payload{}, &PayloadError{Reason: strings.Join(problems, "; ")}
	}
	return p, nil
}
