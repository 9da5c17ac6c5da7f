package rollback_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/releasekit/releasekit/depgraph"
	"github.com/releasekit/releasekit/rollback"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func ids(steps []rollback.Step) []string {
	out := make([]string, len(steps))
	for i, s := range steps {
		out[i] = s.ID
	}
	return out
}

func TestPlanShop(t *testing.T) {
	rb, err := rollback.Plan(shopGraph(), shopDeployment(), shopOptions())
	require.NoError(t, err)
	require.NoError(t, rb.Validate())
	want := []string{
		// wave 1: nothing deployed depends on checkout (web did not start) or notifications
		"w1/checkout/custom/cdn-rules",
		"w1/checkout/redeploy",
		"w1/notifications/remove",
		// wave 2: checkout depended on both
		"w2/inventory/redeploy",
		"w2/payments/disable-flag/instant-refunds",
		"w2/payments/redeploy",
		// wave 3: migrations reverted last-applied first, after the redeploy
		"w3/ledger/redeploy",
		"w3/ledger/roll-forward/0043_drop_legacy",
		"w3/ledger/revert-migration/0042_add_index",
	}
	assert.Equal(t, want, ids(rb.Steps()))
	assert.Equal(t, []string{"checkout", "notifications", "inventory", "payments", "ledger"}, rb.Components())

	s, ok := rb.Step("w2/payments/redeploy")
	require.True(t, ok)
	assert.Equal(t, "deployctl rollout payments --version 2.7.1", s.Command)
	assert.Equal(t, []string{"@team-payments", "@finance-oncall"}, s.Notify)
	assert.Contains(t, s.Verify, "Refunds created after the rollback settle.")
	assert.Equal(t, "2.7.1", s.Version)
	assert.Equal(t, "2.8.0", s.Current)
	assert.False(t, s.Unfinished)

	s, _ = rb.Step("w3/ledger/roll-forward/0043_drop_legacy")
	assert.Equal(t, "ledgerctl migrate up 0044_restore_legacy_view", s.Command, "roll-forward runs the record's roll-forward command")
	s, _ = rb.Step("w3/ledger/revert-migration/0042_add_index")
	assert.Equal(t, "migrate --service ledger down 0042_add_index", s.Command)
	s, _ = rb.Step("w1/checkout/redeploy")
	assert.True(t, s.Unfinished, "checkout did not finish deploying")
	s, _ = rb.Step("w1/checkout/custom/cdn-rules")
	assert.Equal(t, "cdnctl restore --snapshot pre-2026.11.3", s.Command, "the action's own command beats the template")
	assert.Contains(t, s.Verify, "The CDN serves the checkout pages of 5.0.3.")
	_, ok = rb.Step("w1/web/redeploy")
	assert.False(t, ok, "web never started deploying")

	// wave 1: checkout custom 5m + redeploy 10m = 15m; wave 2: payments 2m+10m = 12m;
	// wave 3: ledger 10m + 30m + 15m = 55m.
	assert.Equal(t, 82*time.Minute, rb.Duration())
}

func TestPlanStepOrderWithinComponent(t *testing.T) {
	g := depgraph.New[string]()
	g.AddNode("api")
	d := rollback.Deployment{Release: "r", Components: []rollback.ComponentChange{{
		Name: "api", From: "1", To: "2", Finished: true,
		Actions: []rollback.Action{
			{Kind: rollback.ActionMigration, Name: "m1", Reversible: true},
			{Kind: rollback.ActionCustom, Name: "c1", Command: "x"},
			{Kind: rollback.ActionFeatureFlag, Name: "f1"},
			{Kind: rollback.ActionMigration, Name: "m2", Reversible: true},
			{Kind: rollback.ActionFeatureFlag, Name: "f2"},
			{Kind: rollback.ActionCustom, Name: "c2", Command: "y"},
		},
	}}}
	rb, err := rollback.Plan(g, d, rollback.Options{})
	require.NoError(t, err)
	assert.Equal(t, []string{
		"w1/api/disable-flag/f2", "w1/api/disable-flag/f1",
		"w1/api/custom/c2", "w1/api/custom/c1",
		"w1/api/redeploy",
		"w1/api/revert-migration/m2", "w1/api/revert-migration/m1",
	}, ids(rb.Steps()), "flags, custom changes, redeploy, migrations; each group last-done first")
}

