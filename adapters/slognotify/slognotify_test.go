package slognotify_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/adapters/slognotify"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/notifytest"
)

// recordingHandler is a slog.Handler that hands every record, decoded into a
// Delivery, to a notifytest.Recorder (so the handler can accept, fail or hang).
type recordingHandler struct{ rec *notifytest.Recorder }

func (h recordingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h recordingHandler) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h recordingHandler) WithGroup(string) slog.Handler            { return h }

func (h recordingHandler) Handle(ctx context.Context, r slog.Record) error {
	var d notifytest.Delivery
	var err error
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "release":
			for _, g := range a.Value.Group() {
				switch g.Key {
				case "id":
					d.ReleaseID, err = release.ParseID(g.Value.String())
				case "name":
					d.Name = g.Value.String()
				case "version":
					d.Version = g.Value.String()
				case "environment":
					d.Environment = g.Value.String()
				}
			}
		case "event":
			d.Event = release.Event(a.Value.String())
		case "from":
			d.From = release.State(a.Value.String())
		case "to":
			d.To = release.State(a.Value.String())
		case "actor":
			for _, g := range a.Value.Group() {
				if g.Key == "id" {
					d.ActorID = g.Value.String()
				}
			}
		case "sequence":
			d.Sequence = a.Value.Int64()
		case "key":
			d.Key = a.Value.String()
		}
		return true
	})
	if err != nil {
		return err
	}
	return h.rec.Accept(ctx, d)
}

func TestConformance(t *testing.T) {
	notifytest.Run(t, func(t *testing.T) (release.Notifier, notifytest.Receiver) {
		rec := notifytest.NewRecorder()
		t.Cleanup(rec.Close)
		return slognotify.New(slog.New(recordingHandler{rec})), rec
	})
}

// The record is dated with the commit time, so the output is deterministic.
func TestJSONRecord(t *testing.T) {
	var buf bytes.Buffer
	n := slognotify.New(slog.New(slog.NewJSONHandler(&buf, nil)))
	require.NoError(t, n.Notify(context.Background(), notifytest.Sample(0)[5]))
	want := `{"time":"2026-03-02T09:42:00Z","level":"ERROR","msg":"release transition",` +
		`"release":{"id":"019cad00-0000-7000-8000-000000000000","name":"payments","version":"1.0.0","environment":"prod","class":"normal"},` +
		`"event":"fail","from":"deployed","to":"failed","actor":{"id":"canary","kind":"automation"},"sequence":7,` +
		`"key":"019cad00-0000-7000-8000-000000000000/7","reason":"error rate 4.2% > 1% for 5m <p99>",` +
		`"hash":"` + notifytest.Sample(0)[5].Entry.Hash + `"}` + "\n"
	assert.Equal(t, want, buf.String())
}

func TestLevels(t *testing.T) {
	walk := notifytest.Sample(0)
	var got []string
	for _, note := range walk {
		got = append(got, string(note.Entry.Event)+"="+slognotify.DefaultLevel(note).String())
	}
	assert.Equal(t, []string{"plan=INFO", "schedule=INFO", "approve=INFO", "start=INFO", "complete=INFO",
		"fail=ERROR", "rollback=WARN", "finish_rollback=WARN", "close=INFO"}, got)

	var buf bytes.Buffer
	quiet := slognotify.New(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn})))
	for _, note := range walk {
		require.NoError(t, quiet.Notify(context.Background(), note), "a disabled level is not an error")
	}
	assert.Equal(t, 3, strings.Count(buf.String(), "\n"), "only fail, rollback and finish_rollback pass a Warn handler:\n%s", buf.String())

	buf.Reset()
	debug := slognotify.New(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})),
		slognotify.WithLevel(slog.LevelDebug), slognotify.WithMessage("rel"))
	require.NoError(t, debug.Notify(context.Background(), walk[0]))
	assert.Contains(t, buf.String(), "level=DEBUG msg=rel ")
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

// slog.Logger drops handler errors; the notifier does not.
func TestHandlerErrorSurfaces(t *testing.T) {
	n := slognotify.New(slog.New(slog.NewJSONHandler(failingWriter{}, nil)))
	err := n.Notify(context.Background(), notifytest.Sample(0)[0])
	require.Error(t, err)
	assert.Contains(t, err.Error(), "disk full")
}

func TestNilLoggerUsesDefault(t *testing.T) {
	var buf bytes.Buffer
	prev := slog.Default()
	t.Cleanup(func() { slog.SetDefault(prev) })
	slog.SetDefault(slog.New(slog.NewTextHandler(&buf, nil)))
	require.NoError(t, slognotify.New(nil).Notify(context.Background(), notifytest.Sample(0)[0]))
	assert.Contains(t, buf.String(), "event=plan")
}

func Example() {
	logger := slog.New(slog.NewTextHandler(os.Stdout, nil))
	n := slognotify.New(logger)
	for _, note := range notifytest.Sample(0)[4:6] {
		if err := n.Notify(context.Background(), note); err != nil {
			fmt.Println(err)
		}
	}
	// Output:
	// time=2026-03-02T09:35:00.000Z level=INFO msg="release transition" release.id=019cad00-0000-7000-8000-000000000000 release.name=payments release.version=1.0.0 release.environment=prod release.class=normal event=complete from=deploying to=deployed actor.id=deploy-bot actor.kind=automation sequence=6 key=019cad00-0000-7000-8000-000000000000/6 hash=f2aa966cd4ecb9354b61c29cc29e4e6ae113d6d381fb0dc31f16296da54e24e8
	// time=2026-03-02T09:42:00.000Z level=ERROR msg="release transition" release.id=019cad00-0000-7000-8000-000000000000 release.name=payments release.version=1.0.0 release.environment=prod release.class=normal event=fail from=deployed to=failed actor.id=canary actor.kind=automation sequence=7 key=019cad00-0000-7000-8000-000000000000/7 reason="error rate 4.2% > 1% for 5m <p99>" hash=c42c3eafda54795f634253b3dd48a6adee27ff0f914881ca00e2f56250ce7278
}
