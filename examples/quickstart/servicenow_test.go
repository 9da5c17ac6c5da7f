package main

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/adapters/servicenow"
	"github.com/releasekit/releasekit/adapters/servicenow/snowtest"
	"github.com/releasekit/releasekit/release"
)

// TestQuickstartServiceNow plays the production story with every prod release
// synced to a change request in a local stand-in of a ServiceNow instance that
// rate-limits, fails and loses answers on the way; at the end every change
// request is in the state its release's story put it in, and there is exactly one
// per prod release.
func TestQuickstartServiceNow(t *testing.T) {
	ctx := context.Background()
	instance := snowtest.New(snowtest.WithUser("releasekit", "s3cret"))
	defer instance.Close()
	instance.Inject(snowtest.Fault{Kind: snowtest.FaultStatus, Status: 429, RetryAfter: "2", Times: 3})
	instance.Inject(snowtest.Fault{Kind: snowtest.FaultAppliedThenStatus, Status: 503, Method: "POST"})
	instance.Inject(snowtest.Fault{Kind: snowtest.FaultStatus, Status: 500, Method: "PATCH", Times: 2})
	instance.Inject(snowtest.Fault{Kind: snowtest.FaultDrop, Method: "PATCH"})

	var slept []time.Duration
	dir := t.TempDir()
	var log bytes.Buffer
	got, err := run(ctx, &log, config{db: filepath.Join(dir, "qs.db"), out: filepath.Join(dir, "out"), noSync: true,
		servicenow: &servicenow.Config{Instance: instance.URL(), User: "releasekit", Password: "s3cret", Environments: []string{"prod"},
			AssignmentGroup: "cab-shop", ConfigurationItems: map[string]string{"payments": "ci-payments", "auth": "ci-auth"}},
		syncOpts: []servicenow.Option{servicenow.WithSleep(func(ctx context.Context, d time.Duration) error {
			slept = append(slept, d)
			return ctx.Err()
		})},
	})
	require.NoError(t, err, "printed:\n%s", log.String())
	assert.Contains(t, log.String(), "every prod release has its change request")
	assert.Contains(t, slept, 2*time.Second, "the 429s' Retry-After was honoured")

	prod := got.Releases["prod"]
	require.Len(t, prod, 5)
	assert.Len(t, instance.Records("change_request"), 5, "one change request per prod release, none for dev or staging")
	want := map[string]struct {
		state, typ, closeCode string
	}{
		"inventory":     {servicenow.StateClosed, "normal", "successful"},
		"payments":      {servicenow.StateClosed, "normal", "unsuccessful"}, // its canary failed and it was rolled back
		"auth":          {servicenow.StateClosed, "emergency", "successful_issues"},
		"checkout":      {servicenow.StateAssess, "normal", ""},    // held: its need was rolled back
		"notifications": {servicenow.StateAuthorize, "normal", ""}, // rebooked after the freeze, waiting for approval
	}
	for name, w := range want {
		r := prod[name]
		crs := instance.ChangesFor(r.ID.String())
		require.Len(t, crs, 1, name)
		cr := crs[0]
		assert.Equal(t, w.state, cr["state"], "%s (%s), trail %v", name, r.State, instance.Trail(cr["sys_id"]))
		assert.Equal(t, w.typ, cr["type"], name)
		assert.Equal(t, w.closeCode, cr["close_code"], name)
		assert.Equal(t, "cab-shop", cr["assignment_group"], name)
		if r.Slot != nil {
			assert.Equal(t, r.Slot.Start.UTC().Format("2006-01-02 15:04:05"), cr["start_date"], "%s: the booked slot", name)
		}
		if r.Risk != nil {
			assert.NotEmpty(t, cr["risk"], name)
		}
	}
	pay := instance.ChangesFor(prod["payments"].ID.String())[0]
	assert.Equal(t, "ci-payments", pay["cmdb_ci"])
	assert.Contains(t, pay["close_notes"], "rolled back within the hour")
	assert.Equal(t, []string{"-5", "-4", "-3", "-2", "-1", "0", "3"}, instance.Trail(pay["sys_id"]))
	assert.Equal(t, []string{"-5", "-3", "-2", "-1", "0", "3"}, instance.Trail(instance.ChangesFor(prod["auth"].ID.String())[0]["sys_id"]))
	assert.Equal(t, release.StateClosed, prod["payments"].State)
}
