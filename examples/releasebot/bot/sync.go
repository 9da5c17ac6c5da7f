package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/releasekit/releasekit/adapters/servicenow"
	"github.com/releasekit/releasekit/release"
)

// DefaultReadBackEvery is how often the bot reads approvals (and, when configured,
// planned windows) back from the change-management system.
const DefaultReadBackEvery = time.Minute

// SyncConfig says which change-management systems the bot keeps in step with its
// releases ("sync" in the configuration file; the -servicenow… and -jira… flags of
// the command fill it in too):
//
//	"sync": {
//	  "servicenow": {"instance": "https://your-instance.example", "user": "releasekit", "password": "…",
//	                 "environments": ["prod"], "assignment_group": "<sys_id>",
//	                 "configuration_items": {"payments": "<sys_id>"}, "honour_window": true,
//	                 "read_back_every": "1m"},
//	  "jira": {"environments": ["prod"], "config": {"base_url": "https://your-site.example", "project": "REL", …}}
//	}
//
// Both may be set; each gets every notification.
type SyncConfig struct {
	ServiceNow *ServiceNowSync `json:"servicenow,omitempty"`
	Jira       *JiraSync       `json:"jira,omitempty"`
}

// ServiceNowSync is adapters/servicenow's configuration (its JSON fields inline)
// and how often the bot reads approvals back.
type ServiceNowSync struct {
	servicenow.Config
	// ReadBackEvery is a Go duration ("1m", "30s"); default [DefaultReadBackEvery].
	ReadBackEvery string `json:"read_back_every,omitempty"`
}

// JiraSync is the shape of the Jira sync: adapters/jira's configuration as JSON in
// Config, the environments whose releases get an issue, and how often approvals
// are read back. This build of the bot does not carry the Jira adapter: a
// configuration that sets it is refused with a message that says so.
type JiraSync struct {
	Config        json.RawMessage `json:"config"`
	Environments  []string        `json:"environments,omitempty"`
	ReadBackEvery string          `json:"read_back_every,omitempty"`
}

// problems lists what is wrong with c, each prefixed with where it is.
func (c *SyncConfig) problems() []string {
	if c == nil {
		return nil
	}
	var p []string
	if sn := c.ServiceNow; sn != nil {
		if err := sn.Config.Validate(); err != nil {
			var ce *servicenow.ConfigError
			if errors.As(err, &ce) {
				for _, q := range ce.Problems {
					p = append(p, "sync.servicenow: "+q)
				}
			}
		}
		if _, err := readBackEvery(sn.ReadBackEvery); err != nil {
			p = append(p, "sync.servicenow: "+err.Error())
		}
	}
	if c.Jira != nil {
		p = append(p, "sync.jira: this build of the bot has no Jira adapter (adapters/jira); remove the jira section or use a build that has it")
	}
	return p
}

func readBackEvery(s string) (time.Duration, error) {
	if s == "" {
		return DefaultReadBackEvery, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("read_back_every %q is not a positive duration such as \"1m\"", s)
	}
	return d, nil
}

// newSync builds the syncers of cfg and returns the notifiers to add.
func (s *Server) newSync(cfg *SyncConfig) ([]release.Notifier, error) {
	if cfg == nil || cfg.ServiceNow == nil {
		return nil, nil
	}
	every, err := readBackEvery(cfg.ServiceNow.ReadBackEvery)
	if err != nil {
		return nil, &ConfigError{Problems: []string{"sync.servicenow: " + err.Error()}}
	}
	sn, err := servicenow.New(cfg.ServiceNow.Config, servicenow.WithReleases(s.store), servicenow.WithClock(s.clock), servicenow.WithLogger(s.log))
	if err != nil {
		return nil, fmt.Errorf("releasebot: sync.servicenow: %w", err)
	}
	s.snow, s.readBackEvery = sn, every
	return []release.Notifier{sn}, nil
}

// ReadBack reads back, once, what was decided in the change-management system for
// every release waiting for a decision (planned, scheduled, approved) in a synced
// environment: the change requests' approvals become evidence, and with
// honour_window their planned windows the releases' slots. It returns every error
// joined; one release's failure does not stop the others. Without a sync it does
// nothing.
func (s *Server) ReadBack(ctx context.Context) error {
	if s.snow == nil {
		return nil
	}
	rs, err := s.eng.List(ctx, release.Filter{States: []release.State{release.StatePlanned, release.StateScheduled, release.StateApproved}})
	if err != nil {
		return err
	}
	var errs []error
	for _, r := range rs {
		rb, err := s.snow.ReadBack(ctx, s.eng, r.ID)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s %s in %s: %w", r.Name, r.Version, r.Environment, err))
			continue
		}
		for _, a := range rb.Approvals {
			if a.Err != nil {
				s.log.Warn("servicenow approval not recorded", slog.String("change", rb.Change), slog.String("approver", a.User), slog.Any("error", a.Err))
			}
		}
		if rb.WindowErr != nil {
			s.log.Warn("servicenow planned window not taken as the slot", slog.String("change", rb.Change), slog.Any("error", rb.WindowErr))
		}
	}
	return errors.Join(errs...)
}

// RunReadBack calls [Server.ReadBack] every read_back_every until ctx ends, logging
// what fails; it returns nil at once when nothing is synced.
func (s *Server) RunReadBack(ctx context.Context) error {
	if s.snow == nil {
		return nil
	}
	for {
		if err := s.ReadBack(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("read back from servicenow failed; trying again later", slog.String("error", strings.ReplaceAll(err.Error(), "\n", "; ")))
		}
		t := time.NewTimer(s.readBackEvery)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}
