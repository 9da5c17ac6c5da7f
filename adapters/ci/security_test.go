package ci_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/adapters/ci"
)

// GitHub's documented test vector ("Validating webhook deliveries").
func TestGitHubSignatureVector(t *testing.T) {
	assert.Equal(t, "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17", sign([]byte("Hello, World!")))
}

func TestForgedDeliveriesRecordNothing(t *testing.T) {
	gh := sample(t, "github/check_run.completed.json")
	gen := sample(t, "generic/result.json")
	jk := sample(t, "jenkins/notification.json")
	sha1sig := func(b []byte) string {
		m := hmac.New(sha1.New, []byte(secret))
		m.Write(b)
		return "sha1=" + hex.EncodeToString(m.Sum(nil))
	}
	tampered := bytes.Replace(gh, []byte(`"conclusion": "success"`), []byte(`"conclusion": "failure"`), 1)
	tests := []struct {
		why     string
		new     ctor
		target  string
		body    []byte
		headers map[string]string
	}{
		{"github: no signature", ci.NewGitHub, "", gh, map[string]string{"X-GitHub-Event": "check_run", "X-GitHub-Delivery": "f1"}},
		{"github: signed under another secret", ci.NewGitHub, "", gh, map[string]string{"X-GitHub-Event": "check_run", "X-GitHub-Delivery": "f2",
			"X-Hub-Signature-256": "sha256=" + strings.Repeat("ab", 32)}},
		{"github: body changed after signing", ci.NewGitHub, "", tampered, github("check_run", "f3", gh)},
		{"github: SHA-1 signature in the SHA-256 header", ci.NewGitHub, "", gh, map[string]string{"X-GitHub-Event": "check_run",
			"X-GitHub-Delivery": "f4", "X-Hub-Signature-256": sha1sig(gh)}},
		{"github: only the SHA-1 header", ci.NewGitHub, "", gh, map[string]string{"X-GitHub-Event": "check_run",
			"X-GitHub-Delivery": "f5", "X-Hub-Signature": sha1sig(gh)}},
		{"github: truncated signature", ci.NewGitHub, "", gh, map[string]string{"X-GitHub-Event": "check_run",
			"X-GitHub-Delivery": "f6", "X-Hub-Signature-256": sign(gh)[:40]}},
		{"github: signature without prefix", ci.NewGitHub, "", gh, map[string]string{"X-GitHub-Event": "check_run",
			"X-GitHub-Delivery": "f7", "X-Hub-Signature-256": strings.TrimPrefix(sign(gh), "sha256=")}},
		{"gitlab: wrong token", ci.NewGitLab, "", sample(t, "gitlab/pipeline.json"), map[string]string{"X-Gitlab-Event": "Pipeline Hook",
			"X-Gitlab-Event-UUID": "f8", "X-Gitlab-Token": secret + "x"}},
		{"gitlab: token prefix", ci.NewGitLab, "", sample(t, "gitlab/pipeline.json"), map[string]string{"X-Gitlab-Event": "Pipeline Hook",
			"X-Gitlab-Event-UUID": "f9", "X-Gitlab-Token": secret[:5]}},
		{"gitlab: no token", ci.NewGitLab, "", sample(t, "gitlab/pipeline.json"), map[string]string{"X-Gitlab-Event": "Pipeline Hook", "X-Gitlab-Event-UUID": "f10"}},
		{"jenkins: no token", ci.NewJenkins, "", jk, nil},
		{"jenkins: wrong token in the URL", ci.NewJenkins, "/ci?token=guess", jk, nil},
		{"jenkins: wrong token header", ci.NewJenkins, "", jk, map[string]string{"X-Releasekit-Token": "guess"}},
		{"jenkins: a wrong signature is not rescued by a right token", ci.NewJenkins, "/ci?token=" + url.QueryEscape(secret), jk,
			map[string]string{"X-Releasekit-Signature": "sha256=" + strings.Repeat("00", 32)}},
		{"generic: no signature", ci.NewGeneric, "", gen, nil},
		{"generic: signature of another body", ci.NewGeneric, "", gen, signed([]byte("{}"))},
		{"generic: the token is not a signature", ci.NewGeneric, "", gen, map[string]string{"X-Releasekit-Token": secret}},
	}
	for _, tt := range tests {
		t.Run(tt.why, func(t *testing.T) {
			e := newEnv(t)
			for _, c := range []string{"ec26c3e57ca3a959ca5aad62de7213c562f8c821", "bcbb5ec396a2c0f828686f14fac9b80b780504f2",
				"c6d86dc654b12425e706bcf951adfe5a8627a517", "3484a3fb816e0859fd6e1cea078d76385ff50625"} {
				e.release("1.4.0", map[string]string{"commit": c})
			}
			target := tt.target
			if target == "" {
				target = "/ci"
			}
			code, a := post(t, e.handler(tt.new), target, tt.body, tt.headers)
			assert.Equal(t, http.StatusUnauthorized, code, a.Error)
			assert.Contains(t, a.Error, "not signed by the configured secret")
			assert.Nil(t, a.Result, "a forged delivery's content is not echoed")
			assert.Zero(t, e.total(), "a forged delivery recorded something")
		})
	}
}

