package release

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/releasekit/releasekit/depgraph"
	"github.com/releasekit/releasekit/internal/mermaid"
)

// appendixHeading starts the appendix of a Markdown report: what comes before it
// is the main body.
const appendixHeading = "## Appendix"

type reportWriter struct {
	b *bytes.Buffer
	m *reportModel
}

func (w *reportWriter) p(format string, args ...any) { fmt.Fprintf(w.b, format, args...) }

// writeMarkdownReport writes m as Markdown: the main body, then the appendix.
func writeMarkdownReport(b *bytes.Buffer, m *reportModel, graph *depgraph.Graph[string]) error {
	w := &reportWriter{b: b, m: m}
	w.header()
	w.summary()
	w.releases()
	w.decisions()
	w.gantt()
	w.gates()
	w.risk()
	w.incidents()
	w.reviews()
	w.dora()
	w.audit()

	w.p("%s\n\nThe detail behind the sections above.\n\n", appendixHeading)
	w.gateTables()
	w.riskReasons()
	w.rolloutSteps()
	if err := w.dependencies(graph); err != nil {
		return err
	}
	w.doraServices()
	w.auditTable()
	return nil
}

func (w *reportWriter) header() {
	w.p("# %s\n\n", oneLine(w.m.Title))
	w.p("Period: %s to %s UTC · environment: %s · %d releases\n\n", utc(w.m.From), utc(w.m.To), oneLine(w.m.Env), len(w.m.rs))
}

func (w *reportWriter) summary() {
	w.p("## Summary\n\n")
	if len(w.m.rs) == 0 {
		w.p("No release was created, slotted or deployed in this period.\n\n")
		return
	}
	w.p("| Environment |")
	for _, c := range w.m.Columns {
		w.p(" %s |", cell(upperFirst(string(c))))
	}
	w.p(" Releases |\n|---|")
	for range w.m.Columns {
		w.p("---|")
	}
	w.p("---|\n")
	rows := w.m.Summary
	if len(rows) > 1 {
		rows = append(rows[:len(rows):len(rows)], w.m.All)
	}
	for _, s := range rows {
		w.p("| %s |", cell(s.Env))
		for _, n := range s.Counts {
			w.p(" %d |", n)
		}
		w.p(" %d |\n", s.Total)
	}
	w.p("\n")
	for _, s := range w.m.Summary {
		w.p("- **%s**: %s\n", cell(s.Env), cell(strings.Join(s.Lines, " · ")))
	}
	w.p("\n")
}

func (w *reportWriter) releases() {
	w.p("## Releases\n\n")
	if len(w.m.rs) == 0 {
		w.p("None.\n\n")
		return
	}
	at := make(map[ID]int, len(w.m.rs))
	for i, r := range w.m.rs {
		at[r.ID] = i
	}
	w.p("| # | Release | Version | Env | Class | Outcome | State | Slot (UTC) | Risk | Promoted from |\n")
	w.p("|---|---|---|---|---|---|---|---|---|---|\n")
	for i, r := range w.m.rs {
		w.p("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", ref(i), cell(r.Name), cell(r.Version), cell(r.Environment),
			cell(string(r.Class)), cell(string(w.m.Outcome[i])), cell(string(r.State)), cell(slotCell(r)), cell(riskCell(r)), cell(fromCell(r, at)))
	}
	w.p("\n")
}

func slotCell(r Release) string {
	if r.Slot == nil {
		return "–"
	}
	return slotText(*r.Slot)
}

func riskCell(r Release) string {
	if r.Risk == nil {
		return "–"
	}
	return fmt.Sprintf("%s (%.1f)", r.Risk.Level, r.Risk.Score)
}

// fromCell names the release r was promoted from: its reference, or its ID when it
// is outside the period.
func fromCell(r Release, at map[ID]int) string {
	if r.Predecessor.IsZero() {
		return "–"
	}
	if j, ok := at[r.Predecessor]; ok {
		return ref(j)
	}
	return r.Predecessor.String() + " (outside the period)"
}

func (w *reportWriter) decisions() {
	w.p("## Decisions and refusals\n\n")
	if len(w.m.Decisions) == 0 {
		w.p("No release of this period was refused, rejected, failed, held or cancelled.\n\n")
		return
	}
	w.p("| # | Release | What | Who | When (UTC) | Why |\n|---|---|---|---|---|---|\n")
	for _, d := range w.m.Decisions {
		w.p("| %s | %s | %s | %s | %s | %s |\n", d.Ref, cell(d.Release), cell(d.What), cell(d.Who), utc(d.At), cell(foldLines(d.Why)))
	}
	w.p("\n")
}

