package gate

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// CheckGate requires named CI checks to have succeeded. Build it with
// [Checks].
//
// A check that is missing from [Input.Checks], or whose status is failure,
// error, skipped or unknown, fails the gate. A pending check fails the gate
// too unless PendingWarns is set, in which case it makes the gate warn
// (which blocks only when [Options.WarningsBlock] is set).
type CheckGate struct {
	// GateName overrides the gate's name; "" means "checks".
	GateName string `json:"name,omitempty"`
	// Names are the checks that must have succeeded; at least one.
	Names []string `json:"names"`
	// PendingWarns turns pending checks into a warning instead of a failure.
	PendingWarns bool `json:"pending_warns,omitempty"`
}

var _ Gate = CheckGate{}

// Checks returns a [CheckGate] requiring every named check to have succeeded.
func Checks(names ...string) CheckGate {
	return CheckGate{Names: slices.Clone(names)}
}

// WithPendingWarns returns a copy of g that warns, rather than fails, on
// pending checks.
func (g CheckGate) WithPendingWarns() CheckGate {
	g.PendingWarns = true
	return g
}

// Name implements [Gate].
func (g CheckGate) Name() string {
	if g.GateName != "" {
		return g.GateName
	}
	return "checks"
}

// Evaluate implements [Gate].
func (g CheckGate) Evaluate(_ context.Context, in Input) Result {
	if len(g.Names) == 0 {
		return Result{Status: StatusError, Reason: "misconfigured checks gate: no check names: list the checks that must succeed"}
	}
	ev := map[string]string{}
	var failed, pending []string
	for _, n := range g.Names {
		c, ok := in.Checks[n]
		if !ok {
			ev["check."+n] = "missing"
			failed = append(failed, fmt.Sprintf("%q is missing (it never reported)", n))
			continue
		}
		ev["check."+n] = string(c.Status)
		if c.URL != "" {
			ev["check."+n] += " " + c.URL
		}
		switch c.Status {
		case CheckSuccess:
		case CheckPending:
			pending = append(pending, fmt.Sprintf("%q is pending", n))
		default:
			s := fmt.Sprintf("%q is %s", n, c.Status)
			if c.Status == "" {
				s = fmt.Sprintf("%q has no status", n)
			}
			if c.URL != "" {
				s += " (" + c.URL + ")"
			}
			failed = append(failed, s)
		}
	}
	switch {
	case len(failed) == 0 && len(pending) == 0:
		return Result{Status: StatusPass, Reason: fmt.Sprintf("all %d required checks succeeded", len(g.Names)), Evidence: ev}
	case len(failed) == 0 && g.PendingWarns:
		return Result{Status: StatusWarn, Reason: "checks still running: " + strings.Join(pending, ", ") + ": wait for them to finish", Evidence: ev}
	}
	all := append(failed, pending...)
	return Result{Status: StatusFail, Reason: "checks not successful: " + strings.Join(all, ", ") + ": fix or re-run them", Evidence: ev}
}
