// Package fanout sends each release notification to several notifiers, for hosts
// that want, say, a signed webhook, a Slack channel and a log line for every
// transition.
//
// [New] notifies every notifier concurrently and waits for all of them; [InOrder]
// notifies them one after another in the order given, and still tries every one
// when an earlier one fails. Either way the result is nil when all succeeded, or
// every failure joined with errors.Join, each a [*NotifierError] naming the
// notifier's position among the arguments and its name ([Named], or a Name method,
// or its type). A panicking notifier is recovered into an error matching
// [ErrPanic]. Nil notifiers are skipped, so optional ones can be passed as they are.
package fanout
