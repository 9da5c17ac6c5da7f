package release

import "strconv"

// rollouts writes the steps and measurements of every rollout driven by
// [Engine.Rollout], from the history. The section is left out when no release
// of the period was rolled out that way.
func (w *reportWriter) rollouts() {
	wrote := false
	for i, r := range w.rs {
		type row struct {
			at   string
			what string
			note string
		}
		var rows []row
		for _, en := range w.hist[i] {
			switch st, m := rolloutEntry(en); {
			case st != nil:
				note := "weight " + strconv.Itoa(st.Weight) + "%"
				if st.By != "" {
					note += ", by " + st.By
				}
				if st.Reason != "" {
					note += ": " + st.Reason
				}
				rows = append(rows, row{utc(en.Time), st.Rollout + " step " + strconv.Itoa(st.Step) + " (" + string(st.Kind) + ") " + string(st.Event), note})
			case m != nil:
				rows = append(rows, row{utc(en.Time), "measured " + m.Metric + " #" + strconv.Itoa(m.Index) + ": " + string(m.Phase), m.Reason})
			}
		}
		if len(rows) == 0 {
			continue
		}
		if !wrote {
			w.p("## Rollouts\n\nEvery step of a strategy and every measurement of its analyses, as recorded in the history.\n\n")
			wrote = true
		}
		w.p("### %s %s\n\n| Time (UTC) | Step or measurement | Detail |\n|---|---|---|\n", ref(i), label(r))
		for _, x := range rows {
			w.p("| %s | %s | %s |\n", x.at, cell(x.what), cell(x.note))
		}
		w.p("\n")
	}
}
