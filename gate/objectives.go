package gate

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Default score thresholds of an [ObjectiveGate], as in Keptn quality gates.
const (
	DefaultPassPercent    = 90
	DefaultWarningPercent = 75
)

// Objective is one service-level objective scored by an [ObjectiveGate].
type Objective struct {
	// Name labels the objective in evidence and reasons; "" means Metric.
	Name string `json:"name,omitempty"`
	// Metric is the key in [Input.Metrics] (and [Input.Baselines] for
	// relative criteria).
	Metric string `json:"metric"`
	// Pass criteria must all hold for the objective to pass (full weight).
	// An objective without pass criteria is informational: it is reported in
	// the evidence but not scored.
	Pass []string `json:"pass,omitempty"`
	// Warning criteria must all hold, when Pass does not, for the objective
	// to warn (half its weight). Empty means the objective cannot warn.
	Warning []string `json:"warning,omitempty"`
	// Weight is the objective's share of the score; 0 means 1.
	Weight float64 `json:"weight,omitempty"`
	// Key makes a failing objective fail the whole gate, whatever the score.
	// A key objective that only warns does not fail the gate.
	Key bool `json:"key,omitempty"`
}

func (o Objective) label() string {
	if o.Name != "" {
		return o.Name
	}
	return o.Metric
}

// ObjectiveGate scores service-level objectives in the style of Keptn quality
// gates. Build it with [Objectives].
//
// Each scored objective passes (all Pass criteria hold), warns (all Warning
// criteria hold) or fails (neither, or its metric is missing or NaN, or a
// relative criterion has no baseline). The score is
//
//	100 × (Σ weight of passed + ½ Σ weight of warned) / Σ weight of scored
//
// and the gate passes when the score is at least PassPercent, warns when it is
// at least WarningPercent, and fails otherwise; a failed Key objective fails
// the gate regardless. An invalid criterion, weight or percentage makes the
// gate report [StatusError].
type ObjectiveGate struct {
	// GateName overrides the gate's name; "" means "objectives".
	GateName string `json:"name,omitempty"`
	// Objectives are scored together; at least one must have pass criteria.
	Objectives []Objective `json:"objectives"`
	// PassPercent is the score needed to pass; 0 means [DefaultPassPercent].
	PassPercent float64 `json:"pass_percent,omitempty"`
	// WarningPercent is the score needed to warn; 0 means
	// [DefaultWarningPercent]. It must not exceed PassPercent.
	WarningPercent float64 `json:"warning_percent,omitempty"`
}

var _ Gate = ObjectiveGate{}

// Objectives returns an [ObjectiveGate] with the default thresholds.
func Objectives(objectives ...Objective) ObjectiveGate {
	return ObjectiveGate{Objectives: slices.Clone(objectives)}
}

// WithThresholds returns a copy of g with the given pass and warning
// percentages.
func (g ObjectiveGate) WithThresholds(passPercent, warningPercent float64) ObjectiveGate {
	g.PassPercent, g.WarningPercent = passPercent, warningPercent
	return g
}

// Name implements [Gate].
func (g ObjectiveGate) Name() string {
	if g.GateName != "" {
		return g.GateName
	}
	return "objectives"
}

type parsedObjective struct {
	Objective
	pass, warn []Criterion
	weight     float64
}

func (g ObjectiveGate) thresholds() (pass, warn float64) {
	pass, warn = g.PassPercent, g.WarningPercent
	if pass == 0 {
		pass = DefaultPassPercent
	}
	if warn == 0 {
		warn = DefaultWarningPercent
	}
	return pass, warn
}

