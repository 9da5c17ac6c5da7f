package release

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/releasekit/releasekit/dora"
	"github.com/releasekit/releasekit/gate"
	"github.com/releasekit/releasekit/risk"
	"github.com/releasekit/releasekit/rollback"
)

// outcome is what became of a release, in the words of a report: a reader wants
// "shipped" and "rolled back", not the lifecycle state both end in (closed).
type outcome string

const (
	outcomeShipped     outcome = "shipped"      // reached deployed, and was not rolled back or failed
	outcomeRolledBack  outcome = "rolled back"  // rolled back (the run finished)
	outcomeHeld        outcome = "held"         // was scheduled, and was unscheduled before it started
	outcomeBooked      outcome = "booked"       // scheduled or approved (with its slot, under a calendar), not started
	outcomeFailed      outcome = "failed"       // failed and not rolled back
	outcomeRollingBack outcome = "rolling back" // the rollback runs
	outcomeDeploying   outcome = "deploying"    // being deployed
	outcomeNotBooked   outcome = "not booked"   // never had a slot
	outcomeCancelled   outcome = "cancelled"    // abandoned before it was deployed
)

// outcomes lists every outcome in the order of the summary's columns; the first
// four are always shown, the others when a release has them.
var outcomes = []outcome{outcomeShipped, outcomeRolledBack, outcomeHeld, outcomeBooked,
	outcomeFailed, outcomeRollingBack, outcomeDeploying, outcomeNotBooked, outcomeCancelled}

const alwaysShown = 4

// outcomeOf is what became of r.
func outcomeOf(r Release) outcome {
	reached := func(s State) bool { _, ok := r.Reached[s]; return ok }
	switch {
	case r.State == StateCancelled:
		return outcomeCancelled
	case r.State == StateRollingBack:
		return outcomeRollingBack
	case reached(StateRollingBack) || reached(StateRolledBack):
		return outcomeRolledBack
	case reached(StateFailed):
		return outcomeFailed
	case r.State == StateDeploying:
		return outcomeDeploying
	case reached(StateDeployed):
		return outcomeShipped
	case r.State == StateScheduled || r.State == StateApproved:
		return outcomeBooked
	case reached(StateScheduled):
		return outcomeHeld
	}
	return outcomeNotBooked
}

// envSummary counts the releases of one environment by outcome, and names them.
type envSummary struct {
	Env    string
	Counts []int // by reportModel.Columns
	Total  int
	// Lines are "shipped inventory 1.8.0, auth 5.1.1", one per outcome present.
	Lines []string
}

// decisionRow is one recorded decision that stopped or turned back a release: a
// No-Go, a person's rejection, a failure, an unschedule, a cancel, a revoked
// approval, a calendar overridden.
type decisionRow struct {
	Ref, Release string
	What, Who    string
	At           time.Time
	Why          string
}

// gateRow is one gate's line in a gate table.
type gateRow struct{ Gate, Required, Status, Reason string }

// gateGroup is one distinct gate table, printed once, with every decision that
// had it.
type gateGroup struct {
	ID      string // G1, G2…
	Verdict string // Go or No-Go
	Rows    []gateRow
	Refs    []string
	// Plain: a Go on which every gate passed, with no waiver.
	Plain bool
}

// riskGroup is one distinct assessment (the same release assessed the same way in
// several environments), printed once.
type riskGroup struct {
	Release string // name and version
	Level   string
	Score   float64
	Reasons []string
	Refs    []string
}

// leadBasis says where the lead times of a DORA report start.
type leadBasis struct{ FromCommit, Total int }

// label names the measure: "from commit", "from release creation" or a mix.
func (b leadBasis) label() string {
	switch {
	case b.Total == 0 || b.FromCommit == b.Total:
		return "from commit"
	case b.FromCommit == 0:
		return "from release creation, not commit"
	}
	return fmt.Sprintf("from commit for %d of %d deployments, from release creation for the rest", b.FromCommit, b.Total)
}

