// Package slognotify writes each release notification as one structured log/slog
// record. It is for services that ship their logs to a central place and want the
// release history there too, and for local development, where a log line is the
// simplest notifier.
//
// [New] returns a [Notifier] whose records carry the transition's commit time (not
// the time of logging, so a redelivery logs the same record), a level chosen by
// [DefaultLevel] or [WithLevel], and the attributes
//
//	release.id, release.name, release.version, release.environment, release.class,
//	event, from, to, actor.id, actor.kind, sequence, key, reason (when given), hash
//
// Unlike slog.Logger's own methods, [Notifier.Notify] calls the handler directly,
// so a handler that fails to write (a full disk, a closed pipe) is an error the
// engine sees.
package slognotify
