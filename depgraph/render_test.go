package depgraph_test

import (
	"bytes"
	"errors"
	"flag"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/releasekit/releasekit/internal/goldenfile"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/depgraph"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// golden compares got with testdata/name, or rewrites the file with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	goldenfile.Check(t, filepath.Join("testdata", name), got, *update)
}

func renderCases(t *testing.T) map[string]*depgraph.Graph[string] {
	shopGraph := shop(t)
	require.NoError(t, shopGraph.AddRequirement("checkout", "payments", ">= 1.5.0, < 2.0.0"))
	shopGraph.AddNode(`docs "v2" <beta> #1 | a\b`)

	cyclic := depgraph.New[string]()
	require.NoError(t, cyclic.AddDependency("checkout", "payments"))
	require.NoError(t, cyclic.AddDependency("payments", "ledger"))
	require.NoError(t, cyclic.AddDependency("ledger", "checkout"))
	require.NoError(t, cyclic.AddDependency("ledger", "db"))
	require.NoError(t, cyclic.AddDependency("web", "checkout"))

	return map[string]*depgraph.Graph[string]{
		"shop":   shopGraph,
		"cyclic": cyclic,
		"empty":  depgraph.New[string](),
	}
}

func TestWriteDOTGolden(t *testing.T) {
	for name, g := range renderCases(t) {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			require.NoError(t, g.WriteDOT(&buf))
			golden(t, name+".dot", buf.Bytes())
		})
	}
}

func TestWriteMermaidGolden(t *testing.T) {
	for name, g := range renderCases(t) {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			require.NoError(t, g.WriteMermaid(&buf))
			golden(t, name+".mmd", buf.Bytes())
		})
	}
}

func TestRenderOptions(t *testing.T) {
	g := shop(t)
	var dot, mmd bytes.Buffer
	opts := []depgraph.RenderOption{depgraph.WithTitle(`Release "train" 42`), depgraph.WithDirection(depgraph.TopToBottom), nil}
	require.NoError(t, g.WriteDOT(&dot, opts...))
	require.NoError(t, g.WriteMermaid(&mmd, opts...))
	golden(t, "shop-options.dot", dot.Bytes())
	golden(t, "shop-options.mmd", mmd.Bytes())
	assert.Equal(t, []depgraph.Direction{depgraph.LeftToRight, depgraph.TopToBottom}, depgraph.Directions())
}

func TestRenderDeterministic(t *testing.T) {
	build := func() *depgraph.Graph[string] { return renderCases(t)["shop"] }
	var a, b bytes.Buffer
	require.NoError(t, build().WriteMermaid(&a))
	require.NoError(t, build().WriteMermaid(&b))
	assert.Equal(t, a.String(), b.String())
}

type failingWriter struct{}

var errDiskFull = errors.New("disk full")

func (failingWriter) Write([]byte) (int, error) { return 0, errDiskFull }

func TestRenderWriteError(t *testing.T) {
	g := shop(t)
	require.ErrorIs(t, g.WriteDOT(failingWriter{}), errDiskFull)
	require.ErrorIs(t, g.WriteMermaid(failingWriter{}), errDiskFull)
}

var (
	mermaidNode = regexp.MustCompile(`^        (\S+)\["([^"]*)"\]$`)
	mermaidID   = regexp.MustCompile(`^n[0-9]+_[A-Za-z0-9_]*$`)
	dotNode     = regexp.MustCompile(`^\t\t(\S+) \[label="((?:[^"\\]|\\.)*)"\];$`)
)

// FuzzRender checks that any key renders to well-formed DOT and Mermaid:
// sanitised ids and quoted labels with nothing that ends the quotes early.
func FuzzRender(f *testing.F) {
	for _, seed := range []string{"payments", `a"b`, "a\\", "end", "x\ny", "<b>#1</b>", "ünïcödé", "", "a|b]c", "`md`"} {
		f.Add(seed, "other")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		g := depgraph.New[string]()
		if a != b {
			require.NoError(t, g.AddDependency(a, b))
		} else {
			g.AddNode(a)
		}
		var mmd, dot bytes.Buffer
		require.NoError(t, g.WriteMermaid(&mmd))
		require.NoError(t, g.WriteDOT(&dot))
		nodes := 0
		for _, line := range strings.Split(mmd.String(), "\n") {
			if m := mermaidNode.FindStringSubmatch(line); m != nil {
				nodes++
				require.Regexp(t, mermaidID, m[1])
			}
		}
		require.Equal(t, g.Len(), nodes, "every node must render as one well-formed Mermaid line:\n%s", mmd.String())
		nodes = 0
		for _, line := range strings.Split(dot.String(), "\n") {
			if m := dotNode.FindStringSubmatch(line); m != nil {
				nodes++
				require.Regexp(t, mermaidID, m[1])
			}
		}
		require.Equal(t, g.Len(), nodes, "every node must render as one well-formed DOT line:\n%s", dot.String())
	})
}
