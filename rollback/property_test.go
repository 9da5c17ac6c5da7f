package rollback_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/releasekit/releasekit/depgraph"
	"github.com/releasekit/releasekit/rollback"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// world is a random DAG with a random deployment over some of its nodes. deps[i]
// lists the nodes node i depends on directly (always lower indices, so it is acyclic).
type world struct {
	names   []string
	deps    [][]int
	graph   *depgraph.Graph[string]
	record  rollback.Deployment
	started map[string]bool
}

func genWorld(t *rapid.T) world {
	n := rapid.IntRange(1, 24).Draw(t, "nodes")
	w := world{graph: depgraph.New[string](), started: map[string]bool{}}
	for i := range n {
		name := fmt.Sprintf("svc%02d", i)
		w.names = append(w.names, name)
		w.graph.AddNode(name)
		var deps []int
		if i > 0 {
			deps = rapid.SliceOfNDistinct(rapid.IntRange(0, i-1), 0, min(i, 3), rapid.ID[int]).Draw(t, fmt.Sprintf("deps%d", i))
		}
		w.deps = append(w.deps, deps)
		for _, d := range deps {
			require.NoError(t, w.graph.AddDependency(name, w.names[d]))
		}
	}
	w.record.Release = "2026.11"
	inRecord := rapid.SliceOfNDistinct(rapid.IntRange(0, n-1), 0, n, rapid.ID[int]).Draw(t, "record")
	for _, i := range inRecord {
		status := rapid.IntRange(0, 2).Draw(t, fmt.Sprintf("status%d", i)) // 0 not started, 1 half, 2 finished
		c := rollback.ComponentChange{Name: w.names[i], From: "1.0." + fmt.Sprint(i), To: "1.1." + fmt.Sprint(i),
			NotStarted: status == 0, Finished: status == 2}
		if rapid.Bool().Draw(t, fmt.Sprintf("new%d", i)) {
			c.From = ""
		}
		for a := range rapid.IntRange(0, 2).Draw(t, fmt.Sprintf("actions%d", i)) {
			kind := rapid.SampledFrom(rollback.ActionKinds()).Draw(t, fmt.Sprintf("kind%d.%d", i, a))
			c.Actions = append(c.Actions, rollback.Action{Kind: kind, Name: fmt.Sprintf("a%d", a), Command: "undo", Reversible: true})
		}
		w.record.Components = append(w.record.Components, c)
		if status != 0 {
			w.started[c.Name] = true
		}
	}
	return w
}

// dependsOn reports whether a depends on b transitively, computed independently of
// depgraph.
func (w world) dependsOn(a, b int) bool {
	seen := map[int]bool{}
	stack := []int{a}
	for len(stack) > 0 {
		x := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, d := range w.deps[x] {
			if d == b {
				return true
			}
			if !seen[d] {
				seen[d] = true
				stack = append(stack, d)
			}
		}
	}
	return false
}

func (w world) idx(name string) int { return slices.Index(w.names, name) }

// wavesOf maps each component of the plan to its wave, failing on a component that
// appears in two waves or twice in one.
func wavesOf(t require.TestingT, rb *rollback.Runbook) map[string]int {
	out := map[string]int{}
	for _, wave := range rb.Waves {
		for _, c := range wave.Components() {
			_, dup := out[c]
			require.False(t, dup, "component %s rolled back twice", c)
			out[c] = wave.Number
		}
		for _, s := range wave.Steps {
			require.Equal(t, wave.Number, s.Wave)
			require.True(t, strings.HasPrefix(s.ID, fmt.Sprintf("w%d/%s/%s", wave.Number, s.Component, s.Kind)), s.ID)
		}
	}
	return out
}

func checkOrder(t *rapid.T, w world, rb *rollback.Runbook, wave map[string]int) {
	for a, wa := range wave {
		for b, wb := range wave {
			if a != b && w.dependsOn(w.idx(a), w.idx(b)) {
				require.Less(t, wa, wb, "%s depends on %s, so it must be rolled back first", a, b)
			}
		}
		if wa > 1 { // earliest wave: something in the previous wave depends on it
			found := false
			for b, wb := range wave {
				if wb == wa-1 && w.dependsOn(w.idx(b), w.idx(a)) {
					found = true
				}
			}
			require.True(t, found, "%s sits in wave %d but nothing in wave %d depends on it", a, wa, wa-1)
		}
	}
	var mains int
	for _, s := range rb.Steps() {
		if s.Kind == rollback.KindRedeploy || s.Kind == rollback.KindRemove {
			mains++
		}
	}
	require.Equal(t, len(wave), mains, "one redeploy or remove step per component")
}

