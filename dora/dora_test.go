package risk_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/releasekit/releasekit/risk"
)

var w0 = time.Date(2026, 2, 2, 0, 0, 0, 0, time.UTC)

func TestBands(t *testing.T) {
	h := time.Hour
	tests := []struct {
		name string
		got  risk.Band
		want risk.Band
	}{
		{"frequency twice a day", risk.FrequencyBand(2), risk.BandElite},
		{"frequency once a day is not yet multiple per day", risk.FrequencyBand(1), risk.BandHigh},
		{"frequency once a week", risk.FrequencyBand(1.0 / 7), risk.BandHigh},
		{"frequency just under weekly", risk.FrequencyBand(0.99 / 7), risk.BandMedium},
		{"frequency once a month", risk.FrequencyBand(1.0 / 30), risk.BandMedium},
		{"frequency under monthly", risk.FrequencyBand(1.0 / 31), risk.BandLow},
		{"frequency none", risk.FrequencyBand(0), risk.BandLow},
		{"lead time 23h", risk.LeadTimeBand(23 * h), risk.BandElite},
		{"lead time 1 day", risk.LeadTimeBand(risk.Day), risk.BandHigh},
		{"lead time 1 week", risk.LeadTimeBand(risk.Week), risk.BandMedium},
		{"lead time 1 month", risk.LeadTimeBand(risk.Month), risk.BandLow},
		{"failure rate 5%", risk.FailureRateBand(0.05), risk.BandElite},
		{"failure rate 6%", risk.FailureRateBand(0.06), risk.BandHigh},
		{"failure rate 10%", risk.FailureRateBand(0.10), risk.BandHigh},
		{"failure rate 15%", risk.FailureRateBand(0.15), risk.BandMedium},
		{"failure rate 16%", risk.FailureRateBand(0.16), risk.BandLow},
		{"restore 59m", risk.RestoreBand(59 * time.Minute), risk.BandElite},
		{"restore 1h", risk.RestoreBand(h), risk.BandHigh},
		{"restore 1 day", risk.RestoreBand(risk.Day), risk.BandMedium},
		{"restore 1 week", risk.RestoreBand(risk.Week), risk.BandLow},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.got, tt.name)
	}
	assert.Len(t, risk.Bands(), 5)
}

func TestDORA(t *testing.T) {
	window := risk.Window{From: w0, To: w0.Add(28 * risk.Day)}
	deps := []risk.Deployment{
		{Service: "api", Team: "core", CommitAt: w0.Add(-2 * time.Hour), DeployedAt: w0.Add(time.Hour)},                                                         // lead 3h
		{Service: "api", Team: "core", CommitAt: w0.Add(24 * time.Hour), DeployedAt: w0.Add(34 * time.Hour), Failed: true, RestoredAt: w0.Add(36 * time.Hour)},  // lead 10h, restore 2h
		{Service: "web", Team: "ui", CommitAt: w0, DeployedAt: w0.Add(100 * time.Hour), Failed: true},                                                           // lead 100h, unrestored
		{Service: "web", Team: "ui", DeployedAt: w0.Add(200 * time.Hour)},                                                                                       // no commit time
		{Service: "web", Team: "ui", CommitAt: w0.Add(300 * time.Hour), DeployedAt: w0.Add(290 * time.Hour), Failed: true, RestoredAt: w0.Add(289 * time.Hour)}, // bad commit and restore times
		{Service: "api", Team: "core", DeployedAt: w0.Add(-time.Hour)},                                                                                          // before the window
		{Service: "api", Team: "core", DeployedAt: window.To},                                                                                                   // the window is half-open
	}
	m := risk.DORA(deps, window)
	assert.Equal(t, 5, m.Deployments)
	assert.InDelta(t, 5.0/28, m.DeploymentFrequency.PerDay, 1e-12)
	assert.Equal(t, risk.BandHigh, m.DeploymentFrequency.Band)
	assert.Equal(t, risk.DurationMetric{Median: 10 * time.Hour, Samples: 3, Band: risk.BandElite}, m.LeadTime, "median of 3h, 10h, 100h")
	assert.Equal(t, risk.Rate{Rate: 0.6, Failures: 3, Band: risk.BandLow}, m.ChangeFailureRate)
	assert.Equal(t, risk.DurationMetric{Median: 2 * time.Hour, Samples: 1, Band: risk.BandHigh}, m.TimeToRestore)
	assert.Equal(t, 2, m.Unrestored)

	r := risk.DORAReport(deps, window)
	assert.Equal(t, m, r.Overall)
	require.Len(t, r.Services, 2)
	assert.Equal(t, 2, r.Services["api"].Deployments)
	assert.Equal(t, 3, r.Teams["ui"].Deployments)
	assert.Equal(t, risk.BandNoData, r.Services["web"].TimeToRestore.Band)
}

