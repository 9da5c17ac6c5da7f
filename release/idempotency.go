package release

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/releasekit/releasekit/gate"
)

// ErrKeyReused is matched by the error of a call whose idempotency key was first
// used for a different request (a *KeyReusedError).
var ErrKeyReused = errors.New("release: idempotency key reused for a different request")

// KeyReusedError says that an idempotency key already stands for another request:
// a retry must repeat the first request exactly, and a new request needs a new key.
type KeyReusedError struct {
	Key string
	// Op is the call the key was used with now: "create", "fire", "record",
	// "lockdown" or "lift".
	Op string
}

func (e *KeyReusedError) Error() string {
	return fmt.Sprintf("release: %s with idempotency key %q: the key was first used for a different request; use a new key for a new request", e.Op, e.Key)
}

// Unwrap returns [ErrKeyReused].
func (e *KeyReusedError) Unwrap() error { return ErrKeyReused }

// MaxKeyLength is the longest idempotency key accepted, in bytes.
const MaxKeyLength = 255

// IdempotencyKey makes a Create, Fire or Record retry-safe. The first call with a
// key that commits stores the key, a hash of the request and the release it
// returned, in the same store transaction as the change. A later call with the same
// key and the same request (same release, event, actor, evidence, options) returns
// that first result and writes nothing; with a different request it fails with a
// *KeyReusedError (ErrKeyReused). Of many concurrent calls with one key, one has
// the effect and the others return its result.
//
// Only a committed change is remembered: a refused call (invalid, forbidden, a
// No-Go) keeps no key, so retrying it decides again. Keys are one namespace per
// store, kept as long as the store keeps releases (the history is never pruned, and
// neither are keys), at most [MaxKeyLength] bytes. The store must implement
// [KeyStore] (adapters/memory, adapters/bolt and adapters/postgres do); with any
// other store a keyed call is a *ValidationError.
func IdempotencyKey(key string) FireOption {
	return func(o *fireOptions) { o.key, o.keyed = key, true }
}

// KeyStore is implemented by stores that keep idempotency keys (see
// [IdempotencyKey]); the engine finds it by type assertion. storetest.Run checks it.
type KeyStore interface {
	// CreateKeyed is Create that also stores k, in the same transaction. When k.Key
	// is already stored it changes nothing and returns an error matching
	// ErrAlreadyExists.
	CreateKeyed(ctx context.Context, r Release, first AuditEntry, k KeyRecord) error
	// UpdateKeyed is Update that also stores k, in the same transaction. When k.Key
	// is already stored it changes nothing and returns an error matching
	// ErrAlreadyExists (or ErrStale, when the compare-and-swap fails first).
	UpdateKeyed(ctx context.Context, expected int64, r Release, e AuditEntry, k KeyRecord) error
	// LookupKey returns the record stored under key, or ErrNotFound.
	LookupKey(ctx context.Context, key string) (KeyRecord, error)
}

// KeyRecord is what a [KeyStore] keeps for one idempotency key: the key, a hash of
// the request, and the result (the release as the request committed it).
type KeyRecord struct {
	Key string `json:"key"`
	// Request is the hex SHA-256 of the request's canonical form.
	Request string `json:"request"`
	// Result is the release the first call returned; Result.ID and
	// Result.Revision name the history entry it wrote.
	Result Release `json:"result"`
}

// EncodeKeyRecord and DecodeKeyRecord give the stored form of a [KeyRecord] (JSON),
// for stores that keep bytes.
func EncodeKeyRecord(k KeyRecord) ([]byte, error) {
	b, err := json.Marshal(k)
	if err != nil {
		return nil, &CorruptError{What: "idempotency key", Reason: err.Error()}
	}
	return b, nil
}

// DecodeKeyRecord parses the stored form of a [KeyRecord]; anything malformed is a
// *CorruptError (ErrCorrupt).
func DecodeKeyRecord(b []byte) (KeyRecord, error) {
	var k KeyRecord
	if err := json.Unmarshal(b, &k); err != nil {
		return KeyRecord{}, &CorruptError{What: "idempotency key", Reason: err.Error()}
	}
	if k.Key == "" || len(k.Request) != 64 || k.Result.ID.IsZero() {
		return KeyRecord{}, &CorruptError{What: "idempotency key", Reason: "a stored key record lacks its key, request hash or result"}
	}
	return k, nil
}

