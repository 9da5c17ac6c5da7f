package releasetool

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/semver"
)

// The reasons [Repo.Release] refuses; each refusal wraps one of them or [ErrLayout].
var (
	ErrVersion      = errors.New("malformed version")
	ErrDirty        = errors.New("the working tree is not clean")
	ErrNotGreater   = errors.New("the version is not greater than the last release")
	ErrIncompatible = errors.New("incompatible API change")
	ErrTests        = errors.New("the tests failed")
)

// Options configure [Repo.Release].
type Options struct {
	// Version is the version to tag every published module with, such as "v0.2.0".
	Version string
	// Test is the command, run in the repository root, that must succeed before anything
	// is written. Nil means `go test -race <root module path>/...`, every test of every
	// module of the workspace.
	Test []string
	// SkipTests skips the test command (the go get proof, which runs inside the tests,
	// uses it).
	SkipTests bool
	// SkipAPICheck skips the comparison with the last release.
	SkipAPICheck bool
	// Now gives the release date; nil means time.Now.
	Now func() time.Time
	// Log receives progress and the test command's output; nil discards them.
	Log io.Writer
}

// Result is a release that was made.
type Result struct {
	Version string
	// Previous is the release before it ("" for the first).
	Previous string
	// Commit is the release commit, which every tag points to.
	Commit string
	// Tags are the tags made, the root module's first.
	Tags []string
	// Changes are the API changes since Previous.
	Changes []APIChange
}

// Release tags every published module with opts.Version, or refuses and says why,
// leaving the repository as it was. See the package documentation for the steps.
func (r *Repo) Release(ctx context.Context, opts Options) (*Result, error) {
	log := opts.Log
	if log == nil {
		log = io.Discard
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	v := opts.Version
	if err := checkVersion(v); err != nil {
		return nil, err
	}
	status, err := r.git(ctx, "status", "--porcelain")
	if err != nil {
		return nil, err
	}
	if dirty := lines(status); len(dirty) > 0 {
		if len(dirty) > 5 {
			dirty = append(dirty[:5], fmt.Sprintf("and %d more", len(dirty)-5))
		}
		return nil, fmt.Errorf("%w: commit or remove %s; a release tags what is committed", ErrDirty, strings.Join(dirty, "; "))
	}
	last, err := r.LastVersion(ctx)
	if err != nil {
		return nil, err
	}
	if last != "" && semver.Compare(v, last) <= 0 {
		return nil, fmt.Errorf("%w: %s is not greater than %s, the last release", ErrNotGreater, v, last)
	}
	if err := r.Check(ctx); err != nil {
		return nil, err
	}
	mods, err := r.Published()
	if err != nil {
		return nil, err
	}
	cl, err := readChangelog(r.Root)
	if err != nil {
		return nil, err
	}

	res := &Result{Version: v, Previous: last}
	if last != "" && !opts.SkipAPICheck {
		fmt.Fprintf(log, "comparing the API of %d modules with %s\n", len(mods), last)
		res.Changes, err = r.CompareAPI(ctx, last)
		if err != nil {
			return nil, err
		}
		if err := checkBump(last, v, Incompatible(res.Changes)); err != nil {
			return nil, err
		}
		if unnoted := cl.unnoted(res.Changes); len(unnoted) > 0 {
			return nil, unnotedError(unnoted)
		}
	}

	if !opts.SkipTests {
		test := opts.Test
		if len(test) == 0 {
			test = []string{"go", "test", "-race", mods[0].Path + "/..."}
		}
		fmt.Fprintf(log, "running %s\n", strings.Join(test, " "))
		cmd := exec.CommandContext(ctx, test[0], test[1:]...)
		cmd.Dir, cmd.Stdout, cmd.Stderr = r.Root, log, log
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrTests, strings.Join(test, " "), err)
		}
	}

	head, err := r.git(ctx, "rev-parse", "HEAD")
	if err != nil {
		return nil, err
	}
	head = strings.TrimSpace(head)
	done := false
	defer func() {
		if done {
			return
		}
		// Leave the repository as it was: no tag, no release commit, no edited file.
		for _, t := range res.Tags {
			_, _ = r.git(context.WithoutCancel(ctx), "tag", "-d", t)
		}
		_, _ = r.git(context.WithoutCancel(ctx), "reset", "--hard", "--quiet", head)
	}()

	if err := r.writeChangelog(ctx, cl, mods, res, now()); err != nil {
		return nil, err
	}
	if err := r.setSiblingVersions(mods, v); err != nil {
		return nil, err
	}
	if err := r.tidy(ctx, mods, v, now(), log); err != nil {
		return nil, err
	}
	if _, err := r.git(ctx, "add", "-A"); err != nil {
		return nil, err
	}
	if _, err := r.git(ctx, "commit", "--quiet", "-m", "release "+v); err != nil {
		return nil, err
	}
	commit, err := r.git(ctx, "rev-parse", "HEAD")
	if err != nil {
		return nil, err
	}
	res.Commit = strings.TrimSpace(commit)
	for _, m := range mods {
		tag := m.Tag(v)
		if _, err := r.git(ctx, "tag", "-a", "-m", m.Path+" "+v, tag, res.Commit); err != nil {
			return nil, err
		}
		res.Tags = append(res.Tags, tag)
	}
	done = true
	return res, nil
}

