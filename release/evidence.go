package release

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/releasekit/releasekit/gate"
)

// EvidenceKind says what a piece of [Evidence] is.
type EvidenceKind string

// The kinds of evidence [Engine.Record] keeps.
const (
	// EvidenceApproval is a person's approval of the release's current scope.
	EvidenceApproval EvidenceKind = "approval"
	// EvidenceRejection is a person's objection: it withdraws their approval of the
	// current scope, if any, and blocks a Go decision until they approve again.
	EvidenceRejection EvidenceKind = "rejection"
	// EvidenceWithdrawal takes back the person's own approval (or rejection) of the
	// current scope.
	EvidenceWithdrawal EvidenceKind = "withdrawal"
	// EvidenceCheck is the result of a CI check (a build, a test suite, a scan).
	EvidenceCheck EvidenceKind = "check"
	// EvidenceMetric is an observation of a metric (an error rate, a latency).
	EvidenceMetric EvidenceKind = "metric"
	// EvidenceWaiver accepts the failure of one gate until it expires.
	EvidenceWaiver EvidenceKind = "waiver"
)

// EvidenceKinds lists every [EvidenceKind].
func EvidenceKinds() []EvidenceKind {
	return []EvidenceKind{EvidenceApproval, EvidenceRejection, EvidenceWithdrawal, EvidenceCheck, EvidenceMetric, EvidenceWaiver}
}

// Valid reports whether k is one of [EvidenceKinds].
func (k EvidenceKind) Valid() bool { return slices.Contains(EvidenceKinds(), k) }

// Evidence is one fact behind a Go/No-Go decision, kept in the release's history by
// [Engine.Record]: one struct whose Kind says which fields apply (a flat value, so
// that it is stored, hashed and read back as one JSON object by every store).
//
//   - approval, rejection, withdrawal: By (a person), Role, Reason (a comment; required
//     for a rejection). The engine pins each to the release's scope ([Release.Scope]).
//   - check: By, Name, Status, and optionally URL, ExternalID, Source, Commit.
//   - metric: By, Name, Value, and optionally Baseline, Window, Source.
//   - waiver: By (a person), Gate, Reason, Expires.
//
// Fields that do not apply to the kind must be left zero; [Evidence.Validate] names
// every problem.
type Evidence struct {
	Kind EvidenceKind `json:"kind"`
	// By is who gives the evidence: the approver, the person waiving, the CI system
	// reporting a check. It is the actor of the history entry.
	By Actor `json:"by"`
	// Role is the role (or group) a person approves or rejects in; it must be one of
	// By.Roles. Empty: the approval counts for every role By holds.
	Role string `json:"role,omitempty"`
	// Reason is the approver's comment, why a person rejects, or why a waiver
	// accepts a gate's failure.
	Reason string `json:"reason,omitempty"`

	// Name is the check's or the metric's name.
	Name string `json:"name,omitempty"`
	// Status is a check's state.
	Status gate.CheckStatus `json:"status,omitempty"`
	// URL points to the check's run, for people to follow.
	URL string `json:"url,omitempty"`
	// ExternalID is the check's or observation's identifier in its source system
	// (a check-run ID, a pipeline ID).
	ExternalID string `json:"external_id,omitempty"`
	// Source names the system it came from: "github", "gitlab", "jenkins",
	// "prometheus"….
	Source string `json:"source,omitempty"`
	// Commit is the commit the check ran on.
	Commit string `json:"commit,omitempty"`
	// Value is a metric's observed value.
	Value float64 `json:"value,omitempty"`
	// Baseline is the metric's baseline, for relative objectives ("<=+10%").
	Baseline *float64 `json:"baseline,omitempty"`
	// Window is the period the metric was observed over.
	Window time.Duration `json:"window,omitempty"`

	// Gate is the name of the gate a waiver lifts.
	Gate string `json:"gate,omitempty"`
	// Expires is when a waiver stops being valid.
	Expires time.Time `json:"expires,omitzero"`

	// Scope is set by the engine on approvals, rejections and withdrawals: the
	// release's scope version ([Release.Scope]) they are given for.
	Scope int64 `json:"scope,omitempty"`
	// At is set by the engine: when the evidence was recorded (its entry's time).
	At time.Time `json:"at"`
}

