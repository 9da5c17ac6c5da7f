package release_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/calendar"
	"github.com/releasekit/releasekit/depgraph"
	"github.com/releasekit/releasekit/gate"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/releasetest"
	"github.com/releasekit/releasekit/risk"
	"github.com/releasekit/releasekit/rollback"
)

// The report scenario runs in the week before the 2026 holiday freeze: the prod
// train runs Tuesdays and Thursdays 10:00–16:00 Berlin, one deployment at a time.
var (
	reportMonday = time.Date(2026, 12, 14, 7, 0, 0, 0, time.UTC) // 08:00 Berlin
	reportFrom   = time.Date(2026, 12, 14, 0, 0, 0, 0, time.UTC)
	reportTo     = time.Date(2026, 12, 21, 0, 0, 0, 0, time.UTC)

	reportAuthor = release.Person("ana", release.RoleDeveloper, release.RoleDeployer)
	reportRM     = release.Person("rui", release.RoleReleaseManager)
)

type reportScenario struct {
	eng   *release.Engine
	store *memory.Store
	clock *releasetest.Clock
	graph *depgraph.Graph[string]
}

func reportGraph(t testing.TB) *depgraph.Graph[string] {
	g := depgraph.New[string]()
	for _, e := range [][2]string{{"web", "checkout"}, {"checkout", "payments"}, {"payments", "ledger"}, {"web", "search | beta"}} {
		require.NoError(t, g.AddDependency(e[0], e[1]))
	}
	require.NoError(t, g.AddRequirement("checkout", "payments", ">= 2.0.0, < 3.0.0"))
	return g
}

// newReportScenario builds an engine with every stage wired, on the memory store.
func newReportScenario(t testing.TB, opts ...release.Option) reportScenario {
	t.Helper()
	cal, err := calendar.NewWithOptions([]calendar.Rule{{
		Name: "prod release train", Kind: calendar.Window, Zone: "Europe/Berlin",
		Start: calendar.Wall(2026, 12, 1, 10, 0, 0), End: calendar.Wall(2026, 12, 1, 16, 0, 0),
		RRule: "FREQ=WEEKLY;BYDAY=TU,TH", Scope: calendar.Scope{Environments: []string{"prod"}},
	}}, calendar.WithAlignment(15*time.Minute), calendar.WithCapacity("prod", 1))
	require.NoError(t, err)
	s := reportScenario{store: memory.New(), clock: releasetest.NewClock(reportMonday, time.Second), graph: reportGraph(t)}
	checks := map[string]gate.Check{"build": {Status: gate.CheckSuccess}}
	policy := risk.Policy{Requirements: map[risk.Level]risk.Requirement{}}
	for _, l := range risk.Levels() {
		policy.Requirements[l] = risk.Requirement{Approvals: []risk.Quorum{{Role: release.RoleReleaseManager, Min: 1}}, Gates: []string{risk.GateChecks}}
	}
	s.eng, err = release.New(s.store, append([]release.Option{
		release.WithClock(s.clock),
		release.WithPolicy(release.AllowAll()),
		release.WithCalendar(release.CalendarConfig{Calendar: cal, Soak: 30 * time.Minute}),
		release.WithRisk(release.RiskConfig{Graph: s.graph}),
		release.WithGates(release.GateConfig{
			ByEnvironment: map[string][]gate.Gate{"prod": {gate.Checks("build")}},
			Policy:        &policy,
			Options:       gate.Options{AllowedWaiverRoles: []string{release.RoleReleaseManager}},
			Evidence: func(_ context.Context, r release.Release) (gate.Input, error) {
				if strings.HasPrefix(r.Name, "search") {
					return gate.Input{Checks: map[string]gate.Check{"build": {Status: gate.CheckFailure}}}, nil
				}
				return gate.Input{Checks: checks}, nil
			},
		}),
		release.WithDependencies(release.DependencyConfig{}),
		release.WithRollback(release.RollbackConfig{Graph: s.graph, Executor: rollback.ExecutorFunc(func(context.Context, rollback.Step) error { return nil })}),
	}, opts...)...)
	require.NoError(t, err)
	return s
}

func (s reportScenario) create(t testing.TB, spec release.Spec) release.Release {
	t.Helper()
	spec.Author, spec.Environment, spec.Team = reportAuthor.ID, "prod", "shop"
	if spec.Duration == 0 {
		spec.Duration = 45 * time.Minute
	}
	r, err := s.eng.Create(context.Background(), spec)
	require.NoError(t, err)
	return r
}

