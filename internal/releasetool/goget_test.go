package releasetool_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"go/build"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/releasekit/releasekit/internal/releasetool"
)

// TestUserGoGet proves that users can consume a release of this repository: it releases
// HEAD in a temporary clone with the release tool, serves the tags from a file-based
// module proxy, and in a fresh module, with GOWORK=off and the checksum database off for
// our module path only, runs `go get` on every published module at that version, builds
// and runs a program that imports every public package of every published module, and
// installs every command outside examples/ with `go install pkg@version`. Each published
// module must also stand alone at the tag: `go mod tidy -diff` finds nothing to change.
//
// Third-party modules come from the module cache (or the machine's proxy, for any not in
// it); their checksums come from our go.sum files, as a user's would come from the
// checksum database. Uncommitted changes are not part of the release: commit first.
func TestUserGoGet(t *testing.T) {
	if testing.Short() {
		t.Skip("builds every published package from a module proxy; skipped with -short")
	}
	ctx := context.Background()
	start := time.Now()
	src := repositoryRoot(t)

	clone := t.TempDir()
	git(t, clone, "init", "--quiet")
	git(t, clone, "fetch", "--quiet", "--tags", src, "HEAD")
	git(t, clone, "checkout", "--quiet", "--detach", "FETCH_HEAD")
	git(t, clone, "config", "user.name", "Release Proof")
	git(t, clone, "config", "user.email", "proof@example.com")
	git(t, clone, "config", "commit.gpgsign", "false")
	git(t, clone, "config", "tag.gpgsign", "false")

	repo := &releasetool.Repo{Root: clone, Unpublished: releasetool.DefaultUnpublished}
	last, err := repo.LastVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	version := "v0.1.0"
	if last != "" {
		if version = releasetool.MinimumNext(last, true); version == "" {
			version = releasetool.MinimumNext(last, false)
		}
	}
	res, err := repo.Release(ctx, releasetool.Options{Version: version, SkipTests: true, SkipAPICheck: true})
	if err != nil {
		t.Fatalf("releasing HEAD as %s in a clone: %v", version, err)
	}
	mods, err := repo.Published()
	if err != nil {
		t.Fatal(err)
	}
	proxy := t.TempDir()
	if err := repo.WriteProxy(ctx, proxy, version); err != nil {
		t.Fatal(err)
	}
	env, err := releasetool.ProxyEnv(ctx, proxy, t.TempDir(), mods[0].Path)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("released %s (%s) in %v", version, strings.Join(res.Tags, " "), time.Since(start).Round(time.Millisecond))

	var pkgs, commands []string
	for _, m := range mods {
		p, c := modulePackages(t, clone, m)
		pkgs, commands = append(pkgs, p...), append(commands, c...)
	}
	if len(pkgs) < 10 {
		t.Fatalf("found only %d public packages: %v", len(pkgs), pkgs)
	}

	// What a user types first: go get of one module, alone, in a new module. It must bring
	// the siblings the module requires at the same version.
	sums := thirdPartySums(t, clone, mods)
	newUser := func(files map[string]string) string {
		dir := t.TempDir()
		write(t, dir, map[string]string{"go.mod": "module example.com/user\n\ngo 1.25.0\n", "go.sum": sums})
		write(t, dir, files)
		return dir
	}
	for _, m := range mods {
		dir := newUser(nil)
		goOK(t, dir, env, "get", m.Path+"@"+version)
		list := strings.Split(goOK(t, dir, env, "list", "-m", "-f", "{{.Path}} {{.Version}}", "all"), "\n")
		for _, want := range append(m.Siblings(mods), m.Path) {
			if !slices.Contains(list, want+" "+version) {
				t.Errorf("after go get %s@%s alone, the build list lacks %s %s:\n%s", m.Path, version, want, version, strings.Join(list, "\n"))
			}
		}
	}

	// A program that imports every public package of every published module.
	user := newUser(map[string]string{"main.go": userProgram(pkgs, len(mods), version)})
	getArgs := []string{"get"}
	for _, m := range mods {
		getArgs = append(getArgs, m.Path+"@"+version)
	}
	goOK(t, user, env, getArgs...)
	goOK(t, user, append(env, "GOFLAGS=-modcacherw -mod=mod"), "build", "-trimpath", "-o", "user", ".")
	out, err := exec.CommandContext(ctx, filepath.Join(user, "user")).CombinedOutput()
	if want := fmt.Sprintf("imported %d packages of %d modules at %s\n", len(pkgs), len(mods), version); err != nil || string(out) != want {
		t.Errorf("the program printed %q (%v), want %q", out, err, want)
	}
	bin := t.TempDir()
	for _, c := range commands {
		goOK(t, user, append(env, "GOBIN="+bin), "install", "-trimpath", c+"@"+version)
		if _, err := os.Stat(filepath.Join(bin, path.Base(c))); err != nil {
			t.Errorf("go install %s@%s made no binary: %v", c, version, err)
		}
	}
	for _, m := range mods {
		goOK(t, filepath.Join(clone, filepath.FromSlash(m.Dir)), env, "mod", "tidy", "-diff")
	}
	t.Logf("%d modules, %d packages, %d commands: go get, build, run, install and tidy in %v", len(mods), len(pkgs), len(commands), time.Since(start).Round(time.Millisecond))
}

