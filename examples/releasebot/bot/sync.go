package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/releasekit/releasekit/adapters/fanout"
	"github.com/releasekit/releasekit/adapters/jira"
	"github.com/releasekit/releasekit/adapters/servicenow"
	"github.com/releasekit/releasekit/release"
)

// defaultReadBackEvery is how often the bot reads approvals (and, when configured,
// planned windows) back from the change-management system.
const defaultReadBackEvery = time.Minute

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
	// ReadBackEvery is a Go duration ("1m", "30s"); default one minute.
	ReadBackEvery string `json:"read_back_every,omitempty"`
}

// JiraSync is the Jira sync: adapters/jira's configuration (jira.Config as JSON:
// base_url, edition, email and api_token or token, project, issue_type,
// transitions, approval_role, …) in Config, the environments whose releases get an
// issue (default prod), and how often Jira Service Management approvals are read
// back.
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
	if js := c.Jira; js != nil {
		if _, err := js.jiraConfig(); err != nil {
			var ce *jira.ConfigError
			if errors.As(err, &ce) {
				for _, q := range ce.Problems {
					p = append(p, "sync.jira: "+q)
				}
			} else {
				p = append(p, "sync.jira: "+err.Error())
			}
		}
		if _, err := readBackEvery(js.ReadBackEvery); err != nil {
			p = append(p, "sync.jira: "+err.Error())
		}
		for _, e := range js.Environments {
			if strings.TrimSpace(e) == "" {
				p = append(p, "sync.jira: environments holds an empty name")
			}
		}
	}
	return p
}

// jiraConfig decodes and validates Config; unknown fields are errors.
func (js *JiraSync) jiraConfig() (jira.Config, error) {
	var c jira.Config
	if len(js.Config) == 0 {
		return c, errors.New("config is missing: give adapters/jira's configuration (base_url, project, credentials)")
	}
	dec := json.NewDecoder(bytes.NewReader(js.Config))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return c, fmt.Errorf("config is not adapters/jira's configuration: %v", err)
	}
	return c, c.Validate()
}

func (js *JiraSync) environments() []string {
	if len(js.Environments) == 0 {
		return []string{"prod"}
	}
	return js.Environments
}

func readBackEvery(s string) (time.Duration, error) {
	if s == "" {
		return defaultReadBackEvery, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("read_back_every %q is not a positive duration such as \"1m\"", s)
	}
	return d, nil
}

// newSync builds the syncers of cfg (validated) and returns the notifiers to add.
func (s *Server) newSync(cfg *SyncConfig) ([]release.Notifier, error) {
	if cfg == nil {
		return nil, nil
	}
	var out []release.Notifier
	if cfg.ServiceNow != nil {
		every, _ := readBackEvery(cfg.ServiceNow.ReadBackEvery)
		sn, err := servicenow.New(cfg.ServiceNow.Config, servicenow.WithReleases(s.store), servicenow.WithClock(s.clock), servicenow.WithLogger(s.log))
		if err != nil {
			return nil, fmt.Errorf("releasebot: sync.servicenow: %w", err)
		}
		s.snow, s.readBackEvery = sn, every
		out = append(out, sn)
	}
	if js := cfg.Jira; js != nil {
		jc, err := js.jiraConfig()
		if err != nil {
			return nil, fmt.Errorf("releasebot: sync.jira: %w", err)
		}
		every, _ := readBackEvery(js.ReadBackEvery)
		jn, err := jira.New(jc, s.store, jira.WithClock(s.clock))
		if err != nil {
			return nil, fmt.Errorf("releasebot: sync.jira: %w", err)
		}
		s.jira, s.jiraEnvs = jn, js.environments()
		if s.readBackEvery == 0 || every < s.readBackEvery {
			s.readBackEvery = every
		}
		envs := s.jiraEnvs
		out = append(out, fanout.Named(jn.Name(), release.NotifierFunc(func(ctx context.Context, n release.Notification) error {
			if !slices.Contains(envs, n.Release.Environment) {
				return nil // the Jira notifier has no environments of its own
			}
			return jn.Notify(ctx, n)
		})))
	}
	return out, nil
}

// ReadBack reads back, once, what was decided in the change-management systems for
// every release waiting for a decision (planned, scheduled, approved) in a synced
// environment: the ServiceNow change requests' approvals and the Jira Service
// Management approvals become evidence, and with honour_window the change
// requests' planned windows the releases' slots. It returns every error
// joined; one release's failure does not stop the others. Without a sync it does
// nothing.
func (s *Server) ReadBack(ctx context.Context) error {
	if s.snow == nil && s.jira == nil {
		return nil
	}
	rs, err := s.eng.List(ctx, release.Filter{States: []release.State{release.StatePlanned, release.StateScheduled, release.StateApproved}})
	if err != nil {
		return err
	}
	var errs []error
	if s.jira != nil {
		for _, r := range rs {
			if !slices.Contains(s.jiraEnvs, r.Environment) {
				continue
			}
			_, err := s.jira.SyncApprovals(ctx, s.eng, r)
			var ae *jira.APIError
			if err != nil && !(errors.As(err, &ae) && ae.Status == http.StatusNotFound) { // 404: not a service request
				errs = append(errs, fmt.Errorf("jira: %s %s in %s: %w", r.Name, r.Version, r.Environment, err))
			}
		}
	}
	if s.snow == nil {
		return errors.Join(errs...)
	}
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

// RunReadBack calls [Server.ReadBack] every read_back_every (the shorter of the
// two systems') until ctx ends, logging what fails; it returns nil at once when
// nothing is synced.
func (s *Server) RunReadBack(ctx context.Context) error {
	if s.snow == nil && s.jira == nil {
		return nil
	}
	for {
		if err := s.ReadBack(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("read back from the change-management systems failed; trying again later", slog.String("error", strings.ReplaceAll(err.Error(), "\n", "; ")))
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
