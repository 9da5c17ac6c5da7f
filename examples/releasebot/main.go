// Command releasebot is a small HTTP service over the release engine: CI posts
// check results, people approve or waive with their identity, it answers with the
// decision and its reasons, and it serves the calendar as .ics and the report.
//
//	go run ./examples/releasebot -addr 127.0.0.1:8080 -db out/releasebot.db
//
// On first run it writes a demo identity configuration (-config, one bearer token
// per person) and prints where; README.md in this directory walks through the API
// with curl.
//
// With -servicenow (or a "sync" section in the configuration file, see
// bot.SyncConfig) every prod release gets a ServiceNow change request that follows
// it, and the change requests' approvals are read back as evidence:
//
//	RELEASEKIT_SERVICENOW_PASSWORD=… go run ./examples/releasebot -servicenow https://your-instance.example -servicenow-user releasekit
//
// The -jira flags fill in the Jira sync (adapters/jira) the same way
// (RELEASEKIT_JIRA_TOKEN, or RELEASEKIT_JIRA_EMAIL and RELEASEKIT_JIRA_API_TOKEN);
// secrets are read from the environment, never from the command line. The server itself is package bot, so that it can be tested and reused.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/releasekit/releasekit/adapters/bolt"
	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/examples/releasebot/bot"
	"github.com/releasekit/releasekit/release"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stderr, nil); err != nil {
		fmt.Fprintln(os.Stderr, "releasebot:", err)
		os.Exit(1)
	}
}

// run serves until ctx ends, then shuts down gracefully. ready, when set, hears the
// address the server listens on (useful with -addr 127.0.0.1:0).
func run(ctx context.Context, args []string, stderr io.Writer, ready func(addr string)) error {
	fs := flag.NewFlagSet("releasebot", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	db := fs.String("db", filepath.Join("out", "releasebot.db"), "the bolt database file (created if missing); it holds everything, checks and approvals included")
	inMemory := fs.Bool("memory", false, "keep everything in memory (adapters/memory) instead of -db: for tests and demos")
	config := fs.String("config", filepath.Join("out", "releasebot.json"), "identity configuration: bearer token -> id, roles, kind (a demo one is written when missing)")
	before := fs.Duration("span-before", 7*24*time.Hour, "GET /calendar.ics starts this long before now by default")
	after := fs.Duration("span-after", 90*24*time.Hour, "GET /calendar.ics ends this long after now by default")
	grace := fs.Duration("shutdown-timeout", 10*time.Second, "how long a shutdown waits for requests in flight")
	var sf syncFlags
	sf.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %v; see -h", fs.Args())
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))

	cfg, created, err := bot.EnsureConfigFile(*config)
	if err != nil {
		return err
	}
	if created {
		log.Info("wrote a demo identity configuration; each person's bearer token and each CI receiver's secret is in it", slog.String("config", *config))
	}
	if err := sf.apply(&cfg, os.Getenv); err != nil {
		return err
	}

	var store release.Store
	if *inMemory {
		store = memory.New()
	} else {
		if err := os.MkdirAll(filepath.Dir(*db), 0o755); err != nil {
			return err
		}
		bs, err := bolt.Open(*db)
		if err != nil {
			return err
		}
		defer bs.Close()
		store = bs
	}
	srv, err := bot.New(store, cfg, bot.WithLogger(log), bot.WithCalendarSpan(*before, *after))
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	hs := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      2 * time.Minute, // a rollback runs its plan within the request
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	dctx, stopDispatcher := context.WithCancel(context.WithoutCancel(ctx))
	defer stopDispatcher()
	var wg sync.WaitGroup
	dispatchErr := make(chan error, 1)
	wg.Go(func() {
		if err := srv.RunDispatcher(dctx); err != nil {
			dispatchErr <- err
		}
	})
	wg.Go(func() { _ = srv.RunReadBack(dctx) })
	serveErr := make(chan error, 1)
	go func() { serveErr <- hs.Serve(ln) }()
	log.Info("releasebot listening", slog.String("addr", ln.Addr().String()), slog.Bool("memory", *inMemory), slog.String("db", *db))
	if cfg.Sync != nil && cfg.Sync.ServiceNow != nil {
		log.Info("syncing change requests to servicenow", slog.String("instance", cfg.Sync.ServiceNow.Instance),
			slog.Any("environments", cfg.Sync.ServiceNow.Environments))
	}
	if cfg.Sync != nil && cfg.Sync.Jira != nil {
		log.Info("syncing issues to jira", slog.Any("environments", cfg.Sync.Jira.Environments))
	}
	for _, src := range bot.WebhookSources() {
		if cfg.Webhooks[src] != "" {
			log.Info("CI receiver mounted; its secret is in the configuration", slog.String("route", "POST /ci/"+src), slog.String("config", *config))
		}
	}
	if ready != nil {
		ready(ln.Addr().String())
	}

	var failure error
	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case err := <-serveErr:
		failure = fmt.Errorf("serve: %w", err)
	case err := <-dispatchErr:
		failure = fmt.Errorf("notification dispatcher: %w", err)
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), *grace)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		failure = errors.Join(failure, fmt.Errorf("shutdown: %w", err))
	}
	stopDispatcher()
	wg.Wait()
	if failure == nil {
		log.Info("stopped")
	}
	return failure
}
