package risk

import "github.com/releasekit/releasekit/dora"

// The DORA metrics moved to the dora package, so that this package is about risk
// only. The names below keep code written against them compiling.

// Deployment is one deployment record.
//
// Deprecated: use [dora.Deployment].
type Deployment = dora.Deployment

// Window is a time range for metrics (not a deployment window).
//
// Deprecated: use [dora.Period]; "window" means a deployment window elsewhere.
type Window = dora.Period

// Metrics are the four DORA metrics over a period.
//
// Deprecated: use [dora.Metrics].
type Metrics = dora.Metrics

// Report holds DORA metrics overall, per service and per team.
//
// Deprecated: use [dora.Report].
type Report = dora.Report

// Frequency is a deployment frequency.
//
// Deprecated: use [dora.Frequency].
type Frequency = dora.Frequency

// DurationMetric is a median duration.
//
// Deprecated: use [dora.DurationMetric].
type DurationMetric = dora.DurationMetric

// Rate is a change failure rate.
//
// Deprecated: use [dora.Rate].
type Rate = dora.Rate

// DORA computes the four DORA metrics of the deployments in the window.
//
// Deprecated: use [dora.Measure].
func DORA(deployments []dora.Deployment, window dora.Period) dora.Metrics {
	return dora.Measure(deployments, window)
}

// DORAReport computes the metrics of the window overall, per service and per team.
//
// Deprecated: use [dora.NewReport].
func DORAReport(deployments []dora.Deployment, window dora.Period) dora.Report {
	return dora.NewReport(deployments, window)
}
