package webhook

import (
	"context"
	"errors"
	"io"
	"net/http"
)

// MaxBodyBytes is the largest body [Handler] reads; a larger one is answered 413.
const MaxBodyBytes = 1 << 20

// Handler returns an http.Handler for receivers: it verifies each POST with v at
// v.Now() (the system clock when nil) and calls fn with the payload. Answers:
//
//   - 204 No Content: fn returned nil.
//   - 200 OK with "duplicate": the idempotency key was already accepted (a retry
//     whose first attempt succeeded, or a replay); fn is not called, and the
//     sender stops retrying.
//   - 401 Unauthorized: a missing, malformed, bad or stale signature (not retried by
//     the sender; the reason goes to the response body).
//   - 400 Bad Request: a correctly signed body that is not a payload.
//   - 405, 413: not a POST; a body over [MaxBodyBytes].
//   - 500: fn failed, or v has no secrets; the key is forgotten so the sender's
//     retry is processed. fn's error text is not sent.
//
// fn runs with the request's context. A nil v refuses everything (500, as without
// secrets); a nil fn accepts verified deliveries and does nothing with them. A delivery retried while its first attempt
// is still being processed is answered "duplicate" too; fn must therefore be
// idempotent by key if it can fail after the sender has given up waiting.
func Handler(v *Verifier, fn func(ctx context.Context, p Payload) error) http.Handler {
	if v == nil {
		v = &Verifier{}
	}
	if fn == nil {
		fn = func(context.Context, Payload) error { return nil }
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "webhook: only POST is accepted", http.StatusMethodNotAllowed)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				http.Error(w, "webhook: body larger than the receiver accepts", http.StatusRequestEntityTooLarge)
				return
			}
			http.Error(w, "webhook: read body: "+err.Error(), http.StatusBadRequest)
			return
		}
		now := systemNow
		if v.Now != nil {
			now = v.Now
		}
		p, err := v.Verify(r.Header, body, now())
		switch {
		case err == nil:
		case errors.Is(err, ErrReplay):
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			_, _ = io.WriteString(w, "duplicate\n")
			return
		case errors.Is(err, ErrMalformedPayload):
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		case errors.Is(err, ErrNoSecrets):
			http.Error(w, "webhook: the receiver is not configured with secrets", http.StatusInternalServerError)
			return
		default:
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		if err := fn(r.Context(), p); err != nil {
			if v.Replays != nil {
				v.Replays.Forget(p.IdempotencyKey)
			}
			http.Error(w, "webhook: processing failed; retry later", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}
