package dora

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"
)

// Deployment is one deployment record, the input of the DORA metrics.
type Deployment struct {
	// Service is the deployed service.
	Service string `json:"service"`
	// Team owns the service.
	Team string `json:"team,omitempty"`
	// CommitAt is when the first commit of the change was made; lead time
	// runs from it to DeployedAt. Zero means unknown (not counted).
	CommitAt time.Time `json:"commit_at,omitzero"`
	// DeployedAt is when the deployment reached its environment.
	DeployedAt time.Time `json:"deployed_at"`
	// Failed marks a deployment that caused a failure in service (an
	// incident, a rollback, a hotfix).
	Failed bool `json:"failed,omitempty"`
	// RestoredAt is when service was restored after a failed deployment;
	// zero means not yet restored.
	RestoredAt time.Time `json:"restored_at,omitzero"`
}

// Period is the half-open interval [From, To) over which metrics are computed; a
// deployment belongs to it by its DeployedAt. (It is not a deployment window: those
// are the calendar's.)
type Period struct {
	// From is the first instant of the period.
	From time.Time `json:"from"`
	// To is the first instant after the period.
	To time.Time `json:"to"`
}

// ErrInvalidPeriod is returned by [Period.Validate].
var ErrInvalidPeriod = errors.New("dora: invalid period")

// Validate reports a period that does not end after it starts.
func (p Period) Validate() error {
	if !p.To.After(p.From) {
		return fmt.Errorf("%w: [%s, %s) is empty: To must be after From", ErrInvalidPeriod, p.From.Format(time.RFC3339), p.To.Format(time.RFC3339))
	}
	return nil
}

// Contains reports whether t lies in [From, To).
func (p Period) Contains(t time.Time) bool { return !t.Before(p.From) && t.Before(p.To) }

// Band is a DORA performance band.
type Band string

// The DORA performance bands, best first, and the band of a metric without data.
const (
	// BandElite is the best performance band.
	BandElite Band = "elite"
	// BandHigh is the second band.
	BandHigh Band = "high"
	// BandMedium is the third band.
	BandMedium Band = "medium"
	// BandLow is the lowest band.
	BandLow Band = "low"
	// BandNoData is the band of a metric with no samples in the period.
	BandNoData Band = "no-data"
)

// Bands lists every [Band], best first, then [BandNoData].
func Bands() []Band { return []Band{BandElite, BandHigh, BandMedium, BandLow, BandNoData} }

// Day, Week and Month are the units of the DORA thresholds (a month is 30 days).
const (
	Day = 24 * time.Hour // a day

	Week  = 7 * Day  // a week
	Month = 30 * Day // a month, as 30 days
)

// Frequency is the deployment frequency over a period.
type Frequency struct {
	// PerDay is deployments per day, averaged over the period.
	PerDay float64 `json:"per_day"`
	// Band is its performance band.
	Band Band `json:"band"`
}

// DurationMetric is a median duration over samples.
type DurationMetric struct {
	// Median is the median sample (the mean of the middle two for an even count).
	Median time.Duration `json:"median"`
	// Samples is how many samples the median is over.
	Samples int `json:"samples"`
	// Band is its performance band, [BandNoData] without samples.
	Band Band `json:"band"`
}

// Rate is a change failure rate.
type Rate struct {
	// Rate is failed deployments / deployments, 0–1.
	Rate float64 `json:"rate"`
	// Failures is the number of failed deployments.
	Failures int `json:"failures"`
	// Band is its performance band, [BandNoData] without deployments.
	Band Band `json:"band"`
}

// Metrics are the four DORA metrics over a period.
//
// The bands follow the DORA State of DevOps report (2022 and 2023 editions);
// a month is 30 days and "per day" is averaged over the period:
//
//	metric                   elite            high                  medium                 low
//	deployment frequency     > 1 per day      ≥ 1 per week          ≥ 1 per month          < 1 per month
//	                         (on demand)      (daily to weekly)     (weekly to monthly)
//	lead time for changes    < 1 day          < 1 week              < 1 month              ≥ 1 month
//	change failure rate      ≤ 5%             ≤ 10%                 ≤ 15%                  > 15%
//	time to restore service  < 1 hour         < 1 day               < 1 week               ≥ 1 week
//
// The change failure rate bands use the 2023 report's cluster values (5%, 10%,
// 15%, 64%) as upper bounds. Lead time (first commit to deployment) and time
// to restore (deployment to restoration) are medians.
type Metrics struct {
	// Period is the period the metrics cover.
	Period Period `json:"period"`
	// Deployments is how many deployments fall in the period.
	Deployments int `json:"deployments"`
	// DeploymentFrequency is how often deployments happen.
	DeploymentFrequency Frequency `json:"deployment_frequency"`
	// LeadTime is the median time from first commit to deployment, over
	// deployments with a CommitAt not after DeployedAt.
	LeadTime DurationMetric `json:"lead_time"`
	// ChangeFailureRate is the share of deployments that failed.
	ChangeFailureRate Rate `json:"change_failure_rate"`
	// TimeToRestore is the median time from a failed deployment to
	// restoration, over restored failures.
	TimeToRestore DurationMetric `json:"time_to_restore"`
	// Unrestored counts failed deployments without a RestoredAt.
	Unrestored int `json:"unrestored,omitempty"`
}

