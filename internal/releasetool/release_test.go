package releasetool_test

import (
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/releasekit/releasekit/internal/releasetool"
)

func TestReleaseTagsEveryPublishedModule(t *testing.T) {
	repo := newKit(t, kitFiles)
	root := repo.Root
	commit(t, root, "kit: say what A returns", map[string]string{"kit.go": strings.Replace(kitFiles["kit.go"], "returns one", "returns 1", 1)})
	before := git(t, root, "rev-parse", "HEAD")

	opts := quick("v0.1.0")
	opts.Test = nil // the default: go test -race example.com/kit/...
	res, err := repo.Release(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"v0.1.0", "sub/v0.1.0"}; strings.Join(res.Tags, " ") != strings.Join(want, " ") {
		t.Errorf("tags = %q, want %q (bench is not published)", res.Tags, want)
	}
	head := git(t, root, "rev-parse", "HEAD")
	if head != res.Commit || git(t, root, "rev-parse", "HEAD~1") != before {
		t.Errorf("the release commit %s is not one commit on top of %s", res.Commit, before)
	}
	for _, tag := range res.Tags {
		if got := git(t, root, "rev-parse", tag+"^{commit}"); got != head {
			t.Errorf("tag %s points to %s, want the release commit %s", tag, got, head)
		}
	}
	if got := git(t, root, "tag", "--list"); got != "sub/v0.1.0\nv0.1.0" {
		t.Errorf("tags in the repository:\n%s", got)
	}
	if got := git(t, root, "log", "-1", "--format=%s"); got != "release v0.1.0" {
		t.Errorf("release commit subject %q", got)
	}
	if s := git(t, root, "status", "--porcelain"); s != "" {
		t.Errorf("the tree is not clean after the release:\n%s", s)
	}
	gosum := read(t, root, "sub/go.sum")
	for _, want := range []string{"example.com/kit v0.1.0 h1:", "example.com/kit v0.1.0/go.mod h1:"} {
		if !strings.Contains(gosum, want) {
			t.Errorf("sub/go.sum lacks %q:\n%s", want, gosum)
		}
	}
	if got := read(t, root, "bench/go.mod"); got != kitFiles["bench/go.mod"] {
		t.Errorf("the unpublished bench/go.mod changed:\n%s", got)
	}
	cl := read(t, root, "CHANGELOG.md")
	for _, want := range []string{
		"## Unreleased\n",
		"## v0.1.0 (2026-12-01)\n\nTags: `v0.1.0`, `sub/v0.1.0`.\n",
		"### Commits (the first release)\n",
		"kit: say what A returns\n",
		"first commit\n",
	} {
		if !strings.Contains(cl, want) {
			t.Errorf("CHANGELOG.md lacks %q:\n%s", want, cl)
		}
	}
	if strings.Index(cl, "## Unreleased") > strings.Index(cl, "## v0.1.0") {
		t.Errorf("the release section is above Unreleased:\n%s", cl)
	}

	// The second release requires the first one in sub/go.mod and lists only new commits.
	commit(t, root, "kit: add C", map[string]string{"kit.go": kitFiles["kit.go"] + "\n// C is new.\nfunc C() {}\n"})
	res, err = repo.Release(context.Background(), quick("v0.2.0"))
	if err != nil {
		t.Fatal(err)
	}
	if res.Previous != "v0.1.0" {
		t.Errorf("previous = %q, want v0.1.0", res.Previous)
	}
	if got := read(t, root, "sub/go.mod"); !strings.Contains(got, "require example.com/kit v0.2.0\n") {
		t.Errorf("sub/go.mod does not require v0.2.0:\n%s", got)
	}
	if work := read(t, root, "go.work"); !strings.Contains(work, "replace example.com/kit v0.2.0 => ./\n") || strings.Contains(work, "v0.1.0") {
		t.Errorf("go.work does not replace exactly v0.2.0 with the root directory:\n%s", work)
	}
	if gosum := read(t, root, "sub/go.sum"); strings.Contains(gosum, "v0.1.0") || !strings.Contains(gosum, "example.com/kit v0.2.0 h1:") {
		t.Errorf("sub/go.sum is not tidy for v0.2.0:\n%s", gosum)
	}
	cl = read(t, root, "CHANGELOG.md")
	section := cl[strings.Index(cl, "## v0.2.0"):strings.Index(cl, "## v0.1.0")]
	if !strings.Contains(section, "### Commits since v0.1.0\n\n- ") || !strings.Contains(section, " kit: add C\n") || strings.Contains(section, "first commit") || strings.Contains(section, "release v0.1.0") {
		t.Errorf("the v0.2.0 section lists the wrong commits:\n%s", section)
	}
	if strings.Contains(section, "Incompatible") {
		t.Errorf("a compatible release lists incompatible changes:\n%s", section)
	}
}

