package depgraph

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/releasekit/releasekit/internal/mermaid"
)

// Direction is the way waves are laid out in a drawing.
type Direction string

const (
	// LeftToRight draws wave 0 on the left. It is the default.
	LeftToRight Direction = "LR"
	// TopToBottom draws wave 0 at the top.
	TopToBottom Direction = "TB"
)

// Directions lists every [Direction].
func Directions() []Direction { return []Direction{LeftToRight, TopToBottom} }

// RenderOption changes how [Graph.WriteDOT] and [Graph.WriteMermaid] draw a graph.
type RenderOption func(*renderConfig)

type renderConfig struct {
	title     string
	direction Direction
}

// WithTitle names the drawing (the DOT graph's label, the Mermaid title).
func WithTitle(title string) RenderOption {
	return func(c *renderConfig) { c.title = title }
}

// WithDirection sets the way waves are laid out. An unknown direction is
// ignored.
func WithDirection(d Direction) RenderOption {
	return func(c *renderConfig) {
		if d == LeftToRight || d == TopToBottom {
			c.direction = d
		}
	}
}

// drawing is everything both writers need, computed once.
type drawing struct {
	cfg    renderConfig
	ids    []string // sanitised node ids
	labels []string // fmt.Sprint of each key
	waves  [][]int32
	// blocked holds the nodes that cannot be placed in a wave because of a cycle.
	blocked []int32
	edges   []drawnEdge
}

type drawnEdge struct {
	from, to int32 // from is released before to
	label    string
	cyclic   bool
}

func (g *Graph[K]) drawing(opts []RenderOption) drawing {
	d := drawing{cfg: renderConfig{direction: LeftToRight}}
	for _, o := range opts {
		if o != nil {
			o(&d.cfg)
		}
	}
	g.mu.Lock()
	s := g.buildLocked()
	keys := g.keys[:s.n:s.n]
	reqLabels := map[[2]int32][]string{}
	for _, r := range g.reqs.list {
		e := [2]int32{r.dependent, r.dependency}
		reqLabels[e] = append(reqLabels[e], r.constraint)
	}
	g.mu.Unlock()

	n := s.n
	d.ids = make([]string, n)
	d.labels = make([]string, n)
	for v := int32(0); v < n; v++ {
		d.labels[v] = fmt.Sprint(keys[v])
		d.ids[v] = nodeID(v, d.labels[v])
	}
	level, nlevels, ok := levels(s)
	flat, bounds := bucket(level, nlevels)
	d.waves = make([][]int32, nlevels)
	for l := range d.waves {
		d.waves[l] = flat[bounds[l]:bounds[l+1]]
	}
	compOf := make([]int32, n)
	for v := range compOf {
		compOf[v] = -1
	}
	if !ok {
		for v, l := range level {
			if l < 0 {
				d.blocked = append(d.blocked, int32(v))
			}
		}
		for c, members := range sccs(s) {
			for _, v := range members {
				compOf[v] = int32(c)
			}
		}
	}
	for u := int32(0); u < n; u++ {
		for _, v := range s.deps(u) {
			d.edges = append(d.edges, drawnEdge{
				from:   v,
				to:     u,
				label:  strings.Join(reqLabels[[2]int32{u, v}], " and "),
				cyclic: compOf[u] >= 0 && compOf[u] == compOf[v],
			})
		}
	}
	return d
}

