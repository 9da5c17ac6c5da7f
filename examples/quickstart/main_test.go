package main

// The quickstart is a command (package main), so its end-to-end test calls run
// directly: the same scenario `go run ./examples/quickstart` plays.

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/adapters/bolt"
	"github.com/releasekit/releasekit/calendar"
	"github.com/releasekit/releasekit/change"
	"github.com/releasekit/releasekit/release"
)

// TestQuickstartTwice runs the main job twice on one store: the second run
// continues with the next year's train, every run ends the same way, the files are
// written and readable, and every history verifies.
func TestQuickstartTwice(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, out := filepath.Join(dir, "state", "qs.db"), filepath.Join(dir, "out")
	for want := 1; want <= 2; want++ {
		var log bytes.Buffer
		got, err := run(ctx, &log, config{db: db, out: out, noSync: true})
		require.NoError(t, err, "run %d printed:\n%s", want, log.String())
		require.Equal(t, want, got.Run)
		require.Equal(t, 2025+want, got.Year)

		for _, env := range []string{"dev", "staging"} {
			require.Len(t, got.Releases[env], 5, "%s: the train and the hotfix", env)
			for name, r := range got.Releases[env] {
				assert.Equal(t, release.StateVerified, r.State, "%s in %s", name, env)
			}
		}
		prod := got.Releases["prod"]
		for name, r := range prod {
			// Every prod release was promoted from its staging release, and that
			// one from its dev release: one version across the pipeline.
			st, dev := got.Releases["staging"][name], got.Releases["dev"][name]
			assert.Equal(t, st.ID, r.Predecessor, "%s in prod is promoted from staging", name)
			assert.Equal(t, dev.ID, st.Predecessor, "%s in staging is promoted from dev", name)
			assert.True(t, dev.Predecessor.IsZero(), "%s in dev is created", name)
		}
		assert.Equal(t, release.StateClosed, prod["inventory"].State)
		assert.Equal(t, release.StateClosed, prod["auth"].State)
		assert.Equal(t, change.Emergency, prod["auth"].Class)
		assert.Equal(t, release.StatePlanned, prod["checkout"].State, "held: its need was rolled back")

		pay := prod["payments"]
		assert.Equal(t, release.StateClosed, pay.State)
		assert.Contains(t, pay.Reached, release.StateRolledBack)
		require.NotNil(t, pay.Review)
		require.NotNil(t, pay.Risk)
		assert.Equal(t, "high", pay.Risk.Level)
		assert.NotContains(t, pay.Reached, release.StateDeployed, "the canary failed during the deployment")
		requireCanaryHistory(t, ctx, db, pay.ID)

		notif := prod["notifications"]
		assert.Equal(t, release.StateScheduled, notif.State, "rebooked after the freeze")
		require.NotNil(t, notif.Slot)
		freezeEnd := time.Date(2026+want, 1, 3, 23, 0, 0, 0, time.UTC) // Jan 4 00:00 Berlin
		assert.False(t, notif.Slot.Start.Before(freezeEnd), "rebooked at %v, inside the freeze", notif.Slot.Start)

		for _, refusal := range []string{"separation-of-duties", "needs 1 of change-advisory-board", `gate "objectives" failed`,
			"dependencies: it needs payments", `by rule "holiday freeze"`,
			// The incident: payments' canary failed and was rolled back, inventory
			// shipped but is not among what payments depends on.
			"incident at 11:52 on payments: what changed in prod since 09:52?",
			"rolled_back, within its blast radius; requested by ana, approved by rui, kim",
			"closed, outside its dependencies", "to roll back: it is rolled back already",
			// Stop the line while the incident is worked.
			"lockdown prod at 11:52 by rui: incident on payments", "lifted the prod lockdown at 12:20 by rui"} {
			assert.Contains(t, oneLine(log.String()), refusal)
		}
		assert.Equal(t, 15*want, got.Verified, "every history in the store verified")

		require.Len(t, got.Files, 6)
		for _, f := range got.Files {
			st, err := os.Stat(f)
			require.NoError(t, err)
			assert.Positive(t, st.Size(), "%s is empty", f)
		}
		report, err := os.ReadFile(filepath.Join(out, "report.md"))
		require.NoError(t, err)
		// The report leads with the summary, says what became of each release and
		// who stopped which, and fits its main body on two printed pages.
		main, _, ok := strings.Cut(string(report), "\n## Appendix\n")
		require.True(t, ok, "the report has an appendix")
		assert.LessOrEqual(t, strings.Count(main, "\n"), reportMainLines, "the main body of the report is longer than two printed pages")
		assert.Contains(t, main, "## Summary\n\n| Environment | Shipped | Rolled back | Held | Booked | Releases |\n")
		assert.Contains(t, main, "| prod | 2 | 1 | 1 | 1 | 5 |\n")
		assert.Regexp(t, `\| r\d+ \| payments \| 2\.\d+\.0 \| prod \| normal \| rolled back \| closed \|`, main)
		assert.Regexp(t, `\| r\d+ \| checkout \| 3\.\d+\.0 \| prod \| normal \| held \| planned \|`, main)
		assert.Regexp(t, `\| payments 2\.\d+\.0 \(prod\) \| No-Go: approve refused \| rui \| [^|]+ \| gate approvals \(high risk\) fail: needs 1 of change-advisory-board`, main)
		// The starts the calendar and the dependencies refused are history too: who
		// asked, when, and why, in the decisions.
		assert.Regexp(t, `\| notifications 3\.\d+\.0 \(prod\) \| start refused by calendar \| deploybot \| [^|]+ \| [^|]*by rule "holiday freeze"`, main)
		assert.Regexp(t, `\| checkout 3\.\d+\.0 \(prod\) \| start refused by dependencies \| deploybot \| [^|]+ \| it needs payments`, main)
		assert.Contains(t, main, "| Lead time for changes (from commit) |")
		assert.NotContains(t, main, "| Gate | Required |", "the gate tables are in the appendix")
		html, err := os.ReadFile(filepath.Join(out, "report.html"))
		require.NoError(t, err)
		assert.Contains(t, string(html), `<table id="summary-table">`)
		assert.Contains(t, string(html), `<svg id="gantt"`)
		assert.Contains(t, string(report), "## Rollouts")
		assert.Contains(t, string(report), "measured error-ratio #1: Failed | 0.0417 (baseline 0.0079) meets the failure condition &gt;=0.02 |")
		assert.Contains(t, string(report), "step 1 (analysis) restored | weight 0% |")
		ics, err := os.Open(filepath.Join(out, "calendar.ics"))
		require.NoError(t, err)
		rules, err := calendar.ReadICS(ics)
		ics.Close()
		require.NoError(t, err)
		var names []string
		for _, r := range rules {
			names = append(names, r.Name)
		}
		assert.Subset(t, names, []string{"prod release train", "staging window", "holiday freeze"})
		raw, err := os.ReadFile(filepath.Join(out, "calendar.ics"))
		require.NoError(t, err)
		unfolded := strings.ReplaceAll(string(raw), "\r\n ", "")
		assert.Contains(t, unfolded, "SUMMARY:payments ", "bookings are named by service and version")
		assert.Contains(t, unfolded, "SUMMARY:Lockdown of prod: incident on payments", "the runtime lockdown is in the calendar")
		assert.NotContains(t, unfolded, "SUMMARY:Booking", "no booking is named by its internal ID")
	}

	// Afterwards the store opens cleanly and every history of both runs verifies.
	store, err := bolt.Open(db)
	require.NoError(t, err)
	defer store.Close()
	all, err := store.List(ctx, release.Filter{})
	require.NoError(t, err)
	require.Len(t, all, 30)
	for _, r := range all {
		h, err := store.History(ctx, r.ID)
		require.NoError(t, err)
		require.NoError(t, release.VerifyHistory(h, r.Head), "%s %s in %s", r.Name, r.Version, r.Environment)
	}
}