// band qualifies a lead time band: one measured (partly) from creation is shorter
// than DORA's, so its band is the best the real one can be.
func (b leadBasis) band(band dora.Band) string {
	if b.FromCommit == b.Total || band == dora.BandNoData {
		return string(band)
	}
	return string(band) + " at best (DORA measures from the commit, before the release was created)"
}

// reportModel is everything a report shows, computed once for both renderings.
type reportModel struct {
	Title, Env string
	From, To   time.Time
	Production string
	rs         []Release
	hist       [][]AuditEntry
	Outcome    []outcome
	Columns    []outcome
	Summary    []envSummary
	All        envSummary
	Decisions  []decisionRow
	Gates      []gateGroup
	GateErrs   []string // decisions that could not be read
	Risks      []riskGroup
	DORA       risk.Report
	Lead       leadBasis
	Verified   []error // per release: nil when its history verifies
	Entries    int
	Bad        int
}

func newReportModel(opts ReportOptions, rs []Release, hist [][]AuditEntry, dora risk.Report, lead leadBasis) *reportModel {
	m := &reportModel{Title: strings.TrimSpace(opts.Title), Env: opts.Environment, From: opts.From, To: opts.To,
		Production: opts.production(), rs: rs, hist: hist, DORA: dora, Lead: lead}
	if m.Title == "" {
		m.Title = "Release report"
	}
	if m.Env == "" {
		m.Env = "all"
	}
	m.summarize()
	m.decisions()
	m.gates()
	m.risks()
	m.Verified = make([]error, len(rs))
	for i, r := range rs {
		m.Entries += len(hist[i])
		if m.Verified[i] = VerifyRelease(r, hist[i]); m.Verified[i] != nil {
			m.Bad++
		}
	}
	return m
}

func (m *reportModel) summarize() {
	m.Outcome = make([]outcome, len(m.rs))
	total := map[outcome]int{}
	var envs []string
	byEnv := map[string][]int{}
	for i, r := range m.rs {
		m.Outcome[i] = outcomeOf(r)
		total[m.Outcome[i]]++
		if _, ok := byEnv[r.Environment]; !ok {
			envs = append(envs, r.Environment)
		}
		byEnv[r.Environment] = append(byEnv[r.Environment], i)
	}
	for k, o := range outcomes {
		if k < alwaysShown || total[o] > 0 {
			m.Columns = append(m.Columns, o)
		}
	}
	m.All = envSummary{Env: "all", Counts: make([]int, len(m.Columns)), Total: len(m.rs)}
	for _, env := range envs {
		s := envSummary{Env: env, Counts: make([]int, len(m.Columns)), Total: len(byEnv[env])}
		for k, o := range m.Columns {
			var names []string
			for _, i := range byEnv[env] {
				if m.Outcome[i] != o {
					continue
				}
				s.Counts[k]++
				name := m.rs[i].Name + " " + m.rs[i].Version
				if o == outcomeBooked && m.rs[i].Slot != nil {
					name += " (" + m.rs[i].Slot.Start.UTC().Format("2006-01-02") + ")"
				}
				names = append(names, name)
			}
			m.All.Counts[k] += s.Counts[k]
			if len(names) > 0 {
				s.Lines = append(s.Lines, string(o)+" "+strings.Join(names, ", "))
			}
		}
		m.Summary = append(m.Summary, s)
	}
}

