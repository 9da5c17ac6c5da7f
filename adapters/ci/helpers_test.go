package ci_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"

	"github.com/releasekit/releasekit/adapters/ci"
	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/release"
)

const secret = "It's a Secret to Everybody"

// tb is what the helpers need of a test: *testing.T, *testing.F and *rapid.T.
type tb interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
}

// env is an engine on the memory store, and the releases made for a test.
type env struct {
	t    tb
	eng  *release.Engine
	rels []release.ID
}

func newEnv(t tb) *env {
	t.Helper()
	eng, err := release.New(memory.New())
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, eng: eng}
}

// release creates an open release with the given version and labels.
func (e *env) release(version string, labels map[string]string) release.ID {
	e.t.Helper()
	r, err := e.eng.Create(context.Background(), release.Spec{Name: "payments", Version: version, Environment: "prod", Author: "ana", Labels: labels})
	if err != nil {
		e.t.Fatal(err)
	}
	e.rels = append(e.rels, r.ID)
	return r.ID
}

type ctor func(*release.Engine, string, ...ci.Option) (http.Handler, error)

func quiet() ci.Option { return ci.WithLogger(slog.New(slog.DiscardHandler)) }

// handler builds a receiver with a quiet logger.
func (e *env) handler(new ctor, opts ...ci.Option) http.Handler {
	e.t.Helper()
	h, err := new(e.eng, secret, append([]ci.Option{quiet()}, opts...)...)
	if err != nil {
		e.t.Fatal(err)
	}
	return h
}

// recorded returns the results recorded in release id's history, read back from
// the entries' data, after checking that each entry's evidence is the check the
// result describes.
func (e *env) recorded(id release.ID) []ci.Result {
	e.t.Helper()
	h, err := e.eng.History(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.eng.Verify(context.Background(), id); err != nil {
		e.t.Fatalf("the history does not verify: %v", err)
	}
	var out []ci.Result
	for _, en := range h {
		if en.Event != release.EventRecord {
			continue
		}
		var res ci.Result
		if err := json.Unmarshal(en.Data, &res); err != nil {
			e.t.Fatalf("entry %d: data %s: %v", en.Sequence, en.Data, err)
		}
		ev := en.Evidence
		want := release.Evidence{Kind: release.EvidenceCheck, By: release.Automation(string(res.Source), "ci"), Name: res.Name,
			Status: res.Status, URL: res.URL, ExternalID: res.ExternalID, Source: string(res.Source), Commit: res.Commit, At: en.Time}
		if ev == nil || !reflect.DeepEqual(*ev, want) {
			e.t.Fatalf("entry %d: evidence %+v, want %+v", en.Sequence, ev, want)
		}
		out = append(out, res)
	}
	return out
}

// total counts the results recorded on every release of the test.
func (e *env) total() int {
	n := 0
	for _, id := range e.rels {
		n += len(e.recorded(id))
	}
	return n
}

func sign(body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

func sample(t tb, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// post sends body with headers and returns the status and the decoded answer.
func post(t tb, h http.Handler, target string, body []byte, headers map[string]string) (int, answer) {
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