func TestPlanDurations(t *testing.T) {
	g := depgraph.New[string]()
	g.AddNode("api")
	d := rollback.Deployment{Components: []rollback.ComponentChange{{
		Name: "api", From: "1", To: "2",
		Actions: []rollback.Action{
			{Kind: rollback.ActionFeatureFlag, Name: "own", Duration: 7 * time.Second},
			{Kind: rollback.ActionFeatureFlag, Name: "kind"},
			{Kind: rollback.ActionMigration, Name: "default", Reversible: true},
		},
	}}}
	rb, err := rollback.Plan(g, d, rollback.Options{Durations: map[rollback.StepKind]time.Duration{rollback.KindDisableFlag: 30 * time.Second}})
	require.NoError(t, err)
	got := map[string]time.Duration{}
	for _, s := range rb.Steps() {
		got[s.ID] = s.Duration
	}
	assert.Equal(t, map[string]time.Duration{
		"w1/api/disable-flag/own":         7 * time.Second,  // the action's own estimate
		"w1/api/disable-flag/kind":        30 * time.Second, // Options.Durations for the kind
		"w1/api/redeploy":                 rollback.DefaultDurations()[rollback.KindRedeploy],
		"w1/api/revert-migration/default": rollback.DefaultDurations()[rollback.KindRevertMigration],
	}, got)
	assert.Equal(t, 7*time.Second+30*time.Second+10*time.Minute+15*time.Minute, rb.Duration(), "one component: its steps in sequence")
}

func TestPlanErrors(t *testing.T) {
	cyclic := shopGraph()
	require.NoError(t, cyclic.AddDependency("ledger", "checkout")) // checkout -> payments -> ledger -> checkout
	elsewhere := shopGraph()
	require.NoError(t, elsewhere.AddDependency("a", "b"))
	require.NoError(t, elsewhere.AddDependency("b", "a"))
	require.NoError(t, elsewhere.AddDependency("a", "checkout")) // a cycle above checkout, none of it deployed

	irreversible := shopOptions()
	irreversible.RollForward = false

	tests := []struct {
		name   string
		graph  *depgraph.Graph[string]
		record rollback.Deployment
		opts   rollback.Options
		is     error
		check  func(t *testing.T, err error)
	}{
		{name: "nil graph", graph: nil, record: shopDeployment(), is: rollback.ErrInvalidOptions},
		{name: "irreversible migration without roll-forward names the step", graph: shopGraph(), record: shopDeployment(), opts: irreversible,
			is: rollback.ErrIrreversible, check: func(t *testing.T, err error) {
				var ie *rollback.IrreversibleError
				require.ErrorAs(t, err, &ie)
				assert.Equal(t, []string{"w3/ledger/revert-migration/0043_drop_legacy"}, ids(ie.Steps))
				assert.Contains(t, err.Error(), "ledger migration 0043_drop_legacy")
				assert.Contains(t, err.Error(), "RollForward")
			}},
		{name: "cycle through deployed components", graph: cyclic, record: shopDeployment(), opts: shopOptions(),
			is: depgraph.ErrCycle, check: func(t *testing.T, err error) {
				var ce *depgraph.CycleError[string]
				require.ErrorAs(t, err, &ce)
				assert.Equal(t, ce.Cycle[0], ce.Cycle[len(ce.Cycle)-1])
				assert.Contains(t, ce.Cycle, "ledger")
			}},
		{name: "component missing from the graph", graph: depgraph.New[string](), record: shopDeployment(), opts: shopOptions(),
			is: rollback.ErrUnknownComponent, check: func(t *testing.T, err error) {
				var ue *rollback.UnknownComponentError
				require.ErrorAs(t, err, &ue)
				assert.Equal(t, []string{"checkout", "inventory", "ledger", "notifications", "payments", "web"}, ue.Components)
				assert.Contains(t, err.Error(), "AddNode")
			}},
		{name: "failed component that never started", graph: shopGraph(), record: shopDeployment(),
			opts: rollback.Options{Failed: []string{"web", "search"}, RollForward: true},
			is:   rollback.ErrUnknownComponent, check: func(t *testing.T, err error) {
				var ue *rollback.UnknownComponentError
				require.ErrorAs(t, err, &ue)
				assert.Equal(t, []string{"search", "web"}, ue.Components)
			}},
		{name: "bad options reported at once", graph: shopGraph(), record: shopDeployment(),
			opts: rollback.Options{Failed: []string{""}, Durations: map[rollback.StepKind]time.Duration{"reboot": -time.Second}, Commands: map[rollback.StepKind]string{"nope": "x"}},
			is:   rollback.ErrInvalidOptions, check: func(t *testing.T, err error) {
				var ve *rollback.ValidationError
				require.ErrorAs(t, err, &ve)
				assert.Len(t, ve.Problems, 4, "unknown kind and negative duration, unknown command kind, empty failed name")
			}},
		{name: "bad record reported at once", graph: shopGraph(), record: rollback.Deployment{Components: []rollback.ComponentChange{
			{Name: "", To: "1"},
			{Name: "a", To: "1", Wave: -1, NotStarted: true, Finished: true},
			{Name: "a", Actions: []rollback.Action{
				{Kind: "teleport", Name: "x"},
				{Kind: rollback.ActionCustom, Name: ""},
				{Kind: rollback.ActionFeatureFlag, Name: "f", Duration: -1},
				{Kind: rollback.ActionFeatureFlag, Name: "f"},
			}},
		}}, is: rollback.ErrInvalidDeployment, check: func(t *testing.T, err error) {
			var ve *rollback.ValidationError
			require.ErrorAs(t, err, &ve)
			assert.Len(t, ve.Problems, 10, "%q", ve.Problems)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rb, err := rollback.Plan(tt.graph, tt.record, tt.opts)
			require.ErrorIs(t, err, tt.is)
			assert.Nil(t, rb)
			if tt.check != nil {
				tt.check(t, err)
			}
		})
	}

	t.Run("cycle elsewhere does not matter", func(t *testing.T) {
		rb, err := rollback.Plan(elsewhere, shopDeployment(), shopOptions())
		require.NoError(t, err)
		assert.Len(t, rb.Waves, 3)
	})
}

