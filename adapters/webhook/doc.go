// Package webhook delivers release notifications as signed HTTP webhooks, and
// verifies them on the receiving side. It uses the standard library only.
//
// It is for platform teams who want other systems (a deployment dashboard, a
// change-management tool, a chat bot) to hear about every committed transition.
//
// # Sending
//
// [New] returns a [Notifier], a release.Notifier that POSTs one JSON [Payload]
// (versioned by [PayloadVersion]) per notification, with the headers
//
//	Content-Type: application/json
//	Idempotency-Key: <release id>/<sequence>
//	Releasekit-Event: <event>
//	Releasekit-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>
//
// and one v1 value per secret while secrets rotate ([WithSecrets]). It retries
// network errors, 5xx and 429 with exponential backoff and full jitter, honours
// Retry-After (seconds or an HTTP date) on 429 and 503, never retries other 4xx,
// and stops as soon as its context ends. A failed delivery is a [*DeliveryError]
// wrapping the last [*StatusError] or network error. Deliveries are at least once:
// receivers deduplicate by the idempotency key.
//
// # Receiving
//
// [Verify] (or a [Verifier]) checks a delivery: the signature against any of the
// configured secrets, compared in constant time; the signing time within a
// tolerance ([DefaultTolerance], five minutes) in the past or the future; and, with
// a [ReplayCache] such as [MemoryReplayCache], that the idempotency key was not
// accepted before. Each refusal is a typed error matching a sentinel:
// [ErrMissingSignature], [ErrMalformedSignature], [ErrBadSignature] (a
// [*SignatureError]), [ErrStale] (a [*StaleError] with the skew), [ErrReplay] (a
// [*ReplayError]). [Handler] wraps it all into an http.Handler.
package webhook
