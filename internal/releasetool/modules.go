package releasetool

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
)

// DefaultUnpublished names the modules of releasekit that are never tagged, by directory
// relative to the repository root: bench (comparisons against reference libraries, which
// nobody imports; it keeps a replace directive so that `GOWORK=off go run ./report` works),
// examples/releasebot/e2e (the bot's contract and browser tests, which keep kin-openapi and
// chromedp out of the published modules) and this tool. Every other module listed in
// go.work is published.
var DefaultUnpublished = []string{"bench", "examples/releasebot/e2e", "internal/releasetool"}

// Repo is a git working tree holding one or more Go modules.
type Repo struct {
	// Root is the top directory of the working tree.
	Root string
	// Unpublished lists the module directories, relative to Root with forward slashes,
	// that are never tagged.
	Unpublished []string
}

// Module is one Go module of the repository.
type Module struct {
	// Dir is the module's directory relative to the repository root, with forward
	// slashes; "" for the module at the root.
	Dir string
	// Path is the module path its go.mod declares.
	Path string
	// Published reports whether releases tag the module.
	Published bool

	file *modfile.File
}

// Tag returns the name of the git tag that gives the module the version, as the go
// command looks it up: "v0.2.0" at the root, "adapters/postgres/v0.2.0" in a subdirectory.
func (m Module) Tag(version string) string {
	if m.Dir == "" {
		return version
	}
	return m.Dir + "/" + version
}

// Siblings returns the paths of the modules among mods that m requires.
func (m Module) Siblings(mods []Module) []string {
	var out []string
	for _, req := range m.file.Require {
		if slices.ContainsFunc(mods, func(s Module) bool { return s.Path == req.Mod.Path }) {
			out = append(out, req.Mod.Path)
		}
	}
	return out
}

// Modules returns the modules of the repository, the root module first: those go.work
// uses, or the root module alone when there is no go.work.
func (r *Repo) Modules() ([]Module, error) {
	dirs := []string{""}
	wf, err := r.workFile()
	if err != nil {
		return nil, err
	}
	if wf != nil {
		dirs = dirs[:0]
		for _, u := range wf.Use {
			d := path.Clean(filepath.ToSlash(u.Path))
			if d == "." {
				d = ""
			}
			if !filepath.IsLocal(filepath.FromSlash(d)) && d != "" {
				return nil, fmt.Errorf("go.work uses %q, outside the repository", u.Path)
			}
			dirs = append(dirs, d)
		}
	}
	var mods []Module
	for _, d := range dirs {
		file := filepath.Join(r.Root, filepath.FromSlash(d), "go.mod")
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("go.work uses %q: %w", orDot(d), err)
		}
		f, err := modfile.Parse(file, data, nil)
		if err != nil {
			return nil, err
		}
		if f.Module == nil {
			return nil, fmt.Errorf("%s declares no module path", file)
		}
		mods = append(mods, Module{Dir: d, Path: f.Module.Mod.Path, Published: !slices.Contains(r.Unpublished, d), file: f})
	}
	slices.SortStableFunc(mods, func(a, b Module) int { return strings.Compare(a.Dir, b.Dir) })
	if len(mods) == 0 || mods[0].Dir != "" {
		return nil, errors.New("go.work does not use the module at the repository root")
	}
	return mods, nil
}

