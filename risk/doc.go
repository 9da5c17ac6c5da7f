// Package risk assesses the risk of a release, explains it and maps it to the gates
// a release must pass. It is for platform teams and release bots that must justify
// why a release needs a change advisory board. (The DORA delivery metrics are the
// dora package's; the names of them still here are deprecated aliases.)
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
// A [Policy] maps each level to a [Requirement] (approval quorums by role as
// gate.Quorum values, required gate names, whether warnings block) as plain data;
// [DefaultPolicy] asks a change advisory board to approve high-risk releases. The
// change class of [Facts] is change.Class, the type the calendar and the release
// engine use too.
//
// The package uses only the standard library and the change, gate and dora leaves,
// and never reads the clock.
package risk
