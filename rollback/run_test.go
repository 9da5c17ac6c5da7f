package rollback_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/releasekit/releasekit/depgraph"
	"github.com/releasekit/releasekit/rollback"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func shopRunbook(t *testing.T) *rollback.Runbook {
	t.Helper()
	rb, err := rollback.Plan(shopGraph(), shopDeployment(), shopOptions())
	require.NoError(t, err)
	return rb
}

// recorder is an executor that records the steps it ran and fails the ones told to.
type recorder struct {
	mu   sync.Mutex
	ran  []string
	fail map[string]error
}

func (r *recorder) Execute(_ context.Context, s rollback.Step) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ran = append(r.ran, s.ID)
	return r.fail[s.ID]
}

func TestRunAllSucceed(t *testing.T) {
	rb := shopRunbook(t)
	rec := &recorder{}
	var events []rollback.Progress
	clock := time.Date(2026, 11, 22, 22, 0, 0, 0, time.UTC)
	rep, err := rollback.Run(context.Background(), rb, rec, rollback.RunOptions{
		Parallelism: 1,
		OnProgress:  func(p rollback.Progress) { events = append(events, p) },
		Now:         func() time.Time { clock = clock.Add(time.Minute); return clock },
	})
	require.NoError(t, err)
	assert.True(t, rep.Complete())
	assert.False(t, rep.Cancelled)
	assert.Equal(t, ids(rb.Steps()), rec.ran, "parallelism 1 runs the steps in runbook order")
	assert.Equal(t, ids(rb.Steps()), rep.Done())
	assert.Empty(t, rep.NotStarted())
	assert.Empty(t, rep.Failed())
	require.Len(t, events, 2*len(rec.ran))
	for i, e := range events {
		assert.Equal(t, e.Total, e.Done+e.Failed+e.Running+e.NotStarted, "counts add up at event %d", i)
		if i%2 == 0 {
			assert.Equal(t, rollback.ProgressStarted, e.Kind)
			assert.Equal(t, 1, e.Running)
		} else {
			assert.Equal(t, rollback.ProgressFinished, e.Kind)
			assert.Equal(t, i/2+1, e.Done)
		}
	}
	first := rep.Steps[0]
	assert.Equal(t, 1, first.Attempts)
	assert.Equal(t, time.Minute, first.FinishedAt.Sub(first.StartedAt))
}

var errDeploy = errors.New("deployctl: timeout")

func TestRunFailureStopsAfterWave(t *testing.T) {
	rb := shopRunbook(t)
	rec := &recorder{fail: map[string]error{"w2/payments/disable-flag/instant-refunds": errDeploy}}
	rep, err := rollback.Run(context.Background(), rb, rec, rollback.RunOptions{})
	require.ErrorIs(t, err, rollback.ErrStepFailed)
	require.ErrorIs(t, err, errDeploy, "the executor's error is wrapped too")
	sfe, ok := err.(*rollback.StepFailedError)
	require.True(t, ok, "the error is the typed error itself: %T", err)
	require.Len(t, sfe.Steps, 1)
	assert.Equal(t, "w2/payments/disable-flag/instant-refunds", sfe.Steps[0].ID)

	assert.ElementsMatch(t, []string{
		"w1/checkout/custom/cdn-rules", "w1/checkout/redeploy", "w1/notifications/remove",
		"w2/inventory/redeploy", // the rest of the wave finishes
	}, rep.Done())
	failed := rep.Failed()
	require.Len(t, failed, 1)
	assert.Equal(t, errDeploy.Error(), failed[0].Error)
	assert.Equal(t, []string{
		"w2/payments/redeploy", // the failing component stops
		"w3/ledger/redeploy", "w3/ledger/roll-forward/0043_drop_legacy", "w3/ledger/revert-migration/0042_add_index",
	}, rep.NotStarted())
	assert.False(t, rep.Cancelled)

	// fix the cause and resume: only what was not done runs
	rec2 := &recorder{}
	rep2, err := rollback.Run(context.Background(), rb, rec2, rollback.RunOptions{Resume: rep, Parallelism: 1})
	require.NoError(t, err)
	assert.True(t, rep2.Complete())
	assert.Equal(t, []string{
		"w2/payments/disable-flag/instant-refunds", "w2/payments/redeploy",
		"w3/ledger/redeploy", "w3/ledger/roll-forward/0043_drop_legacy", "w3/ledger/revert-migration/0042_add_index",
	}, rec2.ran)
	r, ok := rep2.Result("w2/payments/disable-flag/instant-refunds")
	require.True(t, ok)
	assert.Equal(t, 2, r.Attempts)
	assert.Empty(t, r.Error)
	assert.Equal(t, rollback.StatusFailed, failed[0].Status, "the earlier report is not modified")
}

