package calendar_test

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestCookbookDocCodeCompiles keeps docs/CALENDAR-COOKBOOK.md honest: every Go block in
// it must be a verbatim excerpt (line by line, ignoring indentation) of
// example_cookbook_test.go, whose examples the compiler checks and go test runs.
func TestCookbookDocCodeCompiles(t *testing.T) {
	const doc, src = "../docs/CALENDAR-COOKBOOK.md", "example_cookbook_test.go"
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
	have := cookbookLines(string(code))
	for _, m := range blocks {
		if !cookbookContainsRun(have, cookbookLines(m[1])) {
			t.Errorf("%s: this block is not an excerpt of %s (edit both together):\n%s", doc, src, m[1])
		}
	}
}

func cookbookLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func cookbookContainsRun(hay, needle []string) bool {
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
