package main

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/releasekit/releasekit/adapters/bolt"
	"github.com/releasekit/releasekit/release"
)

// TestQuickstartTwice runs the main job twice on one store: the second run continues,
// and every history verifies.
func TestQuickstartTwice(t *testing.T) {
	path := filepath.Join(t.TempDir(), "qs.db")
	for run1 := range 2 {
		if err := run(context.Background(), path); err != nil {
			t.Fatalf("run %d: %v", run1+1, err)
		}
	}
	store, err := bolt.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	all, err := store.List(context.Background(), release.Filter{States: []release.State{release.StateClosed}})
	if err != nil || len(all) != 2 {
		t.Fatalf("closed releases after two runs = %d, %v; want 2", len(all), err)
	}
}
