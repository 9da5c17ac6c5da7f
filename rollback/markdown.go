package rollback

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"time"
)

// WriteMarkdown writes the runbook people follow: a summary (scope, waves, estimated
// duration, who is notified), then each wave with its components, each step's action
// and command, and a verification checklist per step. The output depends only on the
// runbook, so the same plan always gives the same text.
func (r *Runbook) WriteMarkdown(w io.Writer) error {
	if err := r.Validate(); err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	p := func(format string, args ...any) { fmt.Fprintf(bw, format, args...) }

	title := r.Release
	if title == "" {
		title = "unnamed release"
	}
	p("# Rollback runbook: %s\n\n", title)
	comps := r.Components()
	steps := r.Steps()
	if len(r.Failed) > 0 {
		p("- **Scope:** partial rollback of %s and the deployed components that depend on %s: %d component(s), %d step(s).\n",
			strings.Join(r.Failed, ", "), pronoun(len(r.Failed)), len(comps), len(steps))
	} else {
		p("- **Scope:** full rollback of every component that started deploying: %d component(s), %d step(s).\n", len(comps), len(steps))
	}
	p("- **Order:** %d wave(s), one after the other; a component is rolled back before the components it depends on. The components of a wave run in parallel, the steps of a component in order.\n", len(r.Waves))
	p("- **Estimated duration:** %s along the critical path (the longest component of each wave, summed).\n", formatDuration(r.Duration()))
	rf := 0
	for _, s := range steps {
		if s.Kind == KindRollForward {
			rf++
		}
	}
	if rf > 0 {
		p("- **Irreversible migrations:** %d, rolled forward instead of reverted (see the roll-forward steps).\n", rf)
	}
	if len(r.Notify) > 0 {
		p("- **Notify:** %s, before wave 1 and when the rollback ends.\n", strings.Join(r.Notify, ", "))
	} else {
		p("- **Notify:** nobody is configured; tell the release's stakeholders before wave 1.\n")
	}
	if len(r.Waves) == 0 {
		p("\nNothing to roll back: no component of the release started deploying.\n")
		return bw.Flush()
	}

	for i, wave := range r.Waves {
		p("\n## Wave %d: %s (est. %s)\n\n", wave.Number, strings.Join(wave.Components(), ", "), formatDuration(wave.Duration()))
		if i == 0 {
			p("Start once the rollback is decided and announced.\n")
		} else {
			p("Start only when every check of wave %d is ticked.\n", r.Waves[i-1].Number)
		}
		n := 0
		for j, s := range wave.Steps {
			if j == 0 || wave.Steps[j-1].Component != s.Component {
				n = 0
				p("\n### %s: %s\n\n", s.Component, versions(s))
				if s.Unfinished {
					p("- Deployment: did not finish; the component is half-deployed.\n")
				} else {
					p("- Deployment: finished.\n")
				}
				if len(s.Notify) > 0 {
					p("- Notify: %s.\n", strings.Join(s.Notify, ", "))
				}
				p("\n")
			}
			n++
			p("%d. `%s` (est. %s)\n", n, s.ID, formatDuration(s.Duration))
			p("   %s\n", s.Action)
			if s.Command != "" {
				fence := "```"
				for strings.Contains(s.Command, fence) {
					fence += "`"
				}
				p("\n   %ssh\n", fence)
				for _, line := range strings.Split(s.Command, "\n") {
					p("   %s\n", line)
				}
				p("   %s\n\n", fence)
			}
			for _, v := range s.Verify {
				p("   - [ ] %s\n", v)
			}
		}
	}
	p("\n## Done\n\nWhen every check is ticked, tell %s that the rollback of %s is complete, and record the outcome.\n",
		orDefault(strings.Join(r.Notify, ", "), "the release's stakeholders"), title)
	return bw.Flush()
}

func versions(s Step) string {
	if s.Version == "" {
		return fmt.Sprintf("introduced at %s, removed", s.Current)
	}
	return fmt.Sprintf("%s back to %s", s.Current, s.Version)
}

func pronoun(n int) string {
	if n == 1 {
		return "it"
	}
	return "them"
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// formatDuration writes a duration as people say it: "1h5m", "47m", "30s", "0s".
func formatDuration(d time.Duration) string {
	if d == 0 {
		return "0s"
	}
	if d < 0 {
		return d.String()
	}
	var b strings.Builder
	h := d / time.Hour
	d -= h * time.Hour
	m := d / time.Minute
	d -= m * time.Minute
	s := d / time.Second
	d -= s * time.Second
	if h > 0 {
		fmt.Fprintf(&b, "%dh", h)
	}
	if m > 0 {
		fmt.Fprintf(&b, "%dm", m)
	}
	if s > 0 {
		fmt.Fprintf(&b, "%ds", s)
	}
	if b.Len() == 0 {
		return d.String()
	}
	return b.String()
}