func (s reportScenario) fire(t testing.TB, id release.ID, ev release.Event, actor release.Actor, opts ...release.FireOption) release.Release {
	t.Helper()
	r, err := s.eng.Fire(context.Background(), id, ev, actor, opts...)
	require.NoError(t, err, "%s by %s", ev, actor.ID)
	return r
}

// build plays the fixed scenario: a two-component release that fails in prod and is
// rolled back; a release that needs it and stays approved; a release whose failed
// check is waived and that ships; a release only planned; one outside the period.
func (s reportScenario) build(t testing.TB) {
	t.Helper()
	pay := s.create(t, release.Spec{Name: "payments", Version: "2.1.0", Components: []release.Component{
		{Name: "payments", Version: "2.1.0", PreviousVersion: "2.0.3"}, {Name: "ledger", Version: "4.2.0", PreviousVersion: "4.1.0"}}})
	co := s.create(t, release.Spec{Name: "checkout", Version: "3.5.0", Needs: []release.Need{{Name: "payments", Version: ">= 2.1.0"}},
		Components: []release.Component{{Name: "checkout", Version: "3.5.0", PreviousVersion: "3.4.2"}}})
	search := s.create(t, release.Spec{Name: "search | beta", Version: "0.9.0", Duration: 30 * time.Minute,
		Components: []release.Component{{Name: "search | beta", Version: "0.9.0"}}})
	web := s.create(t, release.Spec{Name: "web", Version: "7.3.0", Components: []release.Component{{Name: "web", Version: "7.3.0", PreviousVersion: "7.2.9"}}})
	for _, r := range []release.Release{pay, co, search, web} {
		s.fire(t, r.ID, release.EventPlan, reportAuthor)
	}
	for _, r := range []release.Release{pay, co, search} {
		s.fire(t, r.ID, release.EventSchedule, reportAuthor)
	}
	s.fire(t, pay.ID, release.EventApprove, reportRM, release.Reason("CAB 2026-12-14"))
	s.fire(t, co.ID, release.EventApprove, reportRM)
	s.fire(t, search.ID, release.EventApprove, reportRM, release.Waive(gate.Waiver{Gate: "checks", Actor: "kim", Roles: []string{release.RoleReleaseManager},
		Reason: "build | flaky\ntest, known issue", Expires: reportMonday.Add(48 * time.Hour)}))

	pay = s.get(t, pay.ID)
	s.clock.Set(pay.Slot.Start)
	s.fire(t, pay.ID, release.EventStart, reportAuthor)
	s.clock.Advance(40 * time.Minute)
	s.fire(t, pay.ID, release.EventComplete, reportAuthor)
	s.clock.Advance(5 * time.Minute)
	s.fire(t, pay.ID, release.EventFail, reportAuthor, release.Reason("error rate 4% | p95 900 ms"))
	s.fire(t, pay.ID, release.EventRollback, reportAuthor)
	s.fire(t, pay.ID, release.EventClose, reportRM, release.WithReview(release.Review{Outcome: "rolled back within the slot",
		Lessons: []string{"canary | first", "watch the\nledger lag"}, FollowUps: []string{"PAY-42: load test the ledger migration"}}))

	search = s.get(t, search.ID)
	s.clock.Set(search.Slot.Start)
	for _, ev := range []release.Event{release.EventStart, release.EventComplete, release.EventVerify} {
		s.fire(t, search.ID, ev, reportAuthor)
		s.clock.Advance(10 * time.Minute)
	}
	s.fire(t, search.ID, release.EventClose, reportRM, release.WithReview(release.Review{Outcome: "shipped"}))

	s.clock.Set(reportTo.Add(time.Hour))
	s.create(t, release.Spec{Name: "inventory", Version: "1.8.0"}) // after the period: not in the report
}

func (s reportScenario) get(t testing.TB, id release.ID) release.Release {
	t.Helper()
	r, err := s.eng.Get(context.Background(), id)
	require.NoError(t, err)
	return r
}

func TestReportGolden(t *testing.T) {
	s := newReportScenario(t)
	s.build(t)
	var got bytes.Buffer
	require.NoError(t, s.eng.Report(context.Background(), &got, release.ReportOptions{
		From: reportFrom, To: reportTo, Graph: s.graph, Title: "Week 51 | prod train"}))

	golden := filepath.Join("testdata", "report", "week51.md")
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(golden), 0o755))
		require.NoError(t, os.WriteFile(golden, got.Bytes(), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err, "run go test ./release -run TestReportGolden -update to create the golden file")
	assert.Equal(t, string(want), got.String(), "report differs from %s (run with -update to accept)", golden)

	// The same store gives the same text.
	var again bytes.Buffer
	require.NoError(t, s.eng.Report(context.Background(), &again, release.ReportOptions{
		From: reportFrom, To: reportTo, Graph: s.graph, Title: "Week 51 | prod train"}))
	assert.Equal(t, got.String(), again.String())
}