func checkVersion(v string) error {
	if !isReleaseVersion(v) {
		return fmt.Errorf("%w: %q is not a semantic version vMAJOR.MINOR.PATCH (with an optional -PRERELEASE), such as v0.2.0", ErrVersion, v)
	}
	if m := semver.Major(v); m != "v0" && m != "v1" {
		return fmt.Errorf("%w: %s needs module paths ending in /%s (semantic import versioning), which this repository does not have", ErrVersion, v, m)
	}
	return nil
}

// checkBump applies the compatibility policy: an incompatible change needs, before v1, a
// new minor version (v0.3.0 after v0.2.x, or v1.0.0) and, from v1 on, a new major version,
// which is a new module path. A prerelease promises nothing, so the release after one may
// break it.
func checkBump(last, next string, incompatible []APIChange) error {
	if len(incompatible) == 0 || semver.Prerelease(last) != "" {
		return nil
	}
	if semver.Major(last) == "v0" && semver.Compare(semver.MajorMinor(next), semver.MajorMinor(last)) > 0 {
		return nil
	}
	return fmt.Errorf("%w: %s since %s, so %s", ErrIncompatible, describe(incompatible), last, policyFor(last))
}

// MinimumNext returns the lowest release version that may follow last under the
// compatibility policy, given whether the API changed incompatibly since last; "" when
// none may (an incompatible change after v1 needs a new module path).
func MinimumNext(last string, incompatible bool) string {
	var major, minor, patch int
	fmt.Sscanf(last, "v%d.%d.%d", &major, &minor, &patch)
	switch {
	case semver.Prerelease(last) != "":
		return fmt.Sprintf("v%d.%d.%d", major, minor, patch)
	case !incompatible:
		return fmt.Sprintf("v%d.%d.%d", major, minor, patch+1)
	case major == 0:
		return fmt.Sprintf("v0.%d.0", minor+1)
	default:
		return ""
	}
}

func policyFor(last string) string {
	if min := MinimumNext(last, true); min != "" {
		return "the next release must be at least " + min + " (before v1, an incompatible change takes a new minor version)"
	}
	return "no v1 release may follow: v1 promises no incompatible change, and a new major version is a new module path (/v2)"
}

func describe(changes []APIChange) string {
	names := make([]string, len(changes))
	for i, c := range changes {
		names[i] = c.String()
	}
	if len(names) > 10 {
		names = append(names[:10], fmt.Sprintf("and %d more", len(changes)-10))
	}
	noun := "incompatible API changes"
	if len(changes) == 1 {
		noun = "an incompatible API change"
	}
	return noun + " (" + strings.Join(names, "; ") + ")"
}

func unnotedError(unnoted []APIChange) error {
	return fmt.Errorf("%w: %s with no note under %q in %s: say what changed and what users do instead, naming each as shown", ErrIncompatible, describe(unnoted), unreleasedHeading, ChangelogFile)
}

func (r *Repo) writeChangelog(ctx context.Context, cl *changelog, mods []Module, res *Result, now time.Time) error {
	rng := "HEAD"
	if res.Previous != "" {
		rng = res.Previous + "..HEAD"
	}
	log, err := r.git(ctx, "log", "--no-merges", "--format=%h %s", rng)
	if err != nil {
		return err
	}
	s := section{
		Version:      res.Version,
		Date:         now.UTC().Format(time.DateOnly),
		Previous:     res.Previous,
		Notes:        cl.notes(),
		Incompatible: Incompatible(res.Changes),
		Commits:      lines(log),
	}
	for _, m := range mods {
		s.Tags = append(s.Tags, m.Tag(res.Version))
	}
	return os.WriteFile(filepath.Join(r.Root, ChangelogFile), []byte(cl.withRelease(s)), 0o644)
}

