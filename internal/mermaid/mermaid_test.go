package mermaid_test

import (
	"testing"

	"github.com/releasekit/releasekit/internal/mermaid"
)

func TestLabel(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"payments", `"payments"`},
		{`say "hi"`, `"say #quot;hi#quot;"`},
		{"a|b<c>", `"a#124;b#60;c#62;"`},
		{"line\nbreak", `"line break"`},
	} {
		if got := mermaid.Label(tc.in); got != tc.want {
			t.Errorf("Label(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}
