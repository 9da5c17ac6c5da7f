// Package risk assesses the risk of a release, explains it, maps it to the
// gates a release must pass, and measures delivery performance with the DORA
// metrics. It is for platform teams and release bots that must justify why a
// release needs a change advisory board, and for reporting on delivery KPIs.
//
// # Risk
//
// [Facts] describe a release: its components, size, blast radius, the
// components' failure history, change class, timing relative to windows,
// freezes and business hours, irreversible steps, first-time components and
// test evidence. A [Model] of weighted [Factor]s turns them into an
// [Assessment] with [Model.Assess] (or [Assess] for [DefaultModel]): a score
// from 0 to 100, a [Level] (low, medium, high, critical) by [Thresholds], and
// one [Contribution] per factor, largest first, each with the reason for its
// points and what would lower them. The score is deterministic and monotone:
// making any fact worse never lowers it. The built-in factors are
// [ChangeSize], [Spread], [BlastRadius], [FailureHistory], [ChangeClass],
// [Timing], [Irreversibility], [Novelty] and [TestGap].
//
// A [Policy] maps each level to a [Requirement] (approval quorums by role,
// required gate names, whether warnings block) as plain data;
// [DefaultPolicy] asks a change advisory board to approve high-risk releases.
// The package does not import the gate package: names and roles are data.
//
// # DORA metrics
//
// [DORA] computes deployment frequency, lead time for changes, change failure
// rate and time to restore service from [Deployment] records over a [Window],
// each with its performance [Band] by the thresholds of the DORA State of
// DevOps report (see [Metrics] for the table). [DORABy] and [DORAReport] break
// them down per service and per team.
//
// The package uses only the standard library and never reads the clock.
package risk
