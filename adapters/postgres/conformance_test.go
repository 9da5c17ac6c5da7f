package postgres_test

import (
	"testing"

	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/storetest"
)

// TestConformance runs the release.Store conformance suite (and its Outbox and
// Booker cases) against PostgreSQL, one fresh schema per case.
func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) release.Store { return openStore(t, "") }, storetest.WithTamper(tamper(t)))
}
