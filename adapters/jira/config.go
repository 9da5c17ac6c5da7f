package jira

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/releasekit/releasekit/release"
)

// Edition says which REST API the adapter speaks.
type Edition string

// The editions.
const (
	// Cloud is Jira Cloud's REST API v3 (/rest/api/3): descriptions and comments in
	// Atlassian Document Format, issue search at /rest/api/3/search/jql.
	Cloud Edition = "cloud"
	// DataCenter is Jira Data Center's (and Server's) REST API v2 (/rest/api/2):
	// descriptions and comments in plain text, issue search at /rest/api/2/search.
	DataCenter Edition = "datacenter"
)

// Editions lists every [Edition].
func Editions() []Edition { return []Edition{Cloud, DataCenter} }

// ConflictMode says what the adapter does when a person has moved the issue where
// the release's transition cannot follow (see [ConflictError]).
type ConflictMode string

// The conflict modes.
const (
	// ConflictComment (the default) leaves the issue where the person put it, adds
	// a comment saying which release state it could not follow and why, and goes
	// on: later transitions are tried from wherever the issue then is. The release
	// is the system of record; the person's edit is never overwritten.
	ConflictComment ConflictMode = "comment"
	// ConflictFail returns a *ConflictError, so the outbox retries the
	// notification (with backoff) until someone moves the issue back to a status
	// from which the transition is available.
	ConflictFail ConflictMode = "fail"
)

// ConflictModes lists every [ConflictMode].
func ConflictModes() []ConflictMode { return []ConflictMode{ConflictComment, ConflictFail} }

// Config is what a [Notifier] needs to know about a Jira site. It is plain data, so
// a host fills it from flags, YAML or JSON; the zero value of every optional field
// is useful.
type Config struct {
	// BaseURL is the site's URL, "https://your-site.example" (a Data Center context
	// path is kept: "https://your-site.example/jira"). Required.
	BaseURL string `json:"base_url" yaml:"base_url"`
	// Edition picks the REST API: "cloud" (v3, the default) or "datacenter" (v2).
	Edition Edition `json:"edition,omitempty" yaml:"edition,omitempty"`

	// Email and APIToken authenticate with basic auth (Jira Cloud: an Atlassian
	// account's email and an API token). Token authenticates with a bearer token
	// instead (a Data Center personal access token, or an OAuth 2.0 access token).
	// Exactly one of the two is required.
	Email    string `json:"email,omitempty" yaml:"email,omitempty"`
	APIToken string `json:"api_token,omitempty" yaml:"api_token,omitempty"`
	Token    string `json:"token,omitempty" yaml:"token,omitempty"`

	// Project is the key of the project the issues are created in ("REL"). Required.
	Project string `json:"project" yaml:"project"`
	// IssueType is the name of the issue type to create; default "Task".
	IssueType string `json:"issue_type,omitempty" yaml:"issue_type,omitempty"`
	// Summary is the issue summary's template; default
	// "Release {name} {version} to {environment}". Placeholders: {name},
	// {version}, {environment}, {class}, {id}.
	Summary string `json:"summary,omitempty" yaml:"summary,omitempty"`
	// Labels are added to every issue, beside the label that carries the release ID.
	Labels []string `json:"labels,omitempty" yaml:"labels,omitempty"`
	// LabelPrefix prefixes the release ID in the label that finds a release's issue
	// again; default "releasekit-".
	LabelPrefix string `json:"label_prefix,omitempty" yaml:"label_prefix,omitempty"`

	// Transitions maps a release state to where the issue goes when the release
	// reaches it: the name of a Jira status (the adapter takes whichever transition
	// Jira offers into that status), or the name of a transition (taken when Jira
	// offers it from the issue's status); names match without regard to case.
	// Status names are the robust choice when several events lead to one state
	// (plan and unschedule both reach planned). A state left out moves nothing;
	// the event is still commented. Example: {"deploying": "In Progress",
	// "closed": "Done", "cancelled": "Done"}.
	Transitions map[release.State]string `json:"transitions,omitempty" yaml:"transitions,omitempty"`
	// Conflict says what happens when a person has moved the issue where a
	// transition cannot follow; default ConflictComment.
	Conflict ConflictMode `json:"conflict,omitempty" yaml:"conflict,omitempty"`

	// FixVersion is the template of the project version linked as the issue's
	// fixVersion (created when missing, and released when the release closes after
	// being verified); default "{name} {version}". Placeholders as in Summary.
	FixVersion string `json:"fix_version,omitempty" yaml:"fix_version,omitempty"`
	// NoFixVersion leaves fixVersions alone.
	NoFixVersion bool `json:"no_fix_version,omitempty" yaml:"no_fix_version,omitempty"`

	// ApprovalRole is the role an approval read from Jira Service Management is
	// recorded in (see [Notifier.SyncApprovals]); empty records it for no
	// particular role.
	ApprovalRole string `json:"approval_role,omitempty" yaml:"approval_role,omitempty"`
}

