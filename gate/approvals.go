package gate

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// Quorum asks for at least Min distinct approvers holding Role. An empty Role
// counts any eligible approver, which expresses "a minimum count from anyone".
type Quorum struct {
	// Role is the role an approver must hold; "" means any role.
	Role string `json:"role"`
	// Min is how many distinct people are needed; it must be at least 1.
	Min int `json:"min"`
}

// String renders "2 of release-manager" (or "2 of anyone").
func (q Quorum) String() string {
	role := q.Role
	if role == "" {
		role = "anyone"
	}
	return fmt.Sprintf("%d of %s", q.Min, role)
}

// ApprovalGate requires approvals by quorums of distinct people. Build it with
// [Approvals]; it is plain data, so it can also be written as a literal or
// decoded from JSON.
//
// An approval counts only when:
//   - its Actor is not [Input.Author] nor [Input.Requester] (separation of
//     duties: such approvals are ignored and the reason says so);
//   - it was given for [Input.Revision] (a later change to the release voids it);
//   - when MaxAge is set, it is not older than MaxAge at [Input.Now] and not
//     dated after Input.Now.
//
// Each person counts once: several approvals by one actor merge (their roles
// are pooled), and one person fills at most one place across all quorums, so
// "2 of release-manager and 1 of security" needs three different people. The
// assignment of people to quorums is a maximum matching, so the gate passes
// whenever some assignment satisfies every quorum.
//
// An approvals gate is unwaivable ([IsUnwaivable]): [Decide] rejects every
// waiver for it, so no one person can lift a quorum that asks for others.
type ApprovalGate struct {
	// GateName overrides the gate's name; "" means "approvals".
	GateName string `json:"name,omitempty"`
	// Quorums must all be met. At least one is required.
	Quorums []Quorum `json:"quorums"`
	// MaxAge is how long an approval stays valid; 0 means it never expires.
	MaxAge time.Duration `json:"max_age,omitempty"`
}

var _ Gate = ApprovalGate{}

// Approvals returns an [ApprovalGate] requiring every quorum, e.g.
//
//	gate.Approvals(gate.Quorum{Role: "release-manager", Min: 2}, gate.Quorum{Role: "security", Min: 1})
func Approvals(quorums ...Quorum) ApprovalGate {
	return ApprovalGate{Quorums: slices.Clone(quorums)}
}

// WithMaxAge returns a copy of g whose approvals expire after d.
func (g ApprovalGate) WithMaxAge(d time.Duration) ApprovalGate {
	g.MaxAge = d
	return g
}

// Unwaivable reports true: no waiver lifts a quorum of approvals.
func (ApprovalGate) Unwaivable() bool { return true }

// Name implements [Gate].
func (g ApprovalGate) Name() string {
	if g.GateName != "" {
		return g.GateName
	}
	return "approvals"
}

// Evaluate implements [Gate].
func (g ApprovalGate) Evaluate(_ context.Context, in Input) Result {
	if problems := g.configProblems(); len(problems) > 0 {
		return Result{Status: StatusError, Reason: "misconfigured approvals gate: " + strings.Join(problems, "; ")}
	}
	if g.MaxAge > 0 && in.Now.IsZero() {
		return Result{Status: StatusError, Reason: "Input.Now is not set, so approval ages cannot be checked: set it to the evaluation time"}
	}

	ev := map[string]string{}
	var ignored []string
	rolesOf := map[string]map[string]bool{}
	var people []string
	for _, a := range in.Approvals {
		why := g.ineligible(a, in)
		if why != "" {
			ignored = append(ignored, fmt.Sprintf("%s (%s)", displayActor(a.Actor), why))
			continue
		}
		who := personKey(a.Actor)
		if rolesOf[who] == nil {
			rolesOf[who] = map[string]bool{}
			people = append(people, who)
		}
		for _, r := range a.Roles {
			rolesOf[who][r] = true
		}
	}
	sort.Strings(people)

	assigned := matchQuorums(g.Quorums, people, rolesOf)
	var missing []string
	for qi, q := range g.Quorums {
		got := assigned[qi]
		key := "quorum." + q.String()
		ev[key] = fmt.Sprintf("%d/%d", len(got), q.Min)
		if len(got) > 0 {
			ev[key] += ": " + strings.Join(got, ", ")
		}
		if len(got) < q.Min {
			missing = append(missing, fmt.Sprintf("%s (have %d)", q, len(got)))
		}
	}
	if len(people) > 0 {
		ev["counted"] = strings.Join(people, ", ")
	}
	if len(ignored) > 0 {
		ev["ignored"] = strings.Join(ignored, "; ")
	}
	if len(missing) == 0 {
		reason := "every quorum is met by distinct eligible approvers"
		if len(ignored) > 0 {
			reason += "; ignored approvals: " + strings.Join(ignored, "; ")
		}
		return Result{Status: StatusPass, Reason: reason, Evidence: ev}
	}
	reason := "needs " + strings.Join(missing, " and ") + ": ask more eligible people to approve this revision"
	if len(ignored) > 0 {
		reason += "; ignored approvals: " + strings.Join(ignored, "; ")
	}
	return Result{Status: StatusFail, Reason: reason, Evidence: ev}
}

