package releasetool_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/releasekit/releasekit/internal/releasetool"
)

func TestCheckAPIBeforeTheFirstRelease(t *testing.T) {
	repo := newKit(t, kitFiles)
	rep, err := repo.CheckAPI(context.Background())
	if err != nil || rep.Last != "" || len(rep.Changes) != 0 {
		t.Errorf("CheckAPI with no tag = %+v, %v; want nothing to compare and no error", rep, err)
	}
}

func TestCheckAPIComparesWithTheLastOfTwoTags(t *testing.T) {
	repo := newKit(t, kitFiles)
	ctx := context.Background()
	if _, err := repo.Release(ctx, quick("v0.1.0")); err != nil {
		t.Fatal(err)
	}
	commit(t, repo.Root, "kit: add C and package q", map[string]string{
		"kit.go":     kitFiles["kit.go"] + "\n// C is new in v0.2.0.\nfunc C() {}\n",
		"pkg/q/q.go": "// Package q goes away after v0.2.0.\npackage q\n\n// Q is a function.\nfunc Q() {}\n",
	})
	if _, err := repo.Release(ctx, quick("v0.2.0")); err != nil {
		t.Fatal(err)
	}
	rep, err := repo.CheckAPI(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Last != "v0.2.0" || len(rep.Changes) != 0 || rep.MinimumNext != "v0.2.1" {
		t.Errorf("right after v0.2.0: %+v, want no change since v0.2.0 (C was added since v0.1.0)", rep)
	}

	// Break kit.T and sub.B and remove package q; add to package p; change what is not API
	// (an internal package, a command); add a module, which has no release to compare with.
	work := strings.Replace(read(t, repo.Root, "go.work"), "\t./bench\n", "\t./bench\n\t./extra\n", 1)
	commit(t, repo.Root, "break things", map[string]string{
		"kit.go":                 strings.Replace(kitFiles["kit.go"], "struct{ X int }", "struct{}", 1) + "\n// C is new in v0.2.0.\nfunc C() {}\n",
		"sub/sub.go":             strings.Replace(kitFiles["sub/sub.go"], "B() int", "B(n int) int", 1),
		"pkg/q/q.go":             "",
		"pkg/p/p.go":             kitFiles["pkg/p/p.go"] + "\n// G is new.\nfunc G() {}\n",
		"internal/hidden/hid.go": "// Package hidden is internal.\npackage hidden\n\n// H is not API.\nfunc H(int) {}\n",
		"cmd/tool/main.go":       "// Command tool is a command.\npackage main\n\n// Exported is not API.\nfunc Exported(int) {}\n\nfunc main() {}\n",
		"go.work":                work,
		"extra/go.mod":           "module example.com/kit/extra\n\ngo 1.25.0\n",
		"extra/extra.go":         "// Package extra is a new module.\npackage extra\n\n// E is a function.\nfunc E() {}\n",
	})
	rep, err = repo.CheckAPI(ctx)
	if !errors.Is(err, releasetool.ErrIncompatible) {
		t.Fatalf("CheckAPI = %v, want the unnoted incompatible changes", err)
	}
	got := func(compatible bool) []string {
		var s []string
		for _, c := range rep.Changes {
			if c.Compatible == compatible {
				s = append(s, c.String())
			}
		}
		return s
	}
	wantIncompatible := []string{"kit.T.X: removed", "package pkg/q: removed", "sub.B: changed from func() int to func(int) int"}
	if g := got(false); !slices.Equal(g, wantIncompatible) {
		t.Errorf("incompatible changes since v0.2.0:\n got %q\nwant %q", g, wantIncompatible)
	}
	if g := got(true); !slices.Equal(g, []string{"pkg/p.G: added"}) {
		t.Errorf("compatible changes since v0.2.0: %q, want only pkg/p.G (C came before v0.2.0; internal packages, commands and new modules are not compared)", g)
	}
	if len(rep.Unnoted) != 3 || !strings.Contains(err.Error(), "sub.B") {
		t.Errorf("unnoted = %v, err = %v; want all three named", rep.Unnoted, err)
	}

	cl := read(t, repo.Root, "CHANGELOG.md")
	cl = strings.Replace(cl, "## Unreleased\n", "## Unreleased\n\n- `kit.T.X` is gone.\n- `sub.B` takes a count.\n- package pkg/q is gone; use pkg/p.\n", 1)
	commit(t, repo.Root, "note the changes", map[string]string{"CHANGELOG.md": cl})
	rep, err = repo.CheckAPI(ctx)
	if err != nil || len(rep.Unnoted) != 0 || rep.MinimumNext != "v0.3.0" {
		t.Errorf("with notes: %+v, %v; want no error and v0.3.0 as the lowest next version", rep, err)
	}
}