func (w *reportWriter) gantt() {
	w.p("## Calendar\n\n")
	envs, byEnv := w.m.slotted()
	if len(envs) == 0 {
		w.p("No slot was booked in this period.\n\n")
		return
	}
	const dateFormat = "2006-01-02 15:04" // Mermaid: YYYY-MM-DD HH:mm
	// The legend is the chart's title: the main body stays within two printed pages.
	w.p("```mermaid\ngantt\n    title Booked slots (UTC): done ran, active running, crit (red) failed or rolled back\n    dateFormat YYYY-MM-DD HH:mm\n    axisFormat %%d %%b %%H:%%M\n    todayMarker off\n")
	for _, env := range envs {
		w.p("    section %s\n", ganttText(env))
		for _, i := range byEnv[env] {
			r := w.m.rs[i]
			w.p("    %s %s :%s%s, %s, %s\n", ganttText(r.Name), ganttText(r.Version), ganttTags(r), ref(i),
				r.Slot.Start.UTC().Format(dateFormat), r.Slot.End.UTC().Format(dateFormat))
		}
	}
	w.p("```\n\n")
}

// slotted lists the environments with booked slots, in order of first appearance,
// and the releases of each.
func (m *reportModel) slotted() ([]string, map[string][]int) {
	var envs []string
	byEnv := map[string][]int{}
	for i, r := range m.rs {
		if r.Slot == nil {
			continue
		}
		if _, ok := byEnv[r.Environment]; !ok {
			envs = append(envs, r.Environment)
		}
		byEnv[r.Environment] = append(byEnv[r.Environment], i)
	}
	return envs, byEnv
}

func (w *reportWriter) gates() {
	w.p("## Gate decisions\n\n")
	if len(w.m.Gates) == 0 && len(w.m.GateErrs) == 0 {
		w.p("No approval in this period evaluated gates.\n\n")
		return
	}
	plain, other, noGo := w.m.gateVerdicts()
	for _, v := range []struct {
		what string
		refs []string
	}{{"Go, every gate passed", plain}, {"Go with a waiver, a warning or a failing advisory gate", other}, {"No-Go (see decisions and refusals)", noGo}} {
		if len(v.refs) > 0 {
			w.p("- %s: %s\n", v.what, refList(v.refs))
		}
	}
	for _, e := range w.m.GateErrs {
		w.p("- %s\n", cell(e))
	}
	w.p("- Tables: %d distinct, each once in the appendix (G1–G%d) with the decisions that had it\n\n", len(w.m.Gates), len(w.m.Gates))
}

// refList writes "r1, r2, r3 (3)", or "none".
func refList(refs []string) string {
	if len(refs) == 0 {
		return "none"
	}
	return strings.Join(refs, ", ") + " (" + strconv.Itoa(len(refs)) + ")"
}

func (w *reportWriter) risk() {
	w.p("## Risk\n\n")
	if len(w.m.Risks) == 0 {
		w.p("No release of this period was assessed.\n\n")
		return
	}
	w.p("| Release | Level | Score (0–100) | Assessed for | Top reason (every reason, with what lowers it, in the appendix) |\n|---|---|---|---|---|\n")
	for _, g := range w.m.Risks {
		top := "nothing adds risk"
		if len(g.Reasons) > 0 {
			top, _, _ = strings.Cut(g.Reasons[0], "; to lower it:")
		}
		w.p("| %s | %s | %.1f | %s | %s |\n", cell(g.Release), cell(g.Level), g.Score, strings.Join(g.Refs, ", "), cell(top))
	}
	w.p("\n")
}

// incidents writes one line per release rolled out by a strategy or rolled back.
func (w *reportWriter) incidents() {
	w.p("## Rollouts and rollbacks\n\n")
	plans := map[string]rollbackView{}
	for _, v := range w.m.rollbacks() {
		plans[v.Ref] = v
	}
	wrote := false
	for i, r := range w.m.rs {
		rows := rolloutRows(w.m.hist[i])
		v, back := plans[ref(i)]
		if len(rows) == 0 && !back {
			continue
		}
		wrote = true
		var parts []string
		if len(rows) > 0 {
			last := rows[len(rows)-1]
			parts = append(parts, fmt.Sprintf("rollout of %d steps and measurements (in the appendix), the last at %s: %s", len(rows), last.At, last.What))
		}
		if back {
			parts = append(parts, "rollback plan of "+v.Plan+"; run "+v.Run)
		}
		w.p("- %s %s: %s\n", ref(i), cell(label(r)), cell(strings.Join(parts, "; ")))
		for _, f := range v.Failed {
			w.p("  - %s\n", cell(f))
		}
	}
	if !wrote {
		w.p("No release of this period was rolled out by a strategy or has a rollback plan.\n")
	}
	w.p("\n")
}