// nodeID returns an identifier that DOT and Mermaid accept unquoted: "n", the
// index, and the label's ASCII letters and digits (others become '_'), at most
// 24 of them, so ids are unique and still readable.
func nodeID(v int32, label string) string {
	var b strings.Builder
	b.WriteByte('n')
	b.WriteString(strconv.Itoa(int(v)))
	b.WriteByte('_')
	count := 0
	for _, r := range label {
		if count == 24 {
			break
		}
		count++
		if r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

// dotQuote returns s as a DOT double-quoted string.
func dotQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r < 0x20 || r == 0x7f:
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// WriteDOT writes the graph in Graphviz DOT, one cluster per wave ("wave 0"
// first). An arrow a -> b means a is released before b (b depends on a);
// an arrow carrying a version requirement is labelled with it. On a cycle the
// nodes that cannot be placed in a wave go into a red cluster "blocked by a
// cycle", and the edges along cycles are red. The output is deterministic. It
// returns the first write error.
func (g *Graph[K]) WriteDOT(w io.Writer, opts ...RenderOption) error {
	d := g.drawing(opts)
	bw := bufio.NewWriter(w)
	p := func(format string, args ...any) { fmt.Fprintf(bw, format, args...) }
	p("// Drawn by depgraph. An arrow a -> b means a is released before b.\n")
	p("digraph depgraph {\n")
	p("\trankdir=%s;\n", d.cfg.direction)
	if d.cfg.title != "" {
		p("\tlabel=%s;\n\tlabelloc=t;\n", dotQuote(d.cfg.title))
	}
	p("\tnode [shape=box];\n")
	cluster := func(name, label string, nodes []int32, extra string) {
		p("\tsubgraph %s {\n", name)
		p("\t\tlabel=%s;\n", dotQuote(label))
		if extra != "" {
			p("\t\t%s\n", extra)
		}
		for _, v := range nodes {
			p("\t\t%s [label=%s];\n", d.ids[v], dotQuote(d.labels[v]))
		}
		p("\t}\n")
	}
	for l, nodes := range d.waves {
		cluster(fmt.Sprintf("cluster_wave_%d", l), fmt.Sprintf("wave %d", l), nodes, "")
	}
	if len(d.blocked) > 0 {
		cluster("cluster_blocked", "blocked by a cycle", d.blocked, "color=red;")
	}
	for _, e := range d.edges {
		var attrs []string
		if e.label != "" {
			attrs = append(attrs, "label="+dotQuote(e.label))
		}
		if e.cyclic {
			attrs = append(attrs, "color=red")
		}
		if len(attrs) > 0 {
			p("\t%s -> %s [%s];\n", d.ids[e.from], d.ids[e.to], strings.Join(attrs, ", "))
		} else {
			p("\t%s -> %s;\n", d.ids[e.from], d.ids[e.to])
		}
	}
	p("}\n")
	return bw.Flush()
}

// WriteMermaid writes the graph as a Mermaid flowchart, one subgraph per wave
// ("wave 0" first), which GitHub renders in Markdown inside a ```mermaid
// block. Node ids are sanitised ([a-zA-Z0-9_] only) and labels quoted, with
// characters Mermaid would interpret written as entity codes. Arrows point from
// the dependency to the dependent, labelled with version requirements. On a
// cycle the nodes that cannot be placed go into a subgraph "blocked by a cycle",
// and nodes on cycles get the class "cycle" (drawn red). The output is
// deterministic. It returns the first write error.
func (g *Graph[K]) WriteMermaid(w io.Writer, opts ...RenderOption) error {
	d := g.drawing(opts)
	bw := bufio.NewWriter(w)
	p := func(format string, args ...any) { fmt.Fprintf(bw, format, args...) }
	if d.cfg.title != "" {
		p("---\ntitle: %s\n---\n", strconv.Quote(d.cfg.title))
	}
	p("flowchart %s\n", d.cfg.direction)
	sub := func(id, label string, nodes []int32) {
		p("    subgraph %s [%s]\n", id, mermaid.Label(label))
		for _, v := range nodes {
			p("        %s[%s]\n", d.ids[v], mermaid.Label(d.labels[v]))
		}
		p("    end\n")
	}
	for l, nodes := range d.waves {
		sub(fmt.Sprintf("wave_%d", l), fmt.Sprintf("wave %d", l), nodes)
	}
	if len(d.blocked) > 0 {
		sub("blocked", "blocked by a cycle", d.blocked)
	}
	var cyclic []int32
	seen := map[int32]bool{}
	for _, e := range d.edges {
		if e.label != "" {
			p("    %s -->|%s| %s\n", d.ids[e.from], mermaid.Label(e.label), d.ids[e.to])
		} else {
			p("    %s --> %s\n", d.ids[e.from], d.ids[e.to])
		}
		if e.cyclic {
			for _, v := range []int32{e.from, e.to} {
				if !seen[v] {
					seen[v] = true
					cyclic = append(cyclic, v)
				}
			}
		}
	}
	if len(cyclic) > 0 {
		p("    classDef cycle stroke:#d00,stroke-width:2px\n")
		slices.Sort(cyclic)
		ids := make([]string, len(cyclic))
		for i, v := range cyclic {
			ids[i] = d.ids[v]
		}
		p("    class %s cycle\n", strings.Join(ids, ","))
	}
	return bw.Flush()
}
