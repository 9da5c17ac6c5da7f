package gate_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/gate"
)

var t0 = time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)

func fixed(name string, st gate.Status, reason string) gate.Gate {
	return gate.Func(name, func(context.Context, gate.Input) gate.Result {
		return gate.Result{Status: st, Reason: reason}
	})
}

// sleeper sleeps d, returning early (with an error result) when ctx ends.
func sleeper(name string, d time.Duration) gate.Gate {
	return gate.Func(name, func(ctx context.Context, _ gate.Input) gate.Result {
		select {
		case <-time.After(d):
			return gate.Result{Status: gate.StatusPass, Reason: "slept"}
		case <-ctx.Done():
			return gate.Result{Status: gate.StatusError, Reason: ctx.Err().Error()}
		}
	})
}

func TestEvaluateVerdicts(t *testing.T) {
	tests := []struct {
		name   string
		why    string
		gates  []gate.Gate
		opts   gate.Options
		wantGo bool
		is     []error
	}{
		{"all pass", "every required gate passed", []gate.Gate{fixed("a", gate.StatusPass, ""), fixed("b", gate.StatusPass, "")}, gate.Options{}, true, nil},
		{"no gates", "nothing blocks an empty list", nil, gate.Options{}, true, nil},
		{"one fails", "a required failure blocks", []gate.Gate{fixed("a", gate.StatusPass, ""), fixed("b", gate.StatusFail, "bad")}, gate.Options{}, false, []error{gate.ErrGateFailed}},
		{"error blocks", "an error always blocks a required gate", []gate.Gate{fixed("a", gate.StatusError, "boom")}, gate.Options{}, false, []error{gate.ErrGateErrored}},
		{"warn passes", "warnings do not block by default", []gate.Gate{fixed("a", gate.StatusWarn, "meh")}, gate.Options{}, true, nil},
		{"warn blocks", "WarningsBlock makes a warning block", []gate.Gate{fixed("a", gate.StatusWarn, "meh")}, gate.Options{WarningsBlock: true}, false, []error{gate.ErrGateWarned}},
		{"advisory fail", "advisory failures never block", []gate.Gate{gate.Advisory(fixed("a", gate.StatusFail, "bad")), gate.Advisory(fixed("b", gate.StatusError, "x"))}, gate.Options{WarningsBlock: true}, true, nil},
		{"required again", "Required undoes Advisory", []gate.Gate{gate.Required(gate.Advisory(fixed("a", gate.StatusFail, "bad")))}, gate.Options{}, false, []error{gate.ErrGateFailed}},
		{"both kinds", "each blocking gate is joined in Err", []gate.Gate{fixed("a", gate.StatusFail, "x"), fixed("b", gate.StatusError, "y")}, gate.Options{}, false, []error{gate.ErrGateFailed, gate.ErrGateErrored}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := gate.Evaluate(context.Background(), tt.gates, gate.Input{Now: t0}, tt.opts)
			require.Equal(t, tt.wantGo, d.Go, tt.why)
			require.Equal(t, d.Go, d.Err == nil, "Err is nil exactly when Go")
			for _, e := range tt.is {
				assert.ErrorIs(t, d.Err, e, tt.why)
			}
			require.Len(t, d.Results, len(tt.gates))
		})
	}
}

func TestGateErrorNamesTheGate(t *testing.T) {
	d := gate.Evaluate(context.Background(), []gate.Gate{fixed("pass", gate.StatusPass, ""), fixed("smoke", gate.StatusFail, "smoke test failed")}, gate.Input{}, gate.Options{})
	var ge *gate.GateError
	require.ErrorAs(t, d.Err, &ge)
	assert.Equal(t, "smoke", ge.Gate)
	assert.Equal(t, gate.StatusFail, ge.Status)
	assert.Equal(t, `gate "smoke" failed: smoke test failed`, d.Err.Error())
}

