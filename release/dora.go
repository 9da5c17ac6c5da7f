package release

import (
	"context"
	"fmt"
	"time"

	"github.com/releasekit/releasekit/dora"
)

// Deployments turns the releases of env (every environment when env is "") into DORA
// deployment records, by release name as the service and Team as the team: one per
// release that reached deployed, and one per release that failed or was rolled back
// while deploying (a canary that failed its analysis reached users: a failed
// deployment, dated when it started deploying). Lead time runs from [Release.CommittedAt] when the
// host gave it (Spec.CommittedAt), otherwise from the release's creation, which
// comes after the commit: such a lead time is shorter than DORA's; a release
// that failed or was rolled back after deploying counts as a failure, restored when
// it was rolled back.
func (e *Engine) Deployments(ctx context.Context, env string) ([]dora.Deployment, error) {
	ds, _, err := e.deployments(ctx, env)
	return ds, err
}

// deployments is Deployments, with the CommittedAt each deployment's release gave
// (zero when its lead time starts at creation), in the same order.
func (e *Engine) deployments(ctx context.Context, env string) ([]dora.Deployment, []time.Time, error) {
	var out []dora.Deployment
	var committed []time.Time
	err := e.eachRelease(ctx, Filter{Environment: env}, func(r Release) {
		if d, ok := deploymentOf(r); ok {
			out = append(out, d)
			committed = append(committed, r.CommittedAt)
		}
	})
	if err != nil {
		return nil, nil, err
	}
	return out, committed, nil
}

// deploymentOf is r's DORA deployment record; ok is false when r never reached
// users (see [Engine.Deployments]).
func deploymentOf(r Release) (dora.Deployment, bool) {
	at, ok := r.Reached[StateDeployed]
	if !ok {
		_, failed := r.Reached[StateFailed]
		_, back := r.Reached[StateRollingBack]
		if at, ok = r.Reached[StateDeploying]; !ok || !failed && !back {
			return dora.Deployment{}, false
		}
	}
	d := dora.Deployment{Service: r.Name, Team: r.Team, CommitAt: leadTimeStart(r), DeployedAt: at}
	if failed, ok := r.Reached[StateFailed]; ok && !failed.Before(at) {
		d.Failed = true
	}
	if _, ok := r.Reached[StateRollingBack]; ok {
		d.Failed = true
	}
	if d.Failed {
		if back, ok := r.Reached[StateRolledBack]; ok {
			d.RestoredAt = back
		}
	}
	return d, true
}

// eachRelease calls fn with every stored release that f selects, a page at a time
// (f's Limit and After are the pager's own).
func (e *Engine) eachRelease(ctx context.Context, f Filter, fn func(Release)) error {
	f.Limit, f.After = 1000, ID{}
	for {
		page, err := e.store.List(ctx, f)
		if err != nil {
			return err
		}
		for _, r := range page {
			fn(r)
		}
		if len(page) < f.Limit {
			return nil
		}
		f.After = page[len(page)-1].ID
	}
}

// DORA computes the four DORA metrics of env ("" for all) over period from the
// releases' history, overall, per service and per team (see [Engine.Deployments]).
func (e *Engine) DORA(ctx context.Context, env string, period dora.Period) (dora.Report, error) {
	rep, _, err := e.dora(ctx, env, period)
	return rep, err
}

// dora is DORA, with the basis of its lead times, from one pass over the releases.
func (e *Engine) dora(ctx context.Context, env string, period dora.Period) (dora.Report, leadBasis, error) {
	var b leadBasis
	if err := period.Validate(); err != nil {
		return dora.Report{}, b, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	ds, committed, err := e.deployments(ctx, env)
	if err != nil {
		return dora.Report{}, b, err
	}
	rep, b := doraOf(ds, committed, period)
	return rep, b, nil
}

// doraOf is the DORA report of deployments ds over period, with the basis of its
// lead times (committed holds each deployment's CommittedAt).
func doraOf(ds []dora.Deployment, committed []time.Time, period dora.Period) (dora.Report, leadBasis) {
	var b leadBasis
	for i, d := range ds {
		if period.Contains(d.DeployedAt) {
			b.Total++
			if !committed[i].IsZero() {
				b.FromCommit++
			}
		}
	}
	return dora.NewReport(ds, period), b
}

// leadTimeStart is when r's lead time starts: its commit when the host gave it,
// else its creation.
func leadTimeStart(r Release) time.Time {
	if !r.CommittedAt.IsZero() {
		return r.CommittedAt
	}
	return r.CreatedAt
}
