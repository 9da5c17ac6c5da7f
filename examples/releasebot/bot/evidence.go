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
	Checks map[string]release.Evidence `json:"checks,omitempty"`
	// Approvals holds the approvals, rejections and withdrawals given for the
	// release's current scope (release.Release.Scope), oldest first.
	Approvals []release.Evidence `json:"approvals,omitempty"`
	// Waivers holds every recorded waiver, oldest first.
	Waivers []release.Evidence `json:"waivers,omitempty"`
	// Metrics holds the latest observation of every metric, by name.
	Metrics map[string]release.Evidence `json:"metrics,omitempty"`
}

// evidenceOf is what history h records about rel up to rel's revision.
func evidenceOf(rel release.Release, h []release.AuditEntry) ReleaseEvidence {
	var out ReleaseEvidence
	upTo := h[:0:0]
	for _, e := range h {
		if e.Sequence <= rel.Revision {
			upTo = append(upTo, e)
		}
	}
	for _, ev := range release.Evidences(upTo) {
		switch ev.Kind {
		case release.EvidenceCheck:
			if out.Checks == nil {
				out.Checks = map[string]release.Evidence{}
			}
			out.Checks[ev.Name] = ev
		case release.EvidenceMetric:
			if out.Metrics == nil {
				out.Metrics = map[string]release.Evidence{}
			}
			out.Metrics[ev.Name] = ev
		case release.EvidenceWaiver:
			out.Waivers = append(out.Waivers, ev)
		default:
			if ev.Scope == rel.Scope {
				out.Approvals = append(out.Approvals, ev)
			}
		}
	}
	return out
}