func TestReportSections(t *testing.T) {
	s := newReportScenario(t)
	s.build(t)
	var b bytes.Buffer
	require.NoError(t, s.eng.Report(context.Background(), &b, release.ReportOptions{From: reportFrom, To: reportTo, Graph: s.graph}))
	out := b.String()
	for _, want := range []string{
		"# Release report\n",
		// The summary first, counting outcomes, not states.
		"| Environment | Shipped | Rolled back | Held | Booked | Not booked | Releases |\n|---|---|---|---|---|---|---|\n| prod | 1 | 1 | 0 | 1 | 1 | 4 |\n",
		"- **prod**: shipped search \\| beta 0.9.0 · rolled back payments 2.1.0 · booked checkout 3.5.0 (2026-12-15) · not booked web 7.3.0\n",
		"| r1 | payments | 2.1.0 | prod | normal | rolled back | closed | 2026-12-15 09:00–09:45 |",
		"| r2 | search \\| beta | 0.9.0 | prod | normal | shipped | closed |",
		// Who failed it and why.
		"| r1 | payments 2.1.0 (prod) | failed | ana | 2026-12-15 09:45 | error rate 4% \\| p95 900 ms |",
		"payments 2.1.0 :crit, done, r1, 2026-12-15 09:00, 2026-12-15 09:45",
		"r1 -->|\"#62;= 2.1.0\"| r3",
		"- Go with a waiver, a warning or a failing advisory gate: r2 (G2) (1)\n",
		"| checks | required | fail (waived by kim until 2026-12-16 07:00 UTC: build \\| flaky<br>test, known issue) |",
		"run complete: 2 done, 0 failed, 0 not started",
		"Lessons: canary \\| first; watch the<br>ledger lag. Follow-ups: PAY-42: load test the ledger migration",
		"| Change failure rate | 50% (1 failed) |",
		// Lead time measured from creation says so, and claims its band only as a bound.
		"| Lead time for changes (from release creation, not commit) | 1d 2h 48m (median of 2) | high at best (DORA measures from the commit, before the release was created) |",
		"Every history verifies: 4 releases,",
	} {
		assert.Contains(t, out, want)
	}
	assert.NotContains(t, out, "inventory", "a release created after the period is not in it")
	assert.Contains(t, out, "| r4 | web | 7.3.0 | prod | normal | not booked | planned | – | ", "a release without a slot comes last")
	main, appendix, ok := strings.Cut(out, "\n## Appendix\n")
	require.True(t, ok, "the report has an appendix")
	assert.NotContains(t, main, "| Gate | Required |", "gate tables are in the appendix")
	assert.Contains(t, appendix, "#### G1: Go for r1, r3\n", "identical gate tables are printed once")

	// One environment only.
	b.Reset()
	require.NoError(t, s.eng.Report(context.Background(), &b, release.ReportOptions{From: reportFrom, To: reportTo, Environment: "dev"}))
	assert.Contains(t, b.String(), "No release was created, slotted or deployed in this period.")
	assert.Contains(t, b.String(), "environment: dev")
	assert.NotContains(t, b.String(), "payments")
}