func (w *reportWriter) reviews() {
	w.p("## Reviews\n\n")
	vs := w.m.reviews()
	if len(vs) == 0 {
		w.p("No release of this period was closed with a review.\n\n")
		return
	}
	for _, v := range vs {
		w.p("- %s %s: %s", v.Ref, cell(v.Release), cell(v.Outcome))
		if len(v.Lessons) > 0 {
			w.p(". Lessons: %s", cell(strings.Join(v.Lessons, "; ")))
		}
		if len(v.FollowUps) > 0 {
			w.p(". Follow-ups: %s", cell(strings.Join(v.FollowUps, "; ")))
		}
		w.p("\n")
	}
	w.p("\n")
}

func (w *reportWriter) dora() {
	w.p("## DORA metrics\n\n")
	o := w.m.DORA.Overall
	w.p("| Metric | Value | Band (DORA State of DevOps thresholds) |\n|---|---|---|\n")
	w.p("| Deployments to %s | %d | |\n", cell(w.m.Production), o.Deployments)
	for _, r := range w.m.doraRows() {
		w.p("| %s | %s | %s |\n", cell(r.Metric), cell(r.Value), cell(r.Band))
	}
	w.p("\n")
	if o.Unrestored > 0 {
		w.p("%d failed deployments are not restored yet.\n\n", o.Unrestored)
	}
	if refs := w.m.stoppedEarly(); len(refs) > 0 {
		w.p("Not counted as deployments: %s, turned back before the deployment completed (DORA counts completed deployments).\n\n", strings.Join(refs, ", "))
	}
}

func (w *reportWriter) audit() {
	w.p("## Audit\n\n")
	switch {
	case len(w.m.rs) == 0:
		w.p("Nothing to verify.\n\n")
	case w.m.Bad == 0:
		w.p("Every history verifies: %d releases, %d hash-chained entries.\n\n", len(w.m.rs), w.m.Entries)
	default:
		w.p("%d of %d histories do not verify:\n\n", w.m.Bad, len(w.m.rs))
		for i, r := range w.m.rs {
			if err := w.m.Verified[i]; err != nil {
				w.p("- %s %s: %s\n", ref(i), cell(label(r)), cell(err.Error()))
			}
		}
		w.p("\n")
	}
}

func (w *reportWriter) gateTables() {
	if len(w.m.Gates) == 0 {
		return
	}
	w.p("### Gate tables\n\n")
	for _, g := range w.m.Gates {
		w.p("#### %s: %s for %s\n\n", g.ID, g.Verdict, strings.Join(g.Refs, ", "))
		if len(g.Rows) == 0 {
			w.p("No gate applied.\n\n")
			continue
		}
		w.p("| Gate | Required | Status | Reason |\n|---|---|---|---|\n")
		for _, r := range g.Rows {
			w.p("| %s | %s | %s | %s |\n", cell(r.Gate), r.Required, cell(r.Status), cell(r.Reason))
		}
		w.p("\n")
	}
}

func (w *reportWriter) riskReasons() {
	if len(w.m.Risks) == 0 {
		return
	}
	w.p("### Risk reasons\n\n")
	for _, g := range w.m.Risks {
		w.p("- **%s** (%s): %s, %.1f\n", cell(g.Release), strings.Join(g.Refs, ", "), cell(g.Level), g.Score)
		for _, r := range g.Reasons {
			w.p("  - %s\n", cell(r))
		}
	}
	w.p("\n")
}

func (w *reportWriter) rolloutSteps() {
	wrote := false
	for i, r := range w.m.rs {
		rows := rolloutRows(w.m.hist[i])
		if len(rows) == 0 {
			continue
		}
		if !wrote {
			w.p("### Rollout steps\n\nEvery step of a strategy and every measurement of its analyses, as recorded in the history.\n\n")
			wrote = true
		}
		w.p("#### %s %s\n\n| Time (UTC) | Step or measurement | Detail |\n|---|---|---|\n", ref(i), cell(label(r)))
		for _, x := range rows {
			w.p("| %s | %s | %s |\n", x.At, cell(x.What), cell(x.Note))
		}
		w.p("\n")
	}
}

