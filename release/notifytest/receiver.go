package notifytest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"

	"github.com/releasekit/releasekit/release"
)

// Delivery is what a receiver saw of one notification: the fields every notifier
// must carry to the far end, decoded from whatever form the notifier uses (a JSON
// payload, a chat message, a log record).
type Delivery struct {
	// Key is the idempotency key as the receiver saw it; it must equal
	// [release.Notification.Key].
	Key         string
	ReleaseID   release.ID
	Name        string
	Version     string
	Environment string
	Event       release.Event
	From        release.State
	To          release.State
	Sequence    int64
	ActorID     string
}

// DeliveryOf returns the [Delivery] a faithful notifier carries for n.
func DeliveryOf(n release.Notification) Delivery {
	return Delivery{
		Key:         n.Key(),
		ReleaseID:   n.Release.ID,
		Name:        n.Release.Name,
		Version:     n.Release.Version,
		Environment: n.Release.Environment,
		Event:       n.Entry.Event,
		From:        n.Entry.From,
		To:          n.Entry.To,
		Sequence:    n.Entry.Sequence,
		ActorID:     n.Entry.Actor.ID,
	}
}

// Mode says how a receiver answers deliveries.
type Mode string

// The receiver modes.
const (
	// ModeAccept records every delivery and reports success.
	ModeAccept Mode = "accept"
	// ModeFail refuses every delivery (an HTTP receiver answers 500) and records
	// nothing.
	ModeFail Mode = "fail"
	// ModeHang never answers: the receiver blocks until the delivery's context ends
	// (the client gave up) or the receiver is closed, and records nothing.
	ModeHang Mode = "hang"
)

// Modes lists every [Mode].
func Modes() []Mode { return []Mode{ModeAccept, ModeFail, ModeHang} }

// Receiver is the far end of a notifier under test, as the suite sees it.
// Implementations must be safe for concurrent use.
type Receiver interface {
	// Deliveries returns the deliveries accepted so far, in order of arrival.
	Deliveries() []Delivery
	// SetMode sets how the receiver answers from now on.
	SetMode(m Mode)
}

// ErrRefused is what a [Recorder] in [ModeFail] returns.
var ErrRefused = errors.New("notifytest: the receiver refused the delivery (ModeFail)")

// Recorder is a ready-made [Receiver] core: transports hand it each decoded
// delivery through [Recorder.Accept]. The zero value is not usable; call
// [NewRecorder]. It is safe for concurrent use.
type Recorder struct {
	mu     sync.Mutex
	mode   Mode
	got    []Delivery
	calls  int
	closed chan struct{}
	once   sync.Once
}

var _ Receiver = (*Recorder)(nil)

// NewRecorder returns a recorder in [ModeAccept].
func NewRecorder() *Recorder {
	return &Recorder{mode: ModeAccept, closed: make(chan struct{})}
}

// Accept handles one delivery according to the mode: it records d and returns nil
// ([ModeAccept]), returns [ErrRefused] ([ModeFail]), or blocks until ctx ends or the
// recorder is closed and returns an error ([ModeHang]). An unknown mode is refused.
func (r *Recorder) Accept(ctx context.Context, d Delivery) error {
	r.mu.Lock()
	r.calls++
	mode := r.mode
	switch mode {
	case ModeAccept:
		r.got = append(r.got, d)
		r.mu.Unlock()
		return nil
	case ModeHang:
		r.mu.Unlock()
		select {
		case <-ctx.Done():
			return fmt.Errorf("notifytest: hanging receiver gave up: %w", ctx.Err())
		case <-r.closed:
			return errors.New("notifytest: hanging receiver closed")
		}
	case ModeFail:
		r.mu.Unlock()
		return ErrRefused
	default:
		r.mu.Unlock()
		return fmt.Errorf("notifytest: receiver mode %q is not one of %v", mode, Modes())
	}
}

// Deliveries returns the accepted deliveries in order of arrival.
func (r *Recorder) Deliveries() []Delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

// Calls counts every Accept call, whatever its outcome (retries included).
func (r *Recorder) Calls() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls
}

// SetMode sets how the recorder answers from now on.
func (r *Recorder) SetMode(m Mode) {
	r.mu.Lock()
	r.mode = m
	r.mu.Unlock()
}

// Close releases every delivery hanging in [ModeHang]; later hanging deliveries
// return at once. It is idempotent.
func (r *Recorder) Close() { r.once.Do(func() { close(r.closed) }) }

// Notifier returns an in-process [release.Notifier] that hands each notification
// to r as [DeliveryOf] would, after checking ctx. It is the receiver for wrapping
// notifiers (fan-outs, filters) and the suite's own reference notifier.
func (r *Recorder) Notifier() release.Notifier {
	return release.NotifierFunc(func(ctx context.Context, n release.Notification) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		return r.Accept(ctx, DeliveryOf(n))
	})
}

// DecodeFunc turns one HTTP request (with its body already read) into the
// [Delivery] it carries, or an error that the [HTTPReceiver] answers with 400.
type DecodeFunc func(r *http.Request, body []byte) (Delivery, error)

// HTTPReceiver is a [Receiver] behind an httptest server, for HTTP-based notifiers:
// point the notifier at URL. It answers an accepted delivery with 200, a refused one
// with 500 (so retrying notifiers retry, then give up), a body that does not decode
// with 400 and the decoder's error, and hangs in [ModeHang] until the client gives
// up. It is safe for concurrent use.
type HTTPReceiver struct {
	*Recorder
	// URL is the server's base URL.
	URL string
	// Server is the underlying test server.
	Server *httptest.Server
}

// MaxBody is the largest request body an [HTTPReceiver] reads.
const MaxBody = 1 << 20

// NewHTTPReceiver starts a receiver that decodes requests with decode. The server
// is closed when the test ends (after every hanging request is released).
func NewHTTPReceiver(t testing.TB, decode DecodeFunc) *HTTPReceiver {
	t.Helper()
	rec := NewRecorder()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, err := io.ReadAll(io.LimitReader(req.Body, MaxBody))
		if err != nil {
			http.Error(w, "notifytest: read body: "+err.Error(), http.StatusBadRequest)
			return
		}
		d, err := decode(req, body)
		if err != nil {
			http.Error(w, "notifytest: decode delivery: "+err.Error(), http.StatusBadRequest)
			return
		}
		if err := rec.Accept(req.Context(), d); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	// Cleanups run last-registered first: release hanging handlers, then close.
	t.Cleanup(srv.Close)
	t.Cleanup(rec.Close)
	return &HTTPReceiver{Recorder: rec, URL: srv.URL, Server: srv}
}
