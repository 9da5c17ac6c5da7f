package gate_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/releasekit/releasekit/gate"
)

// A decision is Go exactly when every required gate passed (or warned while
// warnings are allowed) or was validly waived; the model below restates the
// waiver rules independently of the implementation.
func TestPropertyGoExactlyWhenEveryRequiredGateClears(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		const author = "alice"
		now := t0
		n := rapid.IntRange(0, 8).Draw(t, "gates")
		statuses := make([]gate.Status, n)
		advisory := make([]bool, n)
		var gates []gate.Gate
		for i := range n {
			statuses[i] = rapid.SampledFrom(gate.Statuses()).Draw(t, "status")
			advisory[i] = rapid.Bool().Draw(t, "advisory")
			st := statuses[i]
			g := gate.Func(fmt.Sprintf("g%d", i), func(context.Context, gate.Input) gate.Result {
				return gate.Result{Status: st, Reason: "because"}
			})
			if advisory[i] {
				g = gate.Advisory(g)
			}
			gates = append(gates, g)
		}
		opts := gate.Options{
			WarningsBlock:      rapid.Bool().Draw(t, "warningsBlock"),
			AllowedWaiverRoles: rapid.SliceOfDistinct(rapid.SampledFrom([]string{"rm", "cab"}), rapid.ID).Draw(t, "allowed"),
			Parallelism:        rapid.IntRange(0, 4).Draw(t, "parallelism"),
		}
		expiries := []time.Time{{}, now.Add(-time.Hour), now, now.Add(time.Hour)}
		for range rapid.IntRange(0, 6).Draw(t, "waivers") {
			opts.Waivers = append(opts.Waivers, gate.Waiver{
				Gate:    fmt.Sprintf("g%d", rapid.IntRange(0, n).Draw(t, "waivedGate")),
				Actor:   rapid.SampledFrom([]string{author, "carol", "dave", ""}).Draw(t, "actor"),
				Roles:   rapid.SliceOfDistinct(rapid.SampledFrom([]string{"rm", "cab", "dev"}), rapid.ID).Draw(t, "roles"),
				Reason:  rapid.SampledFrom([]string{"", "  ", "known flake"}).Draw(t, "reason"),
				Expires: rapid.SampledFrom(expiries).Draw(t, "expires"),
			})
		}
		in := gate.Input{Author: author, Now: now}

		validlyWaived := func(name string) bool {
			for _, w := range opts.Waivers {
				roleOK := false
				for _, r := range w.Roles {
					roleOK = roleOK || slices.Contains(opts.AllowedWaiverRoles, r)
				}
				if w.Gate == name && w.Actor != "" && w.Actor != author && roleOK &&
					strings.TrimSpace(w.Reason) != "" && w.Expires.After(now) {
					return true
				}
			}
			return false
		}
		wantGo := true
		for i := range n {
			cleared := statuses[i] == gate.StatusPass || (statuses[i] == gate.StatusWarn && !opts.WarningsBlock)
			if !advisory[i] && !cleared && !validlyWaived(fmt.Sprintf("g%d", i)) {
				wantGo = false
			}
		}

		d := gate.Evaluate(context.Background(), gates, in, opts)
		if d.Go != wantGo {
			t.Fatalf("Go = %t, want %t; err: %v", d.Go, wantGo, d.Err)
		}
		if d.Go != (d.Err == nil) {
			t.Fatalf("Go = %t but Err = %v", d.Go, d.Err)
		}
		for i, r := range d.Results {
			if r.Gate != fmt.Sprintf("g%d", i) || r.Status != statuses[i] || r.Required == advisory[i] {
				t.Fatalf("result %d = %+v, want gate g%d status %s required %t", i, r, i, statuses[i], !advisory[i])
			}
			if r.Waived != nil && (r.Waived.Actor == author || !validlyWaived(r.Gate)) {
				t.Fatalf("result %d waived by an invalid waiver %+v", i, r.Waived)
			}
		}
		if rp := gate.Replay(d); rp.Go != d.Go || rp.Fingerprint != d.Fingerprint {
			t.Fatalf("replay gives go=%t fingerprint %s, recorded go=%t %s", rp.Go, rp.Fingerprint, d.Go, d.Fingerprint)
		}
	})
}

