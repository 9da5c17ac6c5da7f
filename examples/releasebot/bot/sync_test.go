package bot_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/adapters/jira/jiratest"
	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/adapters/servicenow"
	"github.com/releasekit/releasekit/adapters/servicenow/snowtest"
	"github.com/releasekit/releasekit/examples/releasebot/bot"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/releasetest"
)

// syncFixture serves a bot with cfg, and plans a staging release (which no sync
// configured here covers).
func syncFixture(t *testing.T, cfg bot.Config) (*fixture, *bot.Server) {
	t.Helper()
	f := &fixture{clock: releasetest.NewClock(monday, 0), store: memory.New()}
	srv, err := bot.New(f.store, cfg, bot.WithClock(f.clock), bot.WithNotifier(nil))
	require.NoError(t, err)
	f.srv, f.http = srv, httptest.NewServer(srv.Handler())
	t.Cleanup(f.http.Close)
	staging := f.create(t, "payments", "2.0.0", "staging")
	f.fire(t, staging.ID, release.EventPlan, tokAna, nil)
	return f, srv
}

// The bot keeps a Jira issue per prod release in a Jira site (a local stand-in).
func TestBotSyncsToJira(t *testing.T) {
	site := jiratest.New(jiratest.WithProject("REL"), jiratest.WithBasicAuth("bot@your-site.example", "t"), jiratest.WithWorkflow("To Do", jiratest.SimpleWorkflow()))
	defer site.Close()
	cfg := testConfig()
	jc, err := json.Marshal(map[string]any{"base_url": site.URL, "email": "bot@your-site.example", "api_token": "t", "project": "REL",
		"transitions": map[string]string{"deploying": "In Progress", "cancelled": "Done"}})
	require.NoError(t, err)
	cfg.Sync = &bot.SyncConfig{Jira: &bot.JiraSync{Config: jc}}
	require.NoError(t, cfg.Validate())
	f, srv := syncFixture(t, cfg)
	assert.Empty(t, site.Issues(), "staging is not synced (the default environments: prod)")
	r := f.create(t, "payments", "2.0.0", "prod")
	f.fire(t, r.ID, release.EventPlan, tokAna, nil)
	f.fire(t, r.ID, release.EventCancel, tokAna, nil)
	issues := site.Issues()
	require.Len(t, issues, 1)
	assert.Equal(t, "Done", issues[0].Status)
	require.NoError(t, srv.ReadBack(context.Background()), "an issue that is no service request has no approvals to read")
}

// The bot keeps a change request per prod release in a ServiceNow instance (a
// local stand-in here), and reads the CAB's approval given there back as evidence.
func TestBotSyncsToServiceNow(t *testing.T) {
	instance := snowtest.New(snowtest.WithUser("releasekit", "s3cret"), snowtest.WithApprovers("sam"))
	defer instance.Close()
	cfg := testConfig()
	cfg.Sync = &bot.SyncConfig{ServiceNow: &bot.ServiceNowSync{Config: servicenow.Config{
		Instance: instance.URL(), User: "releasekit", Password: "s3cret", Environments: []string{"prod"}}}}
	f, srv := syncFixture(t, cfg)
	assert.Empty(t, instance.Records("change_request"), "staging is not synced")

	r := f.create(t, "payments", "2.0.0", "prod")
	f.fire(t, r.ID, release.EventPlan, tokAna, nil)
	f.fire(t, r.ID, release.EventSchedule, tokAna, nil)
	crs := instance.ChangesFor(r.ID.String())
	require.Len(t, crs, 1)
	assert.Equal(t, servicenow.StateAuthorize, crs[0]["state"])

	require.NoError(t, instance.Approve(crs[0]["sys_id"], "sam", "CAB: go"))
	require.NoError(t, srv.ReadBack(context.Background()))
	require.NoError(t, srv.ReadBack(context.Background()), "reading back again records nothing twice")
	h, err := f.store.History(context.Background(), r.ID)
	require.NoError(t, err)
	evs := release.Evidences(h)
	require.Len(t, evs, 1)
	assert.Equal(t, "sam", evs[0].By.ID)
	assert.Equal(t, bot.RoleChangeAdvisoryBoard, evs[0].Role)

	res := f.call(t, "POST", "/releases/"+r.ID.String()+"/events/cancel", tokAna, nil)
	require.Equal(t, http.StatusOK, res.status, "%s", res.body)
	assert.Equal(t, servicenow.StateCanceled, instance.ChangesFor(r.ID.String())[0]["state"])
}

func TestSyncConfigFile(t *testing.T) {
	good := `{"tokens": {"rui-0123456789abcdef": {"id": "rui", "kind": "person"}},
	  "sync": {"servicenow": {"instance": "https://your-instance.example", "user": "releasekit", "password": "pw",
	    "environments": ["prod"], "assignment_group": "g1", "configuration_items": {"payments": "ci1"}, "honour_window": true, "read_back_every": "30s"}}}`
	c, err := bot.LoadConfig(strings.NewReader(good))
	require.NoError(t, err)
	sn := c.Sync.ServiceNow
	assert.Equal(t, "https://your-instance.example", sn.Instance)
	assert.Equal(t, "ci1", sn.ConfigurationItems["payments"])
	assert.True(t, sn.HonourWindow)
	assert.Equal(t, "30s", sn.ReadBackEvery)

	bad := `{"tokens": {"rui-0123456789abcdef": {"id": "rui", "kind": "person"}},
	  "sync": {"servicenow": {"instance": "your-instance", "read_back_every": "often"}, "jira": {"config": {"base_url": "https://your-site.example"}}}}`
	_, err = bot.LoadConfig(strings.NewReader(bad))
	var ce *bot.ConfigError
	require.ErrorAs(t, err, &ce)
	all := strings.Join(ce.Problems, "\n")
	for _, want := range []string{"sync.servicenow: instance", "sync.servicenow: no credentials", `sync.servicenow: read_back_every "often"`, "sync.jira: project"} {
		assert.Contains(t, all, want)
	}
	_, err = bot.LoadConfig(strings.NewReader(`{"tokens": {"rui-0123456789abcdef": {"id": "rui", "kind": "person"}}, "sync": {"servicenow": {"instanse": "x"}}}`))
	assert.ErrorContains(t, err, "instanse", "a typo is an error, not a silently missing field")
}