// request is the canonical form of a keyed call, hashed into KeyRecord.Request.
type request struct {
	Op       string          `json:"op"`
	ID       ID              `json:"id,omitzero"`
	Spec     *Spec           `json:"spec,omitempty"`
	Event    Event           `json:"event,omitempty"`
	Actor    *Actor          `json:"actor,omitempty"`
	Evidence *Evidence       `json:"evidence,omitempty"`
	Reason   string          `json:"reason,omitempty"`
	Data     json.RawMessage `json:"data,omitempty"`
	Expected int64           `json:"expected,omitempty"`
	At       time.Time       `json:"at,omitzero"`
	Override string          `json:"override,omitempty"`
	Waivers  []gate.Waiver   `json:"waivers,omitempty"`
	Review   *Review         `json:"review,omitempty"`
	Failed   []string        `json:"failed,omitempty"`
	Lockdown *Lockdown       `json:"lockdown,omitempty"`
}

func (r request) hash() string {
	b, err := json.Marshal(r)
	if err != nil {
		// Every part was validated or encoded before; make the key useless rather
		// than match another request.
		b = []byte(err.Error())
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// fireOpts applies opts and checks what can be checked before anything is read.
func fireOpts(opts []FireOption) (*fireOptions, error) {
	o := &fireOptions{}
	for _, opt := range opts {
		if opt != nil {
			opt(o)
		}
	}
	if o.dataErr != nil {
		return nil, o.dataErr
	}
	if o.expect && o.expected < 1 {
		return nil, &ValidationError{What: "fire options", Problems: []string{fmt.Sprintf("ExpectRevision(%d): revisions start at 1; pass the Revision of the release you read", o.expected)}}
	}
	if o.keyed && (strings.TrimSpace(o.key) == "" || len(o.key) > MaxKeyLength) {
		return nil, &ValidationError{What: "fire options", Problems: []string{fmt.Sprintf("IdempotencyKey: a key is 1 to %d bytes and not blank (got %d bytes)", MaxKeyLength, len(o.key))}}
	}
	return o, nil
}

// only refuses, with a *ValidationError naming them, the options of o that a call
// of op does not take: it takes [IdempotencyKey] and the options named in takes.
func (o *fireOptions) only(op string, takes ...string) error {
	given := []struct {
		name string
		set  bool
	}{
		{"Reason", o.reason != ""}, {"ExpectRevision", o.expect}, {"Data", o.data != nil},
		{"At", !o.at.IsZero()}, {"Override", o.override != ""}, {"Waive", len(o.waivers) > 0},
		{"WithReview", o.review != nil}, {"FailedComponents", len(o.failed) > 0}, {"a rollback report", o.report != nil},
	}
	var refused []string
	for _, g := range given {
		if g.set && !slices.Contains(takes, g.name) {
			refused = append(refused, g.name)
		}
	}
	if len(refused) == 0 {
		return nil
	}
	takes = append(slices.Clone(takes), "IdempotencyKey")
	list := takes[len(takes)-1]
	if len(takes) > 1 {
		list = strings.Join(takes[:len(takes)-1], ", ") + " and " + list
	}
	return &ValidationError{What: strings.ToLower(op) + " options", Problems: []string{
		fmt.Sprintf("%s takes only %s, not %s", op, list, strings.Join(refused, ", "))}}
}

// keyed runs do, the call, honouring o's idempotency key: a stored key with the same
// request returns its result without calling do; do commits with the key; a call
// that fails because another call with the key won returns that call's result.
func (e *Engine) keyed(ctx context.Context, o *fireOptions, req request, do func(k *KeyRecord) (Release, error)) (Release, error) {
	if !o.keyed {
		return do(nil)
	}
	ks, ok := e.store.(KeyStore)
	if !ok {
		return Release{}, &ValidationError{What: req.Op + " options", Problems: []string{fmt.Sprintf("IdempotencyKey: the store (%T) keeps no idempotency keys (it does not implement release.KeyStore)", e.store)}}
	}
	k := KeyRecord{Key: o.key, Request: req.hash()}
	recall := func() (Release, bool, error) {
		got, err := ks.LookupKey(ctx, k.Key)
		switch {
		case errors.Is(err, ErrNotFound):
			return Release{}, false, nil
		case err != nil:
			return Release{}, false, err
		case got.Request != k.Request:
			return Release{}, true, &KeyReusedError{Key: k.Key, Op: req.Op}
		}
		return got.Result, true, nil
	}
	if r, found, err := recall(); found || err != nil {
		return r, err
	}
	r, err := do(&k)
	if err != nil && !Committed(err) {
		// Another call with this key may have committed first (and made this one
		// conflict, or find the release moved on): its result is this call's.
		if r2, found, rerr := recall(); found {
			return r2, rerr
		}
	}
	return r, err
}