// decisions collects, from the histories, what stopped or turned back a release.
func (m *reportModel) decisions() {
	for i, r := range m.rs {
		for _, h := range m.hist[i] {
			row := decisionRow{Ref: ref(i), Release: label(r), Who: h.Actor.ID, At: h.Time, Why: h.Reason}
			switch h.Event {
			case EventDecision:
				row.What, row.Why = decisionText(h)
			case EventRecord:
				if h.Evidence == nil || h.Evidence.Kind != EvidenceRejection {
					continue
				}
				row.What, row.Who, row.Why = "rejected", h.Evidence.By.ID, h.Evidence.Reason
				if h.Evidence.Role != "" {
					row.What += " (as " + h.Evidence.Role + ")"
				}
			case EventFail:
				row.What = "failed"
			case EventUnschedule:
				row.What = "unscheduled"
				if h.Sequence == lastOf(m.hist[i], EventUnschedule) && m.Outcome[i] == outcomeHeld {
					row.What = "held: unscheduled"
				}
			case EventCancel:
				row.What = "cancelled"
			case EventRevoke:
				row.What = "approval revoked"
			case EventStart:
				ov := overrideOf(h)
				if ov == "" {
					continue
				}
				row.What, row.Why = "started despite the calendar", ov
			default:
				continue
			}
			if strings.TrimSpace(row.Why) == "" {
				row.Why = "no reason given"
			}
			m.Decisions = append(m.Decisions, row)
		}
	}
}

// lastOf is the sequence of the last entry of h with event ev, 0 when none.
func lastOf(h []AuditEntry, ev Event) int64 {
	for k := len(h) - 1; k >= 0; k-- {
		if h[k].Event == ev {
			return h[k].Sequence
		}
	}
	return 0
}

// decisionText is what a decision entry says in the decisions table: what was
// refused, by which guards, and why. A No-Go of approve gives its blocking gates
// first.
func decisionText(h AuditEntry) (what, why string) {
	event, refusals, _ := h.Refused()
	var by, reasons []string
	noGo := false
	for _, r := range refusals {
		if r.Guard == (&gateStage{}).name() && event == EventApprove {
			if _, ok := h.Annotations[r.Guard]; ok {
				noGo = true
				reasons = append([]string{noGoReasons(h)}, reasons...)
				continue
			}
		}
		by = append(by, r.Guard)
		reason := r.Reason
		if len(refusals) > 1 {
			reason = r.Guard + ": " + reason
		}
		reasons = append(reasons, reason)
	}
	switch {
	case noGo:
		what = "No-Go: " + string(event) + " refused"
		if len(by) > 0 {
			what += ", and by " + strings.Join(by, ", ")
		}
	default:
		what = string(event) + " refused by " + strings.Join(by, ", ")
	}
	return what, strings.Join(reasons, "; ")
}

// noGoReasons is why a recorded No-Go decision refused: its blocking gates.
func noGoReasons(h AuditEntry) string {
	var d gate.Decision
	raw, ok := h.Annotations["gates"]
	if !ok || json.Unmarshal(raw, &d) != nil {
		return "the recorded decision cannot be read"
	}
	var why []string
	for _, r := range d.Results {
		if r.Blocks(d.Options.WarningsBlock) {
			why = append(why, "gate "+r.Gate+" "+string(r.Status)+": "+r.Reason)
		}
	}
	if len(why) == 0 {
		if d.Err != nil {
			return oneLine(d.Err.Error())
		}
		return "no gate blocked, yet the decision was No-Go"
	}
	return strings.Join(why, "; ")
}

// overrideOf is the override recorded by a start that passed the calendar with
// Override(reason): "reason (by rui): overridden problems"; "" when none.
func overrideOf(h AuditEntry) string {
	raw, ok := h.Annotations["calendar"]
	if !ok {
		return ""
	}
	var ov struct {
		Override   string   `json:"override"`
		By         string   `json:"by"`
		Overridden []string `json:"overridden"`
	}
	if json.Unmarshal(raw, &ov) != nil || ov.Override == "" {
		return ""
	}
	return ov.Override + ": overrode " + strings.Join(ov.Overridden, "; ")
}