func TestReplayIsRefusedAndRecordsNothingTwice(t *testing.T) {
	e := newEnv(t)
	rel := e.release("1.4.0", map[string]string{"commit": "ec26c3e57ca3a959ca5aad62de7213c562f8c821"})
	h := e.handler(ci.NewGitHub)
	body := sample(t, "github/check_run.completed.json")
	code, _ := post(t, h, "/", body, github("check_run", "replayed-1", body))
	require.Equal(t, http.StatusOK, code)
	code, a := post(t, h, "/", body, github("check_run", "replayed-1", body))
	assert.Equal(t, http.StatusConflict, code)
	assert.Equal(t, []string{rel.String()}, a.Replayed)
	assert.Contains(t, a.Error, "already recorded")
	assert.Len(t, e.recorded(rel), 1)

	// A new delivery of the same result is a new record (a re-run reports again).
	code, _ = post(t, h, "/", body, github("check_run", "replayed-2", body))
	assert.Equal(t, http.StatusOK, code)
	assert.Len(t, e.recorded(rel), 2)
}

func TestConcurrentRedeliveriesRecordOnce(t *testing.T) {
	e := newEnv(t)
	rel := e.release("1.4.0", map[string]string{"commit": "3484a3fb816e0859fd6e1cea078d76385ff50625"})
	h := e.handler(ci.NewGeneric)
	body := sample(t, "generic/result.json")
	const n = 16
	codes := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { codes[i], _ = post(t, h, "/", body, signed(body)) })
	}
	wg.Wait()
	ok := 0
	for _, c := range codes {
		switch c {
		case http.StatusOK:
			ok++
		case http.StatusConflict:
		default:
			t.Errorf("status %d, want 200 or 409", c)
		}
	}
	assert.Equal(t, 1, ok, "exactly one delivery records")
	assert.Len(t, e.recorded(rel), 1)
}

func TestJenkinsDerivedDeliveryIsStable(t *testing.T) {
	e := newEnv(t)
	rel := e.release("1.4.0", map[string]string{"commit": "c6d86dc654b12425e706bcf951adfe5a8627a517"})
	h := e.handler(ci.NewJenkins)
	body := sample(t, "jenkins/notification.json")
	tok := map[string]string{"X-Releasekit-Token": secret}
	code, a := post(t, h, "/", body, tok)
	require.Equal(t, http.StatusOK, code, a.Error)
	code, _ = post(t, h, "/", body, tok)
	assert.Equal(t, http.StatusConflict, code, "the plugin's retry of one notification is a replay")
	// FINALIZED is another notification of the same build.
	fin := bytes.Replace(body, []byte(`"COMPLETED"`), []byte(`"FINALIZED"`), 1)
	code, _ = post(t, h, "/", fin, signed(fin))
	assert.Equal(t, http.StatusOK, code)
	// An explicit delivery id wins over the derived one.
	code, _ = post(t, h, "/", body, map[string]string{"X-Releasekit-Token": secret, "X-Releasekit-Delivery": "jenkins-explicit-1"})
	assert.Equal(t, http.StatusOK, code)
	assert.Len(t, e.recorded(rel), 3)
}

