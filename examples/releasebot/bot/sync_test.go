package bot_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/adapters/servicenow"
	"github.com/releasekit/releasekit/adapters/servicenow/snowtest"
	"github.com/releasekit/releasekit/examples/releasebot/bot"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/releasetest"
)

// The bot keeps a change request per prod release in a ServiceNow instance (a
// local stand-in here), and reads the CAB's approval given there back as evidence.
func TestBotSyncsToServiceNow(t *testing.T) {
	instance := snowtest.New(snowtest.WithUser("releasekit", "s3cret"), snowtest.WithApprovers("sam"))
	defer instance.Close()
	cfg := testConfig()
	cfg.Sync = &bot.SyncConfig{ServiceNow: &bot.ServiceNowSync{Config: servicenow.Config{
		Instance: instance.URL(), User: "releasekit", Password: "s3cret", Environments: []string{"prod"}}}}
	f := &fixture{clock: releasetest.NewClock(monday, 0), store: memory.New()}
	srv, err := bot.New(f.store, cfg, bot.WithClock(f.clock), bot.WithNotifier(nil))
	require.NoError(t, err)
	f.srv, f.http = srv, httptest.NewServer(srv.Handler())
	defer f.http.Close()

	staging := f.create(t, "payments", "2.0.0", "staging")
	f.fire(t, staging.ID, release.EventPlan, tokAna, nil)
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
	for _, want := range []string{"sync.servicenow: instance", "sync.servicenow: no credentials", `sync.servicenow: read_back_every "often"`, "sync.jira: this build of the bot has no Jira adapter"} {
		assert.Contains(t, all, want)
	}
	_, err = bot.LoadConfig(strings.NewReader(`{"tokens": {"rui-0123456789abcdef": {"id": "rui", "kind": "person"}}, "sync": {"servicenow": {"instanse": "x"}}}`))
	assert.ErrorContains(t, err, "instanse", "a typo is an error, not a silently missing field")
}
