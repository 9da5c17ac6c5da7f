package bolt_test

import (
	"context"
	"testing"

	"github.com/releasekit/releasekit/adapters/bolt"
	"github.com/releasekit/releasekit/adapters/internal/upgradetest"
)

// TestUpgradeEvidence: the fixture written before evidence and idempotency keys
// records both once opened (the keys bucket is added on open), and the file still
// checks clean after it.
func TestUpgradeEvidence(t *testing.T) {
	path, m := UpgradeFixture(t)
	s, err := bolt.Open(path)
	if err != nil {
		t.Fatalf("open the fixture: %v", err)
	}
	defer s.Close()
	upgradetest.CheckEvidence(t, s, m)
	if err := s.Check(context.Background()); err != nil {
		t.Fatalf("Check after recording evidence: %v", err)
	}
}
