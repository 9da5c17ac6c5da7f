// Package dispatch delivers the notifications a release engine left in its store's
// outbox ([release.Outbox]), at least once, with backoff.
//
// The engine notifies right after each commit. When a notifier fails, or the
// process dies first, the notification waits in the outbox; a [Dispatcher] (one or
// many, in any process sharing the store) claims it, delivers it and acknowledges it
// only after the notifier returned nil. A notification whose dispatcher dies
// mid-delivery is claimed again when its lease ends. A notifier error with a method
// RetryDelay() time.Duration (a receiver's Retry-After) is waited out.
//
// The stores in adapters/memory, adapters/bolt and adapters/postgres are outboxes.
package dispatch
