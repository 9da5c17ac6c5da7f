package jira_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/releasekit/releasekit/adapters/jira"
	"github.com/releasekit/releasekit/internal/doccheck"
)

// section returns the "## Jira" section of docs/ITSM.md.
func section(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../../docs/ITSM.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i := strings.Index(s, "## Jira\n")
	if i < 0 {
		t.Fatal("docs/ITSM.md has no ## Jira section")
	}
	s = s[i+len("## Jira\n"):]
	if j := strings.Index(s, "\n## "); j >= 0 {
		s = s[:j]
	}
	return s
}

// TestDocsGoIsAnExcerpt keeps the Go block of the Jira section a verbatim excerpt
// of the runnable example.
func TestDocsGoIsAnExcerpt(t *testing.T) {
	doc := filepath.Join(t.TempDir(), "jira.md")
	if err := os.WriteFile(doc, []byte(section(t)), 0o600); err != nil {
		t.Fatal(err)
	}
	doccheck.Excerpts(t, doc, "example_test.go")
}

// TestDocsConfigurationsAreValid decodes the YAML and JSON configurations of the
// Jira section strictly into jira.Config and validates them.
func TestDocsConfigurationsAreValid(t *testing.T) {
	s := section(t)
	blocks := regexp.MustCompile("(?s)```(yaml|json)\n(.*?)```").FindAllStringSubmatch(s, -1)
	if len(blocks) != 2 {
		t.Fatalf("%d configuration blocks, want a YAML and a JSON one", len(blocks))
	}
	for _, b := range blocks {
		var cfg jira.Config
		var err error
		if b[1] == "yaml" {
			dec := yaml.NewDecoder(strings.NewReader(b[2]))
			dec.KnownFields(true)
			err = dec.Decode(&cfg)
		} else {
			dec := json.NewDecoder(bytes.NewReader([]byte(b[2])))
			dec.DisallowUnknownFields()
			err = dec.Decode(&cfg)
		}
		if err != nil {
			t.Fatalf("%s block: %v", b[1], err)
		}
		if err := cfg.Validate(); err != nil {
			t.Errorf("%s block: %v", b[1], err)
		}
		if len(cfg.Transitions) == 0 || cfg.Project == "" {
			t.Errorf("%s block decoded to %+v", b[1], cfg)
		}
	}
}
