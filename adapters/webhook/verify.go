package webhook

import (
	"crypto/hmac"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// DefaultTolerance is how far a signature's time may lie from the receiver's clock,
// in the past or the future, when a [Verifier] sets none.
const DefaultTolerance = 5 * time.Minute

// The kinds of verification failure. Each comes wrapped in a typed error with the
// detail: [*SignatureError], [*StaleError], [*ReplayError].
var (
	// ErrMissingSignature: the request carries no signature header.
	ErrMissingSignature = errors.New("webhook: missing signature")
	// ErrMalformedSignature: the signature header is not in the t=…,v1=… format.
	ErrMalformedSignature = errors.New("webhook: malformed signature")
	// ErrBadSignature: no v1 value matches the body under any configured secret, or
	// an unsigned header contradicts the signed body.
	ErrBadSignature = errors.New("webhook: bad signature")
	// ErrStale: the signature's time lies outside the tolerance, past or future.
	ErrStale = errors.New("webhook: stale signature")
	// ErrReplay: a delivery with the same idempotency key was already accepted
	// within the tolerance.
	ErrReplay = errors.New("webhook: replayed delivery")
	// ErrNoSecrets: the verifier has no secrets, or an empty one, and accepts
	// nothing.
	ErrNoSecrets = errors.New("webhook: no verification secrets")
)

// SignatureError says what is wrong with a signature. Err is one of
// [ErrMissingSignature], [ErrMalformedSignature], [ErrBadSignature].
type SignatureError struct {
	Err    error
	Reason string
}

func (e *SignatureError) Error() string {
	return fmt.Sprintf("%v: %s; the sender must sign each delivery with a shared secret (see webhook.Sign)", e.Err, e.Reason)
}

// Unwrap returns Err.
func (e *SignatureError) Unwrap() error { return e.Err }

// StaleError says a correctly signed delivery was signed too long ago or too far in
// the future.
type StaleError struct {
	// Signed is the signature's time; Now the receiver's.
	Signed, Now time.Time
	// Skew is Now - Signed: positive when the signature is in the past.
	Skew      time.Duration
	Tolerance time.Duration
}

func (e *StaleError) Error() string {
	when := "old"
	skew := e.Skew
	if skew < 0 {
		when, skew = "in the future", -skew
	}
	return fmt.Sprintf("%v: signed %v %s, beyond the %v tolerance; check both clocks (NTP) or resend", ErrStale, skew, when, e.Tolerance)
}

// Unwrap returns [ErrStale].
func (e *StaleError) Unwrap() error { return ErrStale }

// ReplayError says a delivery's idempotency key was already accepted.
type ReplayError struct {
	Key string
}

func (e *ReplayError) Error() string {
	return fmt.Sprintf("%v: idempotency key %q was already accepted; the notification was processed before", ErrReplay, e.Key)
}

// Unwrap returns [ErrReplay].
func (e *ReplayError) Unwrap() error { return ErrReplay }

// ReplayCache remembers accepted idempotency keys for a while. Implementations
// must be safe for concurrent use; [NewMemoryReplayCache] is one for a single
// process, and a shared store (a database table with a unique key) does the same
// across replicas.
type ReplayCache interface {
	// Seen reports whether key is remembered and unexpired at now. When it is not,
	// Seen remembers it until expires, atomically: of concurrent calls with the
	// same new key, exactly one reports false.
	Seen(key string, expires, now time.Time) bool
	// Forget drops key, so that a later delivery with it is accepted again (used
	// when processing an accepted delivery failed and the sender will retry).
	Forget(key string)
}

// MemoryReplayCache is an in-memory [ReplayCache]. Expired keys are swept as new
// ones arrive, so memory holds about the keys of one tolerance window. The zero
// value is not usable; call [NewMemoryReplayCache].
type MemoryReplayCache struct {
	mu        sync.Mutex
	keys      map[string]time.Time
	nextSweep int
}

var _ ReplayCache = (*MemoryReplayCache)(nil)

// NewMemoryReplayCache returns an empty cache.
func NewMemoryReplayCache() *MemoryReplayCache {
	return &MemoryReplayCache{keys: map[string]time.Time{}, nextSweep: 1024}
}

// Seen implements [ReplayCache].
func (c *MemoryReplayCache) Seen(key string, expires, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if exp, ok := c.keys[key]; ok && now.Before(exp) {
		return true
	}
	if len(c.keys) >= c.nextSweep {
		for k, exp := range c.keys {
			if !now.Before(exp) {
				delete(c.keys, k)
			}
		}
		c.nextSweep = max(1024, 2*len(c.keys))
	}
	c.keys[key] = expires
	return false
}

// Forget implements [ReplayCache].
func (c *MemoryReplayCache) Forget(key string) {
	c.mu.Lock()
	delete(c.keys, key)
	c.mu.Unlock()
}

// Len returns the number of remembered keys, expired ones not yet swept included.
func (c *MemoryReplayCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.keys)
}

