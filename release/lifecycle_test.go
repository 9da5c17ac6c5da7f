package release_test

import (
	"flag"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/releasekit/releasekit/release"
)

var update = flag.Bool("update", false, "rewrite golden files and generated docs")

const diagramDoc = "../docs/LIFECYCLE.md"

func lifecycleDoc(t *testing.T) string {
	t.Helper()
	d, err := release.Diagram()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("# The release lifecycle\n\n")
	b.WriteString("Generated from the state machine the engine fires (`release.Diagram`, drawn by\n")
	b.WriteString("looplab/fsm's visualizer); `go test ./release -run TestDiagramIsCurrent -update`\n")
	b.WriteString("rewrites it, and the test fails when it drifts.\n\n")
	b.WriteString("```mermaid\n" + d + "```\n\n")
	b.WriteString("| event | from | to |\n|---|---|---|\n")
	for _, tr := range release.Transitions() {
		b.WriteString("| " + string(tr.Event) + " | " + string(tr.From) + " | " + string(tr.To) + " |\n")
	}
	b.WriteString("\nFinal states: ")
	var final []string
	for _, s := range release.States() {
		if s.Terminal() {
			final = append(final, string(s))
		}
	}
	b.WriteString(strings.Join(final, ", ") + ". Every history starts with a `create` entry (from nothing to draft).\n")
	return b.String()
}

func TestDiagramIsCurrent(t *testing.T) {
	want := lifecycleDoc(t)
	if *update {
		if err := os.WriteFile(diagramDoc, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(diagramDoc)
	if err != nil {
		t.Fatalf("%v (run go test ./release -run TestDiagramIsCurrent -update)", err)
	}
	if string(got) != want {
		t.Fatalf("%s has drifted from the state machine; run go test ./release -run TestDiagramIsCurrent -update\n--- want\n%s", diagramDoc, want)
	}
}

func TestLifecycleShape(t *testing.T) {
	all := release.States()
	reachable := map[release.State]bool{release.StateDraft: true}
	for changed := true; changed; {
		changed = false
		for _, tr := range release.Transitions() {
			if reachable[tr.From] && !reachable[tr.To] {
				reachable[tr.To], changed = true, true
			}
		}
	}
	for _, s := range all {
		if !reachable[s] {
			t.Errorf("state %s cannot be reached from draft", s)
		}
		if avail := release.Available(s); s.Terminal() != (len(avail) == 0) {
			t.Errorf("state %s: terminal=%v but events %v leave it", s, s.Terminal(), avail)
		}
	}
	for _, tr := range release.Transitions() {
		if !tr.From.Valid() || !tr.To.Valid() || !tr.Event.Valid() {
			t.Errorf("transition %+v uses an unknown state or event", tr)
		}
	}
	for _, tc := range []struct {
		why  string
		from release.State
		ev   release.Event
		to   release.State
		ok   bool
	}{
		{"the happy path starts with plan", release.StateDraft, release.EventPlan, release.StatePlanned, true},
		{"unschedule from approved drops the approval", release.StateApproved, release.EventUnschedule, release.StatePlanned, true},
		{"cancel is possible before deploying", release.StateApproved, release.EventCancel, release.StateCancelled, true},
		{"cancel is not possible once deploying", release.StateDeploying, release.EventCancel, "", false},
		{"a verified release can still fail", release.StateVerified, release.EventFail, release.StateFailed, true},
		{"a failed rollback is a failure", release.StateRollingBack, release.EventFail, release.StateFailed, true},
		{"failed releases roll back", release.StateFailed, release.EventRollback, release.StateRollingBack, true},
		{"rolled back releases close", release.StateRolledBack, release.EventClose, release.StateClosed, true},
		{"closed is final", release.StateClosed, release.EventPlan, "", false},
		{"approve needs a schedule", release.StatePlanned, release.EventApprove, "", false},
	} {
		to, ok := release.Next(tc.from, tc.ev)
		if ok != tc.ok || to != tc.to {
			t.Errorf("%s: Next(%s, %s) = %s, %v; want %s, %v", tc.why, tc.from, tc.ev, to, ok, tc.to, tc.ok)
		}
	}
	if !slices.Contains(release.Events(), release.EventRevoke) || slices.Contains(release.Events(), release.EventCreate) {
		t.Errorf("Events() = %v: want every fireable event and not create", release.Events())
	}
}
