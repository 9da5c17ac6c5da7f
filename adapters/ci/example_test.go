package ci_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"

	"github.com/releasekit/releasekit/adapters/ci"
	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/release"
)

// A GitHub workflow run's result is recorded on the release of its commit; the
// same delivery again is refused as a replay.
func ExampleNewGitHub() {
	ctx := context.Background()
	eng, err := release.New(memory.New())
	if err != nil {
		log.Fatal(err)
	}
	rel, err := eng.Create(ctx, release.Spec{Name: "octo-repo", Version: "1.4.0", Environment: "prod", Author: "ana",
		Labels: map[string]string{"commit": "3484a3fb816e0859fd6e1cea078d76385ff50625"}})
	if err != nil {
		log.Fatal(err)
	}

	const secret = "the webhook's secret"
	h, err := ci.NewGitHub(eng, secret)
	if err != nil {
		fmt.Println(err)
		return
	}
	body, err := os.ReadFile("testdata/github/workflow_run.completed.json") // GitHub's sample
	if err != nil {
		log.Fatal(err)
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	deliver := func() int {
		req := httptest.NewRequest(http.MethodPost, "/ci/github", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-GitHub-Event", "workflow_run")
		req.Header.Set("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958")
		req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil)))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w.Code
	}
	fmt.Println("first delivery:", deliver())
	fmt.Println("redelivery:", deliver())

	evs, err := eng.Evidence(ctx, rel.ID)
	if err != nil {
		log.Fatal(err)
	}
	for _, ev := range evs {
		fmt.Printf("%s %q %s by %s, commit %.7s\n", ev.Kind, ev.Name, ev.Status, ev.By.ID, ev.Commit)
	}
	// Output:
	// first delivery: 200
	// redelivery: 409
	// check "test" success by github, commit 3484a3f
}

// The generic shape: any CI system posts one signed JSON object.
func ExampleNewGeneric() {
	ctx := context.Background()
	eng, err := release.New(memory.New())
	if err != nil {
		log.Fatal(err)
	}
	rel, err := eng.Create(ctx, release.Spec{Name: "payments", Version: "1.4.0", Environment: "prod", Author: "ana"})
	if err != nil {
		log.Fatal(err)
	}

	const secret = "shared with the pipeline"
	h, err := ci.NewGeneric(eng, secret, ci.WithMatch(ci.ByVersion()))
	if err != nil {
		log.Fatal(err)
	}
	body := []byte(`{"delivery":"azure-4711-1","name":"integration-tests","status":"failure","version":"1.4.0"}`)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	req := httptest.NewRequest(http.MethodPost, "/ci/generic", bytes.NewReader(body))
	req.Header.Set("X-Releasekit-Signature", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	fmt.Println(w.Code)

	evs, err := eng.Evidence(ctx, rel.ID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(evs[0].Name, evs[0].Status)
	// Output:
	// 200
	// integration-tests failure
}

// Results are matched by a label of the host's choosing, here the repository.
func ExampleByLabel() {
	m := ci.ByLabel("repo", func(r ci.Result) string { return r.Repository })
	f, ok := m(ci.Result{Repository: "team/service"})
	fmt.Println(f.Labels, ok)
	_, ok = m(ci.Result{})
	fmt.Println(ok)
	// Output:
	// map[repo:team/service] true
	// false
}
