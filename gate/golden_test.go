package gate_test

import (
	"context"
	"encoding/json"
	"flag"
	"path/filepath"
	"testing"
	"time"

	"github.com/releasekit/releasekit/internal/goldenfile"

	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/gate"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	goldenfile.Check(t, filepath.Join("testdata", name), got, *update)
}

// The recorded decision is the audit record of a Go/No-Go: its JSON form is
// pinned so that a change to it is deliberate.
func TestDecisionGolden(t *testing.T) {
	in := gate.Input{
		ID: "rel-7", Name: "checkout 2.4", Environment: "prod", Class: "normal", Author: "alice", Requester: "bob", Revision: 3, Now: t0,
		Approvals: []gate.Approval{
			{Actor: "alice", Roles: []string{"rm"}, At: t0.Add(-time.Hour), Revision: 3},
			{Actor: "carol", Roles: []string{"rm"}, At: t0.Add(-time.Hour), Revision: 3},
			{Actor: "dave", Roles: []string{"rm"}, At: t0.Add(-time.Hour), Revision: 2},
		},
		Checks:    map[string]gate.Check{"build": {Status: gate.CheckSuccess}, "e2e": {Status: gate.CheckPending, URL: "ci/e2e/88"}},
		Metrics:   map[string]float64{"p95": 530, "errors": 0},
		Baselines: map[string]float64{"p95": 500},
		RiskLevel: "high",
	}
	gates := []gate.Gate{
		gate.Approvals(gate.Quorum{Role: "rm", Min: 2}).WithMaxAge(24 * time.Hour),
		gate.Checks("build", "e2e").WithPendingWarns(),
		gate.Objectives(gate.Objective{Metric: "p95", Pass: []string{"<=+5%"}, Warning: []string{"<=+10%"}}, gate.Objective{Metric: "errors", Pass: []string{"=0"}, Key: true}),
		gate.Advisory(gate.RiskAtMost("medium")),
	}
	opts := gate.Options{
		Timeout: time.Second, AllowedWaiverRoles: []string{"cab"},
		Waivers: []gate.Waiver{{Gate: "approvals", Actor: "erin", Roles: []string{"dev"}, Reason: "urgent", Expires: t0.Add(time.Hour)}},
		Clock:   func() time.Time { return t0 },
	}
	d := gate.Evaluate(context.Background(), gates, in, opts)
	b, err := json.MarshalIndent(d, "", "  ")
	require.NoError(t, err)
	golden(t, "decision.golden.json", append(b, '\n'))
	golden(t, "decision.golden.err", []byte(d.Err.Error()+"\n"))
}

func FuzzDecisionJSON(f *testing.F) {
	f.Add([]byte(`{"go":true,"results":[],"input":{"revision":0,"now":"2026-03-10T09:00:00Z"},"options":{},"fingerprint":""}`))
	f.Add([]byte(`{"go":false,"results":[{"gate":"a","status":"fail","required":true,"duration":0}],"options":{"warnings_block":true}}`))
	f.Add([]byte(`{"results":[{"gate":"a","status":"bogus","required":true}]}`))
	f.Add([]byte(`not json`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var d gate.Decision
		if err := json.Unmarshal(b, &d); err != nil {
			return
		}
		_ = d.Verify()
		r := gate.Replay(d)
		if r.Go != (r.Err == nil) {
			t.Fatalf("replayed decision has Go=%t but Err=%v", r.Go, r.Err)
		}
	})
}
