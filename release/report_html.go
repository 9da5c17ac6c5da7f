package release

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"strings"
	"time"

	"github.com/releasekit/releasekit/depgraph"
)

//go:embed report.html.tmpl
var reportHTMLText string

var reportHTML = template.Must(template.New("report").Funcs(template.FuncMap{
	"utc":       utc,
	"join":      strings.Join,
	"fold":      foldLines,
	"upper":     upperFirst,
	"refs":      refList,
	"printf":    fmt.Sprintf,
	"outcome":   func(o outcome) string { return string(o) },
	"outcomeID": func(o outcome) string { return strings.ReplaceAll(string(o), " ", "-") },
}).Parse(reportHTMLText))

// htmlRelease is one row of the releases table.
type htmlRelease struct {
	Ref, Name, Version, Env, Class, State, Slot, Risk, From string
	Outcome                                                 outcome
}

// htmlView is what the HTML template renders.
type htmlView struct {
	M                  *reportModel
	Releases           []htmlRelease
	Summary            []envSummary
	Gantt              *svgGantt
	Graphs             []*svgGraph
	Plain, Other, NoGo []string
	Rollbacks          []rollbackView
	Reviews            []reviewView
	DORA               []doraRow
	Services           []serviceRow
	Stopped            []string
	Clipped            []decisionRow
	Rollouts           []htmlRollout
	AuditRows          []htmlAudit
}

type htmlRollout struct {
	Ref, Release string
	Rows         []rolloutRow
}

type htmlAudit struct {
	Ref, Release, State string
	Entries             int
	OK                  bool
}

// writeHTMLReport writes m as one HTML page whose charts are inline SVG.
func writeHTMLReport(b *bytes.Buffer, m *reportModel, graph *depgraph.Graph[string]) error {
	v := htmlView{M: m, Summary: m.Summary, DORA: m.doraRows(), Services: m.serviceRows(), Stopped: m.stoppedEarly(), Clipped: m.clippedDecisions(),
		Rollbacks: m.rollbacks(), Reviews: m.reviews()}
	if len(m.Summary) > 1 {
		v.Summary = append(v.Summary[:len(v.Summary):len(v.Summary)], m.All)
	}
	at := make(map[ID]int, len(m.rs))
	for i, r := range m.rs {
		at[r.ID] = i
	}
	for i, r := range m.rs {
		v.Releases = append(v.Releases, htmlRelease{Ref: ref(i), Name: r.Name, Version: r.Version, Env: r.Environment,
			Class: string(r.Class), State: string(r.State), Slot: slotCell(r), Risk: riskCell(r), From: fromCell(r, at), Outcome: m.Outcome[i]})
		if rows := rolloutRows(m.hist[i]); len(rows) > 0 {
			v.Rollouts = append(v.Rollouts, htmlRollout{Ref: ref(i), Release: label(r), Rows: rows})
		}
		a := htmlAudit{Ref: ref(i), Release: label(r), Entries: len(m.hist[i]), State: "verifies", OK: m.Verified[i] == nil}
		if !a.OK {
			a.State = "DOES NOT VERIFY: " + m.Verified[i].Error()
		}
		v.AuditRows = append(v.AuditRows, a)
	}
	v.Plain, v.Other, v.NoGo = m.gateVerdicts()
	v.Gantt = m.ganttSVG()
	if graph != nil {
		nodes := graph.Nodes()
		var edges [][2]string
		for _, e := range graph.Edges() {
			edges = append(edges, [2]string{e.Dependency, e.Dependent})
		}
		v.Graphs = append(v.Graphs, layoutGraph("Components: an arrow points from a component to the components that depend on it (it ships first).", nodes, nodes, edges))
	}
	if nodes, edges := m.needs(); len(edges) > 0 {
		ids, labels := make([]string, len(nodes)), make([]string, len(nodes))
		for k, n := range nodes {
			ids[k], labels[k] = n.id, n.text
		}
		var es [][2]string
		for _, e := range edges {
			es = append(es, [2]string{e.from, e.to})
		}
		v.Graphs = append(v.Graphs, layoutGraph("Release needs: an arrow points from a release to the releases that need it in the same environment.", ids, labels, es))
	}
	return reportHTML.Execute(b, v)
}

// svgGantt is the calendar chart: one bar per booked slot, grouped by environment,
// on a time axis in UTC.
type svgGantt struct {
	Width, Height int
	Ticks         []svgTick
	Sections      []svgText
	Bars          []svgBar
}

type svgTick struct {
	X     float64
	Label string
}

type svgText struct {
	X, Y float64
	Text string
}

