// Package analysis verifies a release after it is deployed: it measures metrics
// over time and decides whether the release is healthy, in the manner of Argo
// Rollouts' analysis runs with Keptn's pass and warning levels. It is for
// platform teams that verify canaries and blue-green previews, and for the
// release engine, which records every measurement as evidence.
//
// A [Provider] answers queries with a [Vector] (Prometheus in
// adapters/prometheus, an HTTP JSON probe in [github.com/releasekit/releasekit/analysis/httpprobe],
// or the host's own); the [github.com/releasekit/releasekit/analysis/providertest]
// suite checks an implementation against the contract, including the typed
// errors for no data ([ErrNoData]), NaN ([ErrNaN]) and several series
// ([*SeriesError]).
//
// An [Analysis] is plain data: [Metric]s, each measured Count times Interval
// apart and judged by success, warning and failure conditions written as
// [gate.Criterion] strings ("<=0.01", "<=+10%" of a baseline query), with
// Argo's failureLimit, inconclusiveLimit and consecutiveErrorLimit. It is
// validated with [Analysis.Validate] and stored as JSON.
//
// A [Runner] runs analyses against named providers with an injected [Clock],
// bounded concurrency and a per-measurement timeout. Every [Measurement] goes
// to a [Recorder] before it counts, so a run that stops (a crash, a deploy of
// the host) is continued with [Resume] from what was recorded, without taking
// or counting a measurement twice. [Evaluate] replays recorded measurements
// and re-judges them, for audit.
//
// The package never reads the system clock except through the default
// [Clock], and imports only the standard library and gate.
package analysis
