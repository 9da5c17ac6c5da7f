//go:build unix

package calendar_test

import (
	"syscall"
	"testing"
	"time"
)

// processCPU returns the CPU time the process has used so far, user and system, on
// every thread (the garbage collector's included). Benchmarks report it per op
// (cpu-ns/op) beside the wall-clock time: on a machine shared with other work the
// wall clock also counts the time the benchmark waited for a core.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the CPU time used since c0 (a processCPU reading taken just
// before the timed loop), per op, as cpu-ns/op.
func reportCPU(b *testing.B, c0 time.Duration) {
	b.ReportMetric(float64(processCPU()-c0)/float64(b.N), "cpu-ns/op")
}
