package jira

import (
	"fmt"
	"strings"

	"github.com/releasekit/releasekit/release"
)

// A document is what the adapter writes into a description or a comment: a list of
// paragraphs, each a line of text, and optionally a bullet list after the first
// paragraph. It is rendered as Atlassian Document Format for Cloud (v3) and as
// plain text (with Jira wiki bullets) for Data Center (v2).
type document struct {
	paragraphs []string
	bullets    []string
}

// adf renders d as an Atlassian Document Format document: {"type":"doc",
// "version":1,"content":[paragraph…, bulletList]}.
func (d document) adf() map[string]any {
	para := func(s string) map[string]any {
		p := map[string]any{"type": "paragraph"}
		if s != "" {
			p["content"] = []any{map[string]any{"type": "text", "text": s}}
		}
		return p
	}
	var content []any
	for i, s := range d.paragraphs {
		content = append(content, para(s))
		if i == 0 && len(d.bullets) > 0 {
			var items []any
			for _, b := range d.bullets {
				items = append(items, map[string]any{"type": "listItem", "content": []any{para(b)}})
			}
			content = append(content, map[string]any{"type": "bulletList", "content": items})
		}
	}
	return map[string]any{"type": "doc", "version": 1, "content": content}
}

func (d document) text() string {
	var b strings.Builder
	for i, s := range d.paragraphs {
		if i > 0 {
			b.WriteString("\n\n")
		}
		b.WriteString(s)
		if i == 0 {
			for _, x := range d.bullets {
				b.WriteString("\n* " + x)
			}
		}
	}
	return b.String()
}

func (n *Notifier) render(d document) any {
	if n.cfg.Edition == DataCenter {
		return d.text()
	}
	return d.adf()
}

// PlainText returns the text of a description or comment body as Jira returns it:
// a string (REST API v2) as it is, or an Atlassian Document Format document (v3)
// as its text nodes, a line per block.
func PlainText(body any) string {
	var b strings.Builder
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			b.WriteString(x)
		case map[string]any:
			if t, ok := x["text"].(string); ok {
				b.WriteString(t)
			}
			if c, ok := x["content"].([]any); ok {
				for _, y := range c {
					walk(y)
				}
				b.WriteString("\n")
			}
		}
	}
	walk(body)
	return b.String()
}

// marker is the line every comment the adapter writes ends with: it names the
// release and the history entry, so a retried delivery finds the comment it
// already wrote.
func marker(id release.ID, seq int64) string {
	return fmt.Sprintf("[releasekit %s #%d]", id, seq)
}

func description(r release.Release) document {
	d := document{paragraphs: []string{fmt.Sprintf("%s %s to %s (%s change), by %s.", r.Name, r.Version, r.Environment, r.Class, r.Author)}}
	for _, c := range r.Components {
		s := c.Name + " " + c.Version
		if c.PreviousVersion != "" {
			s += " (was " + c.PreviousVersion + ")"
		}
		d.bullets = append(d.bullets, s)
	}
	d.paragraphs = append(d.paragraphs, "Kept in step with the release by releasekit: transitions follow the release's, and each lifecycle event is a comment.",
		"Release "+r.ID.String())
	return d
}

func entryComment(e release.AuditEntry) document {
	var first string
	switch {
	case e.Event == release.EventRecord && e.Evidence != nil:
		ev := e.Evidence
		first = fmt.Sprintf("%s recorded: %s", ev.Kind, ev.By.ID)
		if ev.Role != "" {
			first += " as " + ev.Role
		}
		if ev.Gate != "" {
			first += ", gate " + ev.Gate
		}
	case e.Event == release.EventDecision:
		event, refusals, _ := e.Refused()
		first = fmt.Sprintf("%s refused: %s asked in state %s", event, e.Actor.ID, e.To)
		for _, r := range refusals {
			first += "; " + r.Guard + ": " + r.Reason
		}
	case e.From == e.To:
		first = fmt.Sprintf("%s: %s stays %s", e.Event, e.Actor.ID, e.To)
	default:
		first = fmt.Sprintf("%s → %s (%s) by %s", e.From, e.To, e.Event, e.Actor.ID)
	}
	d := document{paragraphs: []string{first}}
	if sn := e.Snapshot; sn != nil && e.From != e.To {
		if sn.Risk != nil && e.To == release.StatePlanned {
			d.paragraphs = append(d.paragraphs, fmt.Sprintf("Risk: %s (%.0f/100).", sn.Risk.Level, sn.Risk.Score))
		}
		if sn.Slot != nil && e.To == release.StateScheduled {
			d.paragraphs = append(d.paragraphs, fmt.Sprintf("Slot: %s to %s.", sn.Slot.Start.UTC().Format("2006-01-02 15:04 UTC"), sn.Slot.End.UTC().Format("2006-01-02 15:04 UTC")))
		}
	}
	if e.Reason != "" {
		d.paragraphs = append(d.paragraphs, "Reason: "+e.Reason)
	}
	if e.Evidence != nil && e.Evidence.Reason != "" && e.Evidence.Reason != e.Reason {
		d.paragraphs = append(d.paragraphs, "Comment: "+e.Evidence.Reason)
	}
	d.paragraphs = append(d.paragraphs, fmt.Sprintf("At %s. %s", e.Time.UTC().Format("2006-01-02 15:04:05 UTC"), marker(e.ReleaseID, e.Sequence)))
	return d
}

func conflictComment(c *ConflictError) document {
	return document{paragraphs: []string{
		fmt.Sprintf("The release reached %s, but this issue is in status %q, from which Jira offers no transition named %q or leading to it (offered: %s).", c.State, c.Status, c.Transition, orNone(c.Available)),
		"The status was left as it is. Move the issue on by hand if it should follow the release.",
		marker(c.Release, c.Sequence) + " conflict",
	}}
}

// commented reports whether the entry's comment is among the comment texts.
// The conflict note of an entry carries its marker too, but never stands for the
// entry's own comment.
func commented(texts []string, id release.ID, seq int64) (entry, conflict bool) {
	m := marker(id, seq)
	for _, t := range texts {
		i := strings.Index(t, m)
		if i < 0 {
			continue
		}
		if strings.HasPrefix(t[i+len(m):], " conflict") {
			conflict = true
		} else {
			entry = true
		}
	}
	return entry, conflict
}
