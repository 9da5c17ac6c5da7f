// Package bot is the release bot of examples/releasebot: a small HTTP service over
// the release engine. CI posts check results, people approve or waive with their
// identity, the bot answers with the decision and its reasons, and it serves the
// calendar as .ics and a board for people (see The board). It is for tool authors who build a release bot on releasekit:
// read it as a worked example of wiring a [release.Engine] like a real deployment,
// or embed [Server.Handler] in your own service.
//
// # Identity
//
// Callers send "Authorization: Bearer <token>". A [Config] maps each token to an
// [Identity] (actor ID, roles, person or automation); the bot compares tokens in
// constant time ([Config.Validate] rejects short ones). Roles and actor IDs never
// come from request headers or bodies, so nobody can approve or waive in someone
// else's name. This is an example's scheme: a real deployment puts the bot behind
// its single sign-on proxy and maps the identity the proxy asserts instead.
// [DemoConfig] has five people (ana, rui, sam, lea and the ci automation).
//
// # Routes
//
//	GET  /healthz                          no token needed
//	GET  /openapi.json                     the OpenAPI 3.1 description of every route ([OpenAPI]); no token needed
//	GET  /whoami                           the caller's [Identity]
//	POST /releases                         create from a [CreateRequest]; the caller is the author; 201 with a [ReleaseView]
//	GET  /releases                         ?environment, name, version, class, state, label=k=v, after, limit
//	GET  /releases/{id}                    a [ReleaseView]; ETag is the revision, If-None-Match answers 304
//	GET  /releases/{id}/history            a [HistoryResponse]: the audit chain and whether it verifies
//	POST /releases/{id}/events/{event}     fire, with a [FireRequest]; If-Match: <revision> guards against stale decisions
//	POST /releases/{id}/promote            a verified release to the next environment ([PromoteRequest]); the caller is the author
//	POST /releases/{id}/checks             CI posts a [CheckRequest] (role ci)
//	POST /releases/{id}/approvals          a person approves, rejects or withdraws ([ApprovalRequest]; not the author)
//	POST /releases/{id}/waivers            a person waives a failed gate ([WaiverRequest]; not the author)
//	POST /lockdowns                        declare a lockdown or freeze ([LockdownRequest]; release managers)
//	GET  /lockdowns                        every lockdown and freeze declared, lifted or not
//	POST /lockdowns/{id}/lift              lift one ([LiftRequest]; release managers)
//	GET  /calendar.ics                     rules, booked slots and lockdowns, ?from&to (RFC 3339, at most 366 days)
//	GET  /report                           release.Engine.Report as Markdown, ?from&to&environment
//	POST /ci/{github,gitlab,jenkins,generic}  CI webhooks (adapters/ci), for each configured secret
//	GET  /board, /board/releases/{id}      the board (HTML); GET and POST /board/login sign a browser in
//
// A release is one shape on every route ([Release]: release.Release with its
// durations as strings, "45m0s"; history entries write their annotations'
// durations as strings too); a method a path does not take answers 405 with an
// Allow header; a query parameter a route does not take is a 400.
//
// Errors are an [APIError] body {"error", "kind", "reasons"} whose [ErrorKind] fixes
// the status: 400 invalid, 401 unauthenticated, 403 forbidden, 404 not_found,
// 405 method_not_allowed, 409 conflict, 413 request_too_large, 422 refused (with
// every guard's and gate's reason), 500 internal, 503 unavailable. Every answer has a
// reason that says what to do.
//
// Every POST honours an Idempotency-Key header. A request that changed something
// keeps its key in the store with the change it made (release.IdempotencyKey; a
// lockdown's or lift's key in the lockdown history): a retry with the same key and
// body gets the first status and body and changes nothing, whatever the state now
// (except that a retried lockdown marks to halt the deploying releases the first
// request could not mark); the key with another body is 422. A refused request keeps no key: its retry is
// decided again on the state now (a refused approve is recorded as a decision
// entry). The CI receivers key their records by the sender's delivery id.
//
// # The board
//
// GET /board renders on the server (html/template, no JavaScript) the releases by
// environment and state, the calendar of the coming weeks (the rules' windows,
// freezes and lockdowns, the lockdowns and freezes declared at runtime and not
// lifted, and the booked slots) and the services' dependency graph as
// inline SVG; GET /board/releases/{id} a release's fields, evidence, history and
// whether it verifies (release.VerifyRelease). A bad query parameter answers a 400
// page. The pages take the bearer token, or the HttpOnly cookie that POST
// /board/login sets for /board only.
//
// # Evidence
//
// The bot keeps nothing of its own. Check results, approvals and waivers are
// recorded with release.Engine.Record in the release's hash-chained history, in the
// store's transaction, and the engine's gates read them at approve. An approval
// counts for the scope it was given for (release.Release.Scope: the slot, the
// version); recording other evidence does not invalidate it. A refused approve is
// history too (a decision entry), so every record moves the revision (the ETag).
//
// # Wiring
//
// [New] wires the engine with the calendar of [DemoRules] (a weekly prod release
// train in Europe/Berlin, weekday staging hours in America/New_York, a year-end
// freeze that only emergency changes pass; [OverrideRoles] may override a freeze),
// the checks gate per environment ([RequiredChecks]) and the approvals of
// [RiskPolicy] by risk level, risk assessment on [DemoGraph], cross-release
// dependencies, rollback plans run by an executor that logs, the promotion
// [Pipeline], and a slognotify notifier. [Server.RunDispatcher] delivers what the
// store's outbox still holds.
//
// # Change requests
//
// With [Config.Sync] ([SyncConfig]) the bot also keeps a ServiceNow change request
// (adapters/servicenow) and/or a Jira issue (adapters/jira) per release of the
// configured environments, through the same notifier and outbox, and
// [Server.RunReadBack] reads their approvals back as evidence (and, with
// honour_window, the change requests' planned windows as the releases' slots).
// docs/ITSM.md describes the mapping.
package bot
