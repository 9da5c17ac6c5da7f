// Package slack posts release notifications to a Slack channel through an
// incoming webhook, as Block Kit messages. It uses the standard library only.
//
// It is for teams who want each committed transition in a channel: [New] returns a
// [Notifier] (a release.Notifier) whose message ([BuildMessage]) carries the
// release's name, version and environment, the transition from → to with an
// [Emoji] per state, the actor, the reason, the components, a "View release" button
// built by [WithLinkFunc], and a plain-text fallback. Deliveries retry 429 answers
// as told by Retry-After, and 5xx and network errors with exponential backoff and
// full jitter; other 4xx answers (invalid_payload, channel_not_found, …) are
// errors at once, a [*DeliveryError] wrapping the [*StatusError]. Errors never
// show the webhook URL's path, which is a secret.
package slack
