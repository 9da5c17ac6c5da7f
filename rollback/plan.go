package rollback

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/releasekit/releasekit/depgraph"
)

// Options tune [Plan]. The zero value plans a full rollback with the default
// durations, no commands, and nobody to notify, and refuses irreversible migrations.
type Options struct {
	// Failed, when not empty, asks for a partial rollback: these components and every
	// deployed component that depends on them (transitively, through the graph),
	// nothing more. Each must have started deploying.
	Failed []string
	// RollForward turns every irreversible migration into a [KindRollForward] step
	// instead of refusing the plan with [ErrIrreversible].
	RollForward bool
	// Durations overrides [DefaultDurations] per step kind ([Action].Duration beats
	// both).
	Durations map[StepKind]time.Duration
	// Commands gives a command template per step kind, used when the action gives
	// none. Placeholders: {release}, {component}, {version} (the version returned
	// to), {current} (the version rolled back), {name} (migration, flag or change).
	Commands map[StepKind]string
	// Notify lists who hears about the rollback as a whole (channels, people, teams).
	Notify []string
	// Owners lists, per component, who is notified about its steps.
	Owners map[string][]string
	// Checks adds, per component, items to the verification checklist of its
	// redeploy (or remove) step.
	Checks map[string][]string
}

// Validate reports every problem of the options at once, as a [*ValidationError]
// wrapping [ErrInvalidOptions], or nil.
func (o Options) Validate() error {
	var problems []string
	for _, k := range sortedKeys(o.Durations) {
		if !k.Valid() {
			problems = append(problems, fmt.Sprintf("Durations has unknown step kind %q: use one of %v", k, StepKinds()))
		}
		if o.Durations[k] < 0 {
			problems = append(problems, fmt.Sprintf("Durations[%s] is negative (%s): give an estimate of zero or more", k, o.Durations[k]))
		}
	}
	for _, k := range sortedKeys(o.Commands) {
		if !k.Valid() {
			problems = append(problems, fmt.Sprintf("Commands has unknown step kind %q: use one of %v", k, StepKinds()))
		}
	}
	for i, f := range o.Failed {
		if strings.TrimSpace(f) == "" {
			problems = append(problems, fmt.Sprintf("Failed[%d] is empty: name a deployed component", i))
		}
	}
	return validation(ErrInvalidOptions, problems)
}

// Runbook is a rollback plan: the steps to undo a deployment, grouped into waves. The
// waves run one after the other; the components of a wave run in parallel, and the
// steps of one component run in order. It is plain data (JSON-serialisable), so a bot
// can store it next to its [Report].
type Runbook struct {
	// Release is the release rolled back.
	Release string `json:"release"`
	// Failed is [Options].Failed of a partial rollback, sorted; empty for a full one.
	Failed []string `json:"failed,omitempty"`
	// RollForward records [Options].RollForward.
	RollForward bool `json:"roll_forward,omitempty"`
	// Notify lists who hears about the rollback as a whole.
	Notify []string `json:"notify,omitempty"`
	// Waves run in order; wave 1 first.
	Waves []Wave `json:"waves"`
}

// Wave is a set of components whose rollback can run in parallel: none of them
// depends on another. Every component that depends on one of them is in an earlier
// wave.
type Wave struct {
	// Number counts from 1.
	Number int `json:"number"`
	// Steps are grouped by component (components sorted by name), each component's
	// steps in the order they run.
	Steps []Step `json:"steps"`
}

// Step is one action of a rollback.
type Step struct {
	// ID is stable: the same inputs to [Plan] always give the same IDs, so a run can
	// resume. Its form is "w<wave>/<component>/<kind>", followed by "/<name>" for a
	// migration, flag or custom change.
	ID string `json:"id"`
	// Wave is the number of the step's wave.
	Wave int `json:"wave"`
	// Component is the component the step acts on.
	Component string `json:"component"`
	// Kind says what the step does.
	Kind StepKind `json:"kind"`
	// Name is the migration, flag or change the step undoes; empty for redeploy and
	// remove.
	Name string `json:"name,omitempty"`
	// Version is the version the component returns to (its From).
	Version string `json:"version,omitempty"`
	// Current is the version being rolled back (its To).
	Current string `json:"current,omitempty"`
	// Unfinished is true when the component's deployment did not finish: some of its
	// instances may already run Version.
	Unfinished bool `json:"unfinished,omitempty"`
	// Action says in words what to do.
	Action string `json:"action"`
	// Command is the command to run, if one is known.
	Command string `json:"command,omitempty"`
	// Verify is the checklist that says the step worked.
	Verify []string `json:"verify"`
	// Notify lists the component's owners.
	Notify []string `json:"notify,omitempty"`
	// Duration is the step's estimated duration.
	Duration time.Duration `json:"duration"`
}

