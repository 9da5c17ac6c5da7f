package slognotify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/releasekit/releasekit/release"
)

// DefaultMessage is the message of every record unless [WithMessage] sets another.
const DefaultMessage = "release transition"

// Notifier logs notifications. It is a [release.Notifier] and as safe for
// concurrent use as its logger's handler (the standard handlers are).
type Notifier struct {
	logger *slog.Logger
	level  func(release.Notification) slog.Level
	msg    string
}

var _ release.Notifier = (*Notifier)(nil)

// Option configures a [Notifier].
type Option func(*Notifier)

// WithLevel logs every notification at level l.
func WithLevel(l slog.Leveler) Option {
	return func(n *Notifier) {
		if l != nil {
			n.level = func(release.Notification) slog.Level { return l.Level() }
		}
	}
}

// WithLevelFunc chooses each notification's level with f.
func WithLevelFunc(f func(release.Notification) slog.Level) Option {
	return func(n *Notifier) {
		if f != nil {
			n.level = f
		}
	}
}

// WithMessage sets the record message (default [DefaultMessage]).
func WithMessage(msg string) Option { return func(n *Notifier) { n.msg = msg } }

// DefaultLevel is the level of a notification unless an option says otherwise:
// Error for a failure, Warn for a rollback, its end and a cancellation, Info for
// everything else.
func DefaultLevel(n release.Notification) slog.Level {
	switch n.Entry.Event {
	case release.EventFail:
		return slog.LevelError
	case release.EventRollback, release.EventFinishRollback, release.EventCancel:
		return slog.LevelWarn
	}
	return slog.LevelInfo
}

// New returns a notifier that logs to l; a nil l means slog.Default().
func New(l *slog.Logger, opts ...Option) *Notifier {
	n := &Notifier{logger: l, level: DefaultLevel, msg: DefaultMessage}
	for _, o := range opts {
		o(n)
	}
	return n
}

// Attrs returns the attributes of n's record, in their order.
func Attrs(n release.Notification) []slog.Attr {
	r, e := n.Release, n.Entry
	attrs := []slog.Attr{
		slog.Group("release",
			slog.String("id", r.ID.String()),
			slog.String("name", r.Name),
			slog.String("version", r.Version),
			slog.String("environment", r.Environment),
			slog.String("class", string(r.Class)),
		),
		slog.String("event", string(e.Event)),
		slog.String("from", string(e.From)),
		slog.String("to", string(e.To)),
		slog.Group("actor", slog.String("id", e.Actor.ID), slog.String("kind", string(e.Actor.Kind))),
		slog.Int64("sequence", e.Sequence),
		slog.String("key", n.Key()),
	}
	if e.Reason != "" {
		attrs = append(attrs, slog.String("reason", e.Reason))
	}
	return append(attrs, slog.String("hash", e.Hash))
}

// Notify writes one record for n, dated with the entry's commit time. A level the
// handler does not enable is not an error (nothing is written). A cancelled context
// is an error matching ctx.Err() and writes nothing; a handler error is returned.
func (n *Notifier) Notify(ctx context.Context, note release.Notification) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("slognotify: %s not logged: %w", note.Key(), err)
	}
	l := n.logger
	if l == nil {
		l = slog.Default()
	}
	h := l.Handler()
	level := n.level(note)
	if !h.Enabled(ctx, level) {
		return nil
	}
	rec := slog.NewRecord(note.Entry.Time, level, n.msg, 0)
	rec.AddAttrs(Attrs(note)...)
	if err := h.Handle(ctx, rec); err != nil {
		if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
			err = errors.Join(cerr, err)
		}
		return fmt.Errorf("slognotify: the log handler could not write %s: %w", note.Key(), err)
	}
	return nil
}

// Name names the notifier in fan-out errors.
func (n *Notifier) Name() string { return "slog" }
