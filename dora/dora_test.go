package dora_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/releasekit/releasekit/dora"
)

var w0 = time.Date(2026, 2, 2, 0, 0, 0, 0, time.UTC)

func TestBands(t *testing.T) {
	h := time.Hour
	tests := []struct {
		name string
		got  dora.Band
		want dora.Band
	}{
		{"frequency twice a day", dora.FrequencyBand(2), dora.BandElite},
		{"frequency once a day is not yet multiple per day", dora.FrequencyBand(1), dora.BandHigh},
		{"frequency once a week", dora.FrequencyBand(1.0 / 7), dora.BandHigh},
		{"frequency just under weekly", dora.FrequencyBand(0.99 / 7), dora.BandMedium},
		{"frequency once a month", dora.FrequencyBand(1.0 / 30), dora.BandMedium},
		{"frequency under monthly", dora.FrequencyBand(1.0 / 31), dora.BandLow},
		{"frequency none", dora.FrequencyBand(0), dora.BandLow},
		{"lead time 23h", dora.LeadTimeBand(23 * h), dora.BandElite},
		{"lead time 1 day", dora.LeadTimeBand(dora.Day), dora.BandHigh},
		{"lead time 1 week", dora.LeadTimeBand(dora.Week), dora.BandMedium},
		{"lead time 1 month", dora.LeadTimeBand(dora.Month), dora.BandLow},
		{"failure rate 5%", dora.FailureRateBand(0.05), dora.BandElite},
		{"failure rate 6%", dora.FailureRateBand(0.06), dora.BandHigh},
		{"failure rate 10%", dora.FailureRateBand(0.10), dora.BandHigh},
		{"failure rate 15%", dora.FailureRateBand(0.15), dora.BandMedium},
		{"failure rate 16%", dora.FailureRateBand(0.16), dora.BandLow},
		{"restore 59m", dora.RestoreBand(59 * time.Minute), dora.BandElite},
		{"restore 1h", dora.RestoreBand(h), dora.BandHigh},
		{"restore 1 day", dora.RestoreBand(dora.Day), dora.BandMedium},
		{"restore 1 week", dora.RestoreBand(dora.Week), dora.BandLow},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.got, tt.name)
	}
	assert.Len(t, dora.Bands(), 5)
}

func TestMeasure(t *testing.T) {
	window := dora.Period{From: w0, To: w0.Add(28 * dora.Day)}
	deps := []dora.Deployment{
		{Service: "api", Team: "core", CommitAt: w0.Add(-2 * time.Hour), DeployedAt: w0.Add(time.Hour)},                                                         // lead 3h
		{Service: "api", Team: "core", CommitAt: w0.Add(24 * time.Hour), DeployedAt: w0.Add(34 * time.Hour), Failed: true, RestoredAt: w0.Add(36 * time.Hour)},  // lead 10h, restore 2h
		{Service: "web", Team: "ui", CommitAt: w0, DeployedAt: w0.Add(100 * time.Hour), Failed: true},                                                           // lead 100h, unrestored
		{Service: "web", Team: "ui", DeployedAt: w0.Add(200 * time.Hour)},                                                                                       // no commit time
		{Service: "web", Team: "ui", CommitAt: w0.Add(300 * time.Hour), DeployedAt: w0.Add(290 * time.Hour), Failed: true, RestoredAt: w0.Add(289 * time.Hour)}, // bad commit and restore times
		{Service: "api", Team: "core", DeployedAt: w0.Add(-time.Hour)},                                                                                          // before the window
		{Service: "api", Team: "core", DeployedAt: window.To},                                                                                                   // the window is half-open
	}
	m := dora.Measure(deps, window)
	assert.Equal(t, 5, m.Deployments)
	assert.InDelta(t, 5.0/28, m.DeploymentFrequency.PerDay, 1e-12)
	assert.Equal(t, dora.BandHigh, m.DeploymentFrequency.Band)
	assert.Equal(t, dora.DurationMetric{Median: 10 * time.Hour, Samples: 3, Band: dora.BandElite}, m.LeadTime, "median of 3h, 10h, 100h")
	assert.Equal(t, dora.Rate{Rate: 0.6, Failures: 3, Band: dora.BandLow}, m.ChangeFailureRate)
	assert.Equal(t, dora.DurationMetric{Median: 2 * time.Hour, Samples: 1, Band: dora.BandHigh}, m.TimeToRestore)
	assert.Equal(t, 2, m.Unrestored)

	r := dora.NewReport(deps, window)
	assert.Equal(t, m, r.Overall)
	require.Len(t, r.Services, 2)
	assert.Equal(t, 2, r.Services["api"].Deployments)
	assert.Equal(t, 3, r.Teams["ui"].Deployments)
	assert.Equal(t, dora.BandNoData, r.Services["web"].TimeToRestore.Band)
}

func TestMeasureMedianOfEvenCount(t *testing.T) {
	deps := []dora.Deployment{
		{CommitAt: w0, DeployedAt: w0.Add(2 * time.Hour)},
		{CommitAt: w0, DeployedAt: w0.Add(3 * time.Hour)},
	}
	m := dora.Measure(deps, dora.Period{From: w0, To: w0.Add(dora.Day)})
	assert.Equal(t, 150*time.Minute, m.LeadTime.Median)
	assert.Equal(t, dora.BandElite, m.DeploymentFrequency.Band, "two a day is multiple per day")
}

func TestMeasureNoData(t *testing.T) {
	empty := dora.Measure(nil, dora.Period{From: w0, To: w0.Add(dora.Week)})
	assert.Equal(t, dora.BandLow, empty.DeploymentFrequency.Band, "no deployments is a low frequency")
	assert.Equal(t, dora.BandNoData, empty.LeadTime.Band)
	assert.Equal(t, dora.BandNoData, empty.ChangeFailureRate.Band)
	assert.Equal(t, dora.BandNoData, empty.TimeToRestore.Band)

	bad := dora.Period{From: w0, To: w0}
	assert.ErrorIs(t, bad.Validate(), dora.ErrInvalidPeriod)
	m := dora.Measure([]dora.Deployment{{DeployedAt: w0}}, bad)
	assert.Equal(t, 0, m.Deployments)
	assert.Equal(t, dora.BandNoData, m.DeploymentFrequency.Band)
}

// Per-service and per-team breakdowns partition the deployments of the window.
func TestPropertyBreakdownsPartition(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		window := dora.Period{From: w0, To: w0.Add(time.Duration(rapid.IntRange(1, 90).Draw(t, "days")) * dora.Day)}
		var deps []dora.Deployment
		for range rapid.IntRange(0, 40).Draw(t, "n") {
			at := w0.Add(time.Duration(rapid.IntRange(-10*24, 100*24).Draw(t, "hour")) * time.Hour)
			d := dora.Deployment{
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
		r := dora.NewReport(deps, window)
		for name, groups := range map[string]map[string]dora.Metrics{"services": r.Services, "teams": r.Teams} {
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
