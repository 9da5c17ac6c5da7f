package ci_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/adapters/ci"
	"github.com/releasekit/releasekit/release"
)

func genericBody(delivery, commit, version, ref string) []byte {
	return fmt.Appendf(nil, `{"delivery":%q,"name":"build","status":"success","commit":%q,"version":%q,"ref":%q}`, delivery, commit, version, ref)
}

func TestMatching(t *testing.T) {
	t.Run("by commit reaches every open release of the commit", func(t *testing.T) {
		e := newEnv(t)
		a := e.release("1.4.0", map[string]string{"commit": sha})
		b := e.release("1.4.0", map[string]string{"commit": sha, "env": "staging"})
		closed := e.release("1.3.0", map[string]string{"commit": sha})
		_, err := e.eng.Fire(context.Background(), closed, release.EventCancel, release.Person("rui", "release-manager"), release.Reason("superseded"))
		require.NoError(t, err)
		body := genericBody("m1", sha, "", "")
		code, ans := post(t, e.handler(ci.NewGeneric), "/", body, signed(body))
		require.Equal(t, http.StatusOK, code, ans.Error)
		assert.ElementsMatch(t, []string{a.String(), b.String()}, ans.Recorded)
		assert.Empty(t, e.recorded(closed), "a cancelled release takes no evidence")
	})
	t.Run("by version, from the version or a tag ref", func(t *testing.T) {
		e := newEnv(t)
		rel := e.release("1.4.0", nil)
		h := e.handler(ci.NewGeneric, ci.WithMatch(ci.ByVersion()))
		for i, b := range [][]byte{genericBody("v1", sha, "1.4.0", ""), genericBody("v2", sha, "", "refs/tags/v1.4.0"), genericBody("v3", sha, "", "v1.4.0")} {
			code, ans := post(t, h, "/", b, signed(b))
			assert.Equal(t, http.StatusOK, code, "body %d: %s", i, ans.Error)
		}
		b := genericBody("v4", sha, "", "main")
		code, ans := post(t, h, "/", b, signed(b))
		assert.Equal(t, http.StatusAccepted, code, "a branch is no version")
		assert.Contains(t, ans.Ignored, "no release matches")
		assert.Len(t, e.recorded(rel), 3)
	})
	t.Run("by label and by commit together, each release once", func(t *testing.T) {
		e := newEnv(t)
		rel := e.release("1.4.0", map[string]string{"commit": sha, "repo": "team/service"})
		other := e.release("2.0.0", map[string]string{"repo": "team/service"})
		h := e.handler(ci.NewGeneric, ci.WithMatch(ci.ByCommit("commit"), ci.ByLabel("repo", func(r ci.Result) string { return r.Repository })))
		body := []byte(fmt.Sprintf(`{"delivery":"l1","name":"build","status":"success","commit":%q,"repository":"team/service"}`, sha))
		code, ans := post(t, h, "/", body, signed(body))
		require.Equal(t, http.StatusOK, code, ans.Error)
		assert.ElementsMatch(t, []string{rel.String(), other.String()}, ans.Recorded)
		assert.Len(t, e.recorded(rel), 1)
	})
	t.Run("a result for no known release is answered 202 and recorded nowhere", func(t *testing.T) {
		e := newEnv(t)
		e.release("1.4.0", map[string]string{"commit": "ffffffffffffffffffffffffffffffffffffffff"})
		body := sample(t, "github/workflow_run.completed.json")
		code, ans := post(t, e.handler(ci.NewGitHub), "/", body, github("workflow_run", "n1", body))
		assert.Equal(t, http.StatusAccepted, code)
		assert.Contains(t, ans.Ignored, "no release matches the result (commit 3484a3fb816e0859fd6e1cea078d76385ff50625, ref master)")
		require.NotNil(t, ans.Result)
		assert.Equal(t, "test", ans.Result.Name)
		assert.Zero(t, e.total())
	})
}

func TestIgnoredEventsRecordNothing(t *testing.T) {
	e := newEnv(t)
	e.release("1.4.0", map[string]string{"commit": "ec26c3e57ca3a959ca5aad62de7213c562f8c821"})
	gh := e.handler(ci.NewGitHub)
	ping := []byte(`{"zen":"Design for failure.","hook_id":1}`)
	code, a := post(t, gh, "/", ping, github("ping", "p1", ping))
	assert.Equal(t, http.StatusOK, code)
	assert.Contains(t, a.Ignored, "ping")

	push := []byte(`{"ref":"refs/heads/main"}`)
	code, a = post(t, gh, "/", push, github("push", "p2", push))
	assert.Equal(t, http.StatusAccepted, code)
	assert.Contains(t, a.Ignored, `github event "push" carries no CI result`)

	rr := []byte(`{"action":"rerequested","check_run":{"id":1,"name":"build","head_sha":"ec26c3e57ca3a959ca5aad62de7213c562f8c821","status":"completed","conclusion":"failure"}}`)
	code, a = post(t, gh, "/", rr, github("check_run", "p3", rr))
	assert.Equal(t, http.StatusAccepted, code)
	assert.Contains(t, a.Ignored, "only created and completed")

	mr := []byte(`{"object_kind":"merge_request"}`)
	code, a = post(t, e.handler(ci.NewGitLab), "/", mr, gitlab("Merge Request Hook", "p4"))
	assert.Equal(t, http.StatusAccepted, code)
	assert.Contains(t, a.Ignored, "merge_request")
	assert.Zero(t, e.total())
}

