// Package jira keeps one Jira issue per release in step with the release, for
// teams whose change records live in Jira (Cloud, REST API v3, or Data Center,
// REST API v2). It uses the standard library only.
//
// [New] takes a [Config] (plain data: fill it from flags, YAML or JSON) and the
// Engine or Store to read histories from, and returns a [Notifier], a
// release.Notifier. For each notification it:
//
//   - finds the release's issue by the label "releasekit-<release id>" (a JQL
//     search in the configured project), or creates it in the configured issue
//     type, with a summary and description from the release and its components,
//     the labels, and the fixVersion (the project version named by
//     [Config.FixVersion], created when missing);
//   - for every history entry the issue has not followed yet, in order: adds a
//     comment (Atlassian Document Format on Cloud, plain text on Data Center) that
//     ends with the marker "[releasekit <id> #<sequence>]", applies the transition
//     that [Config.Transitions] maps the entry's new state to (looked up among the
//     transitions Jira offers from the status), and when the release
//     closes verified, marks the fixVersion released on that day;
//   - records how far it got in the issue property [PropertyKey].
//
// Delivery is at least once and never on the commit path. Give the Notifier to
// the Engine (release.WithNotifier, alone or in a fan-out, with a short
// release.WithNotifyTimeout) on a store with an outbox, and run a
// dispatch.Dispatcher with the same notifier: a Jira that is down, slow or rate
// limited fails the notification, never the transition, and the Dispatcher
// delivers it later. Every step is idempotent (the issue is found by its label,
// comments by their marker, transitions by the status and the property),
// so duplicate, late and out-of-order deliveries leave the issue as the history
// says, with one comment per entry and one issue per release.
//
// Calls retry 429 answers after Retry-After (up to a limit), and 5xx answers and
// timeouts with exponential backoff and full jitter when repeating them is safe;
// a create, comment or transition whose answer was lost is checked by reading the
// issue again before it is repeated. Failures are an [*APIError] naming the
// request, the issue and Jira's messages field by field; a transition a person's
// edit made unavailable is a [*ConflictError], handled as [Config.Conflict] says.
//
// [Notifier.SyncApprovals] reads the approvals of Jira Service Management
// requests and records each approver's decision as approval or rejection
// evidence through Engine.Record, with an idempotency key per decision.
//
// Package jiratest is a local Jira server, with fault injection, for tests. The
// adapter was tested against it, not against a live Jira: see docs/ITSM.md.
package jira
