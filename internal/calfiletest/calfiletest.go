// Package calfiletest writes calendars as calendar files (the format of package
// calfile), so that tests can draw a calendar with calendartest, write it, load it back
// through calfile or the releasekit command, and compare the answers with the
// calendar's own.
package calfiletest

import (
	"time"

	"github.com/releasekit/releasekit/calendar"
	"go.yaml.in/yaml/v3"
)

type file struct {
	Version   int            `yaml:"version"`
	Capacity  *capacity      `yaml:"capacity,omitempty"`
	Alignment string         `yaml:"alignment,omitempty"`
	Windows   []rule         `yaml:"windows,omitempty"`
	Freezes   []rule         `yaml:"freezes,omitempty"`
	Lockdowns []rule         `yaml:"lockdowns,omitempty"`
	Bookings  []booking      `yaml:"bookings,omitempty"`
	Extra     map[string]any `yaml:",inline"`
}

type capacity struct {
	Default      int            `yaml:"default"`
	Environments map[string]int `yaml:"environments,omitempty"`
}

type rule struct {
	Name     string         `yaml:"name"`
	Zone     string         `yaml:"zone"`
	Start    string         `yaml:"start"`
	End      string         `yaml:"end,omitempty"`
	Duration string         `yaml:"duration,omitempty"`
	RRule    string         `yaml:"rrule,omitempty"`
	Exclude  []string       `yaml:"exclude,omitempty"`
	Scope    map[string]any `yaml:"scope,omitempty"`
	Allow    map[string]any `yaml:"allow,omitempty"`
	DSTGap   string         `yaml:"dst_gap,omitempty"`
}

type booking struct {
	ID          string   `yaml:"id"`
	Environment string   `yaml:"environment"`
	Services    []string `yaml:"services,omitempty"`
	Team        string   `yaml:"team,omitempty"`
	Start       string   `yaml:"start"`
	End         string   `yaml:"end"`
	Class       string   `yaml:"class,omitempty"`
	Action      string   `yaml:"action,omitempty"`
}

func wall(w calendar.WallTime) string { return w.String() }

// Rules writes rules as a calendar file.
func Rules(rules []calendar.Rule) []byte {
	return write(rules, nil, nil, 0)
}

// Calendar writes the rules, the capacities of envs, the alignment and the bookings of
// cal as a calendar file.
func Calendar(cal *calendar.Calendar, envs []string) []byte {
	caps := map[string]int{}
	for _, e := range envs {
		caps[e] = cal.Capacity(e)
	}
	return write(cal.Rules(), caps, cal.Bookings(), cal.Alignment())
}

func write(rules []calendar.Rule, caps map[string]int, bookings []calendar.Booking, align time.Duration) []byte {
	f := file{Version: 1}
	if caps != nil {
		f.Capacity = &capacity{Environments: caps}
	}
	if align > 0 {
		f.Alignment = align.String()
	}
	for _, r := range rules {
		y := rule{Name: r.Name, Zone: r.Zone, Start: wall(r.Start), RRule: r.RRule}
		if r.Duration != 0 {
			y.Duration = r.Duration.String()
		} else {
			y.End = wall(r.End)
		}
		for _, x := range r.ExDates {
			y.Exclude = append(y.Exclude, wall(x))
		}
		sc := map[string]any{}
		if len(r.Scope.Environments) > 0 {
			sc["environments"] = r.Scope.Environments
		}
		if len(r.Scope.Services) > 0 {
			sc["services"] = r.Scope.Services
		}
		if len(r.Scope.Teams) > 0 {
			sc["teams"] = r.Scope.Teams
		}
		if len(sc) > 0 {
			y.Scope = sc
		}
		al := map[string]any{}
		if len(r.AllowClasses) > 0 {
			al["classes"] = r.AllowClasses
		}
		if len(r.AllowActions) > 0 {
			al["actions"] = r.AllowActions
		}
		if len(al) > 0 {
			y.Allow = al
		}
		if r.SkipNonexistent {
			y.DSTGap = "skip"
		}
		switch r.Kind {
		case calendar.Window:
			f.Windows = append(f.Windows, y)
		case calendar.Freeze:
			f.Freezes = append(f.Freezes, y)
		default:
			f.Lockdowns = append(f.Lockdowns, y)
		}
	}
	for _, b := range bookings {
		f.Bookings = append(f.Bookings, booking{
			ID: b.ID, Environment: b.Environment, Services: b.Services, Team: b.Team,
			Start: b.Start.Format(time.RFC3339Nano), End: b.End.Format(time.RFC3339Nano),
			Class: string(b.Class), Action: string(b.Action),
		})
	}
	out, err := yaml.Marshal(f)
	if err != nil {
		panic(err) // plain structs of strings and numbers always marshal
	}
	return out
}