// Measure computes the four DORA metrics of the deployments that fall in the
// period. An invalid period (see [Period.Validate]) gives metrics with no
// deployments and [BandNoData] for every metric; a valid period without
// deployments bands the frequency [BandLow] and the others [BandNoData].
func Measure(deployments []Deployment, period Period) Metrics {
	m := Metrics{Period: period}
	if period.Validate() != nil {
		m.DeploymentFrequency.Band = BandNoData
		m.LeadTime.Band = BandNoData
		m.ChangeFailureRate.Band = BandNoData
		m.TimeToRestore.Band = BandNoData
		return m
	}
	var lead, restore []time.Duration
	for _, d := range deployments {
		if !period.Contains(d.DeployedAt) {
			continue
		}
		m.Deployments++
		if !d.CommitAt.IsZero() && !d.CommitAt.After(d.DeployedAt) {
			lead = append(lead, d.DeployedAt.Sub(d.CommitAt))
		}
		if d.Failed {
			m.ChangeFailureRate.Failures++
			if d.RestoredAt.IsZero() || d.RestoredAt.Before(d.DeployedAt) {
				m.Unrestored++
			} else {
				restore = append(restore, d.RestoredAt.Sub(d.DeployedAt))
			}
		}
	}
	days := float64(period.To.Sub(period.From)) / float64(Day)
	m.DeploymentFrequency.PerDay = float64(m.Deployments) / days
	m.DeploymentFrequency.Band = FrequencyBand(m.DeploymentFrequency.PerDay)
	m.LeadTime = durationMetric(lead, LeadTimeBand)
	m.TimeToRestore = durationMetric(restore, RestoreBand)
	if m.Deployments == 0 {
		m.ChangeFailureRate.Band = BandNoData
	} else {
		m.ChangeFailureRate.Rate = float64(m.ChangeFailureRate.Failures) / float64(m.Deployments)
		m.ChangeFailureRate.Band = FailureRateBand(m.ChangeFailureRate.Rate)
	}
	return m
}

// FrequencyBand bands a deployment frequency given in deployments per day.
func FrequencyBand(perDay float64) Band {
	switch {
	case perDay > 1:
		return BandElite
	case perDay >= 1.0/7:
		return BandHigh
	case perDay >= 1.0/30:
		return BandMedium
	}
	return BandLow
}

// LeadTimeBand bands a lead time for changes.
func LeadTimeBand(d time.Duration) Band {
	switch {
	case d < Day:
		return BandElite
	case d < Week:
		return BandHigh
	case d < Month:
		return BandMedium
	}
	return BandLow
}

// FailureRateBand bands a change failure rate given as a fraction (0.05 is 5%).
func FailureRateBand(rate float64) Band {
	switch {
	case rate <= 0.05:
		return BandElite
	case rate <= 0.10:
		return BandHigh
	case rate <= 0.15:
		return BandMedium
	}
	return BandLow
}

// RestoreBand bands a time to restore service.
func RestoreBand(d time.Duration) Band {
	switch {
	case d < time.Hour:
		return BandElite
	case d < Day:
		return BandHigh
	case d < Week:
		return BandMedium
	}
	return BandLow
}

func durationMetric(samples []time.Duration, band func(time.Duration) Band) DurationMetric {
	if len(samples) == 0 {
		return DurationMetric{Band: BandNoData}
	}
	slices.Sort(samples)
	n := len(samples)
	med := samples[n/2]
	if n%2 == 0 {
		a, b := samples[n/2-1], samples[n/2]
		med = a + (b-a)/2
	}
	return DurationMetric{Median: med, Samples: n, Band: band(med)}
}

// MeasureBy computes the metrics of [Measure] per group, grouping the deployments
// by key (e.g. [ByService] or [ByTeam]). Only groups with a deployment in the
// period appear.
func MeasureBy(deployments []Deployment, period Period, key func(Deployment) string) map[string]Metrics {
	groups := map[string][]Deployment{}
	for _, d := range deployments {
		if period.Contains(d.DeployedAt) {
			k := key(d)
			groups[k] = append(groups[k], d)
		}
	}
	out := make(map[string]Metrics, len(groups))
	for _, k := range slices.Sorted(maps.Keys(groups)) {
		out[k] = Measure(groups[k], period)
	}
	return out
}

// ByService groups deployments by service, for [MeasureBy].
func ByService(d Deployment) string { return d.Service }

// ByTeam groups deployments by team, for [MeasureBy].
func ByTeam(d Deployment) string { return d.Team }

// Report holds DORA metrics overall, per service and per team.
type Report struct {
	// Overall covers every deployment of the period.
	Overall Metrics `json:"overall"`
	// Services holds the metrics per service.
	Services map[string]Metrics `json:"services"`
	// Teams holds the metrics per team.
	Teams map[string]Metrics `json:"teams"`
}

// NewReport computes the metrics of the period overall, per service and per team.
func NewReport(deployments []Deployment, period Period) Report {
	return Report{
		Overall:  Measure(deployments, period),
		Services: MeasureBy(deployments, period, ByService),
		Teams:    MeasureBy(deployments, period, ByTeam),
	}
}
