package releasetool_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/releasekit/releasekit/internal/releasetool"
)

// kitFiles is a small repository of three modules: example.com/kit at the root (a public
// package, a public subpackage, an internal package and a command), example.com/kit/sub
// (published, requires the root) and example.com/kit/bench (unpublished, with a replace).
var kitFiles = map[string]string{
	"go.work": "go 1.25.0\n\nuse (\n\t.\n\t./bench\n\t./sub\n)\n\nreplace example.com/kit v0.1.0 => ./\n",
	"go.mod":  "module example.com/kit\n\ngo 1.25.0\n",
	"LICENSE": "a license\n",
	"kit.go": `// Package kit is the root package.
package kit

// A returns one.
func A() int { return 1 }

// T is a type.
type T struct{ X int }
`,
	"kit_test.go":             "package kit_test\n\nimport (\n\t\"testing\"\n\n\t\"example.com/kit\"\n)\n\nfunc TestA(t *testing.T) {\n\tif kit.A() != 1 {\n\t\tt.Fatal(\"A\")\n\t}\n}\n",
	"pkg/p/p.go":              "// Package p is a public subpackage.\npackage p\n\n// F is a function.\nfunc F() {}\n",
	"internal/hidden/hid.go":  "// Package hidden is internal.\npackage hidden\n\n// H is not API.\nfunc H() {}\n",
	"cmd/tool/main.go":        "// Command tool is a command.\npackage main\n\n// Exported is not API.\nfunc Exported() {}\n\nfunc main() {}\n",
	"sub/go.mod":              "module example.com/kit/sub\n\ngo 1.25.0\n\nrequire example.com/kit v0.1.0\n",
	"sub/sub.go":              "// Package sub uses kit.\npackage sub\n\nimport \"example.com/kit\"\n\n// B returns kit.A.\nfunc B() int { return kit.A() }\n",
	"bench/go.mod":            "module example.com/kit/bench\n\ngo 1.25.0\n\nrequire example.com/kit v0.0.0-00010101000000-000000000000\n\nreplace example.com/kit => ../\n",
	"bench/bench.go":          "// Package bench is not published.\npackage bench\n\nimport _ \"example.com/kit\"\n",
	"testdata/fixture/go.mod": "module example.com/fixture\n",
}

// newKit makes a git repository holding files, committed once, and returns it with bench
// unpublished. The go commands the tests run reach no network: GOPROXY=off.
func newKit(t *testing.T, files map[string]string) *releasetool.Repo {
	t.Helper()
	t.Setenv("GOPROXY", "off")
	t.Setenv("GOFLAGS", "-modcacherw")
	t.Setenv("GOTOOLCHAIN", "local")
	root := t.TempDir()
	git(t, root, "init", "--quiet", "--initial-branch=main")
	git(t, root, "config", "user.name", "Release Tester")
	git(t, root, "config", "user.email", "tester@example.com")
	git(t, root, "config", "commit.gpgsign", "false")
	git(t, root, "config", "tag.gpgsign", "false")
	commit(t, root, "first commit", files)
	return &releasetool.Repo{Root: root, Unpublished: []string{"bench"}}
}

// commit writes files (an empty content deletes the file) and commits them.
func commit(t *testing.T, root, msg string, files map[string]string) {
	t.Helper()
	write(t, root, files)
	git(t, root, "add", "-A")
	git(t, root, "commit", "--quiet", "-m", msg)
}

func write(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if content == "" {
			if err := os.Remove(p); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func read(t *testing.T, root, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(name)))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// state is what a refused release must leave unchanged.
func state(t *testing.T, root string) string {
	t.Helper()
	return git(t, root, "rev-parse", "HEAD") + "\n" + git(t, root, "tag", "--list") + "\n" + git(t, root, "status", "--porcelain")
}

// fixedDay is the release date in tests.
func fixedDay() time.Time { return time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC) }

func quick(version string) releasetool.Options {
	return releasetool.Options{Version: version, Test: []string{"go", "vet", "example.com/kit/..."}, Now: fixedDay}
}

func runGo(dir string, env []string, args ...string) (string, error) {
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	return string(out), err
}