func (g ObjectiveGate) parse() ([]parsedObjective, []string) {
	var problems []string
	pp, wp := g.thresholds()
	if !(pp > 0 && pp <= 100) {
		problems = append(problems, fmt.Sprintf("PassPercent %v is outside (0, 100]", g.PassPercent))
	}
	if !(wp > 0 && wp <= 100) {
		problems = append(problems, fmt.Sprintf("WarningPercent %v is outside (0, 100]", g.WarningPercent))
	}
	if wp > pp {
		problems = append(problems, fmt.Sprintf("WarningPercent %v exceeds PassPercent %v", wp, pp))
	}
	var out []parsedObjective
	scored := 0
	for i, o := range g.Objectives {
		po := parsedObjective{Objective: o, weight: o.Weight}
		where := fmt.Sprintf("objective %d (%q)", i, o.label())
		if o.Metric == "" {
			problems = append(problems, where+" has no metric")
		}
		if math.IsNaN(o.Weight) || math.IsInf(o.Weight, 0) || o.Weight < 0 {
			problems = append(problems, fmt.Sprintf("%s has weight %v: use a positive weight or 0 for 1", where, o.Weight))
		}
		if po.weight == 0 {
			po.weight = 1
		}
		for _, s := range o.Pass {
			c, err := ParseCriterion(s)
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s pass criterion: %v", where, err))
			}
			po.pass = append(po.pass, c)
		}
		for _, s := range o.Warning {
			c, err := ParseCriterion(s)
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s warning criterion: %v", where, err))
			}
			po.warn = append(po.warn, c)
		}
		if len(o.Pass) > 0 {
			scored++
		}
		out = append(out, po)
	}
	if scored == 0 {
		problems = append(problems, "no objective has pass criteria, so there is nothing to score")
	}
	return out, problems
}

// Evaluate implements [Gate].
func (g ObjectiveGate) Evaluate(_ context.Context, in Input) Result {
	objs, problems := g.parse()
	if len(problems) > 0 {
		return Result{Status: StatusError, Reason: "misconfigured objectives gate: " + strings.Join(problems, "; ")}
	}
	pp, wp := g.thresholds()
	ev := map[string]string{}
	var total, earned float64
	var keyFailed, failedNames, warnedNames []string
	for _, o := range objs {
		status, detail := scoreObjective(o, in)
		ev["objective."+o.label()] = string(status) + ": " + detail
		if len(o.pass) == 0 {
			continue
		}
		total += o.weight
		switch status {
		case StatusPass:
			earned += o.weight
		case StatusWarn:
			earned += o.weight / 2
			warnedNames = append(warnedNames, o.label()+" ("+detail+")")
		default:
			failedNames = append(failedNames, o.label()+" ("+detail+")")
			if o.Key {
				keyFailed = append(keyFailed, o.label())
			}
		}
	}
	score := 100 * earned / total
	ev["score"] = strconv.FormatFloat(score, 'f', 2, 64)
	ev["pass_percent"] = strconv.FormatFloat(pp, 'f', -1, 64)
	ev["warning_percent"] = strconv.FormatFloat(wp, 'f', -1, 64)
	summary := fmt.Sprintf("score %.2f%% (pass at %v%%, warn at %v%%)", score, pp, wp)
	detail := ""
	if len(failedNames) > 0 {
		detail += "; failed: " + strings.Join(failedNames, ", ")
	}
	if len(warnedNames) > 0 {
		detail += "; warned: " + strings.Join(warnedNames, ", ")
	}
	switch {
	case len(keyFailed) > 0:
		return Result{Status: StatusFail, Reason: fmt.Sprintf("key objective %s failed, %s%s", strings.Join(keyFailed, ", "), summary, detail), Evidence: ev}
	case score >= pp:
		return Result{Status: StatusPass, Reason: summary + detail, Evidence: ev}
	case score >= wp:
		return Result{Status: StatusWarn, Reason: summary + detail, Evidence: ev}
	}
	return Result{Status: StatusFail, Reason: summary + detail + ": bring the failing objectives within their criteria", Evidence: ev}
}

