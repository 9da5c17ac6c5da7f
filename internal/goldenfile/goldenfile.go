// Package goldenfile compares test output with golden files under testdata/, and
// rewrites them when a test runs with its package's -update flag.
package goldenfile

import (
	"os"
	"path/filepath"
	"testing"
)

// Check fails t unless got equals the contents of path. With update it first writes
// got to path (creating its directory), so a deliberate change is accepted by running
// the test once with -update and reviewing the diff.
func Check(t testing.TB, path string, got []byte, update bool) {
	t.Helper()
	if update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run the test with -update to create %s)", err, path)
	}
	if string(want) != string(got) {
		t.Fatalf("%s differs; run the test with -update if the change is intended, then review the diff\n--- want\n%s\n--- got\n%s", path, want, got)
	}
}
