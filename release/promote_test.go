package release_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/releasetest"
)

var promoteStart = time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)

func promoteEngine(t *testing.T, opts ...release.Option) *release.Engine {
	t.Helper()
	return promoteEngineOn(t, memory.New(), opts...)
}

func promoteEngineOn(t *testing.T, s release.Store, opts ...release.Option) *release.Engine {
	t.Helper()
	eng, err := release.New(s, append([]release.Option{
		release.WithClock(releasetest.NewClock(promoteStart, time.Minute)),
		release.WithPolicy(release.AllowAll()),
	}, opts...)...)
	require.NoError(t, err)
	return eng
}

var promoter = release.Person("rui", release.RoleReleaseManager)

func verifiedIn(t *testing.T, eng *release.Engine, r release.Release) release.Release {
	t.Helper()
	for _, ev := range []release.Event{release.EventPlan, release.EventSchedule, release.EventApprove,
		release.EventStart, release.EventComplete, release.EventVerify} {
		var err error
		r, err = eng.Fire(context.Background(), r.ID, ev, promoter)
		require.NoError(t, err, "%s", ev)
	}
	return r
}

func TestPromotePipelineSteps(t *testing.T) {
	pl := release.Pipeline{"dev", "qa", "staging", "prod"}
	for _, tc := range []struct {
		from, to string
		ok       bool
		says     string
		why      string
	}{
		{"dev", "qa", true, "", "the next environment"},
		{"dev", "staging", false, "skip qa", "skipping one environment names it"},
		{"dev", "prod", false, "skip qa, staging", "skipping two names both"},
		{"staging", "qa", false, "forward only", "a step back"},
		{"dev", "perf", false, "perf is not on the pipeline", "an environment off the pipeline"},
		{"sandbox", "dev", false, "sandbox is not on the pipeline", "a release off the pipeline"},
		{"prod", "prod", false, "in prod already", "the same environment"},
	} {
		t.Run(tc.why, func(t *testing.T) {
			ctx := context.Background()
			// The release is verified by an engine without the pipeline guard, so
			// that it can stand verified anywhere.
			store := memory.New()
			plain, eng := promoteEngineOn(t, store), promoteEngineOn(t, store, release.WithPipeline(pl))
			r, err := plain.Create(ctx, release.Spec{Name: "checkout", Version: "1.0.0", Environment: tc.from, Author: "ana"})
			require.NoError(t, err)
			r = verifiedIn(t, plain, r)
			got, err := eng.Promote(ctx, r.ID, tc.to, promoter)
			if tc.ok {
				require.NoError(t, err)
				require.Equal(t, tc.to, got.Environment)
				return
			}
			var pe *release.PromotionError
			require.ErrorAs(t, err, &pe)
			require.ErrorIs(t, err, release.ErrInvalid)
			require.Equal(t, pl, pe.Pipeline)
			require.Contains(t, err.Error(), tc.says)
			require.Contains(t, err.Error(), "dev -> qa -> staging -> prod")
		})
	}
}

func TestPromoteWithoutPipeline(t *testing.T) {
	ctx := context.Background()
	eng := promoteEngine(t)
	r, err := eng.Create(ctx, release.Spec{Name: "checkout", Version: "1.0.0", Environment: "eu", Author: "ana"})
	require.NoError(t, err)
	r = verifiedIn(t, eng, r)
	us, err := eng.Promote(ctx, r.ID, "us", promoter)
	require.NoError(t, err, "without a pipeline any other environment is a promotion")
	require.Equal(t, r.ID, us.Predecessor)
	_, err = eng.Promote(ctx, r.ID, "eu", promoter)
	require.ErrorIs(t, err, release.ErrInvalid)
}

