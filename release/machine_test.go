package release_test

import (
	"context"
	"errors"
	"testing"

	"pgregory.net/rapid"

	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/releasetest"
)

// TestEngineStateMachine fires random events by random actors at random releases and
// compares the engine with a model after every step: the state equals the model's, the
// revision grew by exactly one per commit, the history verifies against the head, and a
// refused fire changed nothing.
func TestEngineStateMachine(t *testing.T) {
	actors := []release.Actor{ana, rui, bot, guest, release.Person("cab", release.RoleApprover)}
	rapid.Check(t, func(rt *rapid.T) {
		ctx := context.Background()
		eng, err := release.New(memory.New(), release.WithClock(releasetest.NewClock(t0, 0)))
		if err != nil {
			rt.Fatal(err)
		}
		type model struct {
			state    release.State
			revision int64
		}
		var ids []release.ID
		models := map[release.ID]*model{}
		rt.Repeat(map[string]func(*rapid.T){
			"create": func(rt *rapid.T) {
				if len(ids) >= 4 {
					rt.Skip("enough releases")
				}
				r, err := eng.Create(ctx, release.Spec{Name: "svc", Version: "1", Environment: "prod", Author: ana.ID})
				if err != nil {
					rt.Fatal(err)
				}
				ids = append(ids, r.ID)
				models[r.ID] = &model{state: release.StateDraft, revision: 1}
			},
			"fire": func(rt *rapid.T) {
				if len(ids) == 0 {
					rt.Skip("no release yet")
				}
				id := rapid.SampledFrom(ids).Draw(rt, "release")
				ev := rapid.SampledFrom(release.Events()).Draw(rt, "event")
				actor := rapid.SampledFrom(actors).Draw(rt, "actor")
				m := models[id]
				_, err := eng.Fire(ctx, id, ev, actor)
				next, legal := release.Next(m.state, ev)
				allowed := release.DefaultPolicy().Authorize(actor, ev, release.Release{Environment: "prod", Class: release.ClassNormal, Author: ana.ID}) == nil
				switch {
				case !legal:
					if !errors.Is(err, release.ErrInvalidTransition) {
						rt.Fatalf("%s in %s by %s = %v, want ErrInvalidTransition", ev, m.state, actor.ID, err)
					}
				case !allowed:
					if !errors.Is(err, release.ErrForbidden) {
						rt.Fatalf("%s in %s by %s = %v, want ErrForbidden", ev, m.state, actor.ID, err)
					}
				default:
					if err != nil {
						rt.Fatalf("%s in %s by %s = %v, want success", ev, m.state, actor.ID, err)
					}
					m.state, m.revision = next, m.revision+1
				}
			},
			"": func(rt *rapid.T) {
				for _, id := range ids {
					r, err := eng.Get(ctx, id)
					if err != nil {
						rt.Fatal(err)
					}
					m := models[id]
					if r.State != m.state || r.Revision != m.revision {
						rt.Fatalf("release %s is %s at revision %d; the model says %s at %d", id, r.State, r.Revision, m.state, m.revision)
					}
					if err := eng.Verify(ctx, id); err != nil {
						rt.Fatalf("history does not verify: %v", err)
					}
				}
			},
		})
	})
}