// Validate reports every problem of ev as a *ValidationError naming the fields, or
// nil. It checks what ev says on its own; [Engine.Record] checks it against the
// release (separation of duties, the approval being withdrawn).
func (ev Evidence) Validate() error {
	var p []string
	add := func(format string, args ...any) { p = append(p, fmt.Sprintf(format, args...)) }
	if !ev.Kind.Valid() {
		add("kind: %q is not one of %v", ev.Kind, EvidenceKinds())
	}
	for _, problem := range ev.By.validate() {
		add("by: %s", problem)
	}
	none := func(fields ...string) {
		set := map[string]bool{
			"role": ev.Role != "", "name": ev.Name != "", "status": ev.Status != "", "url": ev.URL != "",
			"external_id": ev.ExternalID != "", "source": ev.Source != "", "commit": ev.Commit != "",
			"value": ev.Value != 0, "baseline": ev.Baseline != nil, "window": ev.Window != 0,
			"gate": ev.Gate != "", "expires": !ev.Expires.IsZero(),
		}
		for _, f := range fields {
			if set[f] {
				add("%s: does not apply to a %s", f, ev.Kind)
			}
		}
	}
	switch ev.Kind {
	case EvidenceApproval, EvidenceRejection, EvidenceWithdrawal:
		if ev.Role != "" && !ev.By.HasRole(ev.Role) {
			add("role: %s does not hold the role %q (roles: %s)", ev.By.ID, ev.Role, strings.Join(ev.By.Roles, ", "))
		}
		if ev.Kind == EvidenceRejection && strings.TrimSpace(ev.Reason) == "" {
			add("reason: a rejection needs a reason")
		}
		none("name", "status", "url", "external_id", "source", "commit", "value", "baseline", "window", "gate", "expires")
	case EvidenceCheck:
		if strings.TrimSpace(ev.Name) == "" {
			add("name: a check needs a name")
		}
		if !slices.Contains(gate.CheckStatuses(), ev.Status) {
			add("status: %q is not one of %v", ev.Status, gate.CheckStatuses())
		}
		none("role", "value", "baseline", "window", "gate", "expires")
	case EvidenceMetric:
		if strings.TrimSpace(ev.Name) == "" {
			add("name: a metric needs a name")
		}
		if math.IsNaN(ev.Value) || math.IsInf(ev.Value, 0) {
			add("value: %v is not a finite number", ev.Value)
		}
		if ev.Baseline != nil && (math.IsNaN(*ev.Baseline) || math.IsInf(*ev.Baseline, 0)) {
			add("baseline: %v is not a finite number", *ev.Baseline)
		}
		if ev.Window < 0 {
			add("window: %v is negative", ev.Window)
		}
		none("role", "status", "url", "commit", "gate", "expires")
	case EvidenceWaiver:
		if strings.TrimSpace(ev.Gate) == "" {
			add("gate: a waiver names the gate it lifts")
		}
		if strings.TrimSpace(ev.Reason) == "" {
			add("reason: a waiver needs a reason")
		}
		if ev.Expires.IsZero() {
			add("expires: a waiver needs an expiry")
		}
		none("role", "name", "status", "url", "external_id", "source", "commit", "value", "baseline", "window")
	}
	if ev.Scope != 0 || !ev.At.IsZero() {
		add("scope, at: set by the engine; leave them zero")
	}
	return validation("evidence", p)
}

// Clone returns a deep copy of ev.
func (ev *Evidence) Clone() *Evidence {
	if ev == nil {
		return nil
	}
	c := *ev
	c.By.Roles = slices.Clone(ev.By.Roles)
	if ev.Baseline != nil {
		b := *ev.Baseline
		c.Baseline = &b
	}
	return &c
}

// normalized returns a copy of ev with UTC times.
func (ev *Evidence) normalized() *Evidence {
	if ev == nil {
		return nil
	}
	c := ev.Clone()
	c.At, c.Expires = c.At.UTC(), c.Expires.UTC()
	if c.By.Roles == nil {
		c.By.Roles = []string{}
	}
	return c
}

