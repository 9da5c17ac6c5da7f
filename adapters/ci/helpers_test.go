package ci_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/releasekit/releasekit/adapters/ci"
	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/release"
)

const secret = "It's a Secret to Everybody"

// env is an engine on the memory store and what the receivers recorded.
type env struct {
	t    testing.TB
	eng  *release.Engine
	fake *ci.Fake
}

func newEnv(t testing.TB) *env {
	t.Helper()
	eng, err := release.New(memory.New())
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, eng: eng, fake: &ci.Fake{Eng: eng}}
}

// release creates an open release with the given version and labels.
func (e *env) release(version string, labels map[string]string) release.ID {
	e.t.Helper()
	r, err := e.eng.Create(context.Background(), release.Spec{Name: "payments", Version: version, Environment: "prod", Author: "ana", Labels: labels})
	if err != nil {
		e.t.Fatal(err)
	}
	return r.ID
}

type ctor func(*release.Engine, string, ...ci.Option) (http.Handler, error)

func quiet() ci.Option { return ci.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))) }

// handler builds a receiver with a quiet logger.
func (e *env) handler(new ctor, opts ...ci.Option) http.Handler {
	e.t.Helper()
	h, err := new(e.eng, secret, append([]ci.Option{quiet()}, opts...)...)
	if err != nil {
		e.t.Fatal(err)
	}
	ci.UseFake(h, e.fake)
	return h
}

// recorded returns the results recorded on release id.
func (e *env) recorded(id release.ID) []ci.Result {
	var out []ci.Result
	for _, r := range e.fake.Records() {
		if r.Release == id {
			out = append(out, r.Result)
		}
	}
	return out
}

func (e *env) total() int { return len(e.fake.Records()) }

func sign(body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

func sample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// post sends body with headers and returns the status and the decoded answer.
func post(t testing.TB, h http.Handler, target string, body []byte, headers map[string]string) (int, answer) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, target, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	var a answer
	if err := json.Unmarshal(w.Body.Bytes(), &a); err != nil {
		t.Fatalf("answer %d is not JSON: %v: %q", w.Code, err, w.Body.String())
	}
	return w.Code, a
}

type answer struct {
	Delivery string     `json:"delivery"`
	Result   *ci.Result `json:"result"`
	Recorded []string   `json:"recorded"`
	Replayed []string   `json:"replayed"`
	Ignored  string     `json:"ignored"`
	Error    string     `json:"error"`
}

func github(event, delivery string, body []byte) map[string]string {
	return map[string]string{"X-GitHub-Event": event, "X-GitHub-Delivery": delivery, "X-Hub-Signature-256": sign(body)}
}

func gitlab(event, uuid string) map[string]string {
	return map[string]string{"X-Gitlab-Event": event, "X-Gitlab-Event-UUID": uuid, "X-Gitlab-Token": secret}
}

func signed(body []byte) map[string]string {
	return map[string]string{"X-Releasekit-Signature": sign(body)}
}

func urlEscape(s string) string { return url.QueryEscape(s) }