func TestRunPanicIsAFailure(t *testing.T) {
	rb := shopRunbook(t)
	rep, err := rollback.Run(context.Background(), rb, rollback.ExecutorFunc(func(_ context.Context, s rollback.Step) error {
		if s.Component == "notifications" {
			panic("nil map")
		}
		return nil
	}), rollback.RunOptions{})
	require.ErrorIs(t, err, rollback.ErrStepFailed)
	var pe *rollback.PanicError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "w1/notifications/remove", pe.Step)
	assert.Len(t, rep.Done(), 2, "checkout's two steps")
}

func TestRunCancelled(t *testing.T) {
	rb := shopRunbook(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var seen []rollback.ProgressKind
	rep, err := rollback.Run(ctx, rb, rollback.ExecutorFunc(func(ctx context.Context, s rollback.Step) error {
		if s.ID == "w1/checkout/redeploy" {
			cancel()
			<-ctx.Done() // a running step sees the cancellation
			return ctx.Err()
		}
		return nil
	}), rollback.RunOptions{Parallelism: 1, OnProgress: func(p rollback.Progress) { seen = append(seen, p.Kind) }})
	require.ErrorIs(t, err, context.Canceled)
	require.ErrorIs(t, err, rollback.ErrStepFailed, "the interrupted step failed")
	assert.True(t, rep.Cancelled)
	assert.Equal(t, []string{"w1/checkout/custom/cdn-rules"}, rep.Done())
	assert.Len(t, rep.NotStarted(), len(rb.Steps())-2, "no step starts after the cancellation")
	assert.Equal(t, []rollback.ProgressKind{rollback.ProgressStarted, rollback.ProgressFinished, rollback.ProgressStarted, rollback.ProgressFailed}, seen)

	// an already cancelled context starts nothing
	rep, err = rollback.Run(ctx, rb, rollback.ExecutorFunc(func(context.Context, rollback.Step) error {
		t.Error("no step may run")
		return nil
	}), rollback.RunOptions{})
	require.ErrorIs(t, err, context.Canceled)
	assert.NotErrorIs(t, err, rollback.ErrStepFailed)
	assert.Len(t, rep.NotStarted(), len(rb.Steps()))
}

func TestRunParallelism(t *testing.T) {
	g := depgraph.New[string]()
	var comps []rollback.ComponentChange
	for _, n := range []string{"a", "b", "c", "d", "e", "f"} {
		g.AddNode(n)
		comps = append(comps, rollback.ComponentChange{Name: n, From: "1", To: "2", Actions: []rollback.Action{{Kind: rollback.ActionFeatureFlag, Name: "x"}}})
	}
	rb, err := rollback.Plan(g, rollback.Deployment{Components: comps}, rollback.Options{})
	require.NoError(t, err)

	for _, par := range []int{1, 2, 4} {
		var running, peak atomic.Int32
		var mu sync.Mutex
		busy := map[string]bool{}
		_, err := rollback.Run(context.Background(), rb, rollback.ExecutorFunc(func(_ context.Context, s rollback.Step) error {
			mu.Lock()
			assert.False(t, busy[s.Component], "two steps of %s at once", s.Component)
			busy[s.Component] = true
			mu.Unlock()
			n := running.Add(1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			time.Sleep(2 * time.Millisecond)
			running.Add(-1)
			mu.Lock()
			busy[s.Component] = false
			mu.Unlock()
			return nil
		}), rollback.RunOptions{Parallelism: par})
		require.NoError(t, err)
		assert.LessOrEqual(t, peak.Load(), int32(par), "parallelism %d", par)
	}

	// with no bound, every component of the wave runs at once: each waits for all
	var arrived sync.WaitGroup
	arrived.Add(6)
	_, err = rollback.Run(context.Background(), rb, rollback.ExecutorFunc(func(ctx context.Context, s rollback.Step) error {
		if s.Kind != rollback.KindDisableFlag {
			return nil
		}
		arrived.Done()
		done := make(chan struct{})
		go func() { arrived.Wait(); close(done) }()
		select {
		case <-done:
			return nil
		case <-time.After(5 * time.Second):
			return errors.New("components of one wave did not run in parallel")
		}
	}), rollback.RunOptions{})
	require.NoError(t, err)
}

func TestRunInvalid(t *testing.T) {
	rb := shopRunbook(t)
	other := shopDeployment()
	other.Release = "2026.12.1"
	rbOther, err := rollback.Plan(shopGraph(), other, shopOptions())
	require.NoError(t, err)
	repOther, err := rollback.Run(context.Background(), rbOther, &recorder{}, rollback.RunOptions{})
	require.NoError(t, err)
	partial := shopOptions()
	partial.Failed = []string{"ledger"}
	rbPartial, err := rollback.Plan(shopGraph(), shopDeployment(), partial)
	require.NoError(t, err)
	repFull, err := rollback.Run(context.Background(), rb, &recorder{}, rollback.RunOptions{})
	require.NoError(t, err)

	tests := []struct {
		name string
		rb   *rollback.Runbook
		exec rollback.Executor
		opts rollback.RunOptions
		is   error
	}{
		{"nil runbook", nil, &recorder{}, rollback.RunOptions{}, rollback.ErrInvalidRunbook},
		{"broken runbook", &rollback.Runbook{Waves: []rollback.Wave{{Number: 2}}}, &recorder{}, rollback.RunOptions{}, rollback.ErrInvalidRunbook},
		{"nil executor", rb, nil, rollback.RunOptions{}, rollback.ErrInvalidOptions},
		{"negative parallelism", rb, &recorder{}, rollback.RunOptions{Parallelism: -1}, rollback.ErrInvalidOptions},
		{"report of another release", rb, &recorder{}, rollback.RunOptions{Resume: repOther}, rollback.ErrInvalidReport},
		{"report with steps the runbook lacks", rbPartial, &recorder{}, rollback.RunOptions{Resume: repFull}, rollback.ErrInvalidReport},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := rollback.Run(context.Background(), tt.rb, tt.exec, tt.opts)
			require.ErrorIs(t, err, tt.is)
			assert.Nil(t, rep)
		})
	}
}

func TestReportJSON(t *testing.T) {
	rb := shopRunbook(t)
	rep, err := rollback.Run(context.Background(), rb, &recorder{fail: map[string]error{"w1/notifications/remove": errDeploy}}, rollback.RunOptions{
		Now: func() time.Time { return time.Date(2026, 11, 22, 22, 0, 0, 0, time.UTC) },
	})
	require.Error(t, err)
	data, err := json.Marshal(rep)
	require.NoError(t, err)
	assert.Contains(t, string(data), `"status":"failed","error":"deployctl: timeout","attempts":1`)
	assert.Contains(t, string(data), `"id":"w3/ledger/redeploy","component":"ledger","kind":"redeploy","wave":3,"status":"not-started"}`, "unset times are left out")
	var back rollback.Report
	require.NoError(t, json.Unmarshal(data, &back))
	assert.Equal(t, rep, &back)
}
