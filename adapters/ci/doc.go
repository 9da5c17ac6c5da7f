// Package ci receives CI systems' webhooks and records their results as evidence
// of the releases they are about. It uses the standard library only.
//
// It is for platform teams that gate releases on CI: a gate such as
// gate.Checks("build", "integration-tests") reads the checks the receivers record.
//
// # Receivers
//
// Each receiver is an [net/http.Handler] for one sender:
//
//   - [NewGitHub]: check_run, check_suite, workflow_run and deployment_status events,
//     signed with X-Hub-Signature-256, identified by X-GitHub-Delivery;
//   - [NewGitLab]: pipeline and job events, with X-Gitlab-Token and
//     X-Gitlab-Event-UUID;
//   - [NewJenkins]: the Notification plugin's JSON, with a token or an HMAC;
//   - [NewGeneric]: one documented JSON shape with an HMAC, for every other CI
//     system (Azure DevOps, CircleCI, Bamboo post it from a pipeline step).
//
// A receiver reads at most [DefaultMaxBody] bytes ([WithMaxBody]), checks the
// signature or token in constant time, translates the delivery into a [Result]
// with the sender's status mapped onto the gate's CheckStatus (the tables are
// in docs/CI-RECEIVERS.md), finds the open releases the result is about ([Match]: by commit,
// version or label; [WithMatch]) and records the result on each as a check: the
// delivery id is the idempotency key, so a redelivery records nothing twice. What is
// recorded is release evidence of kind check, by the automation named after the
// source (role "ci"), with the check's name, status, URL, run id, source and
// commit; the entry's reason is "<source> <event> <native status>: <status>" and
// its data the whole [Result] with a receipt id.
//
// # Answers
//
//   - 200: recorded; the body lists the releases.
//   - 200 for a GitHub ping; 202 for an event that carries no result, and for a
//     result that matches no open release (logged, never an error the sender
//     retries forever).
//   - 400: malformed delivery (not JSON, no delivery id, no name or commit).
//   - 401: missing or wrong signature or token. Nothing is read further.
//   - 405: not a POST. 413: body over the limit.
//   - 409: a replay: every matching release already recorded this delivery id.
//     Nothing is recorded again.
//   - 422: a status word the receiver does not map (it is named in the answer).
//   - 503: the store failed; the sender may retry (the idempotency key makes a
//     retry safe).
//
// Every answer is a small JSON object (delivery, result, recorded, replayed,
// ignored, error).
//
// # Why not go-github
//
// github.com/google/go-github has event types for every GitHub event and
// ValidatePayload. This package reads about ten fields of four events with types of
// its own instead: ValidatePayload falls back to the SHA-1 X-Hub-Signature when the
// SHA-256 header is missing and picks the hash from the signature's own prefix (a
// downgrade this package refuses: only "sha256=" in X-Hub-Signature-256 passes), it
// reads the body without a limit, and go-github publishes a new major version every
// few months, which the root module (standard library plus a short list) would
// have to follow for types it barely uses.
package ci
