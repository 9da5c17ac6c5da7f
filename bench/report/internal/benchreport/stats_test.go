package benchreport_test

import (
	"encoding/binary"
	"math"
	"reflect"
	"slices"
	"testing"

	"github.com/releasekit/releasekit/bench/report/internal/benchreport"
)

func TestSummarize(t *testing.T) {
	tests := []struct {
		name   string
		in     []float64
		want   benchreport.Summary
		wantOK bool
	}{
		{"one run", []float64{5}, benchreport.Summary{Median: 5, Min: 5, Max: 5, N: 1}, true},
		{"odd count: the middle value", []float64{9, 1, 5}, benchreport.Summary{Median: 5, Min: 1, Max: 9, N: 3}, true},
		{"even count: the mean of the middle two", []float64{4, 1, 3, 10}, benchreport.Summary{Median: 3.5, Min: 1, Max: 10, N: 4}, true},
		{"NaN values are ignored", []float64{math.NaN(), 2, 4, 6}, benchreport.Summary{Median: 4, Min: 2, Max: 6, N: 3}, true},
		{"empty", nil, benchreport.Summary{}, false},
		{"only NaN", []float64{math.NaN()}, benchreport.Summary{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := benchreport.Summarize(tt.in)
			if ok != tt.wantOK || got != tt.want {
				t.Errorf("Summarize(%v) (-want +got):\n-%+v %v\n+%+v %v", tt.in, tt.want, tt.wantOK, got, ok)
			}
		})
	}
}

// FuzzSummarize checks the invariants of a summary on arbitrary values: min <= median <=
// max, N counts the non-NaN values, and the order of the runs does not matter.
func FuzzSummarize(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0xf8, 0x7f}) // NaN
	f.Fuzz(func(t *testing.T, raw []byte) {
		var xs []float64
		n := 0
		for len(raw) >= 8 {
			x := math.Float64frombits(binary.LittleEndian.Uint64(raw))
			raw = raw[8:]
			if math.IsInf(x, 0) {
				continue // medians of infinities are not meaningful here
			}
			xs = append(xs, x)
			if !math.IsNaN(x) {
				n++
			}
		}
		s, ok := benchreport.Summarize(xs)
		if ok != (n > 0) {
			t.Fatalf("Summarize(%v) ok = %v, want %v", xs, ok, n > 0)
		}
		if !ok {
			return
		}
		if s.N != n || s.Min > s.Median || s.Median > s.Max {
			t.Fatalf("Summarize(%v) = %+v: want min <= median <= max and N = %d", xs, s, n)
		}
		rev := slices.Clone(xs)
		slices.Reverse(rev)
		if s2, _ := benchreport.Summarize(rev); s2 != s {
			t.Fatalf("order matters: %+v for %v, %+v reversed", s, xs, s2)
		}
	})
}

func TestCollect(t *testing.T) {
	s := benchreport.Collect([]benchreport.Result{
		{Name: "BenchmarkB", Iterations: 1, Metrics: []benchreport.Metric{{3, "ns/op"}, {7, "B/op"}}},
		{Name: "BenchmarkA", Iterations: 1, Metrics: []benchreport.Metric{{1, "ns/op"}}},
		{Name: "BenchmarkB", Iterations: 1, Metrics: []benchreport.Metric{{5, "ns/op"}, {7, "B/op"}, {2, "x/s"}}},
	})
	if got, want := s.Names(), []string{"BenchmarkB", "BenchmarkA"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Names (-want +got):\n-%q\n+%q", want, got)
	}
	if got, want := s.Units("BenchmarkB"), []string{"ns/op", "B/op", "x/s"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Units (-want +got):\n-%q\n+%q", want, got)
	}
	if got, ok := s.Get("BenchmarkB", "ns/op"); !ok || got != (benchreport.Summary{Median: 4, Min: 3, Max: 5, N: 2}) {
		t.Errorf("Get(B, ns/op) = %+v, %v", got, ok)
	}
	if _, ok := s.Get("BenchmarkA", "B/op"); ok {
		t.Error("Get of a metric the benchmark never reported: ok = true, want false")
	}
	if s.Len() != 2 {
		t.Errorf("Len = %d, want 2", s.Len())
	}
}
