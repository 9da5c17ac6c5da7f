package bot

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/releasekit/releasekit/gate"
	"github.com/releasekit/releasekit/release"
)

// Duration is a length of time as the API writes and reads it: a Go duration
// string such as "45m0s" or "1h30m", both ways (time.Duration itself would travel
// as a number of nanoseconds).
type Duration time.Duration

// String is the Go duration string, e.g. "45m0s".
func (d Duration) String() string { return time.Duration(d).String() }

// MarshalJSON writes d as a string, e.g. "45m0s".
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads a Go duration string such as "45m" or "1h30m".
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf(`a duration is a string such as "45m" or "1h30m", not %s`, b)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf(`duration %q is not a Go duration such as "45m" or "1h30m" (at most 2562047h, about 292 years)`, s)
	}
	*d = Duration(v)
	return nil
}

// Release is a release as every route of the API shows it: release.Release with its
// durations as strings. The fields of release.Release are promoted; Duration and
// Rollback shadow the embedded ones (which stay zero after decoding).
type Release struct {
	release.Release
	// Duration is how long the deployment takes, e.g. "45m0s".
	Duration Duration `json:"duration"`
	// Rollback is the rollback plan attached at fail, and its run.
	Rollback *Rollback `json:"rollback,omitempty"`
}

// Rollback is release.RollbackRecord with its duration as a string.
type Rollback struct {
	release.RollbackRecord
	Duration Duration `json:"duration"`
}

// AuditEntry is a history entry as the API shows it: release.AuditEntry with the
// durations of its snapshot, evidence and annotations as strings (the "gates"
// annotation is a [Decision]). The hash covers the stored form
// (release.AuditEntry); GET /releases/{id}/history says whether it verifies.
type AuditEntry struct {
	release.AuditEntry
	Snapshot    *Snapshot                  `json:"snapshot,omitempty"`
	Evidence    *Evidence                  `json:"evidence,omitempty"`
	Annotations map[string]json.RawMessage `json:"annotations,omitempty"`
}

// Snapshot is release.Snapshot with its durations as strings.
type Snapshot struct {
	release.Snapshot
	Duration Duration  `json:"duration,omitempty"`
	Rollback *Rollback `json:"rollback,omitempty"`
}

// Evidence is release.Evidence with its observation window as a string.
type Evidence struct {
	release.Evidence
	Window Duration `json:"window,omitempty"`
}

func wireRelease(r release.Release) Release {
	return Release{Release: r, Duration: Duration(r.Duration), Rollback: wireRollback(r.Rollback)}
}

func wireReleases(rs []release.Release) []Release {
	out := make([]Release, len(rs))
	for i, r := range rs {
		out[i] = wireRelease(r)
	}
	return out
}

func wireRollback(rb *release.RollbackRecord) *Rollback {
	if rb == nil {
		return nil
	}
	return &Rollback{RollbackRecord: *rb, Duration: Duration(rb.Duration)}
}

func wireEvidence(ev release.Evidence) Evidence {
	return Evidence{Evidence: ev, Window: Duration(ev.Window)}
}

func wireEntries(h []release.AuditEntry) []AuditEntry {
	out := make([]AuditEntry, len(h))
	for i, e := range h {
		out[i] = AuditEntry{AuditEntry: e}
		if e.Snapshot != nil {
			out[i].Snapshot = &Snapshot{Snapshot: *e.Snapshot, Duration: Duration(e.Snapshot.Duration), Rollback: wireRollback(e.Snapshot.Rollback)}
		}
		if e.Evidence != nil {
			ev := wireEvidence(*e.Evidence)
			out[i].Evidence = &ev
		}
		out[i].Annotations = wireAnnotations(e.Annotations)
	}
	return out
}

