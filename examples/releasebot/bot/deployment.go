package bot

import (
	"context"
	"log/slog"
	"time"

	"github.com/releasekit/releasekit/calendar"
	"github.com/releasekit/releasekit/depgraph"
	"github.com/releasekit/releasekit/gate"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/risk"
	"github.com/releasekit/releasekit/rollback"
)

// Pipeline is the promotion path of the demo deployment: a version is verified in
// dev, then in staging, before it may start in prod.
var Pipeline = release.Pipeline{"dev", "staging", "prod"}

// DemoRules are the calendar rules of the demo deployment, in the zones the teams
// work in:
//
//   - "prod release train": prod deploys on Tuesdays and Thursdays, 10:00–16:00
//     Europe/Berlin;
//   - "staging hours": staging deploys on weekdays, 09:00–17:00 America/New_York;
//   - "year-end freeze": nothing but emergency changes reaches prod from 20
//     December to 3 January, Europe/Berlin, every year.
//
// dev has no rules: it is always open.
func DemoRules() []calendar.Rule {
	return []calendar.Rule{
		{Name: "prod release train", Kind: calendar.Window, Zone: "Europe/Berlin",
			Start: calendar.Wall(2025, 1, 7, 10, 0, 0), End: calendar.Wall(2025, 1, 7, 16, 0, 0),
			RRule: "FREQ=WEEKLY;BYDAY=TU,TH", Scope: calendar.Scope{Environments: []string{"prod"}}},
		{Name: "staging hours", Kind: calendar.Window, Zone: "America/New_York",
			Start: calendar.Wall(2025, 1, 6, 9, 0, 0), End: calendar.Wall(2025, 1, 6, 17, 0, 0),
			RRule: "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", Scope: calendar.Scope{Environments: []string{"staging"}}},
		{Name: "year-end freeze", Kind: calendar.Freeze, Zone: "Europe/Berlin",
			Start: calendar.Wall(2025, 12, 20, 0, 0, 0), End: calendar.Wall(2026, 1, 3, 0, 0, 0),
			RRule: "FREQ=YEARLY", Scope: calendar.Scope{Environments: []string{"prod"}},
			AllowClasses: []calendar.Class{calendar.ClassEmergency}},
	}
}

// demoCalendar is the calendar of [DemoRules], with slots aligned to 15 minutes.
func demoCalendar() (*calendar.Calendar, error) {
	return calendar.NewWithOptions(DemoRules(), calendar.WithAlignment(15*time.Minute))
}

// DemoGraph is the dependency graph of the demo services: web and mobile call
// checkout, checkout calls payments and inventory, payments writes to ledger, and
// everything sends through notifications.
func DemoGraph() *depgraph.Graph[string] {
	g := depgraph.New[string]()
	for _, e := range [][2]string{
		{"web", "checkout"}, {"mobile", "checkout"}, {"checkout", "payments"}, {"checkout", "inventory"},
		{"payments", "ledger"}, {"checkout", "notifications"}, {"payments", "notifications"},
	} {
		_ = g.AddDependency(e[0], e[1]) // distinct names: never a self-dependency
	}
	return g
}

// RiskPolicy is the bot's risk policy: every level needs the checks gate and a
// release manager's approval; high adds the change advisory board, critical adds
// security too and lets no warning pass.
func RiskPolicy() risk.Policy {
	rm := risk.Quorum{Role: release.RoleReleaseManager, Min: 1}
	cab := risk.Quorum{Role: RoleChangeAdvisoryBoard, Min: 1}
	sec := risk.Quorum{Role: RoleSecurity, Min: 1}
	return risk.Policy{Requirements: map[risk.Level]risk.Requirement{
		risk.Low:      {Approvals: []risk.Quorum{rm}, Gates: []string{risk.GateChecks}},
		risk.Medium:   {Approvals: []risk.Quorum{rm}, Gates: []string{risk.GateChecks}},
		risk.High:     {Approvals: []risk.Quorum{rm, cab}, Gates: []string{risk.GateChecks}},
		risk.Critical: {Approvals: []risk.Quorum{rm, cab, sec}, Gates: []string{risk.GateChecks}, WarningsBlock: true},
	}}
}

// RequiredChecks are the CI checks the checks gate asks for, by environment.
var RequiredChecks = map[string][]string{
	"dev":     {"build"},
	"staging": {"build", "e2e"},
	"prod":    {"build", "e2e"},
}

// Who may waive and override in the demo deployment.
var (
	// WaiverRoles may waive a failed gate (with a reason and an expiry).
	WaiverRoles = []string{release.RoleReleaseManager, RoleChangeAdvisoryBoard}
	// OverrideRoles may start a release despite a freeze or a closed window.
	OverrideRoles = []string{release.RoleReleaseManager}
)

// loggingExecutor runs rollback steps by logging them: the example has nothing to
// deploy to. A real bot calls its deployment system here.
func loggingExecutor(log *slog.Logger) rollback.Executor {
	return rollback.ExecutorFunc(func(ctx context.Context, s rollback.Step) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		log.LogAttrs(ctx, slog.LevelInfo, "rollback step", slog.String("step", s.ID),
			slog.String("component", s.Component), slog.String("action", s.Action), slog.String("command", s.Command))
		return nil
	})
}

// engineOptions wires the engine like a real deployment: the calendar, the gates
// (checks per environment, approvals by the risk policy), risk, cross-release
// dependencies, rollback with an executor, the promotion pipeline and the notifier.
func engineOptions(s *Server, cal *calendar.Calendar, g *depgraph.Graph[string]) []release.Option {
	byEnv := map[string][]gate.Gate{}
	for env, names := range RequiredChecks {
		byEnv[env] = []gate.Gate{gate.Checks(names...)}
	}
	pol := RiskPolicy()
	exec := s.executor
	if exec == nil {
		exec = loggingExecutor(s.log)
	}
	opts := []release.Option{
		release.WithClock(s.clock),
		release.WithLogger(s.log),
		release.WithNotifier(s.notifier),
		release.WithPipeline(Pipeline),
		release.WithCalendar(release.CalendarConfig{Calendar: cal, OverrideRoles: OverrideRoles, Soak: 30 * time.Minute}),
		release.WithRisk(release.RiskConfig{Graph: g}),
		release.WithDependencies(release.DependencyConfig{}),
		release.WithGates(release.GateConfig{
			ByEnvironment: byEnv,
			Named:         map[string]gate.Gate{risk.GateChecks: gate.Checks("build")},
			Policy:        &pol,
			Options:       gate.Options{Timeout: 10 * time.Second, AllowedWaiverRoles: WaiverRoles},
		}),
		release.WithRollback(release.RollbackConfig{
			Graph:    g,
			Executor: exec,
			Run: rollback.RunOptions{Parallelism: 4, OnProgress: func(p rollback.Progress) {
				s.log.Info("rollback progress", slog.String("kind", string(p.Kind)), slog.String("step", p.Step.ID),
					slog.Int("done", p.Done), slog.Int("total", p.Total))
			}},
		}),
	}
	return append(opts, s.extra...)
}