func scoreObjective(o parsedObjective, in Input) (Status, string) {
	v, ok := in.Metrics[o.Metric]
	if !ok {
		return StatusFail, fmt.Sprintf("metric %q is missing from the input", o.Metric)
	}
	if math.IsNaN(v) {
		return StatusFail, fmt.Sprintf("metric %q is NaN", o.Metric)
	}
	base, hasBase := in.Baselines[o.Metric]
	needsBase := false
	for _, c := range append(slices.Clone(o.pass), o.warn...) {
		needsBase = needsBase || c.Relative
	}
	if needsBase && !hasBase {
		return StatusFail, fmt.Sprintf("metric %q has a relative criterion but no baseline", o.Metric)
	}
	val := strconv.FormatFloat(v, 'g', -1, 64)
	if hasBase && needsBase {
		val += " vs baseline " + strconv.FormatFloat(base, 'g', -1, 64)
	}
	if allHold(o.pass, v, base) {
		return StatusPass, val + " meets " + join(o.pass)
	}
	if len(o.warn) > 0 && allHold(o.warn, v, base) {
		return StatusWarn, val + " misses " + join(o.pass) + " but meets " + join(o.warn)
	}
	return StatusFail, val + " misses " + join(o.pass)
}

func allHold(cs []Criterion, v, base float64) bool {
	for _, c := range cs {
		if !c.Holds(v, base) {
			return false
		}
	}
	return true
}

func join(cs []Criterion) string {
	if len(cs) == 0 {
		return "(no criteria)"
	}
	s := make([]string, len(cs))
	for i, c := range cs {
		s[i] = c.String()
	}
	return strings.Join(s, " and ")
}

// RiskGate passes when [Input.RiskLevel] is at most Max, in the order low <
// medium < high < critical (the levels of the risk package). A missing level
// fails (assess the release first); an unknown level, in the input or in Max,
// is an error. Build it with [RiskAtMost].
type RiskGate struct {
	// GateName overrides the gate's name; "" means "risk".
	GateName string `json:"name,omitempty"`
	// Max is the highest acceptable level.
	Max string `json:"max"`
}

var _ Gate = RiskGate{}

// RiskAtMost returns a [RiskGate] that passes up to and including level.
func RiskAtMost(level string) RiskGate { return RiskGate{Max: level} }

// RiskLevels lists the risk levels a [RiskGate] understands, lowest first.
func RiskLevels() []string { return []string{"low", "medium", "high", "critical"} }

func riskRank(level string) int {
	return slices.Index(RiskLevels(), strings.ToLower(strings.TrimSpace(level)))
}

// Name implements [Gate].
func (g RiskGate) Name() string {
	if g.GateName != "" {
		return g.GateName
	}
	return "risk"
}

// Evaluate implements [Gate].
func (g RiskGate) Evaluate(_ context.Context, in Input) Result {
	maxRank := riskRank(g.Max)
	if maxRank < 0 {
		return Result{Status: StatusError, Reason: fmt.Sprintf("misconfigured risk gate: unknown level %q: use one of %s", g.Max, strings.Join(RiskLevels(), ", "))}
	}
	ev := map[string]string{"max": g.Max, "level": in.RiskLevel}
	if strings.TrimSpace(in.RiskLevel) == "" {
		return Result{Status: StatusFail, Reason: "the release has no risk level: assess its risk first", Evidence: ev}
	}
	r := riskRank(in.RiskLevel)
	if r < 0 {
		return Result{Status: StatusError, Reason: fmt.Sprintf("the release's risk level %q is unknown: use one of %s", in.RiskLevel, strings.Join(RiskLevels(), ", ")), Evidence: ev}
	}
	if r > maxRank {
		return Result{Status: StatusFail, Reason: fmt.Sprintf("risk level %s exceeds the maximum %s: lower the risk (see the assessment's mitigations) or release under a policy that accepts it", in.RiskLevel, g.Max), Evidence: ev}
	}
	return Result{Status: StatusPass, Reason: fmt.Sprintf("risk level %s is at most %s", in.RiskLevel, g.Max), Evidence: ev}
}
