package bot

import (
	"github.com/releasekit/releasekit/release"
)

// ReleaseEvidence is what is recorded about one release, as the bot shows it. The
// bot keeps nothing of its own: every check, approval and waiver is recorded with
// release.Engine.Record in the release's hash-chained history, in the same store
// transaction as its entry, and the gates read it from there.
type ReleaseEvidence struct {
	// Checks holds the latest result of every CI check, by name.
	Checks map[string]Evidence `json:"checks,omitempty"`
	// Approvals holds the approvals, rejections and withdrawals given for the
	// release's current scope (release.Release.Scope), oldest first.
	Approvals []Evidence `json:"approvals,omitempty"`
	// Waivers holds every recorded waiver, oldest first.
	Waivers []Evidence `json:"waivers,omitempty"`
	// Metrics holds the latest observation of every metric, by name.
	Metrics map[string]Evidence `json:"metrics,omitempty"`
}

// evidenceOf is what history h records about rel up to rel's revision.
func evidenceOf(rel release.Release, h []release.AuditEntry) ReleaseEvidence {
	var out ReleaseEvidence
	for _, ev := range release.Evidences(upTo(h, rel.Revision)) {
		switch ev.Kind {
		case release.EvidenceCheck:
			if out.Checks == nil {
				out.Checks = map[string]Evidence{}
			}
			out.Checks[ev.Name] = wireEvidence(ev)
		case release.EvidenceMetric:
			if out.Metrics == nil {
				out.Metrics = map[string]Evidence{}
			}
			out.Metrics[ev.Name] = wireEvidence(ev)
		case release.EvidenceWaiver:
			out.Waivers = append(out.Waivers, wireEvidence(ev))
		default:
			if ev.Scope == rel.Scope {
				out.Approvals = append(out.Approvals, wireEvidence(ev))
			}
		}
	}
	return out
}