// Plan derives the rollback of a deployment from the components' dependency graph.
//
//   - Order: a component is rolled back before the components it depends on (its
//     dependents first: the reverse of the deployment order). Dependencies are
//     followed transitively through the graph, also through components the release
//     did not touch. Each component sits in the earliest wave allowed: wave 1 holds
//     the components that no other component of the plan depends on.
//   - Scope: every component of the record that started deploying, finished or not
//     (a half-deployed component needs rollback too); components that did not start
//     are left out. With [Options].Failed, only those components and the deployed
//     components that depend on them.
//   - Steps of a component, in order: disable its feature flags, undo its custom
//     changes, redeploy its previous version (or remove it when the release
//     introduced it), revert its migrations; within each group, the reverse of the
//     record's order.
//   - Irreversible migrations (not [Action].Reversible) refuse the plan with an
//     [*IrreversibleError] naming them all, or become [KindRollForward] steps when
//     [Options].RollForward is set.
//
// Plan reports a malformed record or options ([*ValidationError]), components missing
// from the graph ([*UnknownComponentError]) and a dependency cycle among the
// components to roll back (wrapping a *depgraph.CycleError naming it). A cycle
// elsewhere in the graph does not matter. Plan reads the graph but does not change
// it; do not change the graph while Plan runs. It costs O(V+E) in the graph's size
// plus the steps it builds (see docs/bench/rollback.md).
func Plan(graph *depgraph.Graph[string], deployed Deployment, opts Options) (*Runbook, error) {
	if graph == nil {
		return nil, validation(ErrInvalidOptions, []string{"graph is nil: pass the components' dependency graph (depgraph.New[string]())"})
	}
	if err := deployed.Validate(); err != nil {
		return nil, err
	}
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	started := make(map[string]ComponentChange, len(deployed.Components))
	for _, c := range deployed.Components {
		if c.Started() {
			started[c.Name] = c
		}
	}
	known := make(map[string]bool)
	for _, n := range graph.Nodes() {
		known[n] = true
	}
	var missing []string
	for _, c := range deployed.Components {
		if !known[c.Name] {
			missing = append(missing, c.Name)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, &UnknownComponentError{Components: missing, In: inGraph}
	}
	var notDeployed []string
	for _, f := range opts.Failed {
		if _, ok := started[f]; !ok {
			notDeployed = append(notDeployed, f)
		}
	}
	if len(notDeployed) > 0 {
		sort.Strings(notDeployed)
		return nil, &UnknownComponentError{Components: slices.Compact(notDeployed), In: inRecord}
	}

	rel := newRelation(graph)
	scope := make(map[string]bool, len(started))
	if len(opts.Failed) == 0 {
		for n := range started {
			scope[n] = true
		}
	} else {
		for _, f := range opts.Failed {
			scope[f] = true
		}
		for _, d := range rel.dependents(opts.Failed) {
			if _, ok := started[d]; ok {
				scope[d] = true
			}
		}
	}
	if cycle := rel.cycleThrough(scope); cycle != nil {
		return nil, fmt.Errorf("rollback: components to roll back depend on each other in a cycle, so no order exists: %w",
			&depgraph.CycleError[string]{Cycle: cycle})
	}
	level := rel.levels(scope)

	durations := DefaultDurations()
	for k, d := range opts.Durations {
		durations[k] = d
	}
	rb := &Runbook{
		Release:     deployed.Release,
		RollForward: opts.RollForward,
		Notify:      dedupe(opts.Notify),
	}
	if len(opts.Failed) > 0 {
		rb.Failed = dedupe(opts.Failed)
		sort.Strings(rb.Failed)
	}
	names := make([]string, 0, len(scope))
	for n := range scope {
		names = append(names, n)
	}
	sort.Strings(names)
	nwaves := 0
	for _, n := range names {
		nwaves = max(nwaves, level[n]+1)
	}
	rb.Waves = make([]Wave, nwaves)
	for i := range rb.Waves {
		rb.Waves[i].Number = i + 1
	}
	var irreversible []Step
	b := stepBuilder{release: deployed.Release, opts: opts, durations: durations}
	for _, n := range names {
		w := level[n] + 1
		steps, irr := b.steps(w, started[n])
		irreversible = append(irreversible, irr...)
		rb.Waves[w-1].Steps = append(rb.Waves[w-1].Steps, steps...)
	}
	if len(irreversible) > 0 {
		return nil, &IrreversibleError{Steps: irreversible}
	}
	return rb, nil
}

type stepBuilder struct {
	release   string
	opts      Options
	durations map[StepKind]time.Duration
}

func stepID(wave int, component string, kind StepKind, name string) string {
	id := fmt.Sprintf("w%d/%s/%s", wave, component, kind)
	if name != "" {
		id += "/" + name
	}
	return id
}

// steps builds the steps of one component in wave w, and returns separately the
// irreversible migrations when roll-forward is off.
func (b stepBuilder) steps(w int, c ComponentChange) (steps, irreversible []Step) {
	owners := dedupe(b.opts.Owners[c.Name])
	mk := func(kind StepKind, a *Action) Step {
		s := Step{
			Wave:       w,
			Component:  c.Name,
			Kind:       kind,
			Version:    c.From,
			Current:    c.To,
			Unfinished: !c.Finished,
			Notify:     owners,
			Duration:   b.durations[kind],
		}
		if a != nil {
			s.Name = a.Name
			s.Command = a.Command
			if a.Duration > 0 {
				s.Duration = a.Duration
			}
		}
		s.ID = stepID(w, c.Name, kind, s.Name)
		if s.Command == "" {
			s.Command = b.expand(b.opts.Commands[kind], s)
		}
		s.Action, s.Verify = describe(s, c)
		if a != nil {
			s.Verify = append(s.Verify, a.Verify...)
		}
		return s
	}
	byKind := func(k ActionKind) []*Action {
		var out []*Action
		for i := len(c.Actions) - 1; i >= 0; i-- {
			if c.Actions[i].Kind == k {
				out = append(out, &c.Actions[i])
			}
		}
		return out
	}
	for _, a := range byKind(ActionFeatureFlag) {
		steps = append(steps, mk(KindDisableFlag, a))
	}
	for _, a := range byKind(ActionCustom) {
		steps = append(steps, mk(KindCustom, a))
	}
	main := KindRedeploy
	if c.From == "" {
		main = KindRemove
	}
	s := mk(main, nil)
	s.Verify = append(s.Verify, b.opts.Checks[c.Name]...)
	steps = append(steps, s)
	for _, a := range byKind(ActionMigration) {
		if a.Reversible {
			steps = append(steps, mk(KindRevertMigration, a))
			continue
		}
		if !b.opts.RollForward {
			irreversible = append(irreversible, mk(KindRevertMigration, a))
			continue
		}
		rf := *a
		rf.Command = a.RollForward
		steps = append(steps, mk(KindRollForward, &rf))
	}
	return steps, irreversible
}

func (b stepBuilder) expand(tmpl string, s Step) string {
	if tmpl == "" {
		return ""
	}
	return strings.NewReplacer(
		"{release}", b.release,
		"{component}", s.Component,
		"{version}", s.Version,
		"{current}", s.Current,
		"{name}", s.Name,
	).Replace(tmpl)
}

// describe gives a step's action in words and its default checklist.
func describe(s Step, c ComponentChange) (string, []string) {
	switch s.Kind {
	case KindRedeploy:
		action := fmt.Sprintf("Redeploy %s at version %s (rolling back %s).", s.Component, s.Version, s.Current)
		verify := []string{
			fmt.Sprintf("Every instance of %s reports version %s.", s.Component, s.Version),
		}
		if s.Unfinished {
			action = fmt.Sprintf("Redeploy %s at version %s; the deployment of %s did not finish, so some instances may already run %s.", s.Component, s.Version, s.Current, s.Version)
			verify = append(verify, fmt.Sprintf("No instance of %s still runs %s (the deployment stopped half-way: check each one).", s.Component, s.Current))
		}
		verify = append(verify,
			fmt.Sprintf("The health checks of %s pass.", s.Component),
			fmt.Sprintf("The error rate and latency of %s are back to their level before the release.", s.Component))
		return action, verify
	case KindRemove:
		return fmt.Sprintf("Remove %s (introduced at version %s by this release).", s.Component, s.Current), []string{
			fmt.Sprintf("%s is no longer deployed and receives no traffic.", s.Component),
			fmt.Sprintf("Nothing still calls %s: the error rates of the services around it are normal.", s.Component),
		}
	case KindRevertMigration:
		return fmt.Sprintf("Revert migration %s of %s.", s.Name, s.Component), []string{
			fmt.Sprintf("Migration %s is no longer applied (check the schema version).", s.Name),
			fmt.Sprintf("%s at version %s reads and writes the reverted schema without errors.", s.Component, s.Version),
		}
	case KindDisableFlag:
		return fmt.Sprintf("Disable feature flag %s of %s.", s.Name, s.Component), []string{
			fmt.Sprintf("Flag %s is off for every audience.", s.Name),
			fmt.Sprintf("The code behind flag %s gets no traffic.", s.Name),
		}
	case KindCustom:
		return fmt.Sprintf("Undo %s of %s.", s.Name, s.Component), []string{
			fmt.Sprintf("%s is undone as the deployment record describes.", s.Name),
		}
	case KindRollForward:
		fix := "its owners ship a fix forward"
		if s.Command != "" {
			fix = "run the command"
		}
		return fmt.Sprintf("Keep migration %s of %s applied (it cannot be reverted) and roll forward: %s.", s.Name, s.Component, fix), []string{
			fmt.Sprintf("%s at version %s runs correctly with migration %s still applied.", s.Component, s.Version, s.Name),
			fmt.Sprintf("The roll-forward of %s is applied and its data is consistent.", s.Name),
		}
	}
	return "", nil
}

// Steps returns every step in run order: wave by wave, component by component.
func (r *Runbook) Steps() []Step {
	var out []Step
	for _, w := range r.Waves {
		out = append(out, w.Steps...)
	}
	return out
}

// Step returns the step with the given ID.
func (r *Runbook) Step(id string) (Step, bool) {
	for _, w := range r.Waves {
		for _, s := range w.Steps {
			if s.ID == id {
				return s, true
			}
		}
	}
	return Step{}, false
}

// Components returns the components rolled back, in run order.
func (r *Runbook) Components() []string {
	var out []string
	for _, w := range r.Waves {
		out = append(out, w.Components()...)
	}
	return out
}

// Components returns the wave's components, in the order of its steps.
func (w Wave) Components() []string {
	var out []string
	for i, s := range w.Steps {
		if i == 0 || w.Steps[i-1].Component != s.Component {
			out = append(out, s.Component)
		}
	}
	return out
}

// Duration is the wave's estimated duration: its components run in parallel and the
// steps of one component in sequence, so it is the longest sum of one component's
// step durations.
func (w Wave) Duration() time.Duration {
	var longest, sum time.Duration
	for i, s := range w.Steps {
		if i > 0 && w.Steps[i-1].Component != s.Component {
			sum = 0
		}
		sum += s.Duration
		longest = max(longest, sum)
	}
	return longest
}

// Duration is the runbook's estimated duration along its critical path, assuming
// every component of a wave runs at once: the sum of the waves' [Wave.Duration]. Waves
// are barriers ([Run] starts a wave when the previous one has finished), so this is
// the critical path of the run as executed. A [RunOptions].Parallelism smaller than a
// wave makes a run longer; see [Runbook.DurationWith].
func (r *Runbook) Duration() time.Duration {
	var total time.Duration
	for _, w := range r.Waves {
		total += w.Duration()
	}
	return total
}

// DurationWith estimates the duration with at most parallelism components running at
// once (zero or less means no bound), scheduling each wave's components longest
// first on the earliest free slot, as a run would.
func (r *Runbook) DurationWith(parallelism int) time.Duration {
	if parallelism <= 0 {
		return r.Duration()
	}
	var total time.Duration
	for _, w := range r.Waves {
		lanes := laneDurations(w)
		slices.SortStableFunc(lanes, func(a, b time.Duration) int { return int(b - a) })
		slots := make([]time.Duration, min(parallelism, len(lanes)))
		for _, d := range lanes {
			i := slices.Index(slots, slices.Min(slots))
			slots[i] += d
		}
		if len(slots) > 0 {
			total += slices.Max(slots)
		}
	}
	return total
}

func laneDurations(w Wave) []time.Duration {
	var out []time.Duration
	for i, s := range w.Steps {
		if i == 0 || w.Steps[i-1].Component != s.Component {
			out = append(out, 0)
		}
		out[len(out)-1] += s.Duration
	}
	return out
}

// FitsIn checks the runbook against a window (say, a calendar slot): nil when start
// plus [Runbook.Duration] is no later than end, else a [*WindowError] wrapping
// [ErrDoesNotFit].
func (r *Runbook) FitsIn(start, end time.Time) error {
	need, have := r.Duration(), end.Sub(start)
	if have < 0 || need > have {
		return &WindowError{Start: start, End: end, Need: need, Have: have}
	}
	return nil
}

// Validate checks a runbook's structure (one built by hand, or decoded from JSON) and
// reports every problem at once as a [*ValidationError] wrapping [ErrInvalidRunbook]:
// waves numbered from 1 without gaps and none empty, step IDs unique and of the form
// [Plan] gives them, valid kinds, durations not negative, each component in one wave
// with its steps together and one redeploy or remove step. A runbook from [Plan]
// always passes.
func (r *Runbook) Validate() error {
	if r == nil {
		return validation(ErrInvalidRunbook, []string{"runbook is nil: build it with Plan"})
	}
	var problems []string
	ids := make(map[string]bool)
	last := make(map[string][2]int) // component -> wave index, step index of its last step
	split := make(map[string]bool)
	for i, w := range r.Waves {
		if w.Number != i+1 {
			problems = append(problems, fmt.Sprintf("wave %d has number %d: number waves 1, 2, 3, … in order", i+1, w.Number))
		}
		if len(w.Steps) == 0 {
			problems = append(problems, fmt.Sprintf("wave %d has no steps: drop it", i+1))
		}
		mains := make(map[string]int)
		for j, s := range w.Steps {
			where := fmt.Sprintf("wave %d step %d (%q)", i+1, j, s.ID)
			if s.ID == "" {
				problems = append(problems, where+" has no ID")
			} else if ids[s.ID] {
				problems = append(problems, where+" repeats an ID: give every step its own")
			}
			ids[s.ID] = true
			if want := stepID(w.Number, s.Component, s.Kind, s.Name); s.ID != want {
				problems = append(problems, fmt.Sprintf("%s should have ID %q", where, want))
			}
			if s.Wave != w.Number {
				problems = append(problems, fmt.Sprintf("%s says wave %d", where, s.Wave))
			}
			if strings.TrimSpace(s.Component) == "" {
				problems = append(problems, where+" has no component")
			}
			if !s.Kind.Valid() {
				problems = append(problems, fmt.Sprintf("%s has unknown kind %q: use one of %v", where, s.Kind, StepKinds()))
			}
			if s.Duration < 0 {
				problems = append(problems, fmt.Sprintf("%s has negative duration %s", where, s.Duration))
			}
			if s.Kind == KindRedeploy || s.Kind == KindRemove {
				mains[s.Component]++
			}
			if p, ok := last[s.Component]; ok && (p[0] != i || p[1] != j-1) && !split[s.Component] {
				split[s.Component] = true
				problems = append(problems, fmt.Sprintf("%s: the steps of %s are not together in one wave: roll each component back in one wave, its steps in a row", where, s.Component))
			}
			last[s.Component] = [2]int{i, j}
		}
		for _, c := range w.Components() {
			if mains[c] != 1 {
				problems = append(problems, fmt.Sprintf("wave %d: %s has %d redeploy or remove steps, want 1", i+1, c, mains[c]))
			}
		}
	}
	return validation(ErrInvalidRunbook, problems)
}

func dedupe(in []string) []string {
	if len(in) == 0 {
		return nil
	}
	seen := make(map[string]bool, len(in))
	out := make([]string, 0, len(in))
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func sortedKeys[V any](m map[StepKind]V) []StepKind {
	keys := make([]StepKind, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
