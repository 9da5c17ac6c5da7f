package ci_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/adapters/ci"
	"github.com/releasekit/releasekit/gate"
)

const sha = "0123456789abcdef0123456789abcdef01234567"

// payloads builds a minimal delivery of each kind carrying one status word.
var payloads = map[string]func(word string) (ctor, []byte, map[string]string){
	"github conclusion": func(w string) (ctor, []byte, map[string]string) {
		b := fmt.Appendf(nil, `{"action":"completed","check_run":{"id":1,"name":"build","head_sha":%q,"status":"completed","conclusion":%q}}`, sha, w)
		return ci.NewGitHub, b, github("check_run", "d-"+w, b)
	},
	"github status": func(w string) (ctor, []byte, map[string]string) {
		b := fmt.Appendf(nil, `{"action":"in_progress","workflow_run":{"id":1,"name":"ci","head_sha":%q,"status":%q}}`, sha, w)
		return ci.NewGitHub, b, github("workflow_run", "d-"+w, b)
	},
	"github deployment state": func(w string) (ctor, []byte, map[string]string) {
		b := fmt.Appendf(nil, `{"action":"created","deployment_status":{"id":1,"state":%q,"environment":"prod"},"deployment":{"sha":%q}}`, w, sha)
		return ci.NewGitHub, b, github("deployment_status", "d-"+w, b)
	},
	"gitlab status": func(w string) (ctor, []byte, map[string]string) {
		b := fmt.Appendf(nil, `{"object_kind":"build","sha":%q,"build_id":1,"build_name":"test","build_status":%q}`, sha, w)
		return ci.NewGitLab, b, gitlab("Job Hook", "u-"+w)
	},
	"jenkins result": func(w string) (ctor, []byte, map[string]string) {
		b := fmt.Appendf(nil, `{"name":"build","build":{"number":1,"phase":"FINALIZED","status":%q,"scm":{"commit":%q}}}`, w, sha)
		return ci.NewJenkins, b, signed(b)
	},
	"generic status": func(w string) (ctor, []byte, map[string]string) {
		b := fmt.Appendf(nil, `{"delivery":"g-%s","name":"build","status":%q,"commit":%q}`, w, w, sha)
		return ci.NewGeneric, b, signed(b)
	},
}

// TestIssueStatusWords states, independently of the code's tables, what every
// status word the senders document records.
func TestIssueStatusWords(t *testing.T) {
	const (
		ok   = gate.CheckSuccess
		fail = gate.CheckFailure
		errS = gate.CheckError
		skip = gate.CheckSkipped
		pend = gate.CheckPending
	)
	want := map[string]map[string]gate.CheckStatus{
		"github conclusion": {"success": ok, "failure": fail, "neutral": skip, "cancelled": skip, "timed_out": errS,
			"action_required": pend, "skipped": skip, "stale": errS, "startup_failure": errS},
		"github status":           {"queued": pend, "in_progress": pend, "requested": pend, "waiting": pend, "pending": pend},
		"github deployment state": {"success": ok, "failure": fail, "error": errS, "pending": pend, "queued": pend, "in_progress": pend, "inactive": skip},
		"gitlab status": {"success": ok, "failed": fail, "canceled": skip, "skipped": skip, "manual": pend, "running": pend,
			"created": pend, "pending": pend, "preparing": pend, "waiting_for_resource": pend, "scheduled": pend, "canceling": skip,
			"waiting_for_callback": pend},
		"jenkins result": {"SUCCESS": ok, "UNSTABLE": fail, "FAILURE": fail, "ABORTED": skip, "NOT_BUILT": skip},
		"generic status": {"success": ok, "pending": pend, "failure": fail, "error": errS, "skipped": skip},
	}
	for table, words := range want {
		assert.Equal(t, words, ci.Tables[table], "table %s", table)
		for word, status := range words {
			t.Run(table+"/"+word, func(t *testing.T) {
				e := newEnv(t)
				rel := e.release("1.0.0", map[string]string{"commit": sha})
				new, body, headers := payloads[table](word)
				code, a := post(t, e.handler(new), "/", body, headers)
				require.Equal(t, http.StatusOK, code, a.Error)
				got := e.recorded(rel)
				require.Len(t, got, 1)
				assert.Equal(t, status, got[0].Status)
				assert.Equal(t, word, got[0].Native)
			})
		}
	}
}

func TestUnknownStatusWordIsRefused(t *testing.T) {
	for table, build := range payloads {
		t.Run(table, func(t *testing.T) {
			e := newEnv(t)
			e.release("1.0.0", map[string]string{"commit": sha})
			new, body, headers := build("exploded")
			code, a := post(t, e.handler(new), "/", body, headers)
			assert.Equal(t, http.StatusUnprocessableEntity, code)
			assert.Contains(t, a.Error, `"exploded" is not a status this receiver maps`)
			assert.Zero(t, e.total())
		})
	}
}

// TestDocumentedMappingIsTheCode reads the tables of docs/CI-RECEIVERS.md and
// compares them with the receivers' tables.
func TestDocumentedMappingIsTheCode(t *testing.T) {
	doc, err := os.ReadFile("../../docs/CI-RECEIVERS.md")
	require.NoError(t, err)
	row := regexp.MustCompile("^\\| (github conclusion|github status|github deployment state|gitlab status|jenkins result|generic status) \\| `([a-zA-Z_]+)` \\| `([a-z]+)` \\|")
	got := map[string]map[string]gate.CheckStatus{}
	for line := range strings.SplitSeq(string(doc), "\n") {
		if m := row.FindStringSubmatch(line); m != nil {
			if got[m[1]] == nil {
				got[m[1]] = map[string]gate.CheckStatus{}
			}
			got[m[1]][m[2]] = gate.CheckStatus(m[3])
		}
	}
	want, _ := json.Marshal(ci.Tables)
	have, _ := json.Marshal(got)
	assert.JSONEq(t, string(want), string(have), "docs/CI-RECEIVERS.md's tables and the code's")
}
