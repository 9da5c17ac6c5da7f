package release

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/releasekit/releasekit/gate"
	"github.com/releasekit/releasekit/risk"
)

// GateConfig wires readiness gates and the Go/No-Go decision into approve (see
// [WithGates]).
type GateConfig struct {
	// ByEnvironment lists the gates every approval in an environment needs; the key
	// "" applies to every environment.
	ByEnvironment map[string][]gate.Gate
	// Named are the gates a risk policy requires by name (risk.Requirement.Gates)
	// when the environment's gates have none of that name. The built-in gates'
	// default names match risk.DefaultPolicy's (risk.GateChecks, risk.GateObjectives).
	Named map[string]gate.Gate
	// Policy maps a release's risk level to its requirement (approval quorums and
	// named gates); nil means risk.DefaultPolicy(). It applies to releases that were
	// assessed (WithRisk).
	Policy *risk.Policy
	// Options tune every evaluation (parallelism, timeouts, who may waive).
	Options gate.Options
	// Evidence is an optional extra source of facts for hosts that keep evidence
	// outside the store: approvals, CI checks, metrics and baselines. The gates read
	// what was recorded with [Engine.Record] in any case; what Evidence gives is
	// added (a check or metric also recorded takes its recorded value). The engine
	// fills in the release's own facts (ID, name, environment, class, author, scope
	// version, risk level, now) and adds the approving actor's approval. Approvals
	// count only for the scope version they name: give Release.Scope (or, as before
	// scope versions, Release.Revision) for approvals of the release as it stands.
	// nil means no extra evidence.
	Evidence func(ctx context.Context, r Release) (gate.Input, error)
}

// WithGates evaluates the gates at approve: those of the environment, and those the
// risk policy requires for the release's level, concurrently (gate.Evaluate). The
// approval goes through only on a Go decision; a No-Go refuses it with every failing
// gate's reason. The whole decision, inputs included, is recorded in the history, so
// gate.Replay gives the same verdict later. Waivers come with Waive(…).
//
// The gates read the release's recorded evidence ([Engine.Record]): each person's
// standing approval of the current scope version ([Release.Scope]), the latest
// result of each check and observation of each metric, and the recorded waivers.
// A standing rejection adds an unwaivable "rejections" gate that fails until the
// person withdraws it or approves. gate.Input.Revision is the scope version.
// A No-Go is kept in the history too, as an [EventDecision] entry.
//
// Approvals are people's: the actor who fires approve counts as one approval when it
// is a person ([ActorPerson]); an automation may fire approve once people's approvals
// meet the quorums, and never counts as an approver itself. No waiver lifts an
// approvals quorum, neither an environment's gate.Approvals gate nor the risk
// policy's "approvals (<level> risk)" gate (gate.ApprovalGate is unwaivable).
func WithGates(cfg GateConfig) Option {
	return func(e *Engine) error {
		if cfg.Policy == nil {
			p := risk.DefaultPolicy()
			cfg.Policy = &p
		}
		if err := cfg.Policy.Validate(); err != nil {
			return fmt.Errorf("%w: risk policy: %v", ErrInvalid, err)
		}
		if err := cfg.Options.Validate(); err != nil {
			return fmt.Errorf("%w: gate options: %v", ErrInvalid, err)
		}
		e.stages = append(e.stages, &gateStage{cfg: cfg, store: e.store})
		return nil
	}
}

type gateStage struct {
	baseStage
	cfg   GateConfig
	store Store
}

func (*gateStage) name() string { return "gates" }

