package release_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/analysis"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/rollback"
	"github.com/releasekit/releasekit/strategy"
)

// lb is the host's load balancer: it keeps the weights it was told to set.
type lb struct {
	mu      sync.Mutex
	weights []int
}

func (l *lb) Apply(_ context.Context, _ string, s strategy.Step) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.weights = append(l.weights, s.Weight)
	return nil
}

func (l *lb) got() []int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]int(nil), l.weights...)
}

// errorRate answers every query with the next of its values (the last one
// repeats) and counts the queries.
type errorRate struct {
	values  []float64
	queries atomic.Int64
}

func (p *errorRate) Query(_ context.Context, _ analysis.Query) (analysis.Vector, error) {
	n := int(p.queries.Add(1)) - 1
	return analysis.Vector{{Value: p.values[min(n, len(p.values)-1)]}}, nil
}

// executed counts the rollback steps run.
type executed struct{ n atomic.Int64 }

func (x *executed) Execute(context.Context, rollback.Step) error { x.n.Add(1); return nil }

func canary(count int) strategy.Rollout {
	a := analysis.Analysis{Name: "payments-errors", Metrics: []analysis.Metric{{
		Name: "error-rate", Provider: "prom", Query: "errors", Count: count, Interval: time.Minute,
		Success: []string{"<=0.01"}, Failure: []string{">=0.05"}, FailureLimit: 1,
	}}}
	return strategy.Rollout{ID: "payments-canary", Strategy: strategy.Strategy{Canary: &strategy.Canary{Steps: []strategy.Step{
		strategy.SetWeight(10), strategy.Analyze(a), strategy.SetWeight(50), strategy.SetWeight(100),
	}}}}
}

type rolloutRig struct {
	eng     *release.Engine
	store   *memory.Store
	lb      *lb
	prov    *errorRate
	exec    *executed
	driver  *strategy.Driver
	release release.Release
}

// newRolloutRig makes an engine with a rollback executor and a payments release
// in state, on the system clock (synctest's fake one inside a bubble).
func newRolloutRig(t *testing.T, state release.State, values ...float64) *rolloutRig {
	t.Helper()
	rig := &rolloutRig{store: memory.New(), lb: &lb{}, prov: &errorRate{values: values}, exec: &executed{}}
	clock := release.SystemClock()
	eng, err := release.New(rig.store, release.WithClock(clock), release.WithPolicy(release.AllowAll()),
		release.WithRollback(release.RollbackConfig{Executor: rig.exec}))
	require.NoError(t, err)
	rig.eng = eng
	runner, err := analysis.NewRunner(map[string]analysis.Provider{"prom": rig.prov}, analysis.WithClock(clock))
	require.NoError(t, err)
	rig.driver, err = strategy.NewDriver(rig.lb, runner, strategy.WithClock(clock))
	require.NoError(t, err)
	ctx := context.Background()
	r, err := eng.Create(ctx, release.Spec{Name: "payments", Version: "2.4.0", Environment: "prod", Author: "ana",
		Components: []release.Component{{Name: "payments", Version: "2.4.0", PreviousVersion: "2.3.0"}}})
	require.NoError(t, err)
	for _, ev := range []release.Event{release.EventPlan, release.EventSchedule, release.EventApprove, release.EventStart, release.EventComplete} {
		if r.State == state {
			break
		}
		r, err = eng.Fire(ctx, r.ID, ev, bot)
		require.NoError(t, err)
	}
	require.Equal(t, state, r.State)
	rig.release = r
	return rig
}

// steps and measurements recorded in the history, as (step, event) and values.
func recorded(t *testing.T, eng *release.Engine, id release.ID) (steps []string, metrics []float64) {
	t.Helper()
	ev, err := eng.Evidence(context.Background(), id)
	require.NoError(t, err)
	for _, e := range ev {
		switch {
		case e.Kind == release.EvidenceCheck && e.Source == "strategy":
			steps = append(steps, strings.TrimPrefix(e.ExternalID, "strategy:payments-canary/"))
		case e.Kind == release.EvidenceMetric:
			metrics = append(metrics, e.Value)
		}
	}
	return steps, metrics
}

