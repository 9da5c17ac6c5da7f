package postgres_test

import (
	"testing"

	"github.com/releasekit/releasekit/adapters/internal/upgradetest"
)

// TestUpgradeEvidence: the fixture's schema, written before evidence and idempotency
// keys, is migrated (0003 adds the keys table) and records both.
func TestUpgradeEvidence(t *testing.T) {
	t.Parallel()
	schema, m := loadUpgradeFixture(t)
	upgradetest.CheckEvidence(t, openStore(t, schema), m)
}
