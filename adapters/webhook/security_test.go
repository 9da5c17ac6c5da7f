package webhook_test

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/releasekit/releasekit/adapters/webhook"
	"github.com/releasekit/releasekit/release/notifytest"
)

// Every one-bit mutation of a signed delivery (its body, its signature header or
// its idempotency header) is rejected: first every bit of several deliveries, then
// random flips, 10,000 mutations in all. The deliveries carry one signature each:
// during a rotation a header carries two, and flipping a bit of the one made with
// the secret the receiver does not hold changes nothing the receiver relies on (the
// other still authenticates the timestamp and the body), so that case is left out.
func TestOneBitMutationsRejected(t *testing.T) {
	const total = 10_000
	type delivery struct {
		sig, key string
		body     []byte
	}
	var ds []delivery
	for i := range 3 {
		h, body := signed(t, notifytest.Sample(i)[i+2], t0, secret)
		ds = append(ds, delivery{h.Get(webhook.SignatureHeader), h.Get(webhook.IdempotencyHeader), body})
	}
	check := func(d delivery, bit int) {
		sig, key, body := []byte(d.sig), []byte(d.key), bytes.Clone(d.body)
		switch {
		case bit < 8*len(sig):
			sig[bit/8] ^= 1 << (bit % 8)
		case bit < 8*(len(sig)+len(key)):
			b := bit - 8*len(sig)
			key[b/8] ^= 1 << (b % 8)
		default:
			b := bit - 8*(len(sig)+len(key))
			body[b/8] ^= 1 << (b % 8)
		}
		h := http.Header{}
		h[webhook.SignatureHeader] = []string{string(sig)}
		h[webhook.IdempotencyHeader] = []string{string(key)}
		if _, err := webhook.Verify(h, body, [][]byte{secret}, t0); err == nil {
			t.Fatalf("flipping bit %d of %q / %q / %q verified", bit, sig, key, body)
		}
	}
	n := 0
	for _, d := range ds {
		bits := 8 * (len(d.sig) + len(d.key) + len(d.body))
		for bit := 0; bit < bits && n < total; bit++ {
			check(d, bit)
			n++
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for ; n < total; n++ {
		d := ds[rng.IntN(len(ds))]
		check(d, rng.IntN(8*(len(d.sig)+len(d.key)+len(d.body))))
	}
	require.Equal(t, total, n)
	// And the unmutated deliveries verify, so the loop above tests something.
	for _, d := range ds {
		h := http.Header{webhook.SignatureHeader: {d.sig}, webhook.IdempotencyHeader: {d.key}}
		_, err := webhook.Verify(h, d.body, [][]byte{secret}, t0)
		require.NoError(t, err)
	}
}

// Property: a delivery signed at any time within the tolerance of now verifies with
// any non-empty secret, and one outside it is stale; Sign and ParseSignature round
// trip.
func TestSignVerifyProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		key := rapid.SliceOfN(rapid.Byte(), 1, 64).Draw(t, "secret")
		note := notifytest.Sample(rapid.IntRange(0, 1000).Draw(t, "release"))[rapid.IntRange(0, notifytest.SampleLen-1).Draw(t, "step")]
		body, err := json.Marshal(webhook.NewPayload(note))
		if err != nil {
			t.Fatal(err)
		}
		tol := time.Duration(rapid.IntRange(1, 3600).Draw(t, "tolerance s")) * time.Second
		skew := time.Duration(rapid.IntRange(-7200, 7200).Draw(t, "skew s")) * time.Second
		hdr := webhook.Sign(body, t0, key)
		sig, err := webhook.ParseSignature(hdr)
		if err != nil || sig.String() != hdr {
			t.Fatalf("ParseSignature(%q) = %v, %v; does not round trip", hdr, sig, err)
		}
		_, err = webhook.Verify(http.Header{webhook.SignatureHeader: {hdr}}, body, [][]byte{key}, t0.Add(skew), webhook.WithTolerance(tol))
		inside := skew <= tol && skew >= -tol
		if inside && err != nil {
			t.Fatalf("skew %v within tolerance %v refused: %v", skew, tol, err)
		}
		if !inside && !isStale(err) {
			t.Fatalf("skew %v outside tolerance %v gave %v, want ErrStale", skew, tol, err)
		}
	})
}

func isStale(err error) bool {
	var se *webhook.StaleError
	return err != nil && errorsAs(err, &se)
}

func FuzzParseSignature(f *testing.F) {
	body := []byte(`{"version":1}`)
	for _, s := range []string{
		webhook.Sign(body, t0, secret),
		webhook.Sign(body, t0, secret, oldSecret),
		"t=1,v1=00",
		"t=,v1=",
		"v1=" + string(bytes.Repeat([]byte("a"), 64)),
		"t=1772442000,v0=abc,v1=" + string(bytes.Repeat([]byte("f"), 64)),
		",,,",
		"t=01,v1=x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sig, err := webhook.ParseSignature(s)
		if err != nil {
			return
		}
		if len(sig.V1) < 1 || len(sig.V1) > webhook.MaxSignatures || sig.Timestamp < 0 {
			t.Fatalf("ParseSignature(%q) accepted %d signatures at %d", s, len(sig.V1), sig.Timestamp)
		}
		for _, v := range sig.V1 {
			if len(v) != 32 {
				t.Fatalf("ParseSignature(%q) accepted a %d-byte v1", s, len(v))
			}
		}
		again, err := webhook.ParseSignature(sig.String())
		if err != nil || again.String() != sig.String() {
			t.Fatalf("String() of a parsed %q does not parse back: %q, %v", s, sig.String(), err)
		}
	})
}

// FuzzVerify: Verify never panics, and nothing verifies but the original body with
// a header that carries the original timestamp and a correct signature of it.
func FuzzVerify(f *testing.F) {
	h, body := signed(f, notifytest.Sample(1)[3], t0, secret)
	good := h.Get(webhook.SignatureHeader)
	f.Add(good, h.Get(webhook.IdempotencyHeader), body)
	f.Add(good+",v1="+string(bytes.Repeat([]byte("0"), 64)), "", body)
	f.Add(good, "", append(bytes.Clone(body), ' '))
	f.Add("t=1772442000", "x", []byte("{}"))
	f.Fuzz(func(t *testing.T, sig, key string, b []byte) {
		hdr := http.Header{webhook.SignatureHeader: {sig}, webhook.IdempotencyHeader: {key}}
		p, err := webhook.Verify(hdr, b, [][]byte{secret}, t0)
		if err != nil {
			return
		}
		if !bytes.Equal(b, body) {
			t.Fatalf("a body other than the signed one verified: %q", b)
		}
		if p.IdempotencyKey == "" {
			t.Fatalf("verified payload has no key")
		}
	})
}

func FuzzDecodePayload(f *testing.F) {
	for i := range notifytest.SampleLen {
		_, body := signed(f, notifytest.Sample(i)[i], t0, secret)
		f.Add(body)
	}
	f.Add([]byte(`{"version":2}`))
	f.Add([]byte(`{"version":1,"type":"release.transition"} {}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := webhook.DecodePayload(b)
		if err != nil {
			return
		}
		again, err := json.Marshal(p)
		if err != nil {
			t.Fatalf("a decoded payload does not encode: %v", err)
		}
		q, err := webhook.DecodePayload(again)
		if err != nil {
			t.Fatalf("a decoded payload re-encoded does not decode: %v\n%s", err, again)
		}
		if q.IdempotencyKey != p.IdempotencyKey || q.Sequence != p.Sequence || q.Event != p.Event {
			t.Fatalf("round trip changed the payload: %+v vs %+v", p, q)
		}
	})
}