func TestEvaluateOrderIsDeterministic(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var gates []gate.Gate
		for i := range 20 {
			// Later gates finish first.
			gates = append(gates, sleeper(fmt.Sprintf("g%02d", i), time.Duration(20-i)*time.Millisecond))
		}
		d := gate.Evaluate(context.Background(), gates, gate.Input{}, gate.Options{Parallelism: 7})
		require.True(t, d.Go)
		for i, r := range d.Results {
			assert.Equal(t, fmt.Sprintf("g%02d", i), r.Gate)
			assert.True(t, r.Required)
		}
	})
}

func TestEvaluateTimeoutDoesNotWaitForAGateIgnoringContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		stubborn := gate.Func("stubborn", func(context.Context, gate.Input) gate.Result {
			time.Sleep(time.Minute) // ignores ctx
			return gate.Result{Status: gate.StatusPass}
		})
		start := time.Now()
		d := gate.Evaluate(context.Background(), []gate.Gate{stubborn, sleeper("quick", time.Second)}, gate.Input{}, gate.Options{Timeout: 2 * time.Second})
		assert.Equal(t, 2*time.Second, time.Since(start), "Evaluate returns at the timeout, not when the gate returns")
		require.False(t, d.Go)
		assert.Equal(t, gate.StatusError, d.Results[0].Status)
		assert.Contains(t, d.Results[0].Reason, "timed out after 2s")
		assert.Equal(t, gate.StatusPass, d.Results[1].Status)
		assert.Equal(t, time.Second, d.Results[1].Duration)
		// The abandoned gate goroutine lives on until the gate returns.
		time.Sleep(time.Minute)
	})
}

func TestEvaluateTimeoutCancelsTheGateContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var sawCancel atomic.Bool
		g := gate.Func("slow", func(ctx context.Context, _ gate.Input) gate.Result {
			<-ctx.Done()
			sawCancel.Store(true)
			return gate.Result{Status: gate.StatusPass, Reason: "claims success after its deadline"}
		})
		d := gate.Evaluate(context.Background(), []gate.Gate{g}, gate.Input{}, gate.Options{Timeout: 2 * time.Second})
		synctest.Wait()
		assert.True(t, sawCancel.Load(), "the gate's context is cancelled at the timeout")
		assert.Equal(t, gate.StatusError, d.Results[0].Status, "a result given after the deadline does not count")
		assert.Contains(t, d.Results[0].Reason, "timed out after 2s")
	})
}

func TestEvaluateRecoversPanics(t *testing.T) {
	g := gate.Func("boom", func(context.Context, gate.Input) gate.Result { panic("kaboom") })
	d := gate.Evaluate(context.Background(), []gate.Gate{g, fixed("ok", gate.StatusPass, "")}, gate.Input{}, gate.Options{})
	require.False(t, d.Go)
	assert.Equal(t, gate.StatusError, d.Results[0].Status)
	assert.Equal(t, "panicked: kaboom", d.Results[0].Reason)
	assert.Contains(t, d.Results[0].Evidence["stack"], "goroutine")
	assert.Equal(t, gate.StatusPass, d.Results[1].Status)
}

func TestEvaluateCancelledContextEndsTheRest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		gates := []gate.Gate{
			fixed("first", gate.StatusPass, ""),
			gate.Func("canceller", func(context.Context, gate.Input) gate.Result { cancel(); return gate.Result{Status: gate.StatusPass} }),
			sleeper("later1", time.Hour),
			sleeper("later2", time.Hour),
		}
		d := gate.Evaluate(ctx, gates, gate.Input{}, gate.Options{Parallelism: 1})
		require.False(t, d.Go)
		assert.Equal(t, gate.StatusPass, d.Results[0].Status)
		assert.Equal(t, gate.StatusError, d.Results[1].Status, "the gate running when ctx was cancelled is an error")
		assert.Contains(t, d.Results[1].Reason, "cancelled")
		for _, r := range d.Results[2:] {
			assert.Equal(t, gate.StatusError, r.Status)
			assert.Contains(t, r.Reason, "not started: the evaluation was cancelled")
		}
	})
}

func TestEvaluateAlreadyCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var ran atomic.Int32
	g := gate.Func("g", func(context.Context, gate.Input) gate.Result { ran.Add(1); return gate.Result{Status: gate.StatusPass} })
	d := gate.Evaluate(ctx, []gate.Gate{g}, gate.Input{}, gate.Options{})
	assert.False(t, d.Go)
	assert.Zero(t, ran.Load())
}

func TestEvaluateBoundsParallelism(t *testing.T) {
	for _, p := range []int{1, 3, 10} {
		t.Run(fmt.Sprint(p), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var running, peak atomic.Int32
				var gates []gate.Gate
				for i := range 10 {
					gates = append(gates, gate.Func(fmt.Sprint(i), func(context.Context, gate.Input) gate.Result {
						n := running.Add(1)
						for {
							old := peak.Load()
							if n <= old || peak.CompareAndSwap(old, n) {
								break
							}
						}
						time.Sleep(time.Second)
						running.Add(-1)
						return gate.Result{Status: gate.StatusPass}
					}))
				}
				start := time.Now()
				d := gate.Evaluate(context.Background(), gates, gate.Input{}, gate.Options{Parallelism: p})
				require.True(t, d.Go)
				assert.Equal(t, int32(p), peak.Load())
				assert.Equal(t, time.Duration((10+p-1)/p)*time.Second, time.Since(start))
			})
		})
	}
}

func TestEvaluateRejectsBadGateLists(t *testing.T) {
	named := func(n string) gate.Gate { return fixed(n, gate.StatusPass, "") }
	tests := []struct {
		name   string
		gates  []gate.Gate
		bad    int
		reason string
	}{
		{"nil gate", []gate.Gate{named("a"), nil}, 1, "is nil"},
		{"empty name", []gate.Gate{named("")}, 0, "empty name"},
		{"duplicate", []gate.Gate{named("a"), named("a")}, 1, "same name"},
		{"nil func", []gate.Gate{gate.Func("f", nil)}, 0, "no function"},
		{"unknown status", []gate.Gate{fixed("u", "maybe", "")}, 0, "unknown status"},
		{"no reason", []gate.Gate{fixed("r", gate.StatusFail, "")}, 0, "without a reason"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := gate.Evaluate(context.Background(), tt.gates, gate.Input{}, gate.Options{})
			require.False(t, d.Go)
			assert.NotEqual(t, gate.StatusPass, d.Results[tt.bad].Status)
			assert.Contains(t, d.Results[tt.bad].Reason, tt.reason)
		})
	}
}

func TestOptionsValidate(t *testing.T) {
	assert.NoError(t, gate.Options{}.Validate(), "the zero value is valid")
	err := gate.Options{Parallelism: -1, Timeout: -time.Second, AllowedWaiverRoles: []string{"ok", " "}}.Validate()
	require.ErrorIs(t, err, gate.ErrInvalidOptions)
	var oe *gate.OptionsError
	require.ErrorAs(t, err, &oe)
	for _, f := range []string{"Parallelism", "Timeout", "AllowedWaiverRoles[1]"} {
		assert.Contains(t, err.Error(), f, "every problem is reported at once")
	}

	var ran atomic.Int32
	g := gate.Func("g", func(context.Context, gate.Input) gate.Result { ran.Add(1); return gate.Result{Status: gate.StatusPass} })
	d := gate.Evaluate(context.Background(), []gate.Gate{g}, gate.Input{}, gate.Options{Parallelism: -1})
	assert.False(t, d.Go)
	assert.ErrorIs(t, d.Err, gate.ErrInvalidOptions)
	assert.Zero(t, ran.Load(), "no gate runs with invalid options")
}

