package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The HTTP headers of a delivery.
const (
	// SignatureHeader carries the signature: "t=<unix seconds>,v1=<hex>[,v1=<hex>…]"
	// where each v1 is hex HMAC-SHA256(secret, "<t>." + body), one per secret.
	SignatureHeader = "Releasekit-Signature"
	// IdempotencyHeader carries [release.Notification.Key], the same value as the
	// payload's idempotency_key.
	IdempotencyHeader = "Idempotency-Key"
	// EventHeader carries the lifecycle event, for routing without parsing the body.
	EventHeader = "Releasekit-Event"
)

// Limits of the signature header that [ParseSignature] accepts.
const (
	MaxSignatureHeader = 4096
	MaxSignatures      = 8
)

// Signature is a parsed signature header.
type Signature struct {
	// Timestamp is the signing time in Unix seconds.
	Timestamp int64
	// V1 holds the HMAC-SHA256 values (32 bytes each), one per signing secret.
	V1 [][]byte
}

// Time returns the signing time.
func (s Signature) Time() time.Time { return time.Unix(s.Timestamp, 0).UTC() }

// String returns the header form, "t=…,v1=…".
func (s Signature) String() string {
	var b strings.Builder
	b.WriteString("t=")
	b.WriteString(strconv.FormatInt(s.Timestamp, 10))
	for _, v := range s.V1 {
		b.WriteString(",v1=")
		b.WriteString(hex.EncodeToString(v))
	}
	return b.String()
}

// Sign returns the signature header value for body sent at t, with one v1 value per
// secret (several during a rotation, so receivers holding either secret accept it).
func Sign(body []byte, t time.Time, secrets ...[]byte) string {
	s := Signature{Timestamp: t.Unix()}
	for _, secret := range secrets {
		s.V1 = append(s.V1, mac(secret, s.Timestamp, body))
	}
	return s.String()
}

// mac is HMAC-SHA256(secret, "<t>." + body).
func mac(secret []byte, t int64, body []byte) []byte {
	h := hmac.New(sha256.New, secret)
	var ts [20]byte
	h.Write(strconv.AppendInt(ts[:0], t, 10))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// ParseSignature parses a signature header. The format is strict: comma-separated
// "key=value" items without spaces; exactly one "t" (decimal Unix seconds, no sign,
// no leading zeros); one to [MaxSignatures] "v1" values of 64 lowercase hex digits.
// Items with other lowercase alphanumeric keys (later schemes such as "v2") are
// ignored. Anything else is a *SignatureError matching [ErrMalformedSignature]; an
// empty header matches [ErrMissingSignature].
func ParseSignature(h string) (Signature, error) {
	bad := func(format string, args ...any) (Signature, error) {
		return Signature{}, &SignatureError{Err: ErrMalformedSignature, Reason: fmt.Sprintf(format, args...)}
	}
	if h == "" {
		return Signature{}, &SignatureError{Err: ErrMissingSignature, Reason: "the " + SignatureHeader + " header is empty or absent"}
	}
	if len(h) > MaxSignatureHeader {
		return bad("the header is %d bytes, more than %d", len(h), MaxSignatureHeader)
	}
	var (
		s    Signature
		seen bool
	)
	for i, item := range strings.Split(h, ",") {
		k, v, ok := strings.Cut(item, "=")
		switch {
		case !ok:
			return bad("item %d %q is not key=value", i+1, clip(item))
		case k == "t":
			if seen {
				return bad("more than one t= item")
			}
			ts, ok := parseUnix(v)
			if !ok {
				return bad("t=%q is not Unix seconds (decimal digits, no sign or leading zeros)", clip(v))
			}
			s.Timestamp, seen = ts, true
		case k == "v1":
			if len(s.V1) == MaxSignatures {
				return bad("more than %d v1 signatures", MaxSignatures)
			}
			if len(v) != 2*sha256.Size || !isLowerHex(v) {
				return bad("v1=%q is not %d lowercase hex digits", clip(v), 2*sha256.Size)
			}
			sum, _ := hex.DecodeString(v)
			s.V1 = append(s.V1, sum)
		case !isScheme(k):
			return bad("item %d has key %q; keys are t, v1 or lowercase alphanumeric scheme names", i+1, clip(k))
		case v == "":
			return bad("item %s= has no value", k)
		}
	}
	if !seen {
		return bad("no t= timestamp")
	}
	if len(s.V1) == 0 {
		return bad("no v1= signature")
	}
	return s, nil
}

func parseUnix(v string) (int64, bool) {
	if v == "" || len(v) > 18 || (len(v) > 1 && v[0] == '0') {
		return 0, false
	}
	for i := range len(v) {
		if v[i] < '0' || v[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	return n, err == nil
}

func isLowerHex(s string) bool {
	for i := range len(s) {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func isScheme(s string) bool {
	if s == "" || len(s) > 16 {
		return false
	}
	for i := range len(s) {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'z') {
			return false
		}
	}
	return true
}

// clip shortens attacker-controlled text for error messages.
func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