// Separation of duties holds for every set of approvers: approvals by the
// author or the requester never change the outcome and are never counted, and
// the gate passes exactly when the quorums can be filled by distinct eligible
// people (checked by brute force).
func TestPropertySeparationOfDuties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		people := []string{"alice", "bob", "carol", "dave", "erin", "frank"}
		roles := []string{"rm", "sec", "cab"}
		in := gate.Input{
			Author:    rapid.SampledFrom(people).Draw(t, "author"),
			Requester: rapid.SampledFrom(people).Draw(t, "requester"),
			Revision:  5,
			Now:       t0,
		}
		var quorums []gate.Quorum
		for range rapid.IntRange(1, 3).Draw(t, "quorums") {
			quorums = append(quorums, gate.Quorum{Role: rapid.SampledFrom(append(roles, "")).Draw(t, "role"), Min: rapid.IntRange(1, 2).Draw(t, "min")})
		}
		g := gate.Approvals(quorums...).WithMaxAge(2 * time.Hour)
		for range rapid.IntRange(0, 10).Draw(t, "approvals") {
			in.Approvals = append(in.Approvals, gate.Approval{
				Actor:    rapid.SampledFrom(people).Draw(t, "actor"),
				Roles:    rapid.SliceOfDistinct(rapid.SampledFrom(roles), rapid.ID).Draw(t, "roles"),
				At:       t0.Add(-time.Duration(rapid.IntRange(0, 3).Draw(t, "ageHours")) * time.Hour),
				Revision: rapid.Int64Range(4, 5).Draw(t, "revision"),
			})
		}
		r := g.Evaluate(context.Background(), in)

		var without []gate.Approval
		eligible := map[string]map[string]bool{}
		for _, a := range in.Approvals {
			if a.Actor == in.Author || a.Actor == in.Requester {
				continue
			}
			without = append(without, a)
			if a.Revision == in.Revision && in.Now.Sub(a.At) <= 2*time.Hour {
				if eligible[a.Actor] == nil {
					eligible[a.Actor] = map[string]bool{}
				}
				for _, role := range a.Roles {
					eligible[a.Actor][role] = true
				}
			}
		}
		in2 := in
		in2.Approvals = without
		r2 := g.Evaluate(context.Background(), in2)
		if r.Status != r2.Status {
			t.Fatalf("author/requester approvals changed the outcome: %s vs %s (%s)", r.Status, r2.Status, r.Reason)
		}
		for _, p := range strings.Split(r.Evidence["counted"], ", ") {
			if p != "" && (p == in.Author || p == in.Requester) {
				t.Fatalf("%s counted although author or requester: %v", p, r.Evidence)
			}
		}
		want := gate.StatusFail
		if fillable(quorums, eligible) {
			want = gate.StatusPass
		}
		if r.Status != want {
			t.Fatalf("status %s, brute force says %s: %s", r.Status, want, r.Reason)
		}
	})
}

// fillable tries every assignment of distinct people to quorum places.
func fillable(qs []gate.Quorum, eligible map[string]map[string]bool) bool {
	var slots []string
	for _, q := range qs {
		for range q.Min {
			slots = append(slots, q.Role)
		}
	}
	used := map[string]bool{}
	var try func(i int) bool
	try = func(i int) bool {
		if i == len(slots) {
			return true
		}
		for p, rs := range eligible {
			if used[p] || (slots[i] != "" && !rs[slots[i]]) {
				continue
			}
			used[p] = true
			if try(i + 1) {
				return true
			}
			used[p] = false
		}
		return false
	}
	return try(0)
}

func TestPropertyCriterionRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := gate.Criterion{
			Op:       rapid.SampledFrom(gate.Operators()).Draw(t, "op"),
			Value:    rapid.Float64Range(-1e6, 1e6).Draw(t, "value"),
			Relative: rapid.Bool().Draw(t, "relative"),
		}
		got, err := gate.ParseCriterion(c.String())
		if err != nil {
			t.Fatalf("ParseCriterion(%q): %v", c.String(), err)
		}
		if got != c {
			t.Fatalf("round trip of %q: got %+v, want %+v", c.String(), got, c)
		}
	})
}
