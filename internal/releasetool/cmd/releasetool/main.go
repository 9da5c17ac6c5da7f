// Command releasetool makes releasekit's releases and checks that they can be made.
//
// Usage, from anywhere in the repository (the Makefile has targets for each):
//
//	releasetool release -version v0.2.0   check, test, tag every published module (make release VERSION=v0.2.0)
//	releasetool apicheck [-v]             compare the API with the last release (make apicheck; CI runs it)
//	releasetool check                     check that the published modules stand alone
//	releasetool proxy -version v0.2.0 -out DIR
//	                                      write that tagged version as a GOPROXY=file://DIR module proxy
//
// It exits 1, saying why, when it refuses or a check fails.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"

	"github.com/releasekit/releasekit/internal/releasetool"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "releasetool:", err)
		os.Exit(1)
	}
}

const usage = `usage:
  releasetool release -version vX.Y.Z [-test 'command'] [-skip-tests]
  releasetool apicheck [-v]
  releasetool check
  releasetool proxy -version vX.Y.Z -out DIR`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("no command\n%s", usage)
	}
	fs := flag.NewFlagSet("releasetool "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("C", ".", "a directory inside the repository")
	unpublished := fs.String("unpublished", strings.Join(releasetool.DefaultUnpublished, ","), "comma-separated module directories that are never tagged")
	var (
		version, test, out *string
		skipTests, verbose *bool
	)
	switch args[0] {
	case "release":
		version = fs.String("version", "", "the version to release, such as v0.2.0")
		test = fs.String("test", "", "the command that must pass first (default: go test -race <root module>/...)")
		skipTests = fs.Bool("skip-tests", false, "do not run the tests")
	case "apicheck":
		verbose = fs.Bool("v", false, "list the compatible changes too")
	case "check":
	case "proxy":
		version = fs.String("version", "", "the tagged version to write")
		out = fs.String("out", "", "the proxy directory")
	default:
		return fmt.Errorf("unknown command %q\n%s", args[0], usage)
	}
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q\n%s", fs.Args(), usage)
	}
	root, err := exec.CommandContext(ctx, "git", "-C", *dir, "rev-parse", "--show-toplevel").Output()
	if err != nil {
		return fmt.Errorf("%s is not in a git working tree: %w", *dir, err)
	}
	repo := &releasetool.Repo{Root: strings.TrimSpace(string(root))}
	if *unpublished != "" {
		repo.Unpublished = strings.Split(*unpublished, ",")
	}

	switch args[0] {
	case "release":
		opts := releasetool.Options{Version: *version, SkipTests: *skipTests, Log: stdout}
		if *test != "" {
			opts.Test = []string{"bash", "-c", *test}
		}
		res, err := repo.Release(ctx, opts)
		if err != nil {
			return fmt.Errorf("release refused, no tag made: %w", err)
		}
		fmt.Fprintf(stdout, "released %s in commit %s (previous: %s)\ntags: %s\n", res.Version, res.Commit[:12], orNone(res.Previous), strings.Join(res.Tags, " "))
		fmt.Fprintf(stdout, "review it (git show), then publish it: git push origin HEAD %s\n", strings.Join(res.Tags, " "))
		return nil
	case "apicheck":
		rep, err := repo.CheckAPI(ctx)
		if rep != nil {
			printAPIReport(stdout, rep, *verbose)
		}
		return err
	case "check":
		if err := repo.Check(ctx); err != nil {
			return err
		}
		mods, err := repo.Modules()
		if err != nil {
			return err
		}
		for _, m := range mods {
			state := "published"
			if !m.Published {
				state = "not published"
			}
			fmt.Fprintf(stdout, "%-24s %-55s %s\n", "./"+m.Dir, m.Path, state)
		}
		return nil
	case "proxy":
		if *version == "" || *out == "" {
			return fmt.Errorf("proxy needs -version and -out\n%s", usage)
		}
		abs, err := filepath.Abs(*out)
		if err != nil {
			return err
		}
		if err := repo.WriteProxy(ctx, abs, *version); err != nil {
			return err
		}
		mods, err := repo.Published()
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "wrote %d modules at %s; in a new module, with a module cache of its own:\n", len(mods), *version)
		fmt.Fprintf(stdout, "  export GOWORK=off GOPROXY=file://%s,file://$(go env GOMODCACHE)/cache/download,$(go env GOPROXY) GONOSUMDB=%s GOMODCACHE=$(mktemp -d) GOFLAGS=-modcacherw\n", filepath.ToSlash(abs), mods[0].Path)
		for _, m := range mods {
			fmt.Fprintf(stdout, "  go get %s@%s\n", m.Path, *version)
		}
		return nil
	}
	return nil
}

func orNone(v string) string {
	if v == "" {
		return "none"
	}
	return v
}

func printAPIReport(w io.Writer, rep *releasetool.APIReport, verbose bool) {
	if rep.Last == "" {
		fmt.Fprintln(w, "apicheck: no release tag yet, so there is no API to compare with; the first `make release` makes one")
		return
	}
	incompatible := releasetool.Incompatible(rep.Changes)
	fmt.Fprintf(w, "apicheck: %d incompatible and %d compatible API changes since %s\n", len(incompatible), len(rep.Changes)-len(incompatible), rep.Last)
	unnoted := map[string]bool{}
	for _, c := range rep.Unnoted {
		unnoted[c.Name] = true
	}
	for _, c := range incompatible {
		note := "noted in CHANGELOG.md"
		if unnoted[c.Name] {
			note = "NOT NOTED in CHANGELOG.md"
		}
		fmt.Fprintf(w, "  incompatible: %s (%s)\n", c, note)
	}
	if verbose {
		for _, c := range rep.Changes {
			if c.Compatible {
				fmt.Fprintf(w, "  compatible: %s\n", c)
			}
		}
	}
	if rep.MinimumNext != "" {
		fmt.Fprintf(w, "apicheck: the next release may be %s or later\n", rep.MinimumNext)
	}
}