func TestPromoteRefusals(t *testing.T) {
	ctx := context.Background()
	dev := func(t *testing.T, eng *release.Engine) release.Release {
		r, err := eng.Create(ctx, release.Spec{Name: "checkout", Version: "1.0.0", Environment: "dev", Author: "ana"})
		require.NoError(t, err)
		return r
	}
	pl := release.WithPipeline(release.Pipeline{"dev", "prod"})

	t.Run("failed after verification", func(t *testing.T) {
		eng := promoteEngine(t, pl)
		r := verifiedIn(t, eng, dev(t, eng))
		_, err := eng.Fire(ctx, r.ID, release.EventFail, promoter)
		require.NoError(t, err)
		_, err = eng.Promote(ctx, r.ID, "prod", promoter)
		require.ErrorIs(t, err, release.ErrInvalidTransition)
		require.Contains(t, err.Error(), "failed")
	})
	t.Run("unknown release", func(t *testing.T) {
		eng := promoteEngine(t, pl)
		_, err := eng.Promote(ctx, release.ID{1}, "prod", promoter)
		require.ErrorIs(t, err, release.ErrNotFound)
	})
	t.Run("bad input", func(t *testing.T) {
		eng := promoteEngine(t, pl)
		r := verifiedIn(t, eng, dev(t, eng))
		_, err := eng.Promote(ctx, r.ID, " ", release.Actor{})
		var ve *release.ValidationError
		require.ErrorAs(t, err, &ve)
		require.Len(t, ve.Problems, 3, "the environment and both actor problems at once: %v", ve.Problems)
		_, err = eng.Promote(ctx, r.ID, "prod", promoter, release.ExpectRevision(3))
		require.ErrorIs(t, err, release.ErrInvalid)
	})
	t.Run("actor may not plan in the target", func(t *testing.T) {
		eng := promoteEngine(t, pl, release.WithPolicy(release.DefaultPolicy()))
		deployer := release.Person("dee", release.RoleDeployer)
		r := verifiedIn(t, eng, dev(t, eng))
		_, err := eng.Promote(ctx, r.ID, "prod", deployer)
		require.ErrorIs(t, err, release.ErrForbidden)
		got, err := eng.List(ctx, release.Filter{Environment: "prod"})
		require.NoError(t, err)
		require.Empty(t, got)
	})
	t.Run("cancelled promotion can be redone", func(t *testing.T) {
		eng := promoteEngine(t, pl)
		r := verifiedIn(t, eng, dev(t, eng))
		p, err := eng.Promote(ctx, r.ID, "prod", promoter)
		require.NoError(t, err)
		_, err = eng.Fire(ctx, p.ID, release.EventCancel, promoter)
		require.NoError(t, err)
		again, err := eng.Promote(ctx, r.ID, "prod", promoter, release.Reason("retry after the cancelled one"))
		require.NoError(t, err)
		h, err := eng.History(ctx, again.ID)
		require.NoError(t, err)
		require.Equal(t, "retry after the cancelled one", h[0].Reason)
	})
	t.Run("idempotency key", func(t *testing.T) {
		eng := promoteEngine(t, pl)
		r := verifiedIn(t, eng, dev(t, eng))
		a, err := eng.Promote(ctx, r.ID, "prod", promoter, release.IdempotencyKey("promote-1"))
		require.NoError(t, err)
		b, err := eng.Promote(ctx, r.ID, "prod", promoter, release.IdempotencyKey("promote-1"))
		require.NoError(t, err, "a retry returns the first result, not ErrAlreadyExists")
		require.Equal(t, a.ID, b.ID)
	})
}

// The pipeline guard still holds for releases a host creates itself: a start in prod
// waits for the version's verification in dev, promoted or not.
func TestPipelineGuardWithoutPromote(t *testing.T) {
	ctx := context.Background()
	eng := promoteEngine(t, release.WithPipeline(release.Pipeline{"dev", "prod"}))
	prod, err := eng.Create(ctx, release.Spec{Name: "checkout", Version: "1.0.0", Environment: "prod", Author: "ana"})
	require.NoError(t, err)
	for _, ev := range []release.Event{release.EventPlan, release.EventSchedule, release.EventApprove} {
		prod, err = eng.Fire(ctx, prod.ID, ev, promoter)
		require.NoError(t, err)
	}
	_, err = eng.Fire(ctx, prod.ID, release.EventStart, promoter)
	require.ErrorIs(t, err, release.ErrGuardRefused)
	dev, err := eng.Create(ctx, release.Spec{Name: "checkout", Version: "1.0.0", Environment: "dev", Author: "ana"})
	require.NoError(t, err)
	verifiedIn(t, eng, dev)
	_, err = eng.Fire(ctx, prod.ID, release.EventStart, promoter)
	require.NoError(t, err)
}

func TestPromoteLineageInReport(t *testing.T) {
	ctx := context.Background()
	eng := promoteEngine(t, release.WithPipeline(release.Pipeline{"dev", "prod"}))
	dev, err := eng.Create(ctx, release.Spec{Name: "checkout", Version: "1.0.0", Environment: "dev", Author: "ana"})
	require.NoError(t, err)
	dev = verifiedIn(t, eng, dev)
	_, err = eng.Promote(ctx, dev.ID, "prod", promoter)
	require.NoError(t, err)
	var b bytes.Buffer
	require.NoError(t, eng.Report(ctx, &b, release.ReportOptions{From: promoteStart, To: promoteStart.Add(24 * time.Hour)}))
	// The releases table names the release each was promoted from.
	require.Regexp(t, `\| r2 \| checkout \| 1\.0\.0 \| prod \|( [^|]+ \|){5} r1 \|\n`, b.String())
	require.Regexp(t, `\| r1 \| checkout \| 1\.0\.0 \| dev \|( [^|]+ \|){5} – \|\n`, b.String())
}