func displayActor(a string) string {
	if a == "" {
		return `""`
	}
	return a
}

func (g ApprovalGate) configProblems() []string {
	var p []string
	if len(g.Quorums) == 0 {
		p = append(p, "no quorum: add at least one Quorum")
	}
	for i, q := range g.Quorums {
		if q.Min < 1 {
			p = append(p, fmt.Sprintf("quorum %d (%q) has Min %d: use at least 1", i, q.Role, q.Min))
		}
	}
	if g.MaxAge < 0 {
		p = append(p, fmt.Sprintf("MaxAge is %v: use 0 for no expiry or a positive duration", g.MaxAge))
	}
	return p
}

func (g ApprovalGate) ineligible(a Approval, in Input) string {
	switch {
	case strings.TrimSpace(a.Actor) == "":
		return "no actor"
	case samePerson(a.Actor, in.Author):
		return "the author may not approve: separation of duties"
	case samePerson(a.Actor, in.Requester):
		return "the requester may not approve: separation of duties"
	case a.Revision != in.Revision:
		return fmt.Sprintf("approved revision %d, the release is at revision %d", a.Revision, in.Revision)
	}
	if g.MaxAge > 0 {
		age := in.Now.Sub(a.At)
		if age < 0 {
			return fmt.Sprintf("dated %v after the evaluation time", -age)
		}
		if age > g.MaxAge {
			return fmt.Sprintf("expired: given %v ago, approvals last %v", age.Round(time.Second), g.MaxAge)
		}
	}
	return ""
}

// matchQuorums assigns people to quorum places so that each person fills at
// most one place, maximising the places filled (Kuhn's augmenting paths). It
// returns, per quorum, the people assigned, sorted.
func matchQuorums(qs []Quorum, people []string, rolesOf map[string]map[string]bool) [][]string {
	type slot struct{ q int }
	var slots []slot
	for qi, q := range qs {
		for range q.Min {
			slots = append(slots, slot{qi})
		}
	}
	owner := make([]int, len(slots)) // slot -> person index, -1 free
	for i := range owner {
		owner[i] = -1
	}
	fits := func(p, s int) bool {
		role := qs[slots[s].q].Role
		return role == "" || rolesOf[people[p]][role]
	}
	var try func(p int, seen []bool) bool
	try = func(p int, seen []bool) bool {
		for s := range slots {
			if seen[s] || !fits(p, s) {
				continue
			}
			seen[s] = true
			if owner[s] < 0 || try(owner[s], seen) {
				owner[s] = p
				return true
			}
		}
		return false
	}
	for p := range people {
		try(p, make([]bool, len(slots)))
	}
	out := make([][]string, len(qs))
	for s, p := range owner {
		if p >= 0 {
			out[slots[s].q] = append(out[slots[s].q], people[p])
		}
	}
	for i := range out {
		sort.Strings(out[i])
	}
	return out
}

// personKey is how the gate tells people apart: IDs are compared regardless of case,
// surrounding white space and full-width forms, so "Ana", "ana " and "ａｎａ" are one
// person, never two approvers, and never someone other than the author "ana".
func personKey(id string) string {
	return strings.ToLower(strings.Map(narrow, strings.TrimSpace(id)))
}

// narrow maps the full-width forms of ASCII (U+FF01–U+FF5E), which some input
// methods type for Latin letters, onto ASCII.
func narrow(r rune) rune {
	if r >= 0xFF01 && r <= 0xFF5E {
		return r - 0xFF01 + '!'
	}
	return r
}

func samePerson(a, b string) bool { return b != "" && personKey(a) == personKey(b) }