func TestPlanPartial(t *testing.T) {
	opts := shopOptions()
	opts.Failed = []string{"payments", "payments"}
	rb, err := rollback.Plan(shopGraph(), shopDeployment(), opts)
	require.NoError(t, err)
	assert.Equal(t, []string{"payments"}, rb.Failed)
	assert.Equal(t, []string{"checkout", "payments"}, rb.Components(), "payments and the deployed components that depend on it: not ledger, inventory or notifications")
	assert.Equal(t, []string{"w1/checkout/custom/cdn-rules", "w1/checkout/redeploy", "w2/payments/disable-flag/instant-refunds", "w2/payments/redeploy"}, ids(rb.Steps()))
}

func TestPlanNothingStarted(t *testing.T) {
	d := shopDeployment()
	for i := range d.Components {
		d.Components[i].NotStarted, d.Components[i].Finished = true, false
	}
	rb, err := rollback.Plan(shopGraph(), d, rollback.Options{})
	require.NoError(t, err)
	assert.Empty(t, rb.Waves)
	assert.Zero(t, rb.Duration())
	require.NoError(t, rb.Validate())
}

func TestFitsIn(t *testing.T) {
	rb, err := rollback.Plan(shopGraph(), shopDeployment(), shopOptions())
	require.NoError(t, err)
	start := time.Date(2026, 11, 22, 22, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		end     time.Time
		fits    bool
		inverse bool
	}{
		{name: "longer window", end: start.Add(2 * time.Hour), fits: true},
		{name: "exact window", end: start.Add(82 * time.Minute), fits: true},
		{name: "one minute short", end: start.Add(81 * time.Minute)},
		{name: "end before start", end: start.Add(-time.Minute), inverse: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := rb.FitsIn(start, tt.end)
			if tt.fits {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, rollback.ErrDoesNotFit)
			var we *rollback.WindowError
			require.ErrorAs(t, err, &we)
			assert.Equal(t, 82*time.Minute, we.Need)
			assert.Equal(t, tt.end.Sub(start), we.Have)
			if tt.inverse {
				assert.Contains(t, err.Error(), "before it starts")
			} else {
				assert.Contains(t, err.Error(), "needs 1h22m")
			}
		})
	}
}