// The canary fails at 10%: the analysis fails on its second bad measurement, the
// traffic returns, the release fails with the measurements as its reason and the
// rollback plan runs; every step and measurement is in the verified history.
func TestRolloutFailsAndRollsBack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rig := newRolloutRig(t, release.StateDeploying, 0.004, 0.07, 0.09)
		ctx := context.Background()
		start := time.Now()
		res, err := rig.eng.Rollout(ctx, rig.release.ID, rig.driver, canary(5), bot)
		require.NoError(t, err)
		assert.Equal(t, strategy.PhaseAborted, res.Phase, res.Reason)
		assert.Equal(t, 2*time.Minute, time.Since(start), "three measurements a minute apart, on the fake clock")
		assert.Equal(t, []int{10, 0}, rig.lb.got(), "10%, then back to stable")

		r, err := rig.eng.Get(ctx, rig.release.ID)
		require.NoError(t, err)
		assert.Equal(t, release.StateRolledBack, r.State)
		assert.Positive(t, rig.exec.n.Load(), "the rollback plan ran")

		steps, values := recorded(t, rig.eng, r.ID)
		assert.Equal(t, []string{"0/started", "0/completed", "1/started", "1/aborted", "1/restored"}, steps)
		assert.Equal(t, []float64{0.004, 0.07, 0.09}, values)

		h, err := rig.eng.History(ctx, r.ID)
		require.NoError(t, err)
		var fail *release.AuditEntry
		for i := range h {
			if h[i].Event == release.EventFail {
				fail = &h[i]
			}
		}
		require.NotNil(t, fail, "fail is in the history")
		assert.Contains(t, fail.Reason, "error-rate #1: 0.07 meets the failure condition >=0.05")
		assert.Contains(t, fail.Reason, "error-rate #2: 0.09 meets the failure condition >=0.05")
		assert.Contains(t, string(fail.Data), `"phase":"Failed"`)
		require.NoError(t, rig.eng.Verify(ctx, r.ID))

		// Called again, the rollout finds everything done and changes nothing.
		again, err := rig.eng.Rollout(ctx, r.ID, rig.driver, canary(5), bot)
		require.NoError(t, err)
		assert.Equal(t, strategy.PhaseAborted, again.Phase)
		h2, err := rig.eng.History(ctx, r.ID)
		require.NoError(t, err)
		assert.Len(t, h2, len(h))
		assert.Equal(t, int64(3), rig.prov.queries.Load())
	})
}

// A healthy canary takes a deploying release to verified.
func TestRolloutCompletesAndVerifies(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rig := newRolloutRig(t, release.StateDeploying, 0.002)
		res, err := rig.eng.Rollout(context.Background(), rig.release.ID, rig.driver, canary(3), bot)
		require.NoError(t, err)
		assert.Equal(t, strategy.PhaseCompleted, res.Phase, res.Reason)
		assert.Equal(t, []int{10, 50, 100}, rig.lb.got())
		r, err := rig.eng.Get(context.Background(), rig.release.ID)
		require.NoError(t, err)
		assert.Equal(t, release.StateVerified, r.State)
		_, values := recorded(t, rig.eng, r.ID)
		assert.Equal(t, []float64{0.002, 0.002, 0.002}, values)
	})
}

// A crash (the context ends) between measurements: the next call resumes from
// the history, takes only the measurements still due, and never records one
// twice.
func TestRolloutResumesWithoutDoubleCounting(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rig := newRolloutRig(t, release.StateDeployed, 0.001)
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		res, err := rig.eng.Rollout(ctx, rig.release.ID, rig.driver, canary(4), bot)
		cancel()
		require.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Equal(t, strategy.PhaseProgressing, res.Phase)
		_, values := recorded(t, rig.eng, rig.release.ID)
		require.Len(t, values, 2, "measurements at 0s and 60s, then the crash")

		res, err = rig.eng.Rollout(context.Background(), rig.release.ID, rig.driver, canary(4), bot)
		require.NoError(t, err)
		assert.Equal(t, strategy.PhaseCompleted, res.Phase, res.Reason)
		_, values = recorded(t, rig.eng, rig.release.ID)
		assert.Len(t, values, 4, "each of the 4 measurements recorded once")
		assert.Equal(t, int64(4), rig.prov.queries.Load(), "each taken once")
		steps, _ := recorded(t, rig.eng, rig.release.ID)
		assert.Equal(t, []int{10, 50, 100}, rig.lb.got(), "step 0 is not applied again: %v", steps)
		r, err := rig.eng.Get(context.Background(), rig.release.ID)
		require.NoError(t, err)
		assert.Equal(t, release.StateVerified, r.State)
	})
}

