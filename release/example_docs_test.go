package release_test

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestPolicyCookbookCodeCompiles keeps docs/POLICY-COOKBOOK.md honest: every Go block
// in it must be a verbatim excerpt (line by line, ignoring indentation) of
// example_policy_test.go, whose examples the compiler checks and go test runs.
func TestPolicyCookbookCodeCompiles(t *testing.T) {
	const doc, src = "../docs/POLICY-COOKBOOK.md", "example_policy_test.go"
	md, err := os.ReadFile(doc)
	if err != nil {
		t.Fatalf("read %s: %v", doc, err)
	}
	code, err := os.ReadFile(src)
	if err != nil {
		t.Fatalf("read %s: %v", src, err)
	}
	blocks := regexp.MustCompile("(?s)```go\n(.*?)```").FindAllStringSubmatch(string(md), -1)
	if len(blocks) == 0 {
		t.Fatalf("%s has no Go blocks; the check would pass vacuously", doc)
	}
	have := policyDocLines(string(code))
	for _, m := range blocks {
		if !policyDocContainsRun(have, policyDocLines(m[1])) {
			t.Errorf("%s: this block is not an excerpt of %s (edit both together):\n%s", doc, src, m[1])
		}
	}
}

func policyDocLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func policyDocContainsRun(hay, needle []string) bool {
	for i := 0; i+len(needle) <= len(hay); i++ {
		j := 0
		for j < len(needle) && hay[i+j] == needle[j] {
			j++
		}
		if j == len(needle) {
			return true
		}
	}
	return false
}
