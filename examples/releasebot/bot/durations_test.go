package bot_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/release"
)

// TestDurationsAreStringsInEntries: the entries of an approve's answer and of GET
// /history carry the gate decision's durations (each result's duration, the
// options' timeout) as Go duration strings, as the answer's decision does, never
// as numbers of nanoseconds.
func TestDurationsAreStringsInEntries(t *testing.T) {
	f := newFixture(t)
	rel := f.create(t, "checkout", "2.7.0", "dev")
	f.fire(t, rel.ID, release.EventPlan, tokAna, nil)
	f.fire(t, rel.ID, release.EventSchedule, tokAna, nil)
	f.check(t, rel.ID, "build", "success")
	f.check(t, rel.ID, "e2e", "success")
	res := f.call(t, "POST", "/releases/"+rel.ID.String()+"/events/approve", tokRui, nil)
	require.Equal(t, http.StatusOK, res.status, "%s", res.body)
	hist := f.call(t, "GET", "/releases/"+rel.ID.String()+"/history", tokAna, nil)
	require.Equal(t, http.StatusOK, hist.status, "%s", hist.body)
	for _, body := range [][]byte{res.body, hist.body} {
		var v struct {
			Entries []struct {
				Event       string `json:"event"`
				Annotations struct {
					Gates *struct {
						Results []struct {
							Duration json.RawMessage `json:"duration"`
						} `json:"results"`
						Options struct {
							Timeout json.RawMessage `json:"timeout"`
						} `json:"options"`
					} `json:"gates"`
				} `json:"annotations"`
			} `json:"entries"`
		}
		require.NoError(t, json.Unmarshal(body, &v))
		seen := 0
		for _, e := range v.Entries {
			g := e.Annotations.Gates
			if g == nil {
				continue
			}
			seen++
			ds := []json.RawMessage{g.Options.Timeout}
			for _, r := range g.Results {
				ds = append(ds, r.Duration)
			}
			for _, d := range ds {
				var s string
				require.NoError(t, json.Unmarshal(d, &s), "a duration in %s's gates annotation is %s, not a string", e.Event, d)
				_, err := time.ParseDuration(s)
				require.NoError(t, err)
			}
		}
		require.Equal(t, 1, seen, "entries with a gate decision in %s", body)
	}
}