func TestReportRefusesBadInput(t *testing.T) {
	s := newReportScenario(t)
	for _, tc := range []struct {
		why  string
		opts release.ReportOptions
		want string
	}{
		{"no period at all", release.ReportOptions{}, "From is zero"},
		{"no end", release.ReportOptions{From: reportFrom}, "To is zero"},
		{"an inverted period", release.ReportOptions{From: reportTo, To: reportFrom}, "is not after From"},
		{"an empty period", release.ReportOptions{From: reportFrom, To: reportFrom}, "the period is empty"},
		{"an unknown format", release.ReportOptions{From: reportFrom, To: reportTo, Format: "pdf"}, `Format "pdf" is not "markdown" or "html"`},
	} {
		t.Run(tc.why, func(t *testing.T) {
			var b bytes.Buffer
			err := s.eng.Report(context.Background(), &b, tc.opts)
			require.ErrorIs(t, err, release.ErrInvalid)
			var ve *release.ValidationError
			require.ErrorAs(t, err, &ve)
			assert.Contains(t, err.Error(), tc.want)
			assert.Zero(t, b.Len(), "a refused report writes nothing")
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var b bytes.Buffer
	err := s.eng.Report(ctx, &b, release.ReportOptions{From: reportFrom, To: reportTo})
	require.ErrorIs(t, err, context.Canceled)
	assert.Zero(t, b.Len())
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestReportReturnsWriteError(t *testing.T) {
	s := newReportScenario(t)
	err := s.eng.Report(context.Background(), failingWriter{}, release.ReportOptions{From: reportFrom, To: reportTo})
	require.EqualError(t, err, "disk full")
}

// TestReportTableProperty: whatever the names and versions (pipes, line breaks,
// HTML) and whichever events each release went through, the releases table has one
// row per release with exactly its ten cells, the summary counts are the releases
// table's rows by environment and outcome (the "all" row their sums), and the
// report is the same text every time.
func TestReportTableProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		ctx := context.Background()
		clock := releasetest.NewClock(reportMonday, time.Minute)
		eng, err := release.New(memory.New(), release.WithClock(clock), release.WithPolicy(release.AllowAll()))
		require.NoError(t, err)
		text := rapid.StringOf(rapid.SampledFrom([]rune("ab |\\\n<>&:#;`*_x\r\t")))
		n := rapid.IntRange(0, 6).Draw(t, "releases")
		for i := range n {
			name := "n" + text.Draw(t, fmt.Sprintf("name%d", i))
			r, err := eng.Create(ctx, release.Spec{Name: name, Version: "v" + text.Draw(t, fmt.Sprintf("version%d", i)),
				Environment: rapid.SampledFrom([]string{"dev", "prod", "p|r"}).Draw(t, "env"), Author: "ana"})
			require.NoError(t, err)
			for range rapid.IntRange(0, 10).Draw(t, "steps") {
				next := release.Available(r.State)
				if len(next) == 0 {
					break
				}
				ev := rapid.SampledFrom(next).Draw(t, "event")
				if r, err = eng.Fire(ctx, r.ID, ev, reportRM); err != nil {
					// Some events need more than a bare engine gives (promote's
					// pipeline, a rollout driver); the walk goes on without them.
					require.NotErrorIs(t, err, release.ErrStale)
					r, err = eng.Get(ctx, r.ID)
					require.NoError(t, err)
				}
			}
		}
		opts := release.ReportOptions{From: reportFrom, To: reportTo, Title: text.Draw(t, "title")}
		var a, b bytes.Buffer
		require.NoError(t, eng.Report(ctx, &a, opts))
		require.NoError(t, eng.Report(ctx, &b, opts))
		require.Equal(t, a.String(), b.String(), "the report is not deterministic")

		rows := tableRows(a.String(), "## Releases")
		if n == 0 {
			require.Contains(t, a.String(), "No release was created, slotted or deployed in this period.")
		}
		require.Len(t, rows, n, "one row per release:\n%s", a.String())
		perEnv := map[string]map[string]int{}
		for _, row := range rows {
			cells := splitRow(row)
			require.Len(t, cells, 10, "row %q", row)
			env, outcome := cells[3], cells[5]
			if perEnv[env] == nil {
				perEnv[env] = map[string]int{}
			}
			perEnv[env][outcome]++
		}
		summary := tableRows(a.String(), "## Summary")
		if n == 0 {
			require.Empty(t, summary)
			return
		}
		header := splitRow(strings.SplitN(strings.SplitN(a.String(), "## Summary\n\n", 2)[1], "\n", 2)[0])
		sums := make([]int, len(header))
		envRows := 0
		for _, row := range summary {
			cells := splitRow(row)
			require.Len(t, cells, len(header), "summary row %q", row)
			env := cells[0]
			total := 0
			for k := 1; k < len(cells)-1; k++ {
				got, err := strconv.Atoi(cells[k])
				require.NoError(t, err)
				if env == "all" && len(summary) > 1 {
					require.Equal(t, sums[k], got, "the all row sums %s", header[k])
					continue
				}
				require.Equal(t, perEnv[env][strings.ToLower(header[k])], got, "%s in %s", header[k], env)
				sums[k] += got
				total += got
			}
			if env != "all" || len(summary) == 1 {
				envRows++
				require.Equal(t, strconv.Itoa(total), cells[len(cells)-1], "the total of %s", env)
				count := 0
				for _, c := range perEnv[env] {
					count += c
				}
				require.Equal(t, count, total, "every release of %s is counted once", env)
			}
		}
		require.Equal(t, len(perEnv), envRows, "one summary row per environment")
	})
}

// splitRow splits a Markdown table row into its cells (escaped pipes kept),
// trimmed.
func splitRow(row string) []string {
	var cells []string
	var cur strings.Builder
	for i := 1; i < len(row); i++ {
		switch row[i] {
		case '\\':
			cur.WriteByte(row[i])
			if i+1 < len(row) {
				i++
				cur.WriteByte(row[i])
			}
		case '|':
			cells = append(cells, strings.TrimSpace(cur.String()))
			cur.Reset()
		default:
			cur.WriteByte(row[i])
		}
	}
	return cells
}

// tableRows returns the data rows of the first table after heading.
func tableRows(doc, heading string) []string {
	_, rest, ok := strings.Cut(doc, heading+"\n")
	if !ok {
		return nil
	}
	var rows []string
	inTable := false
	for _, line := range strings.Split(rest, "\n") {
		switch {
		case strings.HasPrefix(line, "## "):
			return nil
		case strings.HasPrefix(line, "|"):
			inTable = true
			rows = append(rows, line)
		case inTable:
			if len(rows) < 2 {
				return nil
			}
			return rows[2:] // without the header and the separator
		}
	}
	return nil
}

func ExampleEngine_Report() {
	ctx := context.Background()
	clock := releasetest.NewClock(time.Date(2026, 12, 14, 9, 0, 0, 0, time.UTC), time.Minute)
	eng, err := release.New(memory.New(), release.WithClock(clock), release.WithPolicy(release.AllowAll()))
	if err != nil {
		fmt.Println(err)
		return
	}
	// The host knows when the change was committed: lead time runs from there.
	r, err := eng.Create(ctx, release.Spec{Name: "checkout", Version: "3.5.0", Environment: "prod", Author: "ana",
		CommittedAt: time.Date(2026, 12, 11, 16, 30, 0, 0, time.UTC)})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, ev := range []release.Event{release.EventPlan, release.EventSchedule, release.EventApprove, release.EventStart, release.EventComplete} {
		if r, err = eng.Fire(ctx, r.ID, ev, release.Person("rui")); err != nil {
			fmt.Println(err)
			return
		}
	}
	var b strings.Builder
	err = eng.Report(ctx, &b, release.ReportOptions{
		From: time.Date(2026, 12, 14, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 12, 21, 0, 0, 0, 0, time.UTC), Title: "Week 51"})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, line := range strings.Split(b.String(), "\n") {
		if strings.HasPrefix(line, "#") || strings.HasPrefix(line, "| prod") || strings.HasPrefix(line, "| r1 | checkout |") ||
			strings.HasPrefix(line, "| Lead time") {
			fmt.Println(line)
		}
	}
	// Output:
	// # Week 51
	// ## Summary
	// | prod | 1 | 0 | 0 | 0 | 1 |
	// ## Releases
	// | r1 | checkout | 3.5.0 | prod | normal | shipped | deployed | – | – | – |
	// ## Decisions and refusals
	// ## Calendar
	// ## Gate decisions
	// ## Risk
	// ## Rollouts and rollbacks
	// ## Reviews
	// ## DORA metrics
	// | Lead time for changes (from commit) | 2d 16h 35m (median of 1) | high |
	// ## Audit
	// ## Appendix
	// ### Dependencies
	// ### DORA metrics per service
	// ### Audit per release
}

// BenchmarkReport measures one report: the golden scenario, then plain periods of
// 10, 100 and 1000 deployed releases (memory store).
func BenchmarkReport(b *testing.B) {
	ctx := context.Background()
	b.Run("scenario", func(b *testing.B) {
		s := newReportScenario(b)
		s.build(b)
		opts := release.ReportOptions{From: reportFrom, To: reportTo, Graph: s.graph}
		b.ReportAllocs()
		for b.Loop() {
			if err := s.eng.Report(ctx, io.Discard, opts); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, n := range []int{10, 100, 1000} {
		b.Run(fmt.Sprintf("releases=%d", n), func(b *testing.B) {
			clock := releasetest.NewClock(reportMonday, time.Minute)
			eng, err := release.New(memory.New(), release.WithClock(clock), release.WithPolicy(release.AllowAll()))
			require.NoError(b, err)
			for i := range n {
				r, err := eng.Create(ctx, release.Spec{Name: fmt.Sprintf("svc-%d", i%37), Version: fmt.Sprintf("1.%d.0", i), Environment: "prod", Author: "ana"})
				require.NoError(b, err)
				for _, ev := range []release.Event{release.EventPlan, release.EventSchedule, release.EventApprove, release.EventStart, release.EventComplete} {
					_, err := eng.Fire(ctx, r.ID, ev, reportRM)
					require.NoError(b, err)
				}
			}
			opts := release.ReportOptions{From: reportFrom, To: reportMonday.Add(30 * 24 * time.Hour)}
			b.ReportAllocs()
			for b.Loop() {
				if err := eng.Report(ctx, io.Discard, opts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