// TestRepositoryLayout checks this repository's modules: go.work uses every one, the
// published ones stand alone (see Repo.Check), and the README tells how to get each.
func TestRepositoryLayout(t *testing.T) {
	root := repositoryRoot(t)
	repo := &releasetool.Repo{Root: root, Unpublished: releasetool.DefaultUnpublished}
	if err := repo.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
	mods, err := repo.Published()
	if err != nil {
		t.Fatal(err)
	}
	if mods[0].Path != "github.com/releasekit/releasekit" || !slices.ContainsFunc(mods, func(m releasetool.Module) bool { return m.Dir == "adapters/postgres" }) {
		t.Errorf("published modules = %v, want the root and adapters/postgres among them", mods)
	}
	readme := read(t, root, "README.md")
	for _, m := range mods {
		if !strings.Contains(readme, "go get "+m.Path+"@") && !strings.Contains(readme, "go install "+m.Path+"@") {
			t.Errorf("README.md has no `go get %s@...` (or go install) line in its Install section", m.Path)
		}
	}
}

// repositoryRoot returns the top of the git working tree holding this package; outside
// one (a module zip), the test is skipped, except in CI.
func repositoryRoot(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("not in a git working tree: %v", err)
		}
		t.Skipf("not in a git working tree: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// modulePackages returns the import paths of the public (importable, not internal)
// packages of module m in the tree at root, and of its commands outside examples/.
func modulePackages(t *testing.T, root string, m releasetool.Module) (pkgs, commands []string) {
	t.Helper()
	dir := filepath.Join(root, filepath.FromSlash(m.Dir))
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		name := d.Name()
		if rel != "." {
			if name == "testdata" || name == "vendor" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(p, "go.mod")); err == nil {
				return filepath.SkipDir // another module
			}
		}
		bp, err := build.ImportDir(p, 0)
		var noGo *build.NoGoError
		if errors.As(err, &noGo) {
			return nil
		}
		if err != nil {
			return err
		}
		importPath := m.Path
		if rel != "." {
			importPath += "/" + rel
		}
		switch {
		case slices.Contains(strings.Split(rel, "/"), "internal"):
		case bp.Name == "main":
			if !strings.HasPrefix(rel, "examples/") {
				commands = append(commands, importPath)
			}
		default:
			pkgs = append(pkgs, importPath)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return pkgs, commands
}

// thirdPartySums returns the go.sum lines of the published modules that are not about
// our own modules.
func thirdPartySums(t *testing.T, root string, mods []releasetool.Module) string {
	t.Helper()
	seen := map[string]bool{}
	var out []string
	for _, m := range mods {
		f, err := os.Open(filepath.Join(root, filepath.FromSlash(m.Dir), "go.sum"))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			line := sc.Text()
			if line != "" && !strings.HasPrefix(line, mods[0].Path+" ") && !strings.HasPrefix(line, mods[0].Path+"/") && !seen[line] {
				seen[line] = true
				out = append(out, line)
			}
		}
		f.Close()
	}
	slices.Sort(out)
	return strings.Join(out, "\n") + "\n"
}

// userProgram is a main package that imports every package in pkgs.
func userProgram(pkgs []string, modules int, version string) string {
	var b strings.Builder
	b.WriteString("// Command user imports every public package of releasekit.\npackage main\n\nimport (\n\t\"fmt\"\n\n")
	for _, p := range pkgs {
		fmt.Fprintf(&b, "\t_ %q\n", p)
	}
	fmt.Fprintf(&b, ")\n\nfunc main() {\n\tfmt.Printf(\"imported %%d packages of %%d modules at %%s\\n\", %d, %d, %q)\n}\n", len(pkgs), modules, version)
	return b.String()
}

func goOK(t *testing.T, dir string, env []string, args ...string) string {
	t.Helper()
	start := time.Now()
	out, err := runGo(dir, env, args...)
	if err != nil {
		t.Fatalf("go %s in %s: %v\n%s", strings.Join(args, " "), dir, err, out)
	}
	t.Logf("go %s: %v", strings.Join(args, " "), time.Since(start).Round(time.Millisecond))
	return out
}
