package memory_test

import (
	"testing"

	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(*testing.T) release.Store { return memory.New() }, storetest.WithTamper(memory.Tamper))
}
