package rollback_test

import (
	"context"
	"encoding/json"
	"io"
	"testing"

	"github.com/releasekit/releasekit/rollback"
	"github.com/stretchr/testify/require"
)

// FuzzPlanDeployment decodes a deployment record as a bot would receive it and plans
// it on the shop graph: Plan never panics, and a plan it returns is valid and renders.
func FuzzPlanDeployment(f *testing.F) {
	seed, err := json.Marshal(shopDeployment())
	require.NoError(f, err)
	f.Add(seed, true)
	f.Add([]byte(`{"release":"r","components":[{"name":"web","to":"2"},{"name":"web","to":"3"}]}`), false)
	f.Add([]byte(`{"components":[{"name":"ledger","from":"1","to":"2","actions":[{"kind":"migration","name":"m"}]}]}`), false)
	f.Add([]byte(`{"components":[{"name":"nope","to":"1"}]}`), true)
	f.Fuzz(func(t *testing.T, data []byte, rollForward bool) {
		var d rollback.Deployment
		if json.Unmarshal(data, &d) != nil {
			return
		}
		rb, err := rollback.Plan(shopGraph(), d, rollback.Options{RollForward: rollForward})
		if err != nil {
			require.Nil(t, rb)
			return
		}
		require.NoError(t, rb.Validate())
		require.NoError(t, rb.WriteMarkdown(io.Discard))
	})
}

// FuzzResumeReport decodes a persisted report and resumes the shop runbook from it:
// Run never panics, refuses reports that do not match, and never runs a step the
// report says is done.
func FuzzResumeReport(f *testing.F) {
	rb, err := rollback.Plan(shopGraph(), shopDeployment(), shopOptions())
	require.NoError(f, err)
	rep, _ := rollback.Run(context.Background(), rb, &recorder{fail: map[string]error{"w2/payments/redeploy": errDeploy}}, rollback.RunOptions{})
	seed, err := json.Marshal(rep)
	require.NoError(f, err)
	f.Add(seed)
	f.Add([]byte(`{"release":"2026.11.3","steps":[{"id":"w1/checkout/redeploy","status":"done"}]}`))
	f.Add([]byte(`{"release":"2026.11.3","steps":[{"id":"w9/x/redeploy","status":"done"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var prev rollback.Report
		if json.Unmarshal(data, &prev) != nil {
			return
		}
		done := map[string]bool{}
		for _, s := range prev.Steps {
			if s.Status == rollback.StatusDone {
				done[s.ID] = true
			}
		}
		exec := rollback.ExecutorFunc(func(_ context.Context, s rollback.Step) error {
			if done[s.ID] {
				t.Errorf("step %s ran again", s.ID)
			}
			return nil
		})
		got, err := rollback.Run(context.Background(), rb, exec, rollback.RunOptions{Resume: &prev})
		if err != nil {
			require.ErrorIs(t, err, rollback.ErrInvalidReport)
			return
		}
		require.True(t, got.Complete())
	})
}

// FuzzRunbookJSON decodes a stored runbook: Validate never panics, and a runbook it
// accepts renders and runs.
func FuzzRunbookJSON(f *testing.F) {
	rb, err := rollback.Plan(shopGraph(), shopDeployment(), shopOptions())
	require.NoError(f, err)
	seed, err := json.Marshal(rb)
	require.NoError(f, err)
	f.Add(seed)
	f.Add([]byte(`{"waves":[{"number":1,"steps":[{"id":"w1/a/redeploy","wave":1,"component":"a","kind":"redeploy"}]}]}`))
	f.Add([]byte(`{"waves":[{"number":1,"steps":[]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var rb rollback.Runbook
		if json.Unmarshal(data, &rb) != nil {
			return
		}
		if rb.Validate() != nil {
			return
		}
		require.NoError(t, rb.WriteMarkdown(io.Discard))
		_ = rb.DurationWith(2)
		rep, err := rollback.Run(context.Background(), &rb, &recorder{}, rollback.RunOptions{Parallelism: 2})
		require.NoError(t, err)
		require.True(t, rep.Complete())
	})
}
