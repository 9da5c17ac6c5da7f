// Command quickstart is releasekit's main job in one program: an online shop of
// eight services ships its December release train through dev, staging and prod,
// on the embedded bolt store, under a release calendar with a weekly prod train
// (Europe/Berlin), a daily staging window (America/New_York) and a holiday freeze.
//
// On the way the engine refuses what it must and says why: an author approving her
// own release, an approval the change advisory board has not signed yet, a canary
// that fails its SLO objectives, a start whose dependency was rolled back, a start
// in the freeze. One release fails in prod and is rolled back by a bot, following
// a plan derived from the dependency graph. An emergency fix passes the freeze.
//
// It writes out/calendar.ics, out/graph.mmd, out/graph.dot, out/runbook.md and
// out/report.md (and the same report as out/report.html), and verifies every audit history in the store. A clock that the
// story moves makes it run in a second, the same way every time. Run it again and
// it continues on the same store with the next year's train.
//
//	go run ./examples/quickstart [-db out/quickstart.db] [-out out] [-servicenow https://your-instance.example]
//
// With -servicenow, every prod release also gets a change request in that
// ServiceNow instance (adapters/servicenow), created at plan and moved along with
// the release to its close; the user and password are read from
// RELEASEKIT_SERVICENOW_USER and RELEASEKIT_SERVICENOW_PASSWORD. Its test runs
// the story against a local stand-in (adapters/servicenow/snowtest).
//
// docs/QUICKSTART.md walks through what it prints.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/releasekit/releasekit/adapters/bolt"
	"github.com/releasekit/releasekit/adapters/fanout"
	"github.com/releasekit/releasekit/adapters/servicenow"
	"github.com/releasekit/releasekit/calendar"
	"github.com/releasekit/releasekit/depgraph"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/dispatch"
	"github.com/releasekit/releasekit/rollback"
)