// requireCanaryHistory checks what the payments canary left in the history: the
// measurements read from the local stats endpoint as metric evidence, each step
// of the rollout, and the fail entry whose reason names the failing measurements,
// followed by the rollback.
func requireCanaryHistory(t *testing.T, ctx context.Context, db string, id release.ID) {
	t.Helper()
	store, err := bolt.Open(db)
	require.NoError(t, err)
	h, err := store.History(ctx, id)
	require.NoError(t, store.Close())
	require.NoError(t, err)
	var metrics []float64
	var steps, events []string
	var failReason string
	for _, e := range h {
		switch {
		case e.Event == release.EventRecord && e.Evidence.Kind == release.EvidenceMetric && e.Evidence.Source == "payments-stats":
			metrics = append(metrics, e.Evidence.Value)
			require.NotNil(t, e.Evidence.Baseline)
			assert.Less(t, *e.Evidence.Baseline, 0.01, "the stable version's error ratio")
		case e.Event == release.EventRecord && e.Evidence.Source == "strategy":
			steps = append(steps, e.Evidence.ExternalID)
		case e.Event != release.EventRecord:
			events = append(events, string(e.Event))
		}
		if e.Event == release.EventFail {
			failReason = e.Reason
		}
	}
	assert.Equal(t, []float64{0.0417, 0.0417}, metrics, "two measurements, the second over the failure limit")
	assert.Len(t, steps, 5, "step 0 started and completed, step 1 started, aborted, traffic restored")
	assert.Contains(t, failReason, "error-ratio #0: 0.0417 (baseline 0.0074) meets the failure condition >=0.02")
	assert.Contains(t, failReason, "error-ratio #1: 0.0417 (baseline 0.0079) meets the failure condition >=0.02")
	assert.Subset(t, events, []string{"start", "fail", "rollback", "finish_rollback", "close"})
	assert.NotContains(t, events, "complete")
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// reportMainLines bounds the main body of the quickstart's report (the lines before
// its appendix): two printed pages of about 60 lines each.
const reportMainLines = 120