// Refused is release.AuditEntry.Refused for the entry as the API shows it: what a
// decision entry refused, and why (its annotations as the engine wrote them).
func (e AuditEntry) Refused() (event release.Event, refusals []release.Refusal, ok bool) {
	stored := e.AuditEntry
	if e.Annotations != nil {
		stored.Annotations = make(map[string]json.RawMessage, len(e.Annotations))
		for k, raw := range e.Annotations {
			stored.Annotations[k] = raw
		}
		var d Decision
		if raw, found := e.Annotations["gates"]; found && json.Unmarshal(raw, &d) == nil {
			if b, err := json.Marshal(d.Gate()); err == nil {
				stored.Annotations["gates"] = b
			}
		}
	}
	return stored.Refused()
}

// durationKeys are the keys under which the library's types write a time.Duration
// (as nanoseconds): gate.Result.Duration, gate.Options.Timeout,
// gate.ApprovalRule.MaxAge, risk.Facts.FreezeIn.
var durationKeys = map[string]bool{"duration": true, "timeout": true, "max_age": true, "freeze_in": true}

// wireAnnotations is an entry's annotations with every duration as a string: the
// gate decision as a [Decision], and in the others every number under one of
// durationKeys. What is stored (and hashed) is unchanged.
func wireAnnotations(a map[string]json.RawMessage) map[string]json.RawMessage {
	if a == nil {
		return nil
	}
	out := make(map[string]json.RawMessage, len(a))
	for k, raw := range a {
		out[k] = raw
		if k == "gates" {
			var d gate.Decision
			if json.Unmarshal(raw, &d) == nil {
				if b, err := json.Marshal(wireDecision(d)); err == nil {
					out[k] = b
				}
			}
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		var v any
		if dec.Decode(&v) != nil {
			continue
		}
		if b, err := json.Marshal(durationsAsStrings(v)); err == nil {
			out[k] = b
		}
	}
	return out
}

// durationsAsStrings rewrites, in a decoded JSON value, every integer under one of
// durationKeys as a Go duration string.
func durationsAsStrings(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if n, ok := e.(json.Number); ok && durationKeys[k] {
				if ns, err := n.Int64(); err == nil {
					x[k] = time.Duration(ns).String()
					continue
				}
			}
			x[k] = durationsAsStrings(e)
		}
	case []any:
		for i, e := range x {
			x[i] = durationsAsStrings(e)
		}
	}
	return v
}

// Decision is the Go/No-Go decision an approve made (gate.Decision) with its
// durations as strings. [Decision.Gate] gives back the gate.Decision, whose Verify
// checks the fingerprint.
type Decision struct {
	Go          bool         `json:"go"`
	Results     []GateResult `json:"results"`
	Input       gate.Input   `json:"input"`
	Options     GateOptions  `json:"options"`
	Fingerprint string       `json:"fingerprint"`
}

// GateResult is gate.Result with its duration as a string.
type GateResult struct {
	gate.Result
	Duration Duration `json:"duration"`
}

// GateOptions is gate.Options with its timeout as a string.
type GateOptions struct {
	gate.Options
	Timeout Duration `json:"timeout,omitempty"`
}

// Gate returns the decision as package gate has it.
func (d Decision) Gate() gate.Decision {
	out := gate.Decision{Go: d.Go, Results: make([]gate.Result, len(d.Results)), Input: d.Input, Options: d.Options.Options, Fingerprint: d.Fingerprint}
	out.Options.Timeout = time.Duration(d.Options.Timeout)
	for i, r := range d.Results {
		out.Results[i] = r.Result
		out.Results[i].Duration = time.Duration(r.Duration)
	}
	return out
}

func wireDecision(d gate.Decision) *Decision {
	out := &Decision{Go: d.Go, Results: make([]GateResult, len(d.Results)), Input: d.Input,
		Options: GateOptions{Options: d.Options, Timeout: Duration(d.Options.Timeout)}, Fingerprint: d.Fingerprint}
	for i, r := range d.Results {
		out.Results[i] = GateResult{Result: r, Duration: Duration(r.Duration)}
	}
	return out
}