func TestDORAMedianOfEvenCount(t *testing.T) {
	deps := []risk.Deployment{
		{CommitAt: w0, DeployedAt: w0.Add(2 * time.Hour)},
		{CommitAt: w0, DeployedAt: w0.Add(3 * time.Hour)},
	}
	m := risk.DORA(deps, risk.Window{From: w0, To: w0.Add(risk.Day)})
	assert.Equal(t, 150*time.Minute, m.LeadTime.Median)
	assert.Equal(t, risk.BandElite, m.DeploymentFrequency.Band, "two a day is multiple per day")
}

func TestDORANoData(t *testing.T) {
	empty := risk.DORA(nil, risk.Window{From: w0, To: w0.Add(risk.Week)})
	assert.Equal(t, risk.BandLow, empty.DeploymentFrequency.Band, "no deployments is a low frequency")
	assert.Equal(t, risk.BandNoData, empty.LeadTime.Band)
	assert.Equal(t, risk.BandNoData, empty.ChangeFailureRate.Band)
	assert.Equal(t, risk.BandNoData, empty.TimeToRestore.Band)

	bad := risk.Window{From: w0, To: w0}
	assert.ErrorIs(t, bad.Validate(), risk.ErrInvalidWindow)
	m := risk.DORA([]risk.Deployment{{DeployedAt: w0}}, bad)
	assert.Equal(t, 0, m.Deployments)
	assert.Equal(t, risk.BandNoData, m.DeploymentFrequency.Band)
}

// Per-service and per-team breakdowns partition the deployments of the window.
func TestPropertyDORABreakdownsPartition(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		window := risk.Window{From: w0, To: w0.Add(time.Duration(rapid.IntRange(1, 90).Draw(t, "days")) * risk.Day)}
		var deps []risk.Deployment
		for range rapid.IntRange(0, 40).Draw(t, "n") {
			at := w0.Add(time.Duration(rapid.IntRange(-10*24, 100*24).Draw(t, "hour")) * time.Hour)
			d := risk.Deployment{
				Service:    fmt.Sprint("svc", rapid.IntRange(0, 3).Draw(t, "svc")),
				Team:       fmt.Sprint("team", rapid.IntRange(0, 1).Draw(t, "team")),
				CommitAt:   at.Add(-time.Duration(rapid.IntRange(0, 1000).Draw(t, "leadHours")) * time.Hour),
				DeployedAt: at,
				Failed:     rapid.Bool().Draw(t, "failed"),
			}
			if d.Failed && rapid.Bool().Draw(t, "restored") {
				d.RestoredAt = at.Add(time.Duration(rapid.IntRange(0, 500).Draw(t, "restoreMinutes")) * time.Minute)
			}
			deps = append(deps, d)
		}
		r := risk.DORAReport(deps, window)
		for name, groups := range map[string]map[string]risk.Metrics{"services": r.Services, "teams": r.Teams} {
			n, f := 0, 0
			for _, m := range groups {
				n += m.Deployments
				f += m.ChangeFailureRate.Failures
				if m.Deployments == 0 {
					t.Fatalf("%s: a group without deployments is listed", name)
				}
			}
			if n != r.Overall.Deployments || f != r.Overall.ChangeFailureRate.Failures {
				t.Fatalf("%s: %d deployments and %d failures, overall %d and %d", name, n, f, r.Overall.Deployments, r.Overall.ChangeFailureRate.Failures)
			}
		}
		m := r.Overall
		if m.ChangeFailureRate.Rate < 0 || m.ChangeFailureRate.Rate > 1 {
			t.Fatalf("failure rate %v", m.ChangeFailureRate.Rate)
		}
		if m.LeadTime.Samples > m.Deployments || m.TimeToRestore.Samples+m.Unrestored != m.ChangeFailureRate.Failures {
			t.Fatalf("sample counts do not add up: %+v", m)
		}
	})
}