// Verifier checks deliveries on the receiving side. A Verifier is safe for
// concurrent use once configured.
type Verifier struct {
	// Secrets are the shared secrets; a signature made with any of them is
	// accepted. During a rotation hold the new and the old secret. Empty Secrets,
	// or an empty secret among them, make every verification fail with
	// [ErrNoSecrets].
	Secrets [][]byte
	// Tolerance bounds the distance between a signature's time and now, past or
	// future; zero means [DefaultTolerance].
	Tolerance time.Duration
	// Replays remembers accepted idempotency keys until their signature's time
	// plus the tolerance; nil turns replay protection off.
	Replays ReplayCache
	// Now reads the receiver's clock for [Handler]; nil means the system clock.
	Now func() time.Time
}

// VerifyOption configures [Verify].
type VerifyOption func(*Verifier)

// WithTolerance sets [Verifier.Tolerance].
func WithTolerance(d time.Duration) VerifyOption { return func(v *Verifier) { v.Tolerance = d } }

// WithReplayCache sets [Verifier.Replays].
func WithReplayCache(c ReplayCache) VerifyOption { return func(v *Verifier) { v.Replays = c } }

// Verify checks one delivery (its headers and raw body) at now against secrets and
// returns its payload. See [Verifier.Verify].
func Verify(h http.Header, body []byte, secrets [][]byte, now time.Time, opts ...VerifyOption) (Payload, error) {
	v := &Verifier{Secrets: secrets}
	for _, o := range opts {
		o(v)
	}
	return v.Verify(h, body, now)
}

func (v *Verifier) tolerance() time.Duration {
	if v.Tolerance > 0 {
		return v.Tolerance
	}
	return DefaultTolerance
}

// CheckSignature checks a signature header value against body at now: the header
// parses, some v1 value equals HMAC-SHA256(secret, "<t>." + body) for some secret
// (compared in constant time), and t lies within the tolerance of now. It returns
// the parsed signature. It does not look at replays or the payload.
func (v *Verifier) CheckSignature(header string, body []byte, now time.Time) (Signature, error) {
	if len(v.Secrets) == 0 {
		return Signature{}, fmt.Errorf("%w: configure at least one secret", ErrNoSecrets)
	}
	for i, s := range v.Secrets {
		if len(s) == 0 {
			return Signature{}, fmt.Errorf("%w: secret %d is empty, and an empty key signs nothing", ErrNoSecrets, i)
		}
	}
	sig, err := ParseSignature(header)
	if err != nil {
		return Signature{}, err
	}
	matched := false
	for _, secret := range v.Secrets {
		want := mac(secret, sig.Timestamp, body)
		for _, got := range sig.V1 {
			if hmac.Equal(got, want) {
				matched = true
			}
		}
	}
	if !matched {
		return Signature{}, &SignatureError{Err: ErrBadSignature, Reason: fmt.Sprintf("none of %d v1 signature(s) matches the body under any of the %d configured secret(s)", len(sig.V1), len(v.Secrets))}
	}
	tol := v.tolerance()
	signed := sig.Time()
	skew := now.Sub(signed)
	if skew > tol || skew < -tol {
		return Signature{}, &StaleError{Signed: signed, Now: now, Skew: skew, Tolerance: tol}
	}
	return sig, nil
}

// Verify checks one delivery at now and returns its payload. It rejects, in this
// order: a missing or malformed signature header; a signature that matches no
// secret ([ErrBadSignature]); a signature time outside the tolerance, past or
// future ([ErrStale]); a body that is not a payload ([ErrMalformedPayload]); an
// Idempotency-Key header that differs from the signed payload's key
// ([ErrBadSignature]); and, with a replay cache, a key already accepted
// ([ErrReplay]). An accepted key is remembered until the signature's time plus the
// tolerance (and a second), after which no delivery signed at that time passes anyway. A replay
// of the same signature is caught by its key, which lies inside the signed body.
//
// Verify records the key when it accepts: if processing the payload then fails
// and the sender should retry, call Replays.Forget(p.IdempotencyKey) ([Handler]
// does).
func (v *Verifier) Verify(h http.Header, body []byte, now time.Time) (Payload, error) {
	sig, err := v.CheckSignature(h.Get(SignatureHeader), body, now)
	if err != nil {
		return Payload{}, err
	}
	p, err := DecodePayload(body)
	if err != nil {
		return Payload{}, err
	}
	if k := h.Get(IdempotencyHeader); k != "" && k != p.IdempotencyKey {
		return Payload{}, &SignatureError{Err: ErrBadSignature, Reason: fmt.Sprintf("the %s header %q differs from the signed payload's key %q", IdempotencyHeader, clip(k), p.IdempotencyKey)}
	}
	if v.Replays != nil && v.Replays.Seen(p.IdempotencyKey, sig.Time().Add(v.tolerance()+time.Second), now) {
		return Payload{}, &ReplayError{Key: p.IdempotencyKey}
	}
	return p, nil
}
