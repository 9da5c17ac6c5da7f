package main

import (
	"encoding/json"
	"flag"
	"strings"

	"github.com/releasekit/releasekit/examples/releasebot/bot"
)

// syncFlags are the command-line form of bot.SyncConfig. A flag overrides the
// configuration file's value; secrets come from the environment only.
type syncFlags struct {
	snInstance, snUser, snEnvs string
	snHonourWindow             bool
	jiraURL, jiraProject       string
	jiraEnvs                   string
}

func (f *syncFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.snInstance, "servicenow", "", "sync releases to change requests in this ServiceNow instance (base URL, e.g. https://your-instance.example); password from RELEASEKIT_SERVICENOW_PASSWORD or OAuth token from RELEASEKIT_SERVICENOW_TOKEN")
	fs.StringVar(&f.snUser, "servicenow-user", "", "the ServiceNow integration user's user_name")
	fs.StringVar(&f.snEnvs, "servicenow-env", "", "comma-separated environments whose releases get a change request (default prod)")
	fs.BoolVar(&f.snHonourWindow, "servicenow-honour-window", false, "take a planned window moved in ServiceNow as the release's slot")
	fs.StringVar(&f.jiraURL, "jira", "", "sync releases to issues in this Jira site (base URL, e.g. https://your-site.example); a bearer token from RELEASEKIT_JIRA_TOKEN, or RELEASEKIT_JIRA_EMAIL and RELEASEKIT_JIRA_API_TOKEN (Cloud)")
	fs.StringVar(&f.jiraProject, "jira-project", "", "the Jira project key the issues are created in")
	fs.StringVar(&f.jiraEnvs, "jira-env", "", "comma-separated environments whose releases get a Jira issue (default prod)")
}

// apply writes the flags that were given into cfg.Sync.
func (f *syncFlags) apply(cfg *bot.Config, getenv func(string) string) error {
	if f.snInstance != "" || f.snUser != "" || f.snEnvs != "" || f.snHonourWindow {
		if cfg.Sync == nil {
			cfg.Sync = &bot.SyncConfig{}
		}
		sn := cfg.Sync.ServiceNow
		if sn == nil {
			sn = &bot.ServiceNowSync{}
			sn.Environments = []string{"prod"}
			cfg.Sync.ServiceNow = sn
		}
		set(&sn.Instance, f.snInstance)
		set(&sn.User, f.snUser)
		set(&sn.Password, getenv("RELEASEKIT_SERVICENOW_PASSWORD"))
		set(&sn.Token, getenv("RELEASEKIT_SERVICENOW_TOKEN"))
		if f.snEnvs != "" {
			sn.Environments = strings.Split(f.snEnvs, ",")
		}
		sn.HonourWindow = sn.HonourWindow || f.snHonourWindow
	}
	if f.jiraURL != "" || f.jiraProject != "" || f.jiraEnvs != "" {
		if cfg.Sync == nil {
			cfg.Sync = &bot.SyncConfig{}
		}
		js := cfg.Sync.Jira
		if js == nil {
			js = &bot.JiraSync{Environments: []string{"prod"}}
			cfg.Sync.Jira = js
		}
		jc := map[string]any{}
		if len(js.Config) > 0 {
			if err := json.Unmarshal(js.Config, &jc); err != nil {
				return &bot.ConfigError{Problems: []string{"sync.jira.config: " + err.Error()}}
			}
		}
		for k, v := range map[string]string{"base_url": f.jiraURL, "project": f.jiraProject, "token": getenv("RELEASEKIT_JIRA_TOKEN"),
			"email": getenv("RELEASEKIT_JIRA_EMAIL"), "api_token": getenv("RELEASEKIT_JIRA_API_TOKEN")} {
			if v != "" {
				jc[k] = v
			}
		}
		raw, err := json.Marshal(jc)
		if err != nil {
			return err
		}
		js.Config = raw
		if f.jiraEnvs != "" {
			js.Environments = strings.Split(f.jiraEnvs, ",")
		}
	}
	return cfg.Validate()
}

func set(dst *string, v string) {
	if v != "" {
		*dst = v
	}
}
