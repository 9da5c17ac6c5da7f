package cli_test

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/releasekit/releasekit/cmd/releasekit/internal/cli"
	"github.com/rogpeppe/go-internal/testscript"
)

var update = flag.Bool("update", false, "rewrite the expected output in testdata/script/*.txtar")

// now is the clock of every script: Tuesday 5 May 2026, 10:00 in Berlin.
const now = "2026-05-05T08:00:00Z"

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"releasekit": func() {
			env := cli.OSEnv()
			// The scripts' clock and terminal, set through the test binary's environment
			// only: the real command reads the real clock and asks the real terminal.
			if s := os.Getenv("RELEASEKIT_TEST_NOW"); s != "" {
				t, err := time.Parse(time.RFC3339, s)
				if err != nil {
					panic(err)
				}
				env.Now = func() time.Time { return t }
			}
			if os.Getenv("RELEASEKIT_TEST_TERMINAL") == "1" {
				env.StderrIsTerminal = true
			}
			os.Exit(cli.Main(context.Background(), os.Args[1:], env))
		},
	})
}

// TestScripts runs testdata/script/*.txtar: each command's stdout, stderr and exit
// status, against testdata/release-calendar.yaml (copied into every script's $WORK unless the script has its own).
// Run with -update after a deliberate change to rewrite the expected output.
func TestScripts(t *testing.T) {
	shared, err := filepath.Glob("testdata/*.*")
	if err != nil || len(shared) == 0 {
		t.Fatalf("no shared test files: %v", err)
	}
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		UpdateScripts:       *update,
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		Setup: func(e *testscript.Env) error {
			e.Setenv("RELEASEKIT_TEST_NOW", now)
			e.Setenv("NO_COLOR", "")
			for _, p := range shared {
				data, err := os.ReadFile(p)
				if err != nil {
					return err
				}
				dst := filepath.Join(e.WorkDir, filepath.Base(p))
				if _, err := os.Stat(dst); err == nil {
					continue // the script brings its own
				}
				if err := os.WriteFile(dst, data, 0o644); err != nil {
					return err
				}
			}
			return nil
		},
	})
}