// gates groups the recorded gate decisions by their table: identical tables
// (the same gates, requirements, statuses and reasons, in any order) are one group.
func (m *reportModel) gates() {
	at := map[string]int{}
	for i, r := range m.rs {
		for _, h := range m.hist[i] {
			raw, ok := h.Annotations["gates"]
			if h.Event != EventApprove && h.Event != EventDecision || !ok {
				continue
			}
			var d gate.Decision
			if err := json.Unmarshal(raw, &d); err != nil {
				m.GateErrs = append(m.GateErrs, fmt.Sprintf("%s %s: the recorded decision cannot be read: %s", ref(i), label(r), oneLine(err.Error())))
				continue
			}
			g := gateGroup{Verdict: "Go", Plain: d.Go}
			if !d.Go {
				g.Verdict = "No-Go"
			}
			for _, res := range d.Results {
				req := "advisory"
				if res.Required {
					req = "required"
				}
				status := string(res.Status)
				if res.Waived != nil {
					status += fmt.Sprintf(" (waived by %s until %s UTC: %s)", res.Waived.Actor, utc(res.Waived.Expires), res.Waived.Reason)
				}
				g.Plain = g.Plain && res.Status == gate.StatusPass && res.Waived == nil
				g.Rows = append(g.Rows, gateRow{Gate: res.Gate, Required: req, Status: status, Reason: res.Reason})
			}
			slices.SortStableFunc(g.Rows, func(a, b gateRow) int { return strings.Compare(a.Gate, b.Gate) })
			key, _ := json.Marshal(g)
			refText := ref(i)
			if k, ok := at[string(key)]; ok {
				m.Gates[k].Refs = append(m.Gates[k].Refs, refText)
				continue
			}
			at[string(key)] = len(m.Gates)
			g.ID = fmt.Sprintf("G%d", len(m.Gates)+1)
			g.Refs = []string{refText}
			m.Gates = append(m.Gates, g)
		}
	}
}

// risks groups the assessments: one release version assessed alike in several
// environments is one group.
func (m *reportModel) risks() {
	at := map[string]int{}
	for i, r := range m.rs {
		if r.Risk == nil {
			continue
		}
		key, _ := json.Marshal([]any{r.Name, r.Version, r.Risk})
		if k, ok := at[string(key)]; ok {
			m.Risks[k].Refs = append(m.Risks[k].Refs, ref(i))
			continue
		}
		at[string(key)] = len(m.Risks)
		m.Risks = append(m.Risks, riskGroup{Release: r.Name + " " + r.Version, Level: r.Risk.Level, Score: r.Risk.Score,
			Reasons: r.Risk.Reasons, Refs: []string{ref(i)}})
	}
}

// gateVerdicts sorts the decisions for the main body: refs of plain Go decisions,
// of the other Go decisions (waivers, failing advisory gates), and of No-Go ones.
func (m *reportModel) gateVerdicts() (plain, other, noGo []string) {
	for _, g := range m.Gates {
		for _, r := range g.Refs {
			switch {
			case g.Verdict == "No-Go":
				noGo = append(noGo, r)
			case g.Plain:
				plain = append(plain, r)
			default:
				other = append(other, r+" ("+g.ID+")")
			}
		}
	}
	byRef := func(a, b string) int { return refNumber(a) - refNumber(b) }
	slices.SortStableFunc(plain, byRef)
	slices.SortStableFunc(other, byRef)
	slices.SortStableFunc(noGo, byRef)
	return plain, other, noGo
}