// Evidences returns the evidence recorded in a history, oldest first (the
// Evidence of every [EventRecord] entry). A recorded refusal (an [EventDecision]
// entry: a No-Go, a refused start) is not evidence: it is what the engine decided
// on the evidence, and [AuditEntry.Refused] reads it. So a refused approve never
// counts as its actor's approval, and a gate never reads a refusal as a fact.
func Evidences(h []AuditEntry) []Evidence {
	var out []Evidence
	for _, e := range h {
		if e.Event == EventRecord && e.Evidence != nil {
			out = append(out, *e.Evidence.Clone())
		}
	}
	return out
}

// standing is what the recorded evidence says at one scope version: each person's
// standing approval or rejection of that scope (the last one they recorded, unless
// withdrawn), the latest result of each check and observation of each metric, and
// every waiver.
type standing struct {
	approvals  []gate.Approval
	rejections []Evidence
	checks     map[string]gate.Check
	metrics    map[string]float64
	baselines  map[string]float64
	waivers    []gate.Waiver
}

// standingOf folds the evidence of history h (read, not copied) at scope version
// scope.
func standingOf(h []AuditEntry, scope int64) standing {
	var s standing
	type vote struct {
		ev    *Evidence
		order int
	}
	votes := map[string]vote{}
	for i := range h {
		ev := h[i].Evidence
		if h[i].Event != EventRecord || ev == nil {
			continue
		}
		switch ev.Kind {
		case EvidenceApproval, EvidenceRejection, EvidenceWithdrawal:
			if ev.Scope != scope {
				continue
			}
			key := personKey(ev.By.ID)
			if ev.Kind == EvidenceWithdrawal {
				delete(votes, key)
				continue
			}
			votes[key] = vote{ev, i}
		case EvidenceCheck:
			if s.checks == nil {
				s.checks = map[string]gate.Check{}
			}
			s.checks[ev.Name] = gate.Check{Status: ev.Status, URL: ev.URL}
		case EvidenceMetric:
			if s.metrics == nil {
				s.metrics = map[string]float64{}
			}
			s.metrics[ev.Name] = ev.Value
			if ev.Baseline != nil {
				if s.baselines == nil {
					s.baselines = map[string]float64{}
				}
				s.baselines[ev.Name] = *ev.Baseline
			}
		case EvidenceWaiver:
			s.waivers = append(s.waivers, gate.Waiver{Gate: ev.Gate, Actor: ev.By.ID, Roles: slices.Clone(ev.By.Roles), Reason: ev.Reason, Expires: ev.Expires})
		}
	}
	ordered := make([]vote, 0, len(votes))
	for _, v := range votes {
		ordered = append(ordered, v)
	}
	slices.SortFunc(ordered, func(a, b vote) int { return a.order - b.order })
	for _, v := range ordered {
		if v.ev.Kind == EvidenceRejection {
			s.rejections = append(s.rejections, *v.ev.Clone())
			continue
		}
		roles := slices.Clone(v.ev.By.Roles)
		if v.ev.Role != "" {
			roles = []string{v.ev.Role}
		}
		s.approvals = append(s.approvals, gate.Approval{Actor: v.ev.By.ID, Roles: roles, At: v.ev.At, Revision: scope})
	}
	return s
}

// personKey is how separation of duties tells people apart (see [SamePerson]).
func personKey(id string) string { return strings.ToLower(strings.Map(narrow, strings.TrimSpace(id))) }

// rejectionGate fails while a person's rejection of the scope stands. No waiver lifts
// it: a person's objection is answered by that person.
func rejectionGate(rejections []Evidence) gate.Gate {
	return gate.Unwaivable(gate.Func("rejections", func(_ context.Context, _ gate.Input) gate.Result {
		var who []string
		ev := map[string]string{}
		for _, r := range rejections {
			who = append(who, fmt.Sprintf("%s (%s)", r.By.ID, r.Reason))
			ev["rejected_by."+r.By.ID] = r.Reason
		}
		return gate.Result{Status: gate.StatusFail, Evidence: ev,
			Reason: "rejected by " + strings.Join(who, ", ") + ": the person who rejected must withdraw the rejection or approve"}
	}))
}