func main() {
	db := flag.String("db", filepath.Join("out", "quickstart.db"), "the bolt database file (created if missing)")
	out := flag.String("out", "out", "the directory for calendar.ics, graph.mmd, graph.dot, runbook.md, report.md and report.html")
	instance := flag.String("servicenow", "", "sync prod releases to change requests in this ServiceNow instance (base URL); credentials from RELEASEKIT_SERVICENOW_USER and RELEASEKIT_SERVICENOW_PASSWORD")
	flag.Parse()
	cfg := config{db: *db, out: *out}
	if *instance != "" {
		cfg.servicenow = &servicenow.Config{Instance: *instance, User: os.Getenv("RELEASEKIT_SERVICENOW_USER"),
			Password: os.Getenv("RELEASEKIT_SERVICENOW_PASSWORD"), Environments: []string{"prod"}}
	}
	if _, err := run(context.Background(), os.Stdout, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

// outcome is what a run did, for the end-to-end test.
type outcome struct {
	Run      int
	Year     int
	Releases map[string]map[string]release.Release // environment -> name -> release, this run's
	Files    []string
	Verified int // histories verified, earlier runs' included
}

// config is where a run keeps its state and writes its files.
type config struct {
	db, out string
	noSync  bool // tests only: skip fsync (bolt.WithNoSync)
	// servicenow, when set, syncs prod releases to change requests; syncOpts
	// are the syncer's options (tests replace its sleep).
	servicenow *servicenow.Config
	syncOpts   []servicenow.Option
}

func run(ctx context.Context, w io.Writer, cfg config) (*outcome, error) {
	dbPath, outDir := cfg.db, cfg.out
	if err := os.MkdirAll(filepath.Dir(dbPath), 0o755); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return nil, err
	}
	store, err := bolt.Open(dbPath, bolt.WithNoSync(cfg.noSync))
	if err != nil {
		return nil, err
	}
	defer store.Close()

	// Each run is one December train; a second run on the same store takes the next
	// year's, so it never collides with what the first one booked.
	earlier, err := store.List(ctx, release.Filter{})
	if err != nil {
		return nil, err
	}
	runNo := 1
	for _, r := range earlier {
		if n, err := strconv.Atoi(r.Labels["run"]); err == nil && n >= runNo {
			runNo = n + 1
		}
	}

	shop, err := shopGraph()
	if err != nil {
		return nil, err
	}
	cal, err := newCalendar()
	if err != nil {
		return nil, err
	}
	berlin, err := calendar.LoadZone("Europe/Berlin")
	if err != nil {
		return nil, err
	}
	clk := &clock{}
	s := &story{ctx: ctx, clock: clk, ev: newEvidence(), w: w, run: runNo, berlin: berlin, rel: map[string]map[string]release.Release{}}
	notes := &chat{}
	tool := &deployTool{clock: clk, say: s.say}
	var notifier release.Notifier = notes
	var syncer *servicenow.Syncer
	if cfg.servicenow != nil {
		// The change requests follow the prod releases. The engine tells the
		// syncer right after each commit; what the instance could not take then,
		// the outbox keeps and a dispatcher delivers below.
		if syncer, err = servicenow.New(*cfg.servicenow, append([]servicenow.Option{servicenow.WithReleases(store), servicenow.WithClock(clk)}, cfg.syncOpts...)...); err != nil {
			return nil, err
		}
		notifier = fanout.InOrder(notes, syncer)
	}
	if s.eng, err = newEngine(store, clk, cal, shop, s.ev, changes, tool, notifier); err != nil {
		return nil, err
	}

	year := 2025 + runNo
	s.say("releasekit quickstart: run %d, the December %d train · store %s (%d releases from earlier runs)\n", runNo, year, dbPath, len(earlier))
	s.say("shop: %d services, %d dependencies · pipeline %s\n", shop.Len(), shop.EdgeCount(), strings.Join(pipeline, " -> "))
	s.say("calendar: prod train Tue+Thu 10:00-16:00 Europe/Berlin · staging daily 09:00-17:00 America/New_York\n")
	s.say("          holiday freeze Dec 18 00:00 until Jan 4 00:00 Europe/Berlin, every year; emergency changes pass\n")

	payments, err := s.play(cal)
	if err != nil {
		return nil, err
	}

	// The files.
	from := time.Date(year, 12, 1, 0, 0, 0, 0, time.UTC)
	to := time.Date(year+1, 2, 1, 0, 0, 0, 0, time.UTC)
	files, err := writeFiles(ctx, s.eng, shop, payments, outDir, from, to, year)
	if err != nil {
		return nil, err
	}

	// Every history in the store, earlier runs' too, must verify.
	all, err := s.eng.List(ctx, release.Filter{})
	if err != nil {
		return nil, err
	}
	for _, r := range all {
		if err := s.eng.VerifyAudit(ctx, r.ID); err != nil {
			return nil, fmt.Errorf("the history of %s %s in %s does not verify: %w", r.Name, r.Version, r.Environment, err)
		}
	}
	if syncer != nil {
		if err := deliverPending(ctx, store, syncer, clk); err != nil {
			return nil, err
		}
		s.say("\nservicenow every prod release has its change request in %s, in step with the release\n", cfg.servicenow.Instance)
	}
	s.say("\nprod      %s\n", s.prodSummary())
	s.say("wrote     %s\n", strings.Join(files, ", "))
	s.say("audit     all %d histories in the store verify (%d from this run); %d notifications delivered to the chat notifier (#release-train)\n",
		len(all), len(all)-len(earlier), notes.count())
	return &outcome{Run: runNo, Year: year, Releases: s.rel, Files: files, Verified: len(all)}, nil
}

// deliverPending delivers what the engine could not deliver right after a commit
// (the instance was down or slow): a dispatcher over the store's outbox, run until
// it is empty. A long-running host runs Dispatcher.Run instead.
func deliverPending(ctx context.Context, store *bolt.Store, n release.Notifier, clk *clock) error {
	d, err := dispatch.New(store, n, dispatch.Config{Clock: clk, MinAge: time.Nanosecond, BaseDelay: time.Second, MaxDelay: time.Minute})
	if err != nil {
		return err
	}
	for range 10 {
		clk.Advance(2 * time.Minute) // past every backoff
		st, err := d.RunOnce(ctx)
		if err != nil {
			return err
		}
		if st.Claimed == 0 {
			return nil
		}
	}
	return fmt.Errorf("the ServiceNow instance did not take every change after 10 rounds; see the errors above")
}

// writeFiles writes the calendar, the dependency graph, the failed release's
// rollback runbook and the report of the run's period.
func writeFiles(ctx context.Context, eng *release.Engine, shop *depgraph.Graph[string],
	failed *release.Release, dir string, from, to time.Time, year int) ([]string, error) {
	var files []string
	write := func(name string, fill func(io.Writer) error) error {
		path := filepath.Join(dir, name)
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		if err := fill(f); err != nil {
			f.Close()
			return fmt.Errorf("write %s: %w", path, err)
		}
		files = append(files, path)
		return f.Close()
	}

	// The calendar people see: the rules, the bookings the store holds (named by
	// service, version and environment) and any runtime lockdown, in one call.
	if err := write("calendar.ics", func(w io.Writer) error {
		return eng.WriteICS(ctx, w, from, to, calendar.WithCalendarName("shop release calendar"))
	}); err != nil {
		return nil, err
	}
	title := depgraph.WithTitle("shop services: an arrow points to what depends on it")
	if err := write("graph.mmd", func(w io.Writer) error { return shop.WriteMermaid(w, title) }); err != nil {
		return nil, err
	}
	if err := write("graph.dot", func(w io.Writer) error { return shop.WriteDOT(w, title) }); err != nil {
		return nil, err
	}
	if err := write("runbook.md", func(w io.Writer) error {
		var rb rollback.Runbook
		if err := json.Unmarshal(failed.Rollback.Plan, &rb); err != nil {
			return err
		}
		return rb.WriteMarkdown(w)
	}); err != nil {
		return nil, err
	}
	if err := write("report.md", func(w io.Writer) error {
		return eng.Report(ctx, w, release.ReportOptions{From: from, To: to, Graph: shop,
			Title: fmt.Sprintf("Release report: the December %d train", year)})
	}); err != nil {
		return nil, err
	}
	if err := write("report.html", func(w io.Writer) error {
		return eng.Report(ctx, w, release.ReportOptions{From: from, To: to, Graph: shop, Format: release.ReportHTML,
			Title: fmt.Sprintf("Release report: the December %d train", year)})
	}); err != nil {
		return nil, err
	}
	return files, nil
}