// An inconclusive analysis leaves the release deployed for a person; promoting
// it goes on and verifies.
func TestRolloutInconclusiveWaitsForAPerson(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rig := newRolloutRig(t, release.StateDeployed, 0.03) // between <=0.01 and >=0.05
		ro := canary(1)
		ro.Strategy.Canary.Steps[1].Analysis.Metrics[0].FailureLimit = 0
		res, err := rig.eng.Rollout(context.Background(), rig.release.ID, rig.driver, ro, bot)
		require.NoError(t, err)
		assert.Equal(t, strategy.PhasePaused, res.Phase, res.Reason)
		r, err := rig.eng.Get(context.Background(), rig.release.ID)
		require.NoError(t, err)
		assert.Equal(t, release.StateDeployed, r.State, "waits")

		rui := release.Person("rui", release.RoleReleaseManager)
		res, err = rig.eng.Rollout(context.Background(), rig.release.ID, rig.driver, ro, rui, strategy.Promote("rui"))
		require.NoError(t, err)
		assert.Equal(t, strategy.PhaseCompleted, res.Phase, res.Reason)
		r, err = rig.eng.Get(context.Background(), rig.release.ID)
		require.NoError(t, err)
		assert.Equal(t, release.StateVerified, r.State)
		steps, _ := recorded(t, rig.eng, r.ID)
		assert.Contains(t, steps, "1/waiting")
		assert.Contains(t, steps, "1/promoted")
	})
}

// A release that is not being deployed has nothing to roll out.
func TestRolloutRefusesARelease(t *testing.T) {
	rig := newRolloutRig(t, release.StateApproved, 0)
	_, err := rig.eng.Rollout(context.Background(), rig.release.ID, rig.driver, canary(1), bot)
	var te *release.TransitionError
	require.True(t, errors.As(err, &te), "got %v", err)
	assert.Equal(t, release.StateApproved, te.State)
	assert.Empty(t, rig.lb.got())

	_, err = rig.eng.Rollout(context.Background(), rig.release.ID, nil, canary(1), bot)
	require.ErrorIs(t, err, release.ErrInvalid)
}

// Who may roll out is who may fire what the rollout leads to: an actor the
// policy refuses moves no traffic. A promotion is the person's who gives it.
func TestRolloutAuthority(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rig := newRolloutRig(t, release.StateDeployed, 0.03) // inconclusive: waits
		ctx := context.Background()
		strict, err := release.New(rig.store, release.WithPolicy(release.DefaultPolicy()))
		require.NoError(t, err)
		dev := release.Person("dev", release.RoleDeveloper)
		_, err = strict.Rollout(ctx, rig.release.ID, rig.driver, canary(1), dev)
		require.ErrorIs(t, err, release.ErrForbidden)
		assert.Empty(t, rig.lb.got(), "no traffic moved")

		ro := canary(1)
		ro.Strategy.Canary.Steps[1].Analysis.Metrics[0].FailureLimit = 0
		res, err := rig.eng.Rollout(ctx, rig.release.ID, rig.driver, ro, bot)
		require.NoError(t, err)
		require.Equal(t, strategy.PhasePaused, res.Phase)

		// deploybot (an automation) cannot promote, nor can rui in kim's name.
		_, err = rig.eng.Rollout(ctx, rig.release.ID, rig.driver, ro, bot, strategy.Promote("deploybot"))
		require.ErrorIs(t, err, release.ErrForbidden)
		rui := release.Person("rui", release.RoleReleaseManager)
		_, err = rig.eng.Rollout(ctx, rig.release.ID, rig.driver, ro, rui, strategy.Promote("kim"))
		require.ErrorIs(t, err, release.ErrForbidden)
		steps, _ := recorded(t, rig.eng, rig.release.ID)
		assert.NotContains(t, steps, "1/promoted")
		r, err := rig.eng.Get(ctx, rig.release.ID)
		require.NoError(t, err)
		assert.Equal(t, release.StateDeployed, r.State)
	})
}
