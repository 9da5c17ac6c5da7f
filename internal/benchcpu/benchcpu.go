// Package benchcpu lets benchmarks report the CPU time an operation used beside its
// wall-clock time. On a machine shared with other work the wall clock also counts the
// time a benchmark waited for a core; the process's CPU time (user and system, on
// every thread, the garbage collector's included) does not.
package benchcpu

import (
	"testing"
	"time"
)

// Start returns the CPU time the process has used so far; take it just before the
// timed loop and pass it to [Report] after it.
func Start() time.Duration { return processCPU() }

// Report reports the CPU time used since start, per op, as cpu-ns/op. It reports
// nothing where the CPU time cannot be read.
func Report(b *testing.B, start time.Duration) {
	if now := processCPU(); now > 0 && b.N > 0 {
		b.ReportMetric(float64(now-start)/float64(b.N), "cpu-ns/op")
	}
}
