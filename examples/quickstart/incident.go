package main

import (
	"strings"
	"time"

	"github.com/releasekit/releasekit/release"
)

// incident answers the on-call engineer's question at the time of the clock: the
// payments service alerts; what changed in prod in the two hours before, and which
// of those changes are within what payments depends on? Each change says who asked
// for it, who approved it, and how to roll it back now.
func (s *story) incident(service string) error {
	now := s.clock.Now()
	s.say("  incident  at %s on %s: what changed in prod since %s?\n", now.In(s.berlin).Format("15:04"), service,
		now.Add(-2*time.Hour).In(s.berlin).Format("15:04"))
	all, err := s.eng.Changes(s.ctx, release.ChangeQuery{Environment: "prod", From: now.Add(-2 * time.Hour), To: now})
	if err != nil {
		return err
	}
	near, err := s.eng.Changes(s.ctx, release.ChangeQuery{Environment: "prod", From: now.Add(-2 * time.Hour), To: now, Service: service})
	if err != nil {
		return err
	}
	suspect := map[release.ID]bool{}
	for _, c := range near {
		suspect[c.Release.ID] = true
	}
	for _, c := range all {
		where := "outside its dependencies"
		if suspect[c.Release.ID] {
			where = "within its blast radius"
		}
		s.say("            %s %-20s %s, %s; requested by %s, approved by %s\n", c.At.In(s.berlin).Format("15:04"),
			c.Release.Name+" "+c.Release.Version, c.Release.State, where, c.RequestedBy, strings.Join(c.ApprovedBy, ", "))
		if suspect[c.Release.ID] {
			s.say("              to roll back: %s\n", strings.ReplaceAll(c.HowToRollBack, "release "+c.Release.ID.String(), "it"))
		}
	}
	return nil
}
