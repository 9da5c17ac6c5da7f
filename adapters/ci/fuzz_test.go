package ci_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/releasekit/releasekit/adapters/ci"
	"github.com/releasekit/releasekit/gate"
)

// fuzzDelivery serves one correctly signed delivery and checks what any parser
// must hold on any input: no panic, one of the documented answers, and a record
// only with a 200 that lists it (a 200 without one says why: a ping), carrying a name, a delivery id and a gate status.
func fuzzDelivery(t *testing.T, new ctor, body []byte, headers map[string]string) {
	e := newEnv(t)
	e.release("1.4.0", map[string]string{"commit": sha})
	e.release("1.4.0", map[string]string{"commit": "ec26c3e57ca3a959ca5aad62de7213c562f8c821"})
	code, a := post(t, e.handler(new), "/", body, headers)
	if !slices.Contains([]int{http.StatusOK, http.StatusAccepted, http.StatusBadRequest, http.StatusConflict, http.StatusUnprocessableEntity}, code) {
		t.Fatalf("status %d is not a documented answer: %+v", code, a)
	}
	var recs []ci.Result
	for _, id := range e.rels {
		recs = append(recs, e.recorded(id)...)
	}
	if code != http.StatusOK {
		if len(recs) != 0 {
			t.Fatalf("status %d recorded %d results", code, len(recs))
		}
		return
	}
	if len(recs) != len(a.Recorded) || len(recs) == 0 && a.Ignored == "" {
		t.Fatalf("200 lists %d releases, %d were recorded", len(a.Recorded), len(recs))
	}
	for _, r := range recs {
		if r.Name == "" || r.Delivery == "" || !slices.Contains(gate.CheckStatuses(), r.Status) {
			t.Fatalf("recorded an incomplete result %+v", r)
		}
	}
}

func FuzzGitHub(f *testing.F) {
	for _, s := range []struct{ event, file string }{{"check_run", "github/check_run.completed.json"},
		{"check_suite", "github/check_suite.completed.json"}, {"workflow_run", "github/workflow_run.completed.json"},
		{"deployment_status", "github/deployment_status.created.json"}} {
		f.Add(s.event, sample(f, s.file))
	}
	f.Add("ping", []byte(`{}`))
	f.Fuzz(func(t *testing.T, event string, body []byte) {
		fuzzDelivery(t, ci.NewGitHub, body, github(event, "fuzz-1", body))
	})
}

func FuzzGitLab(f *testing.F) {
	f.Add(sample(f, "gitlab/pipeline.json"))
	f.Add(sample(f, "gitlab/job.json"))
	f.Fuzz(func(t *testing.T, body []byte) {
		fuzzDelivery(t, ci.NewGitLab, body, gitlab("Pipeline Hook", "fuzz-1"))
	})
}

func FuzzJenkins(f *testing.F) {
	f.Add(sample(f, "jenkins/notification.json"))
	f.Add([]byte(`{"name":"b","build":{"number":1,"phase":"STARTED","scm":{"commit":"x"},"parameters":{"VERSION":"1.4.0"}}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		fuzzDelivery(t, ci.NewJenkins, body, signed(body))
	})
}

func FuzzGeneric(f *testing.F) {
	f.Add(sample(f, "generic/result.json"))
	f.Add(genericBody("d", sha, "", ""))
	f.Fuzz(func(t *testing.T, body []byte) {
		fuzzDelivery(t, ci.NewGeneric, body, signed(body))
	})
}
