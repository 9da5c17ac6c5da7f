package storetest_test

import (
	"testing"

	"github.com/releasekit/releasekit/internal/doccheck"
)

// TestStoreDocCodeCompiles keeps docs/STORE.md honest: every Go block in it must be a
// verbatim excerpt (line by line, ignoring indentation) of
// example_test.go, which the compiler checks and the conformance suite runs.
func TestStoreDocCodeCompiles(t *testing.T) {
	doccheck.Excerpts(t, "../../docs/STORE.md", "example_test.go")
}
