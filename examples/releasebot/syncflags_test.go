package main

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/adapters/servicenow"
	"github.com/releasekit/releasekit/adapters/servicenow/snowtest"
	"github.com/releasekit/releasekit/examples/releasebot/bot"
)

// The -servicenow flags sync prod releases to change requests; the password comes
// from the environment.
func TestRunSyncsToServiceNowFromFlags(t *testing.T) {
	instance := snowtest.New(snowtest.WithUser("releasekit", "s3cret"))
	defer instance.Close()
	t.Setenv("RELEASEKIT_SERVICENOW_PASSWORD", "s3cret")
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "c.json")
	addr, logs, stop := start(t, "-memory", "-config", cfgPath, "-servicenow", instance.URL(), "-servicenow-user", "releasekit")
	assert.Contains(t, logs.String(), "syncing change requests to servicenow")
	cfg, err := bot.ReadConfigFile(cfgPath)
	require.NoError(t, err)
	assert.Nil(t, cfg.Sync, "flags never write secrets into the file")
	ana, _ := cfg.TokenFor("ana")

	status, body := do(t, "POST", "http://"+addr+"/releases", ana, `{"name": "checkout", "version": "2.4.0", "environment": "prod", "duration": "30m"}`)
	require.Equal(t, http.StatusCreated, status, "%s", body)
	var created bot.ReleaseView
	require.NoError(t, json.Unmarshal(body, &created))
	id := created.Release.ID.String()
	status, body = do(t, "POST", "http://"+addr+"/releases/"+id+"/events/plan", ana, "")
	require.Equal(t, http.StatusOK, status, "%s", body)
	crs := instance.ChangesFor(id)
	require.Len(t, crs, 1)
	assert.Equal(t, servicenow.StateAssess, crs[0]["state"])
	require.NoError(t, stop())
}

func TestSyncFlags(t *testing.T) {
	env := map[string]string{"RELEASEKIT_SERVICENOW_TOKEN": "tok", "RELEASEKIT_JIRA_TOKEN": "jt"}
	base := func() bot.Config {
		c, err := bot.DemoConfig(nil)
		require.NoError(t, err)
		return c
	}
	c := base()
	f := syncFlags{snInstance: "https://your-instance.example", snUser: "svc", snEnvs: "prod,staging", snHonourWindow: true}
	require.NoError(t, f.apply(&c, func(k string) string { return env[k] }))
	sn := c.Sync.ServiceNow
	assert.Equal(t, "https://your-instance.example", sn.Instance)
	assert.Equal(t, "tok", sn.Token)
	assert.Equal(t, []string{"prod", "staging"}, sn.Environments)
	assert.True(t, sn.HonourWindow)

	c = base()
	f = syncFlags{jiraURL: "https://your-site.example", jiraProject: "REL"}
	require.NoError(t, f.apply(&c, func(k string) string { return env[k] }))
	assert.Equal(t, []string{"prod"}, c.Sync.Jira.Environments)
	var jc map[string]string
	require.NoError(t, json.Unmarshal(c.Sync.Jira.Config, &jc))
	assert.Equal(t, map[string]string{"base_url": "https://your-site.example", "project": "REL", "token": "jt"}, jc)

	c = base()
	require.NoError(t, (&syncFlags{}).apply(&c, func(string) string { return "" }))
	assert.Nil(t, c.Sync, "no flags, no sync")

	c = base()
	err := (&syncFlags{jiraURL: "https://your-site.example"}).apply(&c, func(string) string { return "" })
	assert.ErrorContains(t, err, "sync.jira: project")
}
