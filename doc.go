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
//   - [github.com/releasekit/releasekit/risk]: explainable risk scoring and DORA metrics.
//   - [github.com/releasekit/releasekit/rollback]: rollback plans derived from the
//     dependency graph, runbooks and execution.
//   - [github.com/releasekit/releasekit/adapters/memory]: the reference in-memory Store.
//
// Dependency direction: depgraph, calendar, gate and risk are leaves; rollback uses
// depgraph; release orchestrates; adapters import release; nothing imports an adapter
// except examples and tests.
package releasekit
