package calendar_test

import (
	"testing"

	"github.com/releasekit/releasekit/internal/doccheck"
)

// TestCookbookDocCodeCompiles keeps docs/CALENDAR-COOKBOOK.md honest: every Go block in it must be a
// verbatim excerpt (line by line, ignoring indentation) of
// example_cookbook_test.go, whose examples the compiler checks and go test runs.
func TestCookbookDocCodeCompiles(t *testing.T) {
	doccheck.Excerpts(t, "../docs/CALENDAR-COOKBOOK.md", "example_cookbook_test.go")
}
