package strategy

import (
	"fmt"
	"io"
	"strings"

	"github.com/releasekit/releasekit/internal/mermaid"
)

// Describe says what a step does, in a few words.
func (s Step) Describe() string {
	switch s.Kind {
	case StepWeight:
		if s.Weight == 100 {
			return "promote: 100% of traffic to the new version"
		}
		return fmt.Sprintf("set weight: %d%% of traffic to the new version", s.Weight)
	case StepPause:
		if s.Duration == 0 {
			return "pause until a person promotes"
		}
		return "pause " + s.Duration.String()
	case StepAnalysis:
		if s.Analysis == nil {
			return "analysis"
		}
		names := make([]string, len(s.Analysis.Metrics))
		for i, m := range s.Analysis.Metrics {
			names[i] = m.Name
		}
		return fmt.Sprintf("analysis %s (%s)", s.Analysis.Name, strings.Join(names, ", "))
	case StepPreview:
		return "preview: new version up, no production traffic"
	case StepScaleDown:
		if s.Duration == 0 {
			return "scale the old version down"
		}
		return "after " + s.Duration.String() + ", scale the old version down"
	case StepBatch:
		return fmt.Sprintf("batch: %d of %d instances on the new version", s.Updated, s.Total)
	}
	return string(s.Kind)
}

// WriteMermaid draws the strategy's steps as a Mermaid flowchart: the steps in
// order, where a failed analysis leads (abort, traffic back to stable,
// rollback), and where a person is waited for.
func (s Strategy) WriteMermaid(w io.Writer) error {
	steps, err := s.Steps()
	if err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString("flowchart TD\n")
	fmt.Fprintf(&b, "  start([%s])\n", mermaid.Label(string(s.Kind())+" rollout"))
	prev := "start"
	aborts := false
	for i, st := range steps {
		id := fmt.Sprintf("s%d", i)
		switch st.Kind {
		case StepAnalysis:
			fmt.Fprintf(&b, "  %s{{%s}}\n", id, mermaid.Label(st.Describe()))
		case StepPause:
			fmt.Fprintf(&b, "  %s[/%s/]\n", id, mermaid.Label(st.Describe()))
		default:
			fmt.Fprintf(&b, "  %s[%s]\n", id, mermaid.Label(st.Describe()))
		}
		fmt.Fprintf(&b, "  %s --> %s\n", prev, id)
		if st.Kind == StepAnalysis {
			aborts = true
			fmt.Fprintf(&b, "  %s -- failed or error --> abort\n", id)
			fmt.Fprintf(&b, "  %s -. inconclusive: a person promotes .-> %s\n", id, next(i, len(steps)))
		}
		if st.Kind == StepPause && st.Duration == 0 {
			aborts = true
			fmt.Fprintf(&b, "  %s -. a person aborts .-> abort\n", id)
		}
		prev = id
	}
	fmt.Fprintf(&b, "  %s --> done([%s])\n", prev, mermaid.Label("completed: the new version is stable"))
	if aborts {
		fmt.Fprintf(&b, "  abort[%s] --> rollback[%s] --> aborted([%s])\n",
			mermaid.Label("abort: traffic back to the stable version"), mermaid.Label("rollback hook"), mermaid.Label("aborted"))
	}
	_, err = io.WriteString(w, b.String())
	return err
}

func next(i, n int) string {
	if i+1 == n {
		return "done"
	}
	return fmt.Sprintf("s%d", i+1)
}