func (s *gateStage) check(ctx context.Context, p *Proposal, _ *Release, o *fireOptions) error {
	if p.Event != EventApprove {
		return nil
	}
	r := p.Release
	gates := slices.Clone(s.cfg.ByEnvironment[""])
	gates = append(gates, s.cfg.ByEnvironment[r.Environment]...)
	h, err := s.store.History(ctx, r.ID)
	if err != nil {
		return fmt.Errorf("cannot read the recorded evidence: %w", named(r.ID, err))
	}
	p.history = h
	st := standingOf(h, r.Scope)
	opts := s.cfg.Options
	opts.Waivers = append(slices.Clone(opts.Waivers), st.waivers...)
	opts.Waivers = append(opts.Waivers, o.waivers...)
	var level string
	if r.Risk != nil {
		level = r.Risk.Level
		req, err := s.cfg.Policy.For(risk.Level(level))
		if err != nil {
			return fmt.Errorf("the risk policy has no requirement for level %q: %w", level, err)
		}
		if len(req.Approvals) > 0 {
			qs := make([]gate.Quorum, len(req.Approvals))
			for i, q := range req.Approvals {
				qs[i] = gate.Quorum{Role: q.Role, Min: q.Min}
			}
			gates = append(gates, gate.Named("approvals ("+level+" risk)", gate.Approvals(qs...)))
		}
		for _, name := range req.Gates {
			if slices.ContainsFunc(gates, func(g gate.Gate) bool { return g != nil && g.Name() == name }) {
				continue // the environment's gate of that name serves
			}
			g, ok := s.cfg.Named[name]
			if !ok {
				return fmt.Errorf("the risk policy asks for gate %q at level %s, but neither the environment's gates nor GateConfig.Named have one of that name", name, level)
			}
			gates = append(gates, g)
		}
		opts.WarningsBlock = opts.WarningsBlock || req.WarningsBlock
	}
	if len(st.rejections) > 0 {
		gates = append(gates, rejectionGate(st.rejections))
	}
	if len(gates) == 0 {
		return nil
	}
	gates = uniqueGates(gates)
	var in gate.Input
	if s.cfg.Evidence != nil {
		if in, err = s.cfg.Evidence(ctx, r); err != nil {
			return fmt.Errorf("cannot gather the gates' evidence: %w", err)
		}
	}
	in = mergeEvidence(in, st, r, scopeSince(h))
	in.ID, in.Name, in.Environment, in.Class = r.ID.String(), r.Name+" "+r.Version, r.Environment, string(r.Class)
	in.Author, in.Revision, in.RiskLevel, in.Now = r.Author, r.Scope, level, p.Now
	if in.Requester == "" {
		in.Requester = r.Author
	}
	if p.Actor.Kind == ActorPerson {
		// The approving person's own approval. An automation may fire approve (when
		// the policy lets it) once people have approved, but never counts as one.
		in.Approvals = append(slices.Clone(in.Approvals), gate.Approval{Actor: p.Actor.ID, Roles: p.Actor.Roles, At: p.Now, Revision: r.Scope})
	}
	d := gate.Evaluate(ctx, gates, in, opts)
	if err := p.Annotate(d); err != nil {
		return err
	}
	if !d.Go {
		return &noGoError{err: d.Err}
	}
	return nil
}

// noGoError is a No-Go decision's refusal: one line, the blocking gates separated
// by "; ", and one reason per blocking gate for [GuardError.Lines]. It unwraps to
// the decision's Err (each *gate.GateError).
type noGoError struct{ err error }

func (e *noGoError) Error() string { return "No-Go: " + strings.Join(e.lines(), "; ") }
func (e *noGoError) Unwrap() error { return e.err }

func (e *noGoError) lines() []string {
	var out []string
	if j, ok := e.err.(interface{ Unwrap() []error }); ok {
		for _, err := range j.Unwrap() {
			out = append(out, oneLine(err.Error()))
		}
	} else if e.err != nil {
		out = append(out, oneLine(e.err.Error()))
	}
	return out
}

// uniqueGates drops later gates with a name already seen (an environment's gate and
// the same gate required by the risk policy).
func uniqueGates(gs []gate.Gate) []gate.Gate {
	seen := map[string]bool{}
	out := gs[:0]
	for _, g := range gs {
		if g == nil || seen[g.Name()] {
			continue
		}
		seen[g.Name()] = true
		out = append(out, g)
	}
	return out
}

// mergeEvidence adds the recorded evidence st to what a host gave (in), for release
// r whose scope version began at revision since: approvals the host gave for a
// revision of the current scope (since to r.Revision: the release as it stands,
// recorded evidence and No-Go decisions aside) are pinned to the scope version,
// others to a scope that is not current; a check or metric both given and recorded
// takes its recorded value. in is not changed.
func mergeEvidence(in gate.Input, st standing, r Release, since int64) gate.Input {
	approvals := make([]gate.Approval, 0, len(in.Approvals)+len(st.approvals))
	for _, a := range in.Approvals {
		if a.Revision >= since && a.Revision <= r.Revision {
			a.Revision = r.Scope
		} else {
			a.Revision = -a.Revision // a revision of an earlier scope: it does not count
		}
		approvals = append(approvals, a)
	}
	in.Approvals = append(approvals, st.approvals...)
	in.Checks = mergeMap(in.Checks, st.checks)
	in.Metrics = mergeMap(in.Metrics, st.metrics)
	in.Baselines = mergeMap(in.Baselines, st.baselines)
	return in
}

func mergeMap[V any](host, recorded map[string]V) map[string]V {
	if len(recorded) == 0 {
		return host
	}
	out := make(map[string]V, len(host)+len(recorded))
	for k, v := range host {
		out[k] = v
	}
	for k, v := range recorded {
		out[k] = v
	}
	return out
}

// scopeSince is the revision at which the current scope version began: the last
// entry that changed it (or the create entry).
func scopeSince(h []AuditEntry) int64 {
	for i := len(h) - 1; i >= 0; i-- {
		if h[i].Event == EventCreate || slices.Contains(scopeEvents, h[i].Event) {
			return h[i].Sequence
		}
	}
	return 1
}