func TestMalformedDeliveries(t *testing.T) {
	gh := func(b []byte) map[string]string { return github("check_run", "x1", b) }
	tests := []struct {
		why     string
		new     ctor
		body    []byte
		headers func([]byte) map[string]string
		want    string
	}{
		{"github: not JSON", ci.NewGitHub, []byte(`{"action":`), gh, "not the JSON expected"},
		{"github: no delivery id", ci.NewGitHub, []byte(`{}`), func(b []byte) map[string]string {
			return map[string]string{"X-GitHub-Event": "check_run", "X-Hub-Signature-256": sign(b)}
		}, "no delivery id"},
		{"github: no event", ci.NewGitHub, []byte(`{}`), func(b []byte) map[string]string {
			return map[string]string{"X-GitHub-Delivery": "x", "X-Hub-Signature-256": sign(b)}
		}, "no X-GitHub-Event"},
		{"github: check_run without its object", ci.NewGitHub, []byte(`{"action":"completed"}`), gh, "lacks check_run"},
		{"github: no head SHA", ci.NewGitHub, []byte(`{"action":"completed","check_run":{"name":"b","status":"completed","conclusion":"success"}}`), gh, "lacks a head SHA"},
		{"github: form without payload", ci.NewGitHub, []byte(`x=1`), func(b []byte) map[string]string {
			h := gh(b)
			h["Content-Type"] = "application/x-www-form-urlencoded"
			return h
		}, "without a payload"},
		{"gitlab: no object_kind", ci.NewGitLab, []byte(`{}`), func([]byte) map[string]string { return gitlab("Job Hook", "x2") }, "lacks object_kind"},
		{"gitlab: no event uuid", ci.NewGitLab, []byte(`{}`), func([]byte) map[string]string {
			return map[string]string{"X-Gitlab-Token": secret}
		}, "no delivery id"},
		{"jenkins: no commit or version", ci.NewJenkins, []byte(`{"name":"b","build":{"number":1,"phase":"COMPLETED","status":"SUCCESS"}}`), signed, "build.scm.commit"},
		{"generic: unknown field", ci.NewGeneric, []byte(`{"delivery":"d","name":"b","status":"success","commit":"c","sha":"c"}`), signed, `unknown field "sha"`},
		{"generic: trailing data", ci.NewGeneric, []byte(`{"delivery":"d","name":"b","status":"success","commit":"c"} {}`), signed, "data after"},
		{"generic: delivery with spaces", ci.NewGeneric, []byte(`{"delivery":"a b","name":"b","status":"success","commit":"c"}`), signed, "spaces or control"},
		{"generic: delivery too long", ci.NewGeneric, fmt.Appendf(nil, `{"delivery":"%0129d","name":"b","status":"success","commit":"c"}`, 0), signed, "more than 128"},
		{"generic: no name, commit or version", ci.NewGeneric, []byte(`{"delivery":"d","status":"success"}`), signed, `lacks "name", "commit" or "version"`},
	}
	for _, tt := range tests {
		t.Run(tt.why, func(t *testing.T) {
			e := newEnv(t)
			code, a := post(t, e.handler(tt.new), "/", tt.body, tt.headers(tt.body))
			assert.Equal(t, http.StatusBadRequest, code)
			assert.Contains(t, a.Error, tt.want)
			assert.Zero(t, e.total())
		})
	}
}

func TestGitHubFormEncoded(t *testing.T) {
	e := newEnv(t)
	rel := e.release("1.4.0", map[string]string{"commit": "3484a3fb816e0859fd6e1cea078d76385ff50625"})
	body := []byte("payload=" + urlEscape(string(sample(t, "github/workflow_run.completed.json"))))
	h := github("workflow_run", "form-1", body)
	h["Content-Type"] = "application/x-www-form-urlencoded"
	code, a := post(t, e.handler(ci.NewGitHub), "/", body, h)
	require.Equal(t, http.StatusOK, code, a.Error)
	assert.Len(t, e.recorded(rel), 1)
}

// GitHub Actions makes one check suite per workflow run, all named after the app;
// recording them would let one workflow's success hide another's failure.
func TestGitHubActionsCheckSuitesAreLeftToWorkflowRuns(t *testing.T) {
	e := newEnv(t)
	e.release("1.4.0", map[string]string{"commit": sha})
	body := fmt.Appendf(nil, `{"action":"completed","check_suite":{"id":1,"head_sha":%q,"status":"completed","conclusion":"failure","app":{"name":"GitHub Actions","slug":"github-actions"}}}`, sha)
	code, a := post(t, e.handler(ci.NewGitHub), "/", body, github("check_suite", "s1", body))
	assert.Equal(t, http.StatusAccepted, code)
	assert.Contains(t, a.Ignored, "workflow_run")
	assert.Zero(t, e.total())
}