// refNumber is the number of "r12…": 12.
func refNumber(s string) int {
	n := 0
	for _, c := range strings.TrimPrefix(s, "r") {
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// rollbackView is what a report says of one release's rollback.
type rollbackView struct {
	Ref, Release string
	Plan, Run    string
	Failed       []string
}

func (m *reportModel) rollbacks() []rollbackView {
	var out []rollbackView
	for i, r := range m.rs {
		if r.Rollback == nil {
			continue
		}
		v := rollbackView{Ref: ref(i), Release: label(r), Run: "not run yet"}
		var rb rollback.Runbook
		if err := json.Unmarshal(r.Rollback.Plan, &rb); err != nil {
			v.Plan = "cannot be read: " + oneLine(err.Error())
		} else {
			v.Plan = fmt.Sprintf("%d waves, %d steps, estimated %s (%s)", len(rb.Waves), len(rb.Steps()),
				humanDuration(r.Rollback.Duration), oneLine(strings.Join(rb.Components(), ", ")))
		}
		if len(r.Rollback.Report) > 0 {
			var rep rollback.Report
			if err := json.Unmarshal(r.Rollback.Report, &rep); err != nil {
				v.Run = "the report cannot be read: " + oneLine(err.Error())
			} else {
				state := "incomplete"
				if rep.Complete() {
					state = "complete"
				}
				if rep.Cancelled {
					state = "cancelled"
				}
				v.Run = fmt.Sprintf("%s: %d done, %d failed, %d not started", state, len(rep.Done()), len(rep.Failed()), len(rep.NotStarted()))
				for _, f := range rep.Failed() {
					v.Failed = append(v.Failed, oneLine(f.ID)+" failed: "+oneLine(f.Error))
				}
			}
		}
		out = append(out, v)
	}
	return out
}

// reviewView is one post-implementation review.
type reviewView struct {
	Ref, Release, Outcome string
	Lessons, FollowUps    []string
}

func (m *reportModel) reviews() []reviewView {
	var out []reviewView
	for i, r := range m.rs {
		if r.Review == nil {
			continue
		}
		out = append(out, reviewView{Ref: ref(i), Release: label(r), Outcome: oneLine(r.Review.Outcome),
			Lessons: r.Review.Lessons, FollowUps: r.Review.FollowUps})
	}
	return out
}

// doraRow is one line of the DORA table.
type doraRow struct{ Metric, Value, Band string }

func (m *reportModel) doraRows() []doraRow {
	o := m.DORA.Overall
	return []doraRow{
		{"Deployment frequency", freqText(o.DeploymentFrequency), string(o.DeploymentFrequency.Band)},
		{"Lead time for changes (" + m.Lead.label() + ")", medianText(o.LeadTime), m.Lead.band(o.LeadTime.Band)},
		{"Change failure rate", rateText(o.ChangeFailureRate), string(o.ChangeFailureRate.Band)},
		{"Time to restore service", medianText(o.TimeToRestore), string(o.TimeToRestore.Band)},
	}
}

// serviceRow is one service's DORA line.
type serviceRow struct {
	Service                                string
	Deployments                            int
	Frequency, LeadTime, Failures, Restore string
}

func (m *reportModel) serviceRows() []serviceRow {
	names := make([]string, 0, len(m.DORA.Services))
	for k := range m.DORA.Services {
		names = append(names, k)
	}
	slices.Sort(names)
	var out []serviceRow
	for _, k := range names {
		s := m.DORA.Services[k]
		lead := fmt.Sprintf("%s (%s)", medianShort(s.LeadTime), s.LeadTime.Band)
		if m.Lead.FromCommit != m.Lead.Total && s.LeadTime.Band != dora.BandNoData {
			lead = fmt.Sprintf("%s (%s at best)", medianShort(s.LeadTime), s.LeadTime.Band)
		}
		out = append(out, serviceRow{Service: k, Deployments: s.Deployments,
			Frequency: fmt.Sprintf("%s (%s)", freqText(s.DeploymentFrequency), s.DeploymentFrequency.Band),
			LeadTime:  lead,
			Failures:  fmt.Sprintf("%s (%s)", rateText(s.ChangeFailureRate), s.ChangeFailureRate.Band),
			Restore:   fmt.Sprintf("%s (%s)", medianShort(s.TimeToRestore), s.TimeToRestore.Band)})
	}
	return out
}

// stoppedEarly lists the production releases of the period that started deploying
// and were failed or rolled back before they reached deployed: DORA does not count
// them, and a reader of a change failure rate should know.
func (m *reportModel) stoppedEarly() []string {
	var out []string
	for i, r := range m.rs {
		_, started := r.Reached[StateDeploying]
		_, deployed := r.Reached[StateDeployed]
		if r.Environment != m.Production || !started || deployed {
			continue
		}
		if o := m.Outcome[i]; o == outcomeFailed || o == outcomeRolledBack || o == outcomeRollingBack {
			out = append(out, ref(i)+" "+label(r))
		}
	}
	return out
}
