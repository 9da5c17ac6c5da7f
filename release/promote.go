package release

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// PromotionError says why [Engine.Promote] refused: the target environment is not
// the next one on the engine's [Pipeline] (Unwrap gives [ErrInvalid]), the release
// is not verified in its environment ([ErrInvalidTransition]), or it was promoted
// to the environment already ([ErrAlreadyExists]). Nothing was written.
type PromotionError struct {
	// ID is the release that was to be promoted; From and To are the environments.
	ID       ID
	From, To string
	// Pipeline is the engine's pipeline, nil without [WithPipeline].
	Pipeline Pipeline
	// Existing is the release already promoted to To, with ErrAlreadyExists.
	Existing ID
	Reason   string
	kind     error
}

func (e *PromotionError) Error() string {
	path := "no pipeline"
	if len(e.Pipeline) > 0 {
		path = "pipeline " + strings.Join(e.Pipeline, " -> ")
	}
	return fmt.Sprintf("release %s: cannot promote from %s to %s (%s): %s", e.ID, e.From, e.To, path, e.Reason)
}

// Unwrap returns the kind of refusal: ErrInvalid, ErrInvalidTransition or
// ErrAlreadyExists.
func (e *PromotionError) Unwrap() error { return e.kind }

// lineage links a release being created to the release it is promoted from.
type lineage struct {
	from  Release
	actor Actor
	o     *fireOptions
}

// promotion is what the first history entry of a promoted release records in Data
// (unless the caller gives Data): the predecessor and the revision and head it had
// when it was promoted, so the chain pins what was verified.
type promotion struct {
	PromotedFrom ID     `json:"promoted_from"`
	Environment  string `json:"environment"`
	Revision     int64  `json:"revision"`
	Head         string `json:"head"`
}

func (l *lineage) apply(r *Release, entry *AuditEntry) {
	r.Predecessor = l.from.ID
	entry.Actor = l.actor
	entry.Actor.Roles = slices.Clone(l.actor.Roles)
	entry.Reason = l.o.reason
	if entry.Reason == "" {
		entry.Reason = fmt.Sprintf("promoted from %s (%s)", l.from.Environment, l.from.ID)
	}
	entry.Data = l.o.data
	if entry.Data == nil {
		entry.Data, _ = json.Marshal(promotion{PromotedFrom: l.from.ID, Environment: l.from.Environment, Revision: l.from.Revision, Head: l.from.Head})
	}
}

// Promote creates the release of id's version in env, the next environment of the
// pipeline: a new release in StateDraft with the same name, version, components,
// labels, duration, class, team and needs, authored by actor, whose Predecessor is
// id. Its first history entry (EventCreate, by actor) says where it was promoted
// from and pins the predecessor's revision and head (in Data, unless Data is given),
// and its snapshot carries the Predecessor, so the lineage is part of the hash chain.
//
// It refuses, with a *[PromotionError] and nothing written, when:
//   - env is not the environment right after id's on the engine's [Pipeline] (an
//     environment off the pipeline, a skipped one, a step back); without
//     [WithPipeline], any environment but id's own is accepted;
//   - id is not verified in its environment, or failed or was rolled back after it
//     (as the pipeline guard judges a start);
//   - id was promoted to env already and that release was not cancelled.
//
// The actor must be allowed to plan in env (Promote is refused with a
// *[ForbiddenError] otherwise), and becomes the new release's author, so separation
// of duties keeps them from approving it. Promote takes [Reason], [Data] and
// [IdempotencyKey]; two concurrent Promotes without keys may both succeed.
func (e *Engine) Promote(ctx context.Context, id ID, env string, actor Actor, opts ...FireOption) (Release, error) {
	o, err := fireOpts(opts)
	if err != nil {
		return Release{}, err
	}
	if err := o.only("Promote", "Reason", "Data"); err != nil {
		return Release{}, err
	}
	if err := ctx.Err(); err != nil {
		return Release{}, err
	}
	var probs []string
	if strings.TrimSpace(env) == "" {
		probs = append(probs, "the target environment is empty")
	}
	probs = append(probs, actor.validate()...)
	if err := validation("promotion", probs); err != nil {
		return Release{}, err
	}
	req := request{Op: "promote", ID: id, Actor: &actor, Reason: o.reason, Data: o.data, Spec: &Spec{Environment: env}}
	return e.keyed(ctx, o, req, func(k *KeyRecord) (Release, error) {
		return e.promote(ctx, id, env, actor, o, k)
	})
}

func (e *Engine) promote(ctx context.Context, id ID, env string, actor Actor, o *fireOptions, k *KeyRecord) (Release, error) {
	from, err := e.store.Get(ctx, id)
	if err != nil {
		return Release{}, named(id, err)
	}
	refuse := func(kind error, format string, args ...any) error {
		return &PromotionError{ID: id, From: from.Environment, To: env, Pipeline: slices.Clone(e.pipeline), Reason: fmt.Sprintf(format, args...), kind: kind}
	}
	if reason := e.pipeline.step(from.Environment, env); reason != "" {
		return Release{}, refuse(ErrInvalid, "%s", reason)
	}
	if !verifiedAndStanding(from) {
		return Release{}, refuse(ErrInvalidTransition, "%s %s is %s in %s; promote it once it is verified there", from.Name, from.Version, from.State, from.Environment)
	}
	spec := Spec{
		Name: from.Name, Version: from.Version, Components: from.Components, Environment: env,
		Class: from.Class, Author: actor.ID, Labels: from.Labels, Team: from.Team,
		Duration: from.Duration, Needs: from.Needs, CommittedAt: from.CommittedAt,
	}
	if err := spec.Validate(); err != nil {
		return Release{}, err
	}
	probe := Release{Name: spec.Name, Version: spec.Version, Environment: env, Class: spec.Class}
	if err := e.policy.Authorize(actor, EventPlan, probe); err != nil {
		return Release{}, err
	}
	there, err := e.store.List(ctx, Filter{Environment: env, Name: from.Name, Version: from.Version})
	if err != nil {
		return Release{}, fmt.Errorf("release: promote %s: cannot look up %s %s in %s: %w", id, from.Name, from.Version, env, err)
	}
	for _, r := range there {
		if r.Predecessor == id && r.State != StateCancelled {
			pe := refuse(ErrAlreadyExists, "it was promoted there already as %s, which is %s; cancel that release to promote again", r.ID, r.State).(*PromotionError)
			pe.Existing = r.ID
			return Release{}, pe
		}
	}
	return e.create(ctx, spec, k, &lineage{from: from, actor: actor, o: o})
}

// step says why going from one environment to the next is not a promotion along pl,
// or "" when it is.
func (pl Pipeline) step(from, to string) string {
	if from == to {
		return fmt.Sprintf("the release is in %s already", to)
	}
	if len(pl) == 0 {
		return ""
	}
	i, j := slices.Index(pl, from), slices.Index(pl, to)
	switch {
	case j < 0:
		return fmt.Sprintf("%s is not on the pipeline", to)
	case i < 0:
		return fmt.Sprintf("%s is not on the pipeline; create the release in %s instead", from, pl[0])
	case j == i+1:
		return ""
	case j < i:
		return fmt.Sprintf("%s comes before %s; promotion goes forward only", to, from)
	case i == len(pl)-1:
		return fmt.Sprintf("%s is the last environment", from)
	}
	return fmt.Sprintf("it would skip %s; promote to %s first", strings.Join(pl[i+1:j], ", "), pl[i+1])
}
