package benchreport

import (
	"math"
	"slices"
)

// Summary is one metric of one benchmark over the repeated runs of a group (-count N).
type Summary struct {
	Median, Min, Max float64
	// N is the number of runs the figure comes from.
	N int
}

// Summarize returns the median, minimum and maximum of xs; the median of an even
// count is the mean of the two middle values. It reports false for an empty slice.
// NaN values are ignored.
func Summarize(xs []float64) (Summary, bool) {
	v := make([]float64, 0, len(xs))
	for _, x := range xs {
		if !math.IsNaN(x) {
			v = append(v, x)
		}
	}
	if len(v) == 0 {
		return Summary{}, false
	}
	slices.Sort(v)
	m := v[len(v)/2]
	if len(v)%2 == 0 {
		m = v[len(v)/2-1]/2 + v[len(v)/2]/2
	}
	return Summary{Median: m, Min: v[0], Max: v[len(v)-1], N: len(v)}, true
}

// Set holds every metric of every benchmark of one group, over repeated runs. Names and
// units keep the order in which they first appeared in the output.
type Set struct {
	names  []string
	units  map[string][]string
	values map[string]map[string][]float64
}

// Collect gathers result lines (of any number of repeated runs) into a [Set].
func Collect(results []Result) *Set {
	s := &Set{units: map[string][]string{}, values: map[string]map[string][]float64{}}
	for _, r := range results {
		byUnit, ok := s.values[r.Name]
		if !ok {
			byUnit = map[string][]float64{}
			s.values[r.Name] = byUnit
			s.names = append(s.names, r.Name)
		}
		for _, m := range r.Metrics {
			if _, seen := byUnit[m.Unit]; !seen {
				s.units[r.Name] = append(s.units[r.Name], m.Unit)
			}
			byUnit[m.Unit] = append(byUnit[m.Unit], m.Value)
		}
	}
	return s
}

// Names lists the benchmarks in the order they first appeared.
func (s *Set) Names() []string { return slices.Clone(s.names) }

// Units lists the metrics of one benchmark in the order they first appeared.
func (s *Set) Units(name string) []string { return slices.Clone(s.units[name]) }

// Get returns the summary of one metric of one benchmark, and false when the output
// had no such figure.
func (s *Set) Get(name, unit string) (Summary, bool) {
	return Summarize(s.values[name][unit])
}

// Values returns the figures of one metric of one benchmark, one per run, in the
// order of the runs.
func (s *Set) Values(name, unit string) []float64 { return slices.Clone(s.values[name][unit]) }

// Len is the number of distinct benchmarks in the set.
func (s *Set) Len() int { return len(s.names) }