func TestStatuses(t *testing.T) {
	for _, s := range gate.Statuses() {
		got, err := gate.ParseStatus(string(s))
		require.NoError(t, err)
		assert.Equal(t, s, got)
	}
	_, err := gate.ParseStatus("ok")
	assert.ErrorIs(t, err, gate.ErrInvalidStatus)
	assert.Len(t, gate.CheckStatuses(), 5)
	assert.Len(t, gate.Operators(), 5)
}

func TestDecisionJSONReplay(t *testing.T) {
	in := gate.Input{ID: "r1", Author: "alice", Revision: 2, Now: t0,
		Checks:  map[string]gate.Check{"build": {Status: gate.CheckFailure, URL: "ci/1"}},
		Metrics: map[string]float64{"lat": 10}}
	opts := gate.Options{WarningsBlock: true, AllowedWaiverRoles: []string{"rm"},
		Waivers: []gate.Waiver{{Gate: "checks", Actor: "carol", Roles: []string{"rm"}, Reason: "flake", Expires: t0.Add(time.Hour)}}}
	gates := []gate.Gate{gate.Checks("build"), fixed("warn", gate.StatusWarn, "close to budget")}
	d := gate.Evaluate(context.Background(), gates, in, opts)
	require.False(t, d.Go, "the warning blocks")
	require.NotNil(t, d.Results[0].Waived, "the failing checks gate is waived")

	b, err := json.Marshal(d)
	require.NoError(t, err)
	var back gate.Decision
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, d.Go, back.Go)
	assert.Equal(t, d.Err.Error(), back.Err.Error(), "Err is rebuilt on decoding")
	require.NoError(t, back.Verify())
	r := gate.Replay(back)
	assert.Equal(t, d.Go, r.Go)
	assert.Equal(t, d.Fingerprint, r.Fingerprint)

	tampered := back
	tampered.Go = true
	assert.ErrorIs(t, tampered.Verify(), gate.ErrReplayMismatch)
	tampered = back
	tampered.Input.Revision = 3
	assert.ErrorIs(t, tampered.Verify(), gate.ErrReplayMismatch)
}

func TestDecisionRecordsACopyOfTheInput(t *testing.T) {
	in := gate.Input{Checks: map[string]gate.Check{"build": {Status: gate.CheckSuccess}}}
	d := gate.Evaluate(context.Background(), []gate.Gate{gate.Checks("build")}, in, gate.Options{})
	in.Checks["build"] = gate.Check{Status: gate.CheckFailure}
	assert.Equal(t, gate.CheckSuccess, d.Input.Checks["build"].Status)
	assert.NoError(t, d.Verify())
}

func TestNamedKeepsAdvisory(t *testing.T) {
	g := gate.Named("renamed", gate.Advisory(fixed("orig", gate.StatusFail, "x")))
	assert.Equal(t, "renamed", g.Name())
	assert.True(t, gate.IsAdvisory(g))
	d := gate.Evaluate(context.Background(), []gate.Gate{g}, gate.Input{}, gate.Options{})
	assert.True(t, d.Go)
	assert.Equal(t, "renamed", d.Results[0].Gate)
	assert.False(t, d.Results[0].Required)
	assert.Equal(t, gate.StatusError, gate.Named("n", nil).Evaluate(context.Background(), gate.Input{}).Status)
}

func TestErrorsAreJoinedInGateOrder(t *testing.T) {
	d := gate.Evaluate(context.Background(), []gate.Gate{fixed("z", gate.StatusFail, "1"), fixed("a", gate.StatusFail, "2")}, gate.Input{}, gate.Options{})
	var joined interface{ Unwrap() []error }
	require.True(t, errors.As(d.Err, &joined))
	errs := joined.Unwrap()
	require.Len(t, errs, 2)
	assert.Contains(t, errs[0].Error(), `"z"`)
	assert.Contains(t, errs[1].Error(), `"a"`)
}