func TestPropertyFullPlan(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		w := genWorld(t)
		rb, err := rollback.Plan(w.graph, w.record, rollback.Options{})
		require.NoError(t, err)
		require.NoError(t, rb.Validate())
		wave := wavesOf(t, rb)
		got := make([]string, 0, len(wave))
		for c := range wave {
			got = append(got, c)
		}
		want := make([]string, 0, len(w.started))
		for c := range w.started {
			want = append(want, c)
		}
		sort.Strings(got)
		sort.Strings(want)
		require.Equal(t, want, got, "exactly the components that started deploying")
		checkOrder(t, w, rb, wave)

		var sum int64
		for _, wv := range rb.Waves {
			sum += int64(wv.Duration())
		}
		require.Equal(t, sum, int64(rb.Duration()))
		require.GreaterOrEqual(t, rb.DurationWith(1), rb.Duration())

		again, err := rollback.Plan(w.graph, w.record, rollback.Options{})
		require.NoError(t, err)
		require.Equal(t, rb, again, "plans are deterministic")
		var a, b strings.Builder
		require.NoError(t, rb.WriteMarkdown(&a))
		require.NoError(t, again.WriteMarkdown(&b))
		require.Equal(t, a.String(), b.String())

		data, err := json.Marshal(rb)
		require.NoError(t, err)
		var decoded rollback.Runbook
		require.NoError(t, json.Unmarshal(data, &decoded))
		require.NoError(t, decoded.Validate())
		require.Equal(t, rb.Steps(), decoded.Steps())
	})
}

func TestPropertyPartialPlan(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		w := genWorld(t)
		var started []string
		for _, c := range w.record.Components {
			if c.Started() {
				started = append(started, c.Name)
			}
		}
		if len(started) == 0 {
			t.Skip("nothing started")
		}
		failed := rapid.SliceOfNDistinct(rapid.SampledFrom(started), 1, len(started), rapid.ID[string]).Draw(t, "failed")
		rb, err := rollback.Plan(w.graph, w.record, rollback.Options{Failed: failed})
		require.NoError(t, err)
		require.NoError(t, rb.Validate())
		wave := wavesOf(t, rb)
		want := map[string]bool{}
		for _, f := range failed {
			want[f] = true
		}
		for _, s := range started {
			for _, f := range failed {
				if w.dependsOn(w.idx(s), w.idx(f)) {
					want[s] = true
				}
			}
		}
		got := map[string]bool{}
		for c := range wave {
			got[c] = true
		}
		require.Equal(t, want, got, "the failed components and their deployed dependents, nothing more")
		checkOrder(t, w, rb, wave)
	})
}

