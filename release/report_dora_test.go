package release_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/releasekit/releasekit/release"
)

// TestReportDORACountsProduction: a report over every environment counts only the
// production deployments in its DORA metrics.
func TestReportDORACountsProduction(t *testing.T) {
	w := newWired(t, nil)
	for _, env := range []string{"dev", "staging", "prod"} {
		r, err := w.eng.Create(context.Background(), release.Spec{Name: "checkout", Version: "2.0.0", Environment: env, Author: "ana"})
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range []release.Event{release.EventPlan, release.EventSchedule, release.EventApprove, release.EventStart, release.EventComplete} {
			w.fire(t, r.ID, ev)
		}
	}
	var b bytes.Buffer
	if err := w.eng.Report(context.Background(), &b, release.ReportOptions{From: monday.Add(-time.Hour), To: monday.Add(24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "| Deployments to prod | 1 | |") {
		t.Fatalf("the DORA section does not count only prod:\n%s", b.String())
	}
}
