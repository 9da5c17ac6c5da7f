package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/releasekit/releasekit/calendar"
	"github.com/releasekit/releasekit/calendar/calendartest"
	"github.com/releasekit/releasekit/cmd/releasekit/internal/cli"
	"github.com/releasekit/releasekit/internal/calfiletest"
	"pgregory.net/rapid"
)

// run runs the command in-process and returns its exit status, stdout and stderr.
func run(args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	code := cli.Main(context.Background(), args, cli.Env{
		Stdout: &stdout, Stderr: &stderr,
		Now: func() time.Time { return time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC) },
	})
	return code, stdout.String(), stderr.String()
}

// drawn is a calendar drawn by calendartest, written as a file, and a change to ask about.
type drawn struct {
	cal    *calendar.Calendar
	path   string
	change calendar.Booking
}

func draw(t *rapid.T, dir string) drawn {
	cfg := calendartest.DefaultConfig()
	cal := cfg.Calendar().Draw(t, "calendar")
	path := filepath.Join(dir, "calendar.yaml")
	if err := os.WriteFile(path, calfiletest.Calendar(cal, cfg.Environments), 0o644); err != nil {
		t.Fatal(err)
	}
	b := cfg.Booking().Draw(t, "change")
	b.ID = "probe" // no booking of a drawn calendar has it
	return drawn{cal: cal, path: path, change: b}
}

func subjectArgs(b calendar.Booking) []string {
	args := []string{"--env", b.Environment}
	if b.Class != "" {
		args = append(args, "--class", string(b.Class))
	}
	if b.Action != "" {
		args = append(args, "--action", string(b.Action))
	}
	for _, s := range b.Services {
		args = append(args, "--service", s)
	}
	if b.Team != "" {
		args = append(args, "--team", b.Team)
	}
	return args
}

// check says may-start (exit 0) exactly when the calendar finds no conflict for the
// change, and may-not (exit 1) otherwise, with the calendar's conflicts; when it may
// start, the open time it reports is open and ends where the calendar closes.
func TestCheckAgreesWithTheCalendar(t *testing.T) {
	dir := t.TempDir()
	rapid.Check(t, func(t *rapid.T) {
		d := draw(t, dir)
		b := d.change
		args := append([]string{"check", "--calendar", d.path, "--json",
			"--at", b.Start.Format(time.RFC3339Nano), "--duration", b.End.Sub(b.Start).String()}, subjectArgs(b)...)
		code, stdout, stderr := run(args...)
		conflicts := d.cal.Check(b)
		want := cli.ExitOK
		if len(conflicts) > 0 {
			want = cli.ExitNo
		}
		if code != want {
			t.Fatalf("check exited %d, want %d (conflicts %v)\nstdout %s\nstderr %s", code, want, conflicts, stdout, stderr)
		}
		var res struct {
			MayStart  bool `json:"may_start"`
			Conflicts []struct {
				Kind string `json:"kind"`
			} `json:"conflicts"`
			OpenUntil *time.Time `json:"open_until"`
		}
		if err := json.Unmarshal([]byte(stdout), &res); err != nil {
			t.Fatalf("stdout is not the JSON document: %v\n%s", err, stdout)
		}
		if res.MayStart != (len(conflicts) == 0) || len(res.Conflicts) != len(conflicts) {
			t.Fatalf("JSON says may_start=%v with %d conflicts; the calendar has %d", res.MayStart, len(res.Conflicts), len(conflicts))
		}
		for i, c := range conflicts {
			if res.Conflicts[i].Kind != string(c.Kind) {
				t.Fatalf("conflict %d is %s, the calendar says %s", i, res.Conflicts[i].Kind, c.Kind)
			}
		}
		if res.MayStart && res.OpenUntil != nil {
			u := *res.OpenUntil
			open := b
			open.End = u
			if u.After(b.Start) {
				if cs := d.cal.Check(open); len(cs) > 0 {
					t.Fatalf("open until %v, but [%v, %v) has conflicts %v", u, b.Start, u, cs)
				}
			}
			closed := b
			closed.End = u.Add(time.Second)
			if cs := d.cal.Check(closed); len(cs) == 0 {
				t.Fatalf("open until %v, but a change running a second longer has no conflict", u)
			}
		}
	})
}

// next-slot prints the calendar's own earliest slot, or exits 1 when it has none.
func TestNextSlotAgreesWithTheCalendar(t *testing.T) {
	dir := t.TempDir()
	rapid.Check(t, func(t *rapid.T) {
		d := draw(t, dir)
		b := d.change
		dur := b.End.Sub(b.Start)
		before := b.Start.Add(time.Duration(rapid.IntRange(0, 14*24).Draw(t, "hours")) * time.Hour)
		args := append([]string{"next-slot", "--calendar", d.path, "--zone", "UTC",
			"--after", b.Start.Format(time.RFC3339Nano), "--before", before.Format(time.RFC3339Nano), "--duration", dur.String()}, subjectArgs(b)...)
		code, stdout, stderr := run(args...)
		slot, err := d.cal.NextSlot(calendar.Request{ID: "probe", Environment: b.Environment, Services: b.Services, Team: b.Team,
			Class: b.Class, Action: b.Action, Duration: dur, NotBefore: b.Start, NotAfter: before})
		switch {
		case errors.Is(err, calendar.ErrNoSlot):
			if code != cli.ExitNo || stdout != "" {
				t.Fatalf("the calendar has no slot, next-slot exited %d with %q\n%s", code, stdout, stderr)
			}
		case err != nil:
			t.Fatalf("NextSlot: %v", err)
		default:
			if code != cli.ExitOK || strings.TrimSpace(stdout) != slot.Start.UTC().Format(time.RFC3339) {
				t.Fatalf("next-slot exited %d with %q, the calendar's slot starts %v\n%s", code, stdout, slot.Start.UTC(), stderr)
			}
		}
	})
}
