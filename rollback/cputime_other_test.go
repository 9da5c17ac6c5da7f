//go:build !unix

package rollback_test

import (
	"testing"
	"time"
)

// processCPU is not measured on this platform; cpu-ns/op is then not reported.
func processCPU() time.Duration { return 0 }

// reportCPU reports nothing on this platform.
func reportCPU(*testing.B, time.Duration) {}