// workFile parses the repository's go.work, or returns nil when there is none.
func (r *Repo) workFile() (*modfile.WorkFile, error) {
	data, err := os.ReadFile(filepath.Join(r.Root, "go.work"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return modfile.ParseWork("go.work", data, nil)
}

// siblingRequirements returns, in order, the versions at which published modules require
// their published siblings, with the directory of each required sibling.
func siblingRequirements(mods []Module) (reqs []module.Version, dirs map[string]string) {
	dirs = map[string]string{}
	for _, m := range mods {
		if m.Published {
			dirs[m.Path] = m.Dir
		}
	}
	seen := map[module.Version]bool{}
	for _, m := range mods {
		if !m.Published {
			continue
		}
		for _, req := range m.file.Require {
			if _, ok := dirs[req.Mod.Path]; ok && !seen[req.Mod] {
				seen[req.Mod] = true
				reqs = append(reqs, req.Mod)
			}
		}
	}
	return reqs, dirs
}

// replaceDir is how go.work names a module directory in a replace directive.
func replaceDir(dir string) string {
	return "./" + dir
}

// Published returns the modules that releases tag, the root module first.
func (r *Repo) Published() ([]Module, error) {
	mods, err := r.Modules()
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(mods, func(m Module) bool { return !m.Published }), nil
}

func orDot(dir string) string {
	if dir == "" {
		return "."
	}
	return dir
}

// ErrLayout is wrapped by every problem [Repo.Check] finds.
var ErrLayout = errors.New("module layout")

// Check reports every way the repository's modules break the rules that let users
// consume them, joined in one error (nil when there is none): every go.mod file git
// tracks belongs to a module go.work uses (outside testdata); each entry of
// Repo.Unpublished is such a module; a published module replaces nothing but a published
// sibling (every version) with that sibling's directory, which the release drops, and
// requires each published sibling at a release version (vX.Y.Z, not a pseudo-version),
// the same for every sibling, which is the last release when there is one; and go.work
// replaces each such requirement with the sibling's directory, so that the workspace never
// fetches a version of its own modules.
func (r *Repo) Check(ctx context.Context) error {
	mods, err := r.Modules()
	if err != nil {
		return err
	}
	var problems []error
	fail := func(format string, args ...any) {
		problems = append(problems, fmt.Errorf("%w: %s", ErrLayout, fmt.Sprintf(format, args...)))
	}

	tracked, err := r.git(ctx, "ls-files", "--", "go.mod", "*/go.mod")
	if err != nil {
		return err
	}
	inWork := map[string]bool{}
	for _, m := range mods {
		inWork[m.Dir] = true
	}
	for _, f := range lines(tracked) {
		dir := path.Dir(f)
		if dir == "." {
			dir = ""
		}
		if !inWork[dir] && !ignoredByGo(dir) {
			fail("%s is not used by go.work, so neither the test command nor a release sees it: run `go work use ./%s`", f, dir)
		}
	}
	for _, u := range r.Unpublished {
		if !inWork[u] {
			fail("%q is listed as unpublished but go.work uses no module there", u)
		}
	}

	last, err := r.LastVersion(ctx)
	if err != nil {
		return err
	}
	siblings := map[string]bool{}
	dirOf := map[string]string{} // published module path -> its directory ("." for the root)
	for _, m := range mods {
		if m.Published {
			siblings[m.Path] = true
			dirOf[m.Path] = path.Clean(m.Dir)
		}
	}
	versions := map[string][]string{} // sibling version -> "dir/go.mod requires path"
	for _, m := range mods {
		if !m.Published {
			continue
		}
		gomod := path.Join(m.Dir, "go.mod")
		for _, rep := range m.file.Replace {
			dir, sibling := dirOf[rep.Old.Path]
			if sibling && rep.Old.Version == "" && path.Clean(path.Join(m.Dir, rep.New.Path)) == path.Clean(dir) {
				continue // the sibling's own directory, for GOWORK=off; the release drops it
			}
			fail("%s replaces %s: a published module may replace only a published sibling, every version, with that sibling's directory (`replace %s => <relative dir>`), which the release drops; the go command ignores a dependency's replace directives", gomod, rep.Old.Path, rep.Old.Path)
		}
		for _, req := range m.file.Require {
			if !siblings[req.Mod.Path] {
				continue
			}
			v := req.Mod.Version
			switch {
			case !semver.IsValid(v) || semver.Canonical(v) != v || semver.Build(v) != "":
				fail("%s requires %s %s, which is not a release version (vX.Y.Z)", gomod, req.Mod.Path, v)
			case module.IsPseudoVersion(v):
				fail("%s requires %s at the pseudo-version %s: require the sibling's release version (the one `make release` sets)", gomod, req.Mod.Path, v)
			default:
				versions[v] = append(versions[v], gomod+" requires "+req.Mod.Path)
			}
		}
	}
	if len(versions) > 1 {
		var all []string
		for v, who := range versions {
			all = append(all, fmt.Sprintf("%s (%s)", v, strings.Join(who, ", ")))
		}
		slices.Sort(all)
		fail("published modules are released together, so they require their siblings at one version; found %s", strings.Join(all, "; "))
	}
	if last != "" {
		for v, who := range versions {
			if v != last {
				fail("%s at %s, but the last release is %s: `make release` sets sibling requirements; leave them at the last release between releases", strings.Join(who, ", "), v, last)
			}
		}
	}

	// The workspace must resolve every sibling requirement to the sibling's directory:
	// otherwise the go command fetches the required version (which, between a release's
	// tag and its publication, no proxy serves) just to read its go.mod.
	wf, err := r.workFile()
	if err != nil {
		return err
	}
	reqs, dirs := siblingRequirements(mods)
	replaced := map[module.Version]string{}
	if wf != nil {
		for _, rep := range wf.Replace {
			if _, ok := dirs[rep.Old.Path]; ok {
				replaced[rep.Old] = rep.New.Path
			}
		}
	}
	for _, req := range reqs {
		want := replaceDir(dirs[req.Path])
		if got, ok := replaced[req]; !ok || path.Clean(got) != path.Clean(want) {
			fail("go.work does not replace %s %s with %s: add `replace %s %s => %s`, so that the workspace builds the sibling from its directory instead of fetching that version", req.Path, req.Version, want, req.Path, req.Version, want)
		}
		delete(replaced, req)
	}
	if wf != nil {
		for _, rep := range wf.Replace {
			if _, stale := replaced[rep.Old]; stale {
				fail("go.work replaces %s %s, which no published module requires: remove it", rep.Old.Path, rep.Old.Version)
			}
		}
	}
	return errors.Join(problems...)
}

// ignoredByGo reports whether the go command ignores the directory when it matches
// package patterns: testdata and directories starting with "." or "_".
func ignoredByGo(dir string) bool {
	for _, elem := range strings.Split(dir, "/") {
		if elem == "testdata" || strings.HasPrefix(elem, ".") || strings.HasPrefix(elem, "_") {
			return true
		}
	}
	return false
}

// LastVersion returns the highest version that any published module is tagged with
// ("" when there is no such tag yet).
func (r *Repo) LastVersion(ctx context.Context) (string, error) {
	mods, err := r.Published()
	if err != nil {
		return "", err
	}
	out, err := r.git(ctx, "tag", "--list")
	if err != nil {
		return "", err
	}
	last := ""
	for _, tag := range lines(out) {
		for _, m := range mods {
			v, ok := strings.CutPrefix(tag, m.Tag(""))
			if !ok || !isReleaseVersion(v) {
				continue
			}
			if last == "" || semver.Compare(v, last) > 0 {
				last = v
			}
		}
	}
	return last, nil
}

// isReleaseVersion reports whether v is a canonical semantic version without build
// metadata: what a release tag carries.
func isReleaseVersion(v string) bool {
	return semver.IsValid(v) && semver.Canonical(v) == v && semver.Build(v) == ""
}