func TestDurationWith(t *testing.T) {
	g := depgraph.New[string]()
	var comps []rollback.ComponentChange
	for _, n := range []string{"a", "b", "c", "d"} {
		g.AddNode(n)
		comps = append(comps, rollback.ComponentChange{Name: n, From: "1", To: "2"})
	}
	rb, err := rollback.Plan(g, rollback.Deployment{Components: comps}, rollback.Options{})
	require.NoError(t, err)
	assert.Equal(t, 10*time.Minute, rb.Duration(), "four components in one wave, in parallel")
	assert.Equal(t, 10*time.Minute, rb.DurationWith(0))
	assert.Equal(t, 40*time.Minute, rb.DurationWith(1))
	assert.Equal(t, 20*time.Minute, rb.DurationWith(2))
	assert.Equal(t, 20*time.Minute, rb.DurationWith(3))
	assert.Equal(t, 10*time.Minute, rb.DurationWith(8))
}

func TestRunbookValidate(t *testing.T) {
	good := func() *rollback.Runbook {
		rb, err := rollback.Plan(shopGraph(), shopDeployment(), shopOptions())
		require.NoError(t, err)
		return rb
	}
	tests := []struct {
		name   string
		mutate func(rb *rollback.Runbook)
		want   string
	}{
		{"wave misnumbered", func(rb *rollback.Runbook) { rb.Waves[1].Number = 5 }, "wave 2 has number 5"},
		{"empty wave", func(rb *rollback.Runbook) { rb.Waves[1].Steps = nil }, "wave 2 has no steps"},
		{"duplicate ID", func(rb *rollback.Runbook) { rb.Waves[0].Steps[1].ID = rb.Waves[0].Steps[0].ID }, "repeats an ID"},
		{"ID not of the plan's form", func(rb *rollback.Runbook) { rb.Waves[0].Steps[0].ID = "checkout-1" }, `should have ID "w1/checkout/custom/cdn-rules"`},
		{"step in the wrong wave", func(rb *rollback.Runbook) { rb.Waves[0].Steps[0].Wave = 2 }, "says wave 2"},
		{"unknown kind", func(rb *rollback.Runbook) { rb.Waves[0].Steps[0].Kind = "reboot" }, `unknown kind "reboot"`},
		{"negative duration", func(rb *rollback.Runbook) { rb.Waves[0].Steps[0].Duration = -time.Second }, "negative duration"},
		{"no component", func(rb *rollback.Runbook) { rb.Waves[0].Steps[0].Component = "" }, "has no component"},
		{"component in two waves", func(rb *rollback.Runbook) {
			s := rb.Waves[0].Steps[1]
			s.Wave, s.ID = 2, "w2/checkout/redeploy"
			rb.Waves[0].Steps = append(rb.Waves[0].Steps[:1:1], rb.Waves[0].Steps[2:]...)
			rb.Waves[1].Steps = append(rb.Waves[1].Steps, s)
		}, "not together in one wave"},
		{"no redeploy", func(rb *rollback.Runbook) { rb.Waves[1].Steps = rb.Waves[1].Steps[:2] }, "payments has 0 redeploy or remove steps"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rb := good()
			tt.mutate(rb)
			err := rb.Validate()
			require.ErrorIs(t, err, rollback.ErrInvalidRunbook)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
	var nilRunbook *rollback.Runbook
	require.ErrorIs(t, nilRunbook.Validate(), rollback.ErrInvalidRunbook)
}

func TestRunbookJSON(t *testing.T) {
	rb, err := rollback.Plan(shopGraph(), shopDeployment(), shopOptions())
	require.NoError(t, err)
	data, err := json.Marshal(rb)
	require.NoError(t, err)
	var back rollback.Runbook
	require.NoError(t, json.Unmarshal(data, &back))
	assert.Equal(t, rb, &back)
}

func TestKindLists(t *testing.T) {
	for _, k := range rollback.StepKinds() {
		assert.True(t, k.Valid(), k)
		_, ok := rollback.DefaultDurations()[k]
		assert.True(t, ok, "default duration for %s", k)
	}
	assert.False(t, rollback.StepKind("reboot").Valid())
	for _, k := range rollback.ActionKinds() {
		assert.True(t, k.Valid(), k)
	}
	assert.False(t, rollback.ActionKind("").Valid())
	assert.Len(t, rollback.StepStatuses(), 4)
	assert.Len(t, rollback.ProgressKinds(), 4)
	assert.True(t, errors.Is(&rollback.WindowError{}, rollback.ErrDoesNotFit))
}
