// Package releasekit is the map of a Go library that automates the release manager's job.
// It holds no code; import the packages below.
//
//   - [github.com/releasekit/releasekit/release]: the release lifecycle as a state machine,
//     and the Engine that runs transitions with authorization, guards, optimistic
//     concurrency, a hash-chained audit history and notifications, behind the Store,
//     Notifier and Clock interfaces that host applications implement.
//   - [github.com/releasekit/releasekit/release/storetest]: the conformance suite every
//     Store implementation runs.
//   - [github.com/releasekit/releasekit/release/releasetest]: helpers for host
//     applications' tests: a steppable clock, a recording notifier, assertions.
//   - [github.com/releasekit/releasekit/calendar]: the master release calendar: recurring
//     windows and freezes in IANA time zones, bookings, conflicts, slot search, batch
//     scheduling, iCalendar export and import.
//   - [github.com/releasekit/releasekit/depgraph]: dependency graphs between services and
//     releases: waves, cycles, blast radius, critical path.
//   - [github.com/releasekit/releasekit/gate]: readiness gates and the Go/No-Go decision.
//   - [github.com/releasekit/releasekit/risk]: explainable risk scoring.
//   - [github.com/releasekit/releasekit/dora]: the DORA delivery metrics.
//   - [github.com/releasekit/releasekit/change]: the change class (standard, normal,
//     emergency) that release, calendar and risk share.
//   - [github.com/releasekit/releasekit/rollback]: rollback plans derived from the
//     dependency graph, runbooks and execution.
//   - [github.com/releasekit/releasekit/calendar/calendartest]: rapid generators and
//     invariant checkers for host applications' property tests of their own rules.
//   - [github.com/releasekit/releasekit/release/notifytest]: the conformance suite every
//     Notifier runs.
//   - [github.com/releasekit/releasekit/release/faultstore]: a Store wrapper and a
//     Notifier that fail chosen operations, for fault-injection tests.
//   - [github.com/releasekit/releasekit/adapters/bolt]: the embedded durable Store on
//     bbolt, the default for one machine (Outbox and Booker included).
//   - github.com/releasekit/releasekit/adapters/postgres (a module of its own): the
//     PostgreSQL Store for many replicas over one database.
//   - [github.com/releasekit/releasekit/adapters/memory]: the reference in-memory Store.
//   - [github.com/releasekit/releasekit/adapters/webhook],
//     [github.com/releasekit/releasekit/adapters/slack],
//     [github.com/releasekit/releasekit/adapters/slognotify],
//     [github.com/releasekit/releasekit/adapters/fanout]: notifiers (signed webhooks
//     with a verifier for receivers, Slack, structured logs, fan-out).
//   - [github.com/releasekit/releasekit/adapters/ci]: CI webhook receivers (GitHub,
//     GitLab, Jenkins, a generic shape) that record results as evidence.
//   - [github.com/releasekit/releasekit/adapters/jira]: one Jira issue per release kept
//     in step through the outbox (docs/ITSM.md); Service Management approvals as evidence.
//
// Dependency direction: change, depgraph, dora and gate are leaves; risk uses change,
// gate and dora; calendar uses change and depgraph; rollback uses depgraph; release
// orchestrates all of them; adapters import release; nothing imports an adapter except
// examples and tests.
package releasekit