// TestPropertyResume runs a plan with an executor that fails each step a random
// number of times and a context cancelled after a random number of calls, resuming
// from the report until the run completes: every step succeeds exactly once, and no
// step starts before every step of the earlier waves is done.
func TestPropertyResume(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		w := genWorld(t)
		rb, err := rollback.Plan(w.graph, w.record, rollback.Options{})
		require.NoError(t, err)
		steps := rb.Steps()
		failures := map[string]int{}
		for _, s := range steps {
			failures[s.ID] = rapid.IntRange(0, 2).Draw(t, "failures "+s.ID)
		}
		par := rapid.IntRange(0, 4).Draw(t, "parallelism")

		var mu sync.Mutex
		calls, successes := map[string]int{}, map[string]int{}
		done := map[string]bool{}
		var violations []string
		var report *rollback.Report
		for round := 0; ; round++ {
			require.Less(t, round, 4*len(steps)+2, "the run must complete")
			ctx, cancel := context.WithCancel(context.Background())
			cancelAfter := rapid.IntRange(0, len(steps)+1).Draw(t, fmt.Sprintf("cancel after, round %d", round))
			n := 0
			exec := rollback.ExecutorFunc(func(ctx context.Context, s rollback.Step) error {
				mu.Lock()
				defer mu.Unlock()
				for _, o := range steps {
					if o.Wave < s.Wave && !done[o.ID] {
						violations = append(violations, fmt.Sprintf("%s started before %s was done", s.ID, o.ID))
					}
				}
				n++
				if n == cancelAfter {
					cancel()
				}
				calls[s.ID]++
				if calls[s.ID] <= failures[s.ID] {
					return errors.New("boom")
				}
				successes[s.ID]++
				done[s.ID] = true
				return nil
			})
			rep, err := rollback.Run(ctx, rb, exec, rollback.RunOptions{Parallelism: par, Resume: report})
			cancel()
			require.NotNil(t, rep)
			// round-trip the report through JSON, as a bot persisting it would
			data, jerr := json.Marshal(rep)
			require.NoError(t, jerr)
			report = &rollback.Report{}
			require.NoError(t, json.Unmarshal(data, report))
			require.Equal(t, rep, report)
			for _, s := range rep.Steps {
				require.NotEqual(t, rollback.StatusRunning, s.Status)
				require.Equal(t, done[s.ID], s.Status == rollback.StatusDone, s.ID)
			}
			if err == nil {
				require.True(t, rep.Complete())
				break
			}
			require.False(t, rep.Complete())
			if len(rep.Failed()) > 0 {
				require.ErrorIs(t, err, rollback.ErrStepFailed)
			}
		}
		require.Empty(t, violations)
		for _, s := range steps {
			require.Equal(t, 1, successes[s.ID], "step %s succeeded once", s.ID)
			require.Equal(t, failures[s.ID]+1, calls[s.ID], "step %s ran once per planned failure plus once", s.ID)
		}
	})
}

// TestPropertyIrreversible: a plan is refused exactly when a component in its scope
// has an irreversible migration, and the error names exactly those migrations; with
// RollForward each becomes a roll-forward step and nothing else changes.
func TestPropertyIrreversible(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		w := genWorld(t)
		for i := range w.record.Components {
			for j := range w.record.Components[i].Actions {
				a := &w.record.Components[i].Actions[j]
				if a.Kind == rollback.ActionMigration {
					a.Reversible = rapid.Bool().Draw(t, fmt.Sprintf("reversible %d.%d", i, j))
				}
			}
		}
		var opts rollback.Options
		var started []string
		for _, c := range w.record.Components {
			if c.Started() {
				started = append(started, c.Name)
			}
		}
		if len(started) > 0 && rapid.Bool().Draw(t, "partial") {
			opts.Failed = []string{rapid.SampledFrom(started).Draw(t, "failed")}
		}
		forward := opts
		forward.RollForward = true
		rf, err := rollback.Plan(w.graph, w.record, forward)
		require.NoError(t, err)
		scope := map[string]bool{}
		for _, c := range rf.Components() {
			scope[c] = true
		}
		var want []string
		for _, c := range w.record.Components {
			for _, a := range c.Actions {
				if scope[c.Name] && a.Kind == rollback.ActionMigration && !a.Reversible {
					want = append(want, c.Name+"/"+a.Name)
				}
			}
		}
		var rolled []string
		for _, s := range rf.Steps() {
			if s.Kind == rollback.KindRollForward {
				rolled = append(rolled, s.Component+"/"+s.Name)
			}
		}
		sort.Strings(want)
		sort.Strings(rolled)
		require.Equal(t, want, rolled, "every irreversible migration in scope is rolled forward")

		rb, err := rollback.Plan(w.graph, w.record, opts)
		if len(want) == 0 {
			require.NoError(t, err)
			require.Equal(t, rf.Steps(), rb.Steps())
			return
		}
		require.ErrorIs(t, err, rollback.ErrIrreversible)
		var ie *rollback.IrreversibleError
		require.ErrorAs(t, err, &ie)
		var named []string
		for _, s := range ie.Steps {
			require.Equal(t, rollback.KindRevertMigration, s.Kind)
			named = append(named, s.Component+"/"+s.Name)
		}
		sort.Strings(named)
		require.Equal(t, want, named, "the error names every irreversible step")
	})
}
