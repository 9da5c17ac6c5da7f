package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/releasekit/releasekit/calendar"
	"github.com/spf13/cobra"
)

type exportCmd struct {
	a        *app
	cal      calendarFlags
	from, to string
	output   string
	name     string
}

func newExport(a *app) *cobra.Command {
	c := &exportCmd{a: a}
	cmd := &cobra.Command{
		Use:   "export --calendar FILE [--from TIME] [--to TIME] [-o FILE]",
		Short: "Write the calendar as an iCalendar (.ics) file for calendar apps",
		Long: `export writes the calendar's rules as recurring events, and its bookings as events,
in an iCalendar (RFC 5545) file that Google Calendar, Outlook, Apple Calendar and
Thunderbird import or subscribe to. Every instance from --from to --to (default: now
and a year later) shows at the same instants as releasekit computes them, daylight-saving
days included: the file carries VTIMEZONE definitions and pins every instance a client
would otherwise compute differently. Rules keep their scope and exceptions in
X-RELEASEKIT properties, so an exported file can be included back as a source.

It writes to stdout, or to -o FILE (written whole or not at all).

Exit status: 0 done, 2 bad input.`,
		Example: `  # subscribe the team calendar to this
  releasekit export --calendar release-calendar.yaml -o release-calendar.ics

  # only 2027
  releasekit export -c release-calendar.yaml --from 2027-01-01 --to 2028-01-01 > 2027.ics`,
		Args: cobra.NoArgs,
		RunE: c.run,
	}
	c.cal.register(cmd, true, false)
	cmd.Flags().StringVar(&c.from, "from", "now", "start of the span whose instances are exact")
	cmd.Flags().StringVar(&c.to, "to", "", "end of that span (default a year after --from)")
	cmd.Flags().StringVarP(&c.output, "output", "o", "-", "the file to write, or - for stdout")
	cmd.Flags().StringVar(&c.name, "name", "", "the calendar's name in calendar apps (default: the file's name)")
	return cmd
}

func (c *exportCmd) run(cmd *cobra.Command, _ []string) error {
	f, loc, err := c.a.open(&c.cal)
	if err != nil {
		return err
	}
	from, to, err := c.a.span("from", c.from, "to", c.to, func(t time.Time) time.Time { return t.Add(horizon) }, false, loc)
	if err != nil {
		return err
	}
	name := c.name
	if name == "" {
		name = strings.TrimSuffix(filepath.Base(f.Name), filepath.Ext(f.Name))
		if f.Name == stdinName {
			name = "releasekit"
		}
	}
	var buf bytes.Buffer
	if err := f.Calendar.WriteICS(&buf, from, to, calendar.WithCalendarName(name)); err != nil {
		return usageError("%v", err)
	}
	if c.output == "-" {
		_, err := c.a.env.Stdout.Write(buf.Bytes())
		return err
	}
	return writeFileAtomic(c.output, buf.Bytes())
}

// writeFileAtomic writes data to a temporary file beside path and renames it, so that
// path holds the whole export or what it held before.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return usageError("cannot write %s: %v", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return usageError("cannot write %s: %v", path, err)
	}
	if err := tmp.Close(); err != nil {
		return usageError("cannot write %s: %v", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return usageError("cannot write %s: %v", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return usageError("cannot write %s: %v", path, err)
	}
	return nil
}
