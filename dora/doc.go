// Package dora measures delivery performance with the four DORA metrics: deployment
// frequency, lead time for changes, change failure rate and time to restore service.
// It is for platform teams and release bots that report on delivery KPIs.
//
// [Measure] computes the metrics of [Deployment] records over a [Period], each with
// its performance [Band] by the thresholds of the DORA State of DevOps report (see
// [Metrics] for the table). [MeasureBy] groups them (by [ByService], [ByTeam] or a
// key of your own) and [NewReport] gives them overall, per service and per team. The
// release engine builds the records from its history (release.Engine.Deployments) and
// a report from them (release.Engine.DORA); a host that keeps its own deployment
// records passes them here directly.
//
// A [Period] is a time range for metrics, not a deployment window (the calendar's
// windows say when a change may run). The package uses only the standard library and
// never reads the clock: the period is always given.
//
// These names lived in the risk package until it was split: risk.DORA is [Measure],
// risk.Window is [Period], risk.DORAReport is [NewReport]; the risk package keeps
// deprecated aliases of the ones most used.
package dora
