package doccheck

import "testing"

func TestContainsRun(t *testing.T) {
	hay := lines("a\n  b\n\nc\nd")
	for _, tc := range []struct {
		needle string
		want   bool
	}{
		{"b\nc", true},
		{"\tb\n\n  c", true},
		{"b\nd", false},
		{"d\ne", false},
	} {
		if got := containsRun(hay, lines(tc.needle)); got != tc.want {
			t.Errorf("containsRun(%q) = %v, want %v", tc.needle, got, tc.want)
		}
	}
}