func TestOversizedBodiesAreRefused(t *testing.T) {
	e := newEnv(t)
	e.release("1.4.0", map[string]string{"commit": "3484a3fb816e0859fd6e1cea078d76385ff50625"})
	body := sample(t, "generic/result.json")
	limit := int64(len(body))

	h := e.handler(ci.NewGeneric, ci.WithMaxBody(limit-1))
	code, a := post(t, h, "/", body, signed(body))
	assert.Equal(t, http.StatusRequestEntityTooLarge, code, "declared length over the limit")
	assert.Contains(t, a.Error, "too large")

	// No declared length (chunked): the limit holds while reading.
	req := httptest.NewRequest(http.MethodPost, "/", io.MultiReader(bytes.NewReader(body)))
	req.ContentLength = -1
	req.Header.Set("X-Releasekit-Signature", sign(body))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	assert.Equal(t, http.StatusRequestEntityTooLarge, w.Code, "chunked body over the limit")
	assert.Zero(t, e.total())

	// Exactly at the limit is read.
	code, a = post(t, e.handler(ci.NewGeneric, ci.WithMaxBody(limit)), "/", body, signed(body))
	assert.Equal(t, http.StatusOK, code, a.Error)

	// The default limit is documented and holds.
	big := append([]byte(`{"pad":"`), bytes.Repeat([]byte("x"), ci.DefaultMaxBody)...)
	big = append(big, `"}`...)
	code, _ = post(t, e.handler(ci.NewGeneric), "/", big, signed(big))
	assert.Equal(t, http.StatusRequestEntityTooLarge, code)
}

func TestOnlyPost(t *testing.T) {
	e := newEnv(t)
	w := httptest.NewRecorder()
	e.handler(ci.NewGitHub).ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
	assert.Equal(t, http.StatusMethodNotAllowed, w.Code)
	assert.Equal(t, http.MethodPost, w.Header().Get("Allow"))
}

func TestConstructorsRefuseBadConfiguration(t *testing.T) {
	e := newEnv(t)
	for _, new := range []ctor{ci.NewGitHub, ci.NewGitLab, ci.NewJenkins, ci.NewGeneric} {
		_, err := new(e.eng, " ")
		assert.ErrorContains(t, err, "the secret is empty")
		_, err = new(nil, secret)
		assert.ErrorContains(t, err, "the engine is nil")
		_, err = new(e.eng, secret, ci.WithMaxBody(0), ci.WithMatch(), ci.WithLogger(nil))
		if assert.Error(t, err) {
			for _, want := range []string{"WithMaxBody(0)", "WithMatch", "WithLogger"} {
				assert.Contains(t, err.Error(), want, "every problem is reported at once")
			}
		}
	}
}

// Jenkins' STARTED carries the previous build's status: it records pending.
func TestJenkinsStartedIsPending(t *testing.T) {
	e := newEnv(t)
	rel := e.release("1.4.0", map[string]string{"commit": "c6d86dc654b12425e706bcf951adfe5a8627a517"})
	body := bytes.Replace(sample(t, "jenkins/notification.json"), []byte(`"COMPLETED"`), []byte(`"STARTED"`), 1)
	code, a := post(t, e.handler(ci.NewJenkins), "/", body, signed(body))
	require.Equal(t, http.StatusOK, code, a.Error)
	got := e.recorded(rel)
	require.Len(t, got, 1)
	assert.Equal(t, "pending", string(got[0].Status))
	assert.Equal(t, "STARTED", got[0].Native)
}