// ErrInvalidConfig is matched by a [*ConfigError].
var ErrInvalidConfig = errors.New("jira: invalid configuration")

// ConfigError lists every problem of a [Config] at once.
type ConfigError struct {
	Problems []string
}

func (e *ConfigError) Error() string {
	return "jira: invalid configuration: " + strings.Join(e.Problems, "; ")
}

// Unwrap returns [ErrInvalidConfig].
func (e *ConfigError) Unwrap() error { return ErrInvalidConfig }

// Validate reports every problem of c at once as a *ConfigError, or nil. Secrets
// are never part of the message.
func (c Config) Validate() error {
	var p []string
	add := func(format string, args ...any) { p = append(p, fmt.Sprintf(format, args...)) }
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		add("base_url: %q is not an absolute http or https URL (like https://your-site.example)", c.BaseURL)
	} else if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		add("base_url: give the site's URL without query, fragment or credentials")
	}
	if c.Edition != "" && !slices.Contains(Editions(), c.Edition) {
		add("edition: %q is not one of %v", c.Edition, Editions())
	}
	basic := c.Email != "" || c.APIToken != ""
	switch {
	case basic && c.Token != "":
		add("auth: give either email and api_token (basic) or token (bearer), not both")
	case basic && (c.Email == "" || c.APIToken == ""):
		add("auth: basic authentication needs both email and api_token")
	case !basic && c.Token == "":
		add("auth: give email and api_token (basic) or token (bearer)")
	}
	if c.Project == "" {
		add("project: the key of the project to create issues in is required")
	} else if strings.ContainsAny(c.Project, " \"'\\") {
		add("project: %q is not a project key", c.Project)
	}
	if c.Conflict != "" && !slices.Contains(ConflictModes(), c.Conflict) {
		add("conflict: %q is not one of %v", c.Conflict, ConflictModes())
	}
	states := make([]string, 0, len(c.Transitions))
	for s := range c.Transitions {
		states = append(states, string(s))
	}
	sort.Strings(states)
	for _, s := range states {
		if !release.State(s).Valid() {
			add("transitions: %q is not a release state (one of %v)", s, release.States())
		} else if strings.TrimSpace(c.Transitions[release.State(s)]) == "" {
			add("transitions: %s maps to an empty transition name", s)
		}
	}
	for _, l := range append(slices.Clone(c.Labels), c.LabelPrefix) {
		if strings.ContainsAny(l, " \t\n") {
			add("labels: %q has white space, which Jira labels cannot hold", l)
		}
	}
	if len(p) > 0 {
		return &ConfigError{Problems: p}
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.Edition == "" {
		c.Edition = Cloud
	}
	if c.IssueType == "" {
		c.IssueType = "Task"
	}
	if c.Summary == "" {
		c.Summary = "Release {name} {version} to {environment}"
	}
	if c.LabelPrefix == "" {
		c.LabelPrefix = "releasekit-"
	}
	if c.Conflict == "" {
		c.Conflict = ConflictComment
	}
	if c.FixVersion == "" {
		c.FixVersion = "{name} {version}"
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	return c
}

func (c Config) apiBase() string {
	if c.Edition == DataCenter {
		return "/rest/api/2"
	}
	return "/rest/api/3"
}

func expand(tmpl string, r release.Release) string {
	return strings.NewReplacer("{name}", r.Name, "{version}", r.Version, "{environment}", r.Environment,
		"{class}", string(r.Class), "{id}", r.ID.String()).Replace(tmpl)
}
