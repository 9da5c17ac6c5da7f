package storetest_test

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestStoreDocCodeCompiles keeps docs/STORE.md honest: every Go block in it must be a
// verbatim excerpt (line by line, ignoring indentation) of example_test.go, which the
// compiler checks and the conformance suite runs.
func TestStoreDocCodeCompiles(t *testing.T) {
	requireExcerpts(t, "../../docs/STORE.md", "example_test.go")
}

var goBlock = regexp.MustCompile("(?s)```go\n(.*?)```")

// requireExcerpts fails unless every ```go block of doc appears in one of the source
// files as a run of consecutive lines (compared without leading and trailing space).
func requireExcerpts(t *testing.T, doc string, sources ...string) {
	t.Helper()
	md, err := os.ReadFile(doc)
	if err != nil {
		t.Fatalf("read %s: %v", doc, err)
	}
	var src []string
	for _, f := range sources {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatalf("read %s: %v", f, err)
		}
		src = append(src, trimmedLines(string(b))...)
		src = append(src, "\x00") // no excerpt spans two files
	}
	blocks := goBlock.FindAllStringSubmatch(string(md), -1)
	if len(blocks) == 0 {
		t.Fatalf("%s has no Go blocks; the check would pass vacuously", doc)
	}
	for _, m := range blocks {
		if !containsRun(src, trimmedLines(m[1])) {
			t.Errorf("%s: this block is not an excerpt of %v (edit both together):\n%s", doc, sources, m[1])
		}
	}
}

func trimmedLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func containsRun(hay, needle []string) bool {
	for i := 0; i+len(needle) <= len(hay); i++ {
		match := true
		for j := range needle {
			if hay[i+j] != needle[j] {
				match = false
				break
			}
		}
		if match {
			return true
		}
	}
	return false
}