// setSiblingVersions makes every published module require its published siblings at
// version.
func (r *Repo) setSiblingVersions(mods []Module, version string) error {
	siblings := map[string]bool{}
	for _, m := range mods {
		siblings[m.Path] = true
	}
	for _, m := range mods {
		file := filepath.Join(r.Root, filepath.FromSlash(m.Dir), "go.mod")
		data, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		f, err := modfile.Parse(file, data, nil)
		if err != nil {
			return err
		}
		changed := false
		for _, req := range slices.Clone(f.Require) {
			if siblings[req.Mod.Path] && req.Mod.Version != version {
				if err := f.AddRequire(req.Mod.Path, version); err != nil {
					return err
				}
				changed = true
			}
		}
		if m.Published {
			// A published module is released standing alone: its development replace
			// of a sibling with the sibling's directory (see Check) stays out of the tag.
			for _, rep := range slices.Clone(f.Replace) {
				if siblings[rep.Old.Path] {
					if err := f.DropReplace(rep.Old.Path, rep.Old.Version); err != nil {
						return err
					}
					changed = true
				}
			}
		}
		if !changed {
			continue
		}
		f.Cleanup()
		out, err := f.Format()
		if err != nil {
			return err
		}
		if err := os.WriteFile(file, out, 0o644); err != nil {
			return err
		}
	}
	return r.setWorkReplaces(version)
}

// setWorkReplaces makes go.work replace each sibling requirement, now at version, with
// the sibling's directory, and drops the replacements of the previous version.
func (r *Repo) setWorkReplaces(version string) error {
	wf, err := r.workFile()
	if err != nil || wf == nil {
		return err
	}
	mods, err := r.Modules() // the go.mod files as setSiblingVersions wrote them
	if err != nil {
		return err
	}
	reqs, dirs := siblingRequirements(mods)
	for _, rep := range slices.Clone(wf.Replace) {
		if _, ok := dirs[rep.Old.Path]; ok {
			if err := wf.DropReplace(rep.Old.Path, rep.Old.Version); err != nil {
				return err
			}
		}
	}
	for _, req := range reqs {
		if err := wf.AddReplace(req.Path, req.Version, replaceDir(dirs[req.Path]), ""); err != nil {
			return err
		}
	}
	wf.Cleanup()
	return os.WriteFile(filepath.Join(r.Root, "go.work"), modfile.Format(wf.Syntax), 0o644)
}

// tidy runs go mod tidy in every published module, on its own (GOWORK=off), resolving its
// siblings at version from a module proxy made from the tree as the release commit will
// hold it. Modules go in dependency order, so a module's go.sum records its siblings'
// final content, as users' go commands will hash it.
func (r *Repo) tidy(ctx context.Context, mods []Module, version string, at time.Time, log io.Writer) error {
	order, err := dependencyOrder(mods)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "releasetool-tidy-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	proxy := filepath.Join(tmp, "proxy")
	env, err := newGoEnv(ctx, proxy, filepath.Join(tmp, "modcache"), mods[0].Path)
	if err != nil {
		return err
	}
	for _, m := range order {
		fmt.Fprintf(log, "go mod tidy in %s\n", orDot(m.Dir))
		if _, err := env.run(ctx, filepath.Join(r.Root, filepath.FromSlash(m.Dir)), "mod", "tidy"); err != nil {
			return err
		}
		if _, err := r.git(ctx, "add", "-A"); err != nil {
			return err
		}
		tree, err := r.git(ctx, "write-tree")
		if err != nil {
			return err
		}
		if err := r.addToProxy(ctx, proxy, strings.TrimSpace(tree), m, version, at); err != nil {
			return err
		}
	}
	return nil
}

// dependencyOrder sorts modules so that each comes after the siblings it requires.
func dependencyOrder(mods []Module) ([]Module, error) {
	byPath := map[string]Module{}
	for _, m := range mods {
		byPath[m.Path] = m
	}
	var order []Module
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(m Module, chain []string) error
	visit = func(m Module, chain []string) error {
		switch state[m.Path] {
		case 1:
			return fmt.Errorf("%w: the modules require each other in a cycle: %s", ErrLayout, strings.Join(append(chain, m.Path), " -> "))
		case 2:
			return nil
		}
		state[m.Path] = 1
		for _, req := range m.file.Require {
			if dep, ok := byPath[req.Mod.Path]; ok {
				if err := visit(dep, append(chain, m.Path)); err != nil {
					return err
				}
			}
		}
		state[m.Path] = 2
		order = append(order, m)
		return nil
	}
	for _, m := range mods {
		if err := visit(m, nil); err != nil {
			return nil, err
		}
	}
	return order, nil
}
