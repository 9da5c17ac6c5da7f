package release

import "strconv"

// rolloutRow is one step of a strategy or one measurement of its analyses, as
// [Engine.Rollout] recorded it.
type rolloutRow struct{ At, What, Note string }

// rolloutRows lists the steps and measurements of every rollout in h.
func rolloutRows(h []AuditEntry) []rolloutRow {
	var rows []rolloutRow
	for _, en := range h {
		switch st, m := rolloutEntry(en); {
		case st != nil:
			note := "weight " + strconv.Itoa(st.Weight) + "%"
			if st.By != "" {
				note += ", by " + st.By
			}
			if st.Reason != "" {
				note += ": " + st.Reason
			}
			rows = append(rows, rolloutRow{utc(en.Time), st.Rollout + " step " + strconv.Itoa(st.Step) + " (" + string(st.Kind) + ") " + string(st.Event), note})
		case m != nil:
			rows = append(rows, rolloutRow{utc(en.Time), "measured " + m.Metric + " #" + strconv.Itoa(m.Index) + ": " + string(m.Phase), m.Reason})
		}
	}
	return rows
}
