package servicenow_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/releasekit/releasekit/internal/doccheck"
)

// TestDocsGoIsAnExcerpt keeps the Go blocks of the ServiceNow section of
// docs/ITSM.md verbatim excerpts of the runnable example.
func TestDocsGoIsAnExcerpt(t *testing.T) {
	b, err := os.ReadFile("../../docs/ITSM.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i := strings.Index(s, "\n## ServiceNow\n")
	if i < 0 {
		t.Fatal("docs/ITSM.md has no ## ServiceNow section")
	}
	s = s[i:]
	if j := strings.Index(s[1:], "\n## "); j >= 0 {
		s = s[:j+1]
	}
	doc := filepath.Join(t.TempDir(), "servicenow.md")
	if err := os.WriteFile(doc, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	doccheck.Excerpts(t, doc, "example_test.go")
}
