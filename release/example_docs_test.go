package release_test

import (
	"testing"

	"github.com/releasekit/releasekit/internal/doccheck"
)

// TestPolicyCookbookCodeCompiles keeps docs/POLICY-COOKBOOK.md honest: every Go block in it must be a
// verbatim excerpt (line by line, ignoring indentation) of
// example_policy_test.go, whose examples the compiler checks and go test runs.
func TestPolicyCookbookCodeCompiles(t *testing.T) {
	doccheck.Excerpts(t, "../docs/POLICY-COOKBOOK.md", "example_policy_test.go")
}