func (w *reportWriter) dependencies(graph *depgraph.Graph[string]) error {
	w.p("### Dependencies\n\n")
	if graph != nil {
		w.p("Components: an arrow points from a component to the components that depend on it (it ships first).\n\n```mermaid\n")
		if err := graph.WriteMermaid(w.b); err != nil {
			return fmt.Errorf("release: report: draw the dependency graph: %w", err)
		}
		w.p("```\n\n")
	}
	nodes, edges := w.m.needs()
	if len(edges) == 0 {
		w.p("No release of this period needs another.\n\n")
		return nil
	}
	w.p("Release needs: an arrow points from a release to the releases that need it in the same environment.\n\n```mermaid\nflowchart LR\n")
	for _, n := range nodes {
		w.p("    %s[%s]\n", n.id, mermaid.Label(n.text))
	}
	for _, e := range edges {
		if e.label == "" {
			w.p("    %s --> %s\n", e.from, e.to)
		} else {
			w.p("    %s -->|%s| %s\n", e.from, mermaid.Label(e.label), e.to)
		}
	}
	w.p("```\n\n")
	return nil
}

type needNode struct{ id, text string }
type needEdge struct{ from, to, label string }

// needs is the graph of the needs between the releases of the period: an edge from
// the release needed to the release that needs it; a need no release of the period
// meets gets a node of its own.
func (m *reportModel) needs() ([]needNode, []needEdge) {
	var nodes []needNode
	seen := map[string]bool{}
	node := func(id, text string) {
		if !seen[id] {
			seen[id] = true
			nodes = append(nodes, needNode{id, text})
		}
	}
	var edges []needEdge
	missing := 0
	// Releases by environment and name, so a need looks only at releases of its name.
	byName := map[[2]string][]int{}
	for j, o := range m.rs {
		k := [2]string{o.Environment, o.Name}
		byName[k] = append(byName[k], j)
	}
	var nm needMatcher
	for i, r := range m.rs {
		for _, n := range r.Needs {
			found := false
			for _, j := range byName[[2]string{r.Environment, n.Name}] {
				if o := m.rs[j]; j != i && nm.satisfies(o.Version, n.Version) {
					found = true
					node(ref(j), ref(j)+" "+label(o))
					node(ref(i), ref(i)+" "+label(r))
					edges = append(edges, needEdge{ref(j), ref(i), n.Version})
				}
			}
			if !found {
				missing++
				id := "need" + strconv.Itoa(missing)
				node(id, needString(n)+" (not in this period)")
				node(ref(i), ref(i)+" "+label(r))
				edges = append(edges, needEdge{id, ref(i), n.Version})
			}
		}
	}
	return nodes, edges
}

func (w *reportWriter) doraServices() {
	rows := w.m.serviceRows()
	if len(rows) == 0 {
		return
	}
	w.p("### DORA metrics per service\n\nDurations are medians; lead time %s.\n\n", w.m.Lead.label())
	w.p("| Service | Deployments | Frequency | Lead time | Change failure rate | Time to restore |\n|---|---|---|---|---|---|\n")
	for _, s := range rows {
		w.p("| %s | %d | %s | %s | %s | %s |\n", cell(s.Service), s.Deployments, cell(s.Frequency), cell(s.LeadTime), cell(s.Failures), cell(s.Restore))
	}
	w.p("\n")
}

func (w *reportWriter) auditTable() {
	if len(w.m.rs) == 0 {
		return
	}
	w.p("### Audit per release\n\n| # | Release | Entries | History |\n|---|---|---|---|\n")
	for i, r := range w.m.rs {
		state := "verifies"
		if err := w.m.Verified[i]; err != nil {
			state = "DOES NOT VERIFY: " + err.Error()
		}
		w.p("| %s | %s | %d | %s |\n", ref(i), cell(label(r)), len(w.m.hist[i]), cell(state))
	}
}

// upperFirst capitalises the first letter of s (ASCII).
func upperFirst(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

// foldLines puts a multi-line text on one line, its lines separated by "; ".
func foldLines(s string) string {
	var parts []string
	for _, l := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			parts = append(parts, l)
		}
	}
	return strings.Join(parts, "; ")
}