type svgBar struct {
	X, Y, W, H   float64
	LabelY       float64
	Label, Title string
	Class        string
}

const (
	ganttWidth  = 960
	ganttLabels = 240 // the width of the labels' column
	ganttRow    = 22
	ganttTop    = 30
)

func (m *reportModel) ganttSVG() *svgGantt {
	envs, byEnv := m.slotted()
	if len(envs) == 0 {
		return nil
	}
	lo, hi := m.rs[byEnv[envs[0]][0]].Slot.Start, m.rs[byEnv[envs[0]][0]].Slot.End
	for _, env := range envs {
		for _, i := range byEnv[env] {
			s := m.rs[i].Slot
			if s.Start.Before(lo) {
				lo = s.Start
			}
			if s.End.After(hi) {
				hi = s.End
			}
		}
	}
	lo = lo.UTC().Truncate(24 * time.Hour)
	hi = hi.UTC().Truncate(24 * time.Hour).Add(24 * time.Hour)
	span := float64(hi.Sub(lo))
	plot := float64(ganttWidth - ganttLabels - 10)
	x := func(t time.Time) float64 { return ganttLabels + float64(t.Sub(lo))/span*plot }
	g := &svgGantt{Width: ganttWidth}
	days := int(hi.Sub(lo) / (24 * time.Hour))
	step := max(1, (days+11)/12) // at most about 12 labelled days
	for d := 0; d <= days; d += step {
		t := lo.Add(time.Duration(d) * 24 * time.Hour)
		g.Ticks = append(g.Ticks, svgTick{X: x(t), Label: t.Format("02 Jan")})
	}
	y := float64(ganttTop)
	for _, env := range envs {
		g.Sections = append(g.Sections, svgText{X: 4, Y: y + 15, Text: env})
		y += ganttRow
		for _, i := range byEnv[env] {
			r := m.rs[i]
			w := max(x(r.Slot.End)-x(r.Slot.Start), 4)
			g.Bars = append(g.Bars, svgBar{X: x(r.Slot.Start), Y: y + 3, W: w, H: ganttRow - 6, LabelY: y + 15,
				Label: ref(i) + " " + r.Name + " " + r.Version,
				Title: fmt.Sprintf("%s %s: %s UTC, %s", ref(i), label(r), slotText(*r.Slot), m.Outcome[i]),
				Class: "bar-" + strings.ReplaceAll(string(m.Outcome[i]), " ", "-")})
			y += ganttRow
		}
	}
	g.Height = int(y) + 10
	return g
}

// svgGraph is a dependency graph laid out in waves: a column per wave, an arrow
// per edge.
type svgGraph struct {
	Caption       string
	Width, Height int
	Nodes         []svgNode
	Edges         []svgEdge
}

type svgNode struct {
	X, Y, W, H   float64
	TextX, TextY float64
	Text         string
}

type svgEdge struct{ X1, Y1, X2, Y2 float64 }

const (
	graphColumn = 190
	graphNodeW  = 160
	graphNodeH  = 28
	graphGapY   = 16
)

// layoutGraph places ids (labelled by labels) in the waves of the edges (from is
// drawn before to); a cycle puts everything in one column.
func layoutGraph(caption string, ids, labels []string, edges [][2]string) *svgGraph {
	dg := depgraph.New[string]()
	for _, id := range ids {
		dg.AddNode(id)
	}
	for _, e := range edges {
		_ = dg.AddDependency(e[1], e[0]) // e[1] depends on e[0]: e[0] comes first
	}
	waves, err := dg.Waves()
	if err != nil {
		waves = [][]string{ids}
	}
	text := make(map[string]string, len(ids))
	for k, id := range ids {
		text[id] = labels[k]
	}
	g := &svgGraph{Caption: caption}
	pos := map[string]svgNode{}
	rows := 0
	for c, wave := range waves {
		for r, id := range wave {
			n := svgNode{X: 10 + float64(c*graphColumn), Y: 10 + float64(r*(graphNodeH+graphGapY)), W: graphNodeW, H: graphNodeH, Text: text[id]}
			n.TextX, n.TextY = n.X+8, n.Y+18
			pos[id] = n
			g.Nodes = append(g.Nodes, n)
		}
		rows = max(rows, len(wave))
	}
	for _, e := range edges {
		a, b := pos[e[0]], pos[e[1]]
		g.Edges = append(g.Edges, svgEdge{X1: a.X + a.W, Y1: a.Y + a.H/2, X2: b.X - 2, Y2: b.Y + b.H/2})
	}
	g.Width = 20 + len(waves)*graphColumn
	g.Height = 20 + rows*(graphNodeH+graphGapY)
	return g
}