// TestReleaseDropsDevelopmentReplace: a published module may replace its sibling with
// the sibling's directory between releases (for GOWORK=off in its directory); the
// commit the release tags has no replace directive.
func TestReleaseDropsDevelopmentReplace(t *testing.T) {
	files := maps.Clone(kitFiles)
	files["sub/go.mod"] += "\nreplace example.com/kit => ../\n"
	repo := newKit(t, files)
	if _, err := repo.Release(context.Background(), quick("v0.1.0")); err != nil {
		t.Fatalf("Release with a sibling's directory replaced: %v", err)
	}
	if got := git(t, repo.Root, "show", "sub/v0.1.0:sub/go.mod"); strings.Contains(got, "replace") {
		t.Errorf("sub/go.mod at sub/v0.1.0 still replaces:\n%s", got)
	}
}

// TestReleasedModulesStandAlone checks what users get: each published module, fetched
// from a module proxy made from the tags, builds on its own with the go.sum the release
// wrote (a hash that differed from the proxy's zip would fail as a checksum mismatch).
func TestReleasedModulesStandAlone(t *testing.T) {
	repo := newKit(t, kitFiles)
	if _, err := repo.Release(context.Background(), quick("v0.1.0")); err != nil {
		t.Fatal(err)
	}
	proxy := t.TempDir()
	if err := repo.WriteProxy(context.Background(), proxy, "v0.1.0"); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"example.com/kit/@v/list", "example.com/kit/@v/v0.1.0.info", "example.com/kit/@v/v0.1.0.mod", "example.com/kit/@v/v0.1.0.zip", "example.com/kit/sub/@v/v0.1.0.zip"} {
		if _, err := os.Stat(filepath.Join(proxy, f)); err != nil {
			t.Errorf("the proxy lacks %s: %v", f, err)
		}
	}
	if _, err := os.Stat(filepath.Join(proxy, "example.com/kit/bench")); err == nil {
		t.Errorf("the proxy serves the unpublished bench module")
	}
	tree := t.TempDir()
	git(t, repo.Root, "worktree", "add", "--quiet", "--detach", tree, "sub/v0.1.0")
	env := append(os.Environ(), "GOWORK=off", "GOPROXY=file://"+filepath.ToSlash(proxy), "GONOSUMDB=example.com/kit", "GOMODCACHE="+t.TempDir(), "GOFLAGS=-modcacherw -mod=readonly")
	for _, args := range [][]string{{"build", "./..."}, {"mod", "verify"}} {
		if out, err := runGo(filepath.Join(tree, "sub"), env, args...); err != nil {
			t.Errorf("go %s in sub at sub/v0.1.0: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	user := t.TempDir()
	write(t, user, map[string]string{
		"go.mod":  "module example.com/user\n\ngo 1.25.0\n",
		"main.go": "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/kit/pkg/p\"\n\t\"example.com/kit/sub\"\n)\n\nfunc main() { p.F(); fmt.Println(sub.B()) }\n",
	})
	env = append(env[:len(env)-1], "GOFLAGS=-modcacherw")
	if out, err := runGo(user, env, "get", "example.com/kit@v0.1.0", "example.com/kit/sub@v0.1.0"); err != nil {
		t.Fatalf("go get: %v\n%s", err, out)
	}
	if out, err := runGo(user, env, "run", "."); err != nil || strings.TrimSpace(out) != "1" {
		t.Errorf("go run: %v\n%s", err, out)
	}
}

func TestReleaseRefuses(t *testing.T) {
	incompatible := map[string]string{"kit.go": strings.Replace(kitFiles["kit.go"], "struct{ X int }", "struct{ Y int }", 1)}
	note := func(text string) map[string]string {
		return map[string]string{"CHANGELOG.md": "# Changelog\n\n## Unreleased\n\n" + text + "\n"}
	}
	for _, tc := range []struct {
		name    string
		why     string
		setup   func(t *testing.T, repo *releasetool.Repo) // after a release of v0.1.0 unless first
		first   bool
		opts    releasetool.Options
		wantErr error
		wantMsg string
	}{
		{name: "no v", why: "a tag must start with v", first: true, opts: quick("0.1.0"), wantErr: releasetool.ErrVersion},
		{name: "short", why: "v0.1 is not canonical", first: true, opts: quick("v0.1"), wantErr: releasetool.ErrVersion},
		{name: "build metadata", why: "the go command ignores +build", first: true, opts: quick("v0.1.0+x"), wantErr: releasetool.ErrVersion},
		{name: "empty", why: "no version at all", first: true, opts: quick(""), wantErr: releasetool.ErrVersion},
		{name: "v2", why: "v2 needs /v2 module paths", first: true, opts: quick("v2.0.0"), wantErr: releasetool.ErrVersion, wantMsg: "/v2"},
		{name: "modified file", why: "a release tags what is committed", first: true, opts: quick("v0.1.0"), wantErr: releasetool.ErrDirty, wantMsg: "kit.go",
			setup: func(t *testing.T, repo *releasetool.Repo) {
				write(t, repo.Root, map[string]string{"kit.go": "package kit\n"})
			}},
		{name: "untracked file", why: "it would not be in the tag", first: true, opts: quick("v0.1.0"), wantErr: releasetool.ErrDirty, wantMsg: "new.go",
			setup: func(t *testing.T, repo *releasetool.Repo) {
				write(t, repo.Root, map[string]string{"new.go": "package kit\n"})
			}},
		{name: "same version", why: "v0.1.0 exists", opts: quick("v0.1.0"), wantErr: releasetool.ErrNotGreater},
		{name: "older version", why: "v0.0.9 < v0.1.0", opts: quick("v0.0.9"), wantErr: releasetool.ErrNotGreater},
		{name: "prerelease of the last", why: "v0.1.0-rc.1 < v0.1.0", opts: quick("v0.1.0-rc.1"), wantErr: releasetool.ErrNotGreater},
		{name: "incompatible, patch", why: "before v1 a break takes a minor bump", opts: quick("v0.1.1"), wantErr: releasetool.ErrIncompatible, wantMsg: "kit.T.X: removed",
			setup: func(t *testing.T, repo *releasetool.Repo) {
				commit(t, repo.Root, "break", incompatible)
				commit(t, repo.Root, "note", note("- `kit.T.X`: renamed Y."))
			}},
		{name: "incompatible, no note", why: "a break needs a CHANGELOG note", opts: quick("v0.2.0"), wantErr: releasetool.ErrIncompatible, wantMsg: "no note",
			setup: func(t *testing.T, repo *releasetool.Repo) { commit(t, repo.Root, "break", incompatible) }},
		{name: "incompatible, note names another", why: "kit.T.XY is not kit.T.X", opts: quick("v0.2.0"), wantErr: releasetool.ErrIncompatible, wantMsg: "kit.T.X: removed",
			setup: func(t *testing.T, repo *releasetool.Repo) {
				commit(t, repo.Root, "break", incompatible)
				commit(t, repo.Root, "note", note("- `kit.T.XY` went away. <!-- kit.T.X -->"))
			}},
		{name: "failing tests", why: "tests must be green", opts: releasetool.Options{Version: "v0.2.0", Test: []string{"go", "test", "example.com/kit/..."}}, wantErr: releasetool.ErrTests,
			setup: func(t *testing.T, repo *releasetool.Repo) {
				commit(t, repo.Root, "break A", map[string]string{"kit.go": strings.Replace(kitFiles["kit.go"], "return 1", "return 2", 1)})
			}},
		{name: "replace in a published module", why: "the go command ignores a dependency's replace", first: true, opts: quick("v0.1.0"), wantErr: releasetool.ErrLayout, wantMsg: "sub/go.mod replaces example.com/kit",
			setup: func(t *testing.T, repo *releasetool.Repo) {
				commit(t, repo.Root, "replace", map[string]string{"sub/go.mod": kitFiles["sub/go.mod"] + "\nreplace example.com/kit => ../elsewhere\n"})
			}},
		{name: "pseudo-version", why: "siblings are required at release versions", first: true, opts: quick("v0.1.0"), wantErr: releasetool.ErrLayout, wantMsg: "pseudo-version",
			setup: func(t *testing.T, repo *releasetool.Repo) {
				commit(t, repo.Root, "pseudo", map[string]string{"sub/go.mod": strings.Replace(kitFiles["sub/go.mod"], "v0.1.0", "v0.0.0-00010101000000-000000000000", 1)})
			}},
		{name: "module outside go.work", why: "neither tested nor released", first: true, opts: quick("v0.1.0"), wantErr: releasetool.ErrLayout, wantMsg: "extra/go.mod is not used by go.work",
			setup: func(t *testing.T, repo *releasetool.Repo) {
				commit(t, repo.Root, "extra", map[string]string{"extra/go.mod": "module example.com/kit/extra\n\ngo 1.25.0\n"})
			}},
		{name: "go.work lacks the replace", why: "the workspace would fetch v0.1.0", first: true, opts: quick("v0.1.0"), wantErr: releasetool.ErrLayout, wantMsg: "go.work does not replace example.com/kit v0.1.0 with ./",
			setup: func(t *testing.T, repo *releasetool.Repo) {
				commit(t, repo.Root, "no replace", map[string]string{"go.work": strings.Replace(kitFiles["go.work"], "replace", "// replace", 1)})
			}},
		{name: "sibling ahead of the last release", why: "between releases siblings stay at the last one", opts: quick("v0.2.0"), wantErr: releasetool.ErrLayout, wantMsg: "the last release is v0.1.0",
			setup: func(t *testing.T, repo *releasetool.Repo) {
				commit(t, repo.Root, "ahead", map[string]string{"sub/go.mod": strings.Replace(kitFiles["sub/go.mod"], "v0.1.0", "v0.3.0", 1)})
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			repo := newKit(t, kitFiles)
			if !tc.first {
				if _, err := repo.Release(context.Background(), quick("v0.1.0")); err != nil {
					t.Fatal(err)
				}
			}
			if tc.setup != nil {
				tc.setup(t, repo)
			}
			before := state(t, repo.Root)
			_, err := repo.Release(context.Background(), tc.opts)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Release(%q) = %v, want %v (%s)", tc.opts.Version, err, tc.wantErr, tc.why)
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("the refusal does not say %q: %v", tc.wantMsg, err)
			}
			if after := state(t, repo.Root); after != before {
				t.Errorf("a refused release changed the repository:\nbefore:\n%s\nafter:\n%s", before, after)
			}
		})
	}
}

func TestReleaseIncompatibleWithNoteAndMinorBump(t *testing.T) {
	repo := newKit(t, kitFiles)
	ctx := context.Background()
	if _, err := repo.Release(ctx, quick("v0.1.0")); err != nil {
		t.Fatal(err)
	}
	cl := read(t, repo.Root, "CHANGELOG.md")
	cl = strings.Replace(cl, "## Unreleased\n", "## Unreleased\n\n- `kit.T.X` is now `Y`: rename the field where you set it.\n", 1)
	commit(t, repo.Root, "kit: rename T.X to Y", map[string]string{
		"kit.go":       strings.Replace(kitFiles["kit.go"], "struct{ X int }", "struct{ Y int }", 1),
		"CHANGELOG.md": cl,
	})
	res, err := repo.Release(ctx, quick("v0.2.0"))
	if err != nil {
		t.Fatal(err)
	}
	if got := releasetool.Incompatible(res.Changes); len(got) != 1 || got[0].Name != "kit.T.X" {
		t.Errorf("incompatible changes = %v, want kit.T.X", got)
	}
	cl = read(t, repo.Root, "CHANGELOG.md")
	unreleased := cl[strings.Index(cl, "## Unreleased"):strings.Index(cl, "## v0.2.0")]
	if strings.Contains(unreleased, "kit.T.X") {
		t.Errorf("the note stayed under Unreleased:\n%s", unreleased)
	}
	section := cl[strings.Index(cl, "## v0.2.0"):strings.Index(cl, "## v0.1.0")]
	for _, want := range []string{
		"- `kit.T.X` is now `Y`: rename the field where you set it.\n",
		"### Incompatible API changes since v0.1.0\n\n- `kit.T.X`: removed\n",
	} {
		if !strings.Contains(section, want) {
			t.Errorf("the v0.2.0 section lacks %q:\n%s", want, section)
		}
	}
}

func TestReleaseAfterV1RefusesIncompatibleChanges(t *testing.T) {
	repo := newKit(t, kitFiles)
	ctx := context.Background()
	if _, err := repo.Release(ctx, quick("v1.0.0")); err != nil {
		t.Fatal(err)
	}
	cl := strings.Replace(read(t, repo.Root, "CHANGELOG.md"), "## Unreleased\n", "## Unreleased\n\n- `kit.T.X` is gone.\n", 1)
	commit(t, repo.Root, "break", map[string]string{"kit.go": strings.Replace(kitFiles["kit.go"], "struct{ X int }", "struct{}", 1), "CHANGELOG.md": cl})
	for _, v := range []string{"v1.0.1", "v1.1.0"} {
		_, err := repo.Release(ctx, quick(v))
		if !errors.Is(err, releasetool.ErrIncompatible) || !strings.Contains(err.Error(), "/v2") {
			t.Errorf("Release(%s) = %v, want a refusal naming /v2", v, err)
		}
	}
	if got := git(t, repo.Root, "tag", "--list"); got != "sub/v1.0.0\nv1.0.0" {
		t.Errorf("tags after the refusals:\n%s", got)
	}
}

func TestReleaseFailureLeavesNoTag(t *testing.T) {
	repo := newKit(t, kitFiles)
	// sub needs a module that no proxy serves (GOPROXY=off): go mod tidy fails after the
	// changelog and go.mod files were written.
	commit(t, repo.Root, "sub: use a module nobody serves", map[string]string{
		"sub/go.mod": kitFiles["sub/go.mod"] + "\nrequire example.com/nowhere v1.0.0\n",
		"sub/use.go": "package sub\n\nimport _ \"example.com/nowhere\"\n",
	})
	before := state(t, repo.Root)
	opts := quick("v0.1.0")
	opts.SkipTests = true
	if _, err := repo.Release(context.Background(), opts); err == nil || !strings.Contains(err.Error(), "example.com/nowhere") {
		t.Fatalf("Release = %v, want go mod tidy's failure", err)
	}
	if after := state(t, repo.Root); after != before {
		t.Errorf("a failed release changed the repository:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	if _, err := os.Stat(filepath.Join(repo.Root, "CHANGELOG.md")); err == nil {
		t.Errorf("a failed release left CHANGELOG.md behind")
	}
}
