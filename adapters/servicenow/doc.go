// Package servicenow keeps a ServiceNow change request in step with each release,
// through the instance's Table API (/api/now/table/change_request), and brings the
// change advisory board's decisions made there back into the release's evidence.
// It uses the standard library only.
//
// It is for platform teams in companies where a production change needs an
// approved change request: releasekit stays the place where releases are planned,
// gated and deployed, and the change request follows.
//
// # Sync
//
// A [Syncer] is a release.Notifier. Give it to the engine and to a
// dispatch.Dispatcher over the store's outbox (adapters/memory, adapters/bolt and
// adapters/postgres keep one): the engine tells it right after each commit, and
// what could not be delivered then (the instance down, rate limited, slow) the
// dispatcher delivers later, at least once, with backoff. A transition never
// waits for the instance beyond the engine's notify timeout and is never undone
// by it; after a delivery failed because the instance was down, the next ones
// fail at once for a cooldown ([WithCooldown]), so later transitions do not wait
// at all. With [WithReleases] each delivery syncs the release as it stands, so a
// late or repeated notification never moves a change request backwards.
//
// On the first notification after plan (or schedule) it creates the change
// request, after looking it up by correlation_id (the release ID), so a retry,
// a lost answer or a second delivery never makes a second one:
//
//	short_description   "<name> <version> to <environment>"
//	description         the release, its components (with configuration items), needs, duration
//	type                standard, normal, emergency          from the release's class
//	risk, impact        from the risk assessment (below); its reasons in work_notes
//	start_date/end_date the booked slot (UTC)
//	assignment_group    Config.AssignmentGroup, or AssignmentGroups[team]
//	cmdb_ci             ConfigurationItems[component], the first mapped component
//	business_service    BusinessServices[component], the first mapped component
//	correlation_id      the release ID; correlation_display "releasekit"
//
//	risk level   risk          impact
//	critical     1 Very High   1 High
//	high         2 High        1 High
//	medium       3 Moderate    2 Medium
//	low          4 Low         3 Low
//
// Then it moves the state along the change's state model, one allowed step at a
// time ([StateFor] has the table): Assess when planned, Authorize when scheduled,
// Scheduled when approved, Implement while deploying, Review once verified,
// failed or rolled back, Closed with close_code and close_notes from the
// post-implementation review (unsuccessful when the release failed or was rolled
// back, successful_issues when the review lists follow-ups), Canceled when
// cancelled. Standard changes skip Assess and Authorize; emergency changes skip
// Assess.
//
// # People editing the change request
//
// The sync writes the fields it owns and leaves the rest to people:
//   - short_description, description, type, assignment_group, cmdb_ci and
//     business_service are written once, at creation; later edits stand.
//   - risk and impact follow the release's assessment; a changed assessment is
//     written again, with its reasons in a work note.
//   - the planned window follows the booked slot. When someone else last set it
//     (the sync reads sys_audit to know), it is set back with a work note saying
//     whose window it replaced, or, with [Config.HonourWindow], left for
//     [Syncer.ReadBack] to make it the release's slot.
//   - the state follows the release. A change request ahead of its release is
//     left there when someone else moved it (its approvals moved it to Scheduled,
//     a person moved it on: the sync reads sys_audit to know); when the sync had
//     moved it there itself, the release went back (revoke, unschedule), and the
//     change reverts to New and moves forward again. A change request a person
//     canceled or closed while the
//     release is open is never reopened: that is a [*ConflictError], given to
//     [WithConflictHandler] (logged by default), and the notification counts as
//     delivered, since retrying would only fail again.
//   - a write that raced a person's edit (the record's sys_mod_count moved by
//     more than the write) is followed by a fresh read and another round.
//
// # Reading back
//
// [Syncer.ReadBack] reads the approvals of the change request
// (sysapproval_approver) and records each approved or rejected one as approval
// or rejection evidence by that approver, once (idempotency keys), in the role the
// CAB quorum counts. With [Config.HonourWindow] it also takes a planned window
// moved in the instance as the release's slot.
//
// # Failures
//
// Each request is retried with exponential backoff and full jitter on 5xx and
// network errors, waits as told by Retry-After on 429 (up to a limit; a longer
// wait is left to the outbox's dispatcher, which honours [Error.RetryDelay]), and
// gives up on other 4xx. A create is sent once per look-up, so a create whose answer was
// lost is found, not repeated. Failures are [*Error] values naming the operation,
// the table, the record (the change number, or the release ID looked up) and the
// field; a non-2xx answer matches [ErrStatus]. Basic authentication or an OAuth
// bearer token ([Config]).
//
// # Testing
//
// Package snowtest is a local stand-in for an instance's Table API, built from
// ServiceNow's public API reference, with fault injection. This package is tested
// against it, not against a live instance; docs/ITSM.md says what that covers.
package servicenow
