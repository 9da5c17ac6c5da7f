// Package doccheck keeps the Go blocks of the project's Markdown documents honest: each
// block must be an excerpt of a source file that the compiler checks and go test runs.
package doccheck

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

var goBlock = regexp.MustCompile("(?s)```go\n(.*?)```")

// Excerpts fails t unless every ```go block of the Markdown file doc is a verbatim
// excerpt of one of the Go files sources, line by line, ignoring indentation and blank
// lines (no excerpt spans two files). A doc without Go blocks fails too, so the check
// never passes vacuously.
func Excerpts(t testing.TB, doc string, sources ...string) {
	t.Helper()
	md, err := os.ReadFile(doc)
	if err != nil {
		t.Fatalf("read %s: %v", doc, err)
	}
	var have []string
	for _, f := range sources {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatalf("read %s: %v", f, err)
		}
		have = append(append(have, lines(string(b))...), "\x00")
	}
	blocks := goBlock.FindAllStringSubmatch(string(md), -1)
	if len(blocks) == 0 {
		t.Fatalf("%s has no Go blocks; the check would pass vacuously", doc)
	}
	for _, m := range blocks {
		if !containsRun(have, lines(m[1])) {
			t.Errorf("%s: this block is not an excerpt of %v (edit both together):\n%s", doc, sources, m[1])
		}
	}
}

func lines(s string) []string {
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
