// Package release is the release lifecycle: typed [State]s and [Event]s on a state
// machine (looplab/fsm underneath), and an [Engine] that fires events with
// authorization, guards, optimistic concurrency, a hash-chained audit history and
// notifications.
//
// It is for platform teams and bot authors who embed release management in their own
// services. The host application provides three things through small interfaces:
// a [Store] (adapters/memory, adapters/bolt and adapters/postgres are ready-made; the
// release/storetest suite checks your own), a [Notifier] (optional) and a [Clock]
// (optional; the engine never reads the system clock itself).
//
// # Where to start
//
// A host calls [New] with a store and options ([WithCalendar], [WithGates],
// [WithRollback], [WithNotifier], ...), then [Engine.Create] and [Engine.Fire] for each
// move, [Engine.Record] for evidence, [Engine.Promote] to the next environment,
// [Engine.Due] for what may start now, [Engine.Changes] for what changed,
// [Engine.Lockdown] to stop the line, [Engine.Report] and [Engine.WriteICS] for what
// people read, and [Engine.VerifyAudit] for the record. New, Fire, Record, Promote,
// Due, Changes, Lockdown and Report have runnable examples.
//
// The index of this package is longer than one screen of go doc -short, because it
// holds three contracts as well as the engine, each for a different reader: what a
// store author implements and shares ([Store] and its optional [Booker],
// [CapacityBooker], [KeyStore], [Outbox], [LockdownStore], with EncodeEntry,
// DecodeRelease and VerifyAppend so every store refuses the same rows); what an
// auditor runs without an engine ([VerifyHistory], [VerifyRelease],
// [VerifyCheckpoints], [VerifyAuditPack]); and the typed errors every refusal
// matches. Hosts need only the names in the paragraph above.
//
// # Lifecycle
//
//	draft -plan-> planned -schedule-> scheduled -approve-> approved -start-> deploying
//	      -complete-> deployed -verify-> verified -close-> closed
//
// with unschedule (scheduled or approved back to planned), revoke (approved back to
// scheduled), fail (deploying, deployed, verified or rolling_back to failed), rollback
// (deploying, deployed, verified or failed to rolling_back), finish_rollback
// (rolling_back to rolled_back), close from failed and rolled_back, and cancel from any
// state before deploying. [Transitions] lists every edge; [Diagram] draws it;
// docs/LIFECYCLE.md holds the generated diagram.
//
// # What Fire guarantees
//
// [Engine.Fire] reads the release, checks the transition, the [Policy] (separation of
// duties included) and every [Guard], then commits the new state and one [AuditEntry]
// with compare-and-swap on the revision. A refused Fire changes nothing. Of concurrent
// Fires on one release, each either commits or returns [ErrStale]: no update is
// lost and the history has no gap. The history is a SHA-256 hash chain that
// [VerifyHistory] checks, given the release's Head, against edits, deletions,
// insertions, reordering and truncation. Every entry carries a [Snapshot] of the
// release after it, so [VerifyRelease] (and [Engine.VerifyAudit]) also finds a release
// edited in the database without an entry, and names the field; stores refuse to
// append to such a release, or to a history with entries missing ([VerifyAppend]).
// Notifications go out after the commit; a failing notifier never undoes a transition
// ([Committed] tells the caller).
//
// # Evidence and retries
//
// [Engine.Record] keeps the evidence behind a decision (approvals, rejections,
// withdrawals, CI checks, metrics, waivers: an [Evidence]) in the same history, as
// [EventRecord] entries written like transitions; separation of duties is checked
// when it is recorded, approvals are pinned to the scope version ([Release.Scope]),
// and the gates of [WithGates] read it. A refused approve keeps its No-Go decision as
// an [EventDecision] entry. [IdempotencyKey] makes Create, Fire and Record safe to
// retry; the keys live in the store ([KeyStore]). docs/EVIDENCE.md has the details.
//
// # Day to day
//
// [Engine.Promote] takes a verified release to the next environment of the
// [Pipeline]: a new release of the same version whose [Release.Predecessor] is the
// one it came from. [Engine.Due] lists the approved releases whose slot has opened,
// for a scheduler to start. [Engine.Changes] answers "what changed in this environment
// between T1 and T2?" for an incident, with who requested and approved each change and
// how to roll it back now. docs/DAY-TO-DAY.md has the details.
//
// # Stop the line
//
// [Engine.Lockdown] declares a [Lockdown] while the engine runs: a lockdown refuses
// every start in its environments, with no override; a freeze ([KindFreeze]) refuses
// them as a calendar freeze does. It is kept in a hash-chained lockdown history in the
// store ([LockdownStore], [VerifyLockdownHistory]); every engine on the store reads
// what was appended to it since its last start on each start and commits the start
// fenced on it, so a lockdown declared by one
// replica is obeyed by all at once. Releases already deploying in its scope get an
// [EventHalt] entry and a notification. [Engine.Lift] ends it, for authorized actors
// only ([EventDeclare] and [EventLift] in the [Policy]).
//
// # The audit, anchored
//
// [WithCheckpoints] anchors the history outside the database: after commits the
// engine signs a [Checkpoint] (a C2SP signed note, Ed25519) over a Merkle tree with
// one leaf per history entry and hands it to a [CheckpointSink] the host publishes
// elsewhere. [VerifyCheckpoints], holding only the public key and the published
// checkpoints, finds a rewrite even when the chain and the head were recomputed, and
// names the release and the entry. [Engine.AuditPack] writes a period's changes with
// their proofs and a reviewer's summary; [VerifyAuditPack] (and `releasekit
// verify-audit`) checks one offline. docs/AUDIT.md has the threat model.
//
// # Rollouts
//
// [Engine.Rollout] runs a release's deployment under a canary, blue-green or
// rolling strategy (package strategy) and verifies it with metric analyses
// (package analysis): every step and measurement is recorded evidence, a crash
// resumes from the history, success fires verify, and a failed analysis fires fail
// with the measurements as its reason and runs the rollback plan
// (docs/STRATEGIES.md).
//
// # Errors
//
// Sentinels name the kind ([ErrNotFound], [ErrStale], [ErrForbidden],
// [ErrInvalidTransition], [ErrGuardRefused], [ErrInvalid], [ErrCorrupt],
// [ErrTampered], [ErrNotify], [ErrKeyReused]); typed errors carry the details
// ([*TransitionError], [*StaleError], [*ForbiddenError], [*GuardError],
// [*HistoryError], [*MismatchError], [*ValidationError], [*NotifyError],
// [*KeyReusedError], [*PromotionError]).
package release
