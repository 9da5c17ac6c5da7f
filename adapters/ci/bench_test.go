package ci_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/releasekit/releasekit/adapters/ci"
)

// BenchmarkGitHubDelivery measures one signed workflow_run delivery (GitHub's
// sample, 6 KiB) end to end on the memory store: read, verify, parse, find the
// release by commit, record with its idempotency key. Each op is a new delivery id.
func BenchmarkGitHubDelivery(b *testing.B) {
	e := newEnv(b)
	e.release("1.4.0", map[string]string{"commit": "3484a3fb816e0859fd6e1cea078d76385ff50625"})
	h := e.handler(ci.NewGitHub)
	body := sample(b, "github/workflow_run.completed.json")
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		if code, a := post(b, h, "/", body, github("workflow_run", fmt.Sprint("bench-", i), body)); code != http.StatusOK {
			b.Fatalf("status %d: %s", code, a.Error)
		}
	}
}

// BenchmarkForgedDelivery measures refusing a delivery with a wrong signature: the
// cost an attacker can impose per request.
func BenchmarkForgedDelivery(b *testing.B) {
	e := newEnv(b)
	h := e.handler(ci.NewGitHub)
	body := sample(b, "github/workflow_run.completed.json")
	headers := github("workflow_run", "forged", body)
	headers["X-Hub-Signature-256"] = "sha256=" + fmt.Sprintf("%064x", 0)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if code, _ := post(b, h, "/", body, headers); code != http.StatusUnauthorized {
			b.Fatalf("status %d", code)
		}
	}
}
