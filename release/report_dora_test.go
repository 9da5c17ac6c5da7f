package release_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/dora"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/faultstore"
	"github.com/releasekit/releasekit/release/releasetest"
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

// TestReportClipsLongReasons: the decisions table keeps each reason to a line or
// two, cut at a word with an ellipsis, and the appendix gives it in full; a short
// reason is shown whole and not repeated.
func TestReportClipsLongReasons(t *testing.T) {
	ctx := context.Background()
	w := newWired(t, nil)
	long := strings.Repeat("the error ratio stayed above the limit ", 6) + "END"
	for _, why := range []string{long, "missed the train"} {
		r, err := w.eng.Create(ctx, release.Spec{Name: "payments", Version: "2.1.0", Environment: "prod", Author: "ana"})
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range []release.Event{release.EventPlan, release.EventSchedule, release.EventApprove, release.EventStart} {
			w.fire(t, r.ID, ev)
		}
		if _, err := w.eng.Fire(ctx, r.ID, release.EventFail, release.Person("rui", release.RoleReleaseManager), release.Reason(why)); err != nil {
			t.Fatal(err)
		}
	}
	var b bytes.Buffer
	if err := w.eng.Report(ctx, &b, release.ReportOptions{From: monday.Add(-time.Hour), To: monday.Add(24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	main, appendix, _ := strings.Cut(b.String(), "## Appendix")
	var row string
	for _, l := range strings.Split(main, "\n") {
		if strings.Contains(l, "| failed |") && strings.Contains(l, "the error ratio") {
			row = l
		}
	}
	why := row[strings.LastIndex(strings.TrimSuffix(row, " |"), "| ")+2:]
	if !strings.HasSuffix(why, " … |") || strings.Contains(why, "END") || len([]rune(why)) > 110+4 {
		t.Errorf("the long reason is not cut at a word with an ellipsis: %q", why)
	}
	if !strings.Contains(main, "| missed the train |") {
		t.Errorf("the short reason is not shown whole:\n%s", main)
	}
	if !strings.Contains(appendix, "### Decisions in full") || !strings.Contains(appendix, long) {
		t.Errorf("the appendix does not give the long reason in full:\n%s", appendix)
	}
	if strings.Contains(appendix, "missed the train") {
		t.Errorf("the appendix repeats a reason shown whole:\n%s", appendix)
	}
}

// TestReportListsEachReleaseOnce: the report's releases and its DORA metrics come
// from one listing when the production environment is among the report's, and
// from one listing of each environment when it is not; the metrics are the same as
// DORA's.
func TestReportListsEachReleaseOnce(t *testing.T) {
	ctx := context.Background()
	fs, err := faultstore.New(memory.New())
	if err != nil {
		t.Fatal(err)
	}
	clock := releasetest.NewClock(monday, 0)
	eng, err := release.New(fs, release.WithClock(clock), release.WithPolicy(release.AllowAll()))
	if err != nil {
		t.Fatal(err)
	}
	for i, env := range []string{"dev", "prod", "prod", "staging"} {
		r, err := eng.Create(ctx, release.Spec{Name: "checkout", Version: fmt.Sprintf("2.0.%d", i), Environment: env, Author: "ana"})
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range []release.Event{release.EventPlan, release.EventSchedule, release.EventApprove, release.EventStart, release.EventComplete} {
			if _, err := eng.Fire(ctx, r.ID, ev, rui); err != nil {
				t.Fatal(err)
			}
			clock.Advance(time.Minute)
		}
	}
	period := dora.Period{From: monday.Add(-time.Hour), To: monday.Add(24 * time.Hour)}
	for _, c := range []struct {
		env, prod string
		lists     int
	}{{"", "", 1}, {"prod", "", 1}, {"dev", "dev", 1}, {"dev", "prod", 2}, {"staging", "", 1}} {
		before := fs.Injector().Stats().Calls[faultstore.OpList]
		var b bytes.Buffer
		if err := eng.Report(ctx, &b, release.ReportOptions{From: period.From, To: period.To, Environment: c.env, Production: c.prod}); err != nil {
			t.Fatal(err)
		}
		if got := fs.Injector().Stats().Calls[faultstore.OpList] - before; got != c.lists {
			t.Errorf("report of %q (production %q) listed releases %d times, want %d", c.env, c.prod, got, c.lists)
		}
		prod := c.prod
		if prod == "" {
			prod = c.env
		}
		if prod == "" {
			prod = "prod"
		}
		want, err := eng.DORA(ctx, prod, period)
		if err != nil {
			t.Fatal(err)
		}
		row := fmt.Sprintf("| Deployments to %s | %d | |", prod, want.Overall.Deployments)
		if !strings.Contains(b.String(), row) {
			t.Errorf("report of %q (production %q) lacks %q:\n%s", c.env, c.prod, row, b.String())
		}
	}
}
