package jira_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/releasekit/releasekit/adapters/jira"
)

// FuzzPlainText reads any JSON a comment or description body may hold without
// panicking, and keeps every text node of an ADF document.
func FuzzPlainText(f *testing.F) {
	f.Add(`{"type":"doc","version":1,"content":[{"type":"paragraph","content":[{"type":"text","text":"hi [releasekit x #2]"}]}]}`)
	f.Add(`"plain text body"`)
	f.Add(`{"content":[1,"a",null,{"text":5},{"content":{}}]}`)
	f.Add(`[[[{"text":"deep"}]]]`)
	f.Fuzz(func(t *testing.T, s string) {
		var body any
		if json.Unmarshal([]byte(s), &body) != nil {
			return
		}
		out := jira.PlainText(body)
		if str, ok := body.(string); ok && out != str {
			t.Fatalf("PlainText(%q) = %q", str, out)
		}
		if m, ok := body.(map[string]any); ok {
			if txt, ok := m["text"].(string); ok && !strings.Contains(out, txt) {
				t.Fatalf("PlainText lost the text %q: %q", txt, out)
			}
		}
	})
}
