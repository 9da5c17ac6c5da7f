// Package faultstore injects faults into a [release.Store] (and its optional
// [release.Outbox] and [release.Booker]) and into a [release.Notifier], so that tests
// can prove the engine and the [dispatch.Dispatcher] lose nothing when storage and
// delivery fail. It is for the tests of host applications and of store adapters, not
// for production.
//
//	s, err := faultstore.New(memory.New(), faultstore.WithSeed(7), faultstore.WithFaults(
//		faultstore.Fault{Op: faultstore.OpUpdate, Phase: faultstore.After, Probability: 0.1},
//		faultstore.Fault{Op: faultstore.OpGet, Nth: 3},
//	))
//
// [New] returns a [Store] whose dynamic type implements exactly the optional
// interfaces the inner store implements. A [Fault] names an [Op] (a store method, the
// history append inside Create and Update, an outbox or booker method, or Notify), a
// [Phase], and when it strikes: with a probability drawn from a seeded generator, or
// on the Nth call. An [Injector] switches faults off and on and counts calls and
// faults ([Stats]). A fault returns a *[FaultError] matching [ErrInjected]; with Hang
// it first blocks until the call's context ends (give such calls a deadline).
//
// # Before and after the commit
//
// A Before fault fails the call without making it: nothing is written. An After fault
// makes the call and then reports failure: for a write, the change IS stored, but the
// caller is told it failed. This is the ambiguous case every networked store has (the
// commit succeeds and the connection drops before the reply). [release.Engine.Fire]
// settles it by reading the release back: when its transition is there, the Fire
// succeeds (it notifies and keeps what its stages reserved, such as the calendar
// booking); when it is not, Fire undoes the reservations and returns the error; when
// the read-back fails too, Fire returns the error and keeps the reservations (a slot
// held by a release that did not move is a smaller harm than a scheduled release
// whose slot was given away), and the caller reads back. What the engine does guarantee:
//   - the history never lies: the transition is there with its hash, and the
//     revision equals the history's length;
//   - with an Outbox store the notification was recorded in the same atomic step, so
//     a Dispatcher delivers it although Fire returned an error;
//   - a retry of the same Fire with [release.ExpectRevision] of the revision the
//     caller acted on returns ErrStale rather than applying the change twice.
//
// A caller that got an error from Fire therefore reads back: Get the release and, if
// its revision moved past the one the caller acted on, look at the History entry at
// the next sequence; a [release.Reason] or [release.Data] unique to the attempt (a
// request id) tells whether that entry is the caller's own transition. This package's
// tests do exactly that for every After fault.
//
// [FaultError.Committed] says which case a test hit; a production caller has no such
// field, which is why the read-back is the documented way.
package faultstore
