package release_test

import (
	"bytes"
	"context"
	"errors"
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

// TestReportLeadTimeSaysWhereItStarts: lead time runs from Spec.CommittedAt when
// every deployment gave it, and the report says which measure it shows when some
// or none did, claiming the band only as a bound.
func TestReportLeadTimeSaysWhereItStarts(t *testing.T) {
	ctx := context.Background()
	w := newWired(t, nil)
	deploy := func(name string, committed time.Time) {
		t.Helper()
		r, err := w.eng.Create(ctx, release.Spec{Name: name, Version: "1.0.0", Environment: "prod", Author: "ana", CommittedAt: committed})
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range []release.Event{release.EventPlan, release.EventSchedule, release.EventApprove, release.EventStart, release.EventComplete} {
			w.fire(t, r.ID, ev)
		}
	}
	report := func() string {
		var b bytes.Buffer
		if err := w.eng.Report(ctx, &b, release.ReportOptions{From: monday.Add(-time.Hour), To: monday.Add(24 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	deploy("checkout", monday.Add(-30*24*time.Hour))
	ds, err := w.eng.Deployments(ctx, "prod")
	if err != nil || len(ds) != 1 || !ds[0].CommitAt.Equal(monday.Add(-30*24*time.Hour)) {
		t.Fatalf("Deployments = %+v, %v; want one whose lead time starts at the commit", ds, err)
	}
	if out := report(); !strings.Contains(out, "| Lead time for changes (from commit) | 30d (median of 1) | low |") {
		t.Errorf("lead time from the commit:\n%s", out)
	}
	deploy("payments", time.Time{})
	out := report()
	for _, want := range []string{"| Lead time for changes (from commit for 1 of 2 deployments, from release creation for the rest) |",
		"at best (DORA measures from the commit, before the release was created) |"} {
		if !strings.Contains(out, want) {
			t.Errorf("the report does not say %q:\n%s", want, out)
		}
	}
	if _, err := w.eng.Create(ctx, release.Spec{Name: "web", Version: "1.0.0", Environment: "prod", Author: "ana",
		CommittedAt: w.clock.Now().Add(time.Hour)}); !errors.Is(err, release.ErrInvalid) || !strings.Contains(err.Error(), "after now") {
		t.Errorf("a commit in the future: %v, want ErrInvalid saying it is after now", err)
	}
}

// TestDeploymentsCountFailedRollouts: a release that failed or was rolled back while
// deploying (a canary that failed) reached users, so it is a failed deployment,
// restored when its rollback finished; one that never started is not a deployment.
func TestDeploymentsCountFailedRollouts(t *testing.T) {
	ctx := context.Background()
	w := newWired(t, nil)
	start := func(name string, then ...release.Event) {
		t.Helper()
		r, err := w.eng.Create(ctx, release.Spec{Name: name, Version: "1.0.0", Environment: "prod", Author: "ana"})
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range append([]release.Event{release.EventPlan, release.EventSchedule, release.EventApprove}, then...) {
			w.fire(t, r.ID, ev)
		}
	}
	start("approved-only")
	start("canary-failed", release.EventStart, release.EventFail)
	start("rolled-back", release.EventStart, release.EventRollback, release.EventFinishRollback)
	start("shipped", release.EventStart, release.EventComplete)
	ds, err := w.eng.Deployments(ctx, "prod")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, d := range ds {
		got[d.Service] = d.Failed
		if d.Service == "rolled-back" && d.RestoredAt.IsZero() {
			t.Errorf("the rolled-back release has no restore time: %+v", d)
		}
	}
	want := map[string]bool{"canary-failed": true, "rolled-back": true, "shipped": false}
	if len(got) != len(want) {
		t.Fatalf("Deployments = %+v, want exactly %v", ds, want)
	}
	for name, failed := range want {
		if f, ok := got[name]; !ok || f != failed {
			t.Errorf("%s: in deployments %v, failed %v; want failed %v", name, ok, f, failed)
		}
	}
}
