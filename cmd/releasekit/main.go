// Command releasekit is the release calendar as code for any CI pipeline: it answers
// "may this change start now, and does it fit before the next freeze?" from one YAML
// calendar file that every pipeline shares, finds the next slot, lists occurrences,
// exports the calendar for calendar apps and lints the file.
//
// Install it with
//
//	go install github.com/releasekit/releasekit/cmd/releasekit@latest
//
// and see `releasekit --help`, docs/CALENDAR-FILE.md for the file format and
// docs/CI.md for Jenkins, GitLab CI, GitHub Actions, Azure DevOps, CircleCI and Bamboo.
//
// Exit status: 0 yes (may start, slot found, clean), 1 no, 2 bad input.
//
// The flags, help, completion and --version come from github.com/spf13/cobra rather
// than urfave/cli: cobra's POSIX flags (pflag) are what kubectl, gh and helm users
// type, it generates completion for bash, zsh, fish and PowerShell, and it lets every
// command carry its own examples in --help. The command is its own module, so the
// library's go.mod does not carry it.
package main

import (
	"context"
	"os"
	"os/signal"
	_ "time/tzdata" // IANA zones on machines without a zone database (containers, Windows)

	"github.com/releasekit/releasekit/cmd/releasekit/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := cli.Main(ctx, os.Args[1:], cli.OSEnv())
	stop()
	os.Exit(code)
}
