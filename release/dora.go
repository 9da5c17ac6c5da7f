package release

import (
	"context"
	"fmt"
	"time"

	"github.com/releasekit/releasekit/risk"
)

// Deployments turns the releases of env (every environment when env is "") into DORA
// deployment records: one per release that reached deployed, by release name as the
// service and Team as the team. Lead time runs from [Release.CommittedAt] when the
// host gave it (Spec.CommittedAt), otherwise from the release's creation, which
// comes after the commit: such a lead time is shorter than DORA's; a release
// that failed or was rolled back after deploying counts as a failure, restored when
// it was rolled back.
func (e *Engine) Deployments(ctx context.Context, env string) ([]risk.Deployment, error) {
	var out []risk.Deployment
	f := Filter{Environment: env, Limit: 1000}
	for {
		page, err := e.store.List(ctx, f)
		if err != nil {
			return nil, err
		}
		for _, r := range page {
			at, ok := r.Reached[StateDeployed]
			if !ok {
				continue
			}
			d := risk.Deployment{Service: r.Name, Team: r.Team, CommitAt: leadTimeStart(r), DeployedAt: at}
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
			out = append(out, d)
		}
		if len(page) < f.Limit {
			return out, nil
		}
		f.After = page[len(page)-1].ID
	}
}

// DORA computes the four DORA metrics of env ("" for all) over window from the
// releases' history, overall, per service and per team (see [Engine.Deployments]).
func (e *Engine) DORA(ctx context.Context, env string, window risk.Window) (risk.Report, error) {
	if err := window.Validate(); err != nil {
		return risk.Report{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	ds, err := e.Deployments(ctx, env)
	if err != nil {
		return risk.Report{}, err
	}
	return risk.DORAReport(ds, window), nil
}

// leadTimeStart is when r's lead time starts: its commit when the host gave it,
// else its creation.
func leadTimeStart(r Release) time.Time {
	if !r.CommittedAt.IsZero() {
		return r.CommittedAt
	}
	return r.CreatedAt
}
