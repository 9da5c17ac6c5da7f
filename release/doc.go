// Package release is the release lifecycle: typed [State]s and [Event]s on a state
// machine (looplab/fsm underneath), and an [Engine] that fires events with
// authorization, guards, optimistic concurrency, a hash-chained audit history and
// notifications. The host provides a [Store] (adapters/memory, adapters/bolt and
// adapters/postgres are ready-made; release/storetest checks your own), and
// optionally a [Notifier] and a [Clock]; the engine never reads the system clock.
//
// # Where to start
//
// Call [New] with a store and options ([WithCalendar], [WithGates], [WithRollback],
// [WithNotifier], [WithPolicy]), then [Engine.Create] and [Engine.Fire] for each
// move. [Engine.Record] keeps evidence, [Engine.Promote] moves a verified release to
// the next environment, [Engine.Due] lists what may start now, [Engine.Changes] says
// what changed, [Engine.Lockdown] stops the line, [Engine.Report] and
// [Engine.WriteICS] write what people read, and [Engine.VerifyAudit] checks the
// record. Fire and each method after it have a runnable example, and the package
// example walks a release from Create. Nothing else is needed to run releases.
//
//	draft -plan-> planned -schedule-> scheduled -approve-> approved -start-> deploying
//	      -complete-> deployed -verify-> verified -close-> closed
//
// plus unschedule, revoke, fail, rollback, finish_rollback and cancel: [Transitions]
// lists every edge and docs/LIFECYCLE.md draws them.
//
// # What Fire guarantees
//
// A Fire commits the new state and one [AuditEntry] with compare-and-swap on the
// revision, after the transition, the [Policy] and every [Guard] allowed it. A
// refused Fire changes nothing but, for a refused approve or start, the decision it
// records (once per cause). Of concurrent Fires on one release each commits or
// returns [ErrStale]: no update is lost. The history is a SHA-256 hash chain with a
// snapshot of the release in every entry, so [VerifyHistory] and [VerifyRelease]
// find edits, deletions and rows changed behind the engine's back, and
// [WithCheckpoints] anchors it outside the database (docs/AUDIT.md). Notifications
// go out after the commit; a failing notifier never undoes a transition
// ([Committed]), and package release/dispatch
// delivers what is left in the outbox.
//
// # The rest of the index
//
// The index is longer than one screen because it also holds what a store author
// implements ([Store], the optional [Booker], [CapacityBooker], [KeyStore],
// [Outbox] and [LockdownStore], with EncodeEntry, EncodeRelease, DecodeRelease and
// VerifyAppend so every store refuses the same rows), what an auditor runs without an
// engine ([VerifyCheckpoints], [VerifyAuditPack]), and the typed errors: sentinels
// name the kind ([ErrNotFound], [ErrStale], [ErrForbidden], [ErrInvalidTransition],
// [ErrGuardRefused], [ErrInvalid], [ErrCorrupt], [ErrTampered], [ErrNotify],
// [ErrKeyReused]) and typed errors ([*TransitionError], [*GuardError], ...) carry the
// details. docs/EVIDENCE.md, docs/DAY-TO-DAY.md, docs/STORE.md and
// docs/STRATEGIES.md are the longer guides.
package release
