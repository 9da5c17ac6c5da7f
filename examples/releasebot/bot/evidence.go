package bot

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/releasekit/releasekit/gate"
	"github.com/releasekit/releasekit/release"
)

// CheckRecord is one CI check result as the bot keeps it: the latest status posted
// under a name wins.
type CheckRecord struct {
	Status gate.CheckStatus `json:"status"`
	URL    string           `json:"url,omitempty"`
	// By is the actor that posted it; At is when the bot received it.
	By string    `json:"by"`
	At time.Time `json:"at"`
}

// ReleaseEvidence is what the bot has gathered about one release: the latest result
// of every CI check and every approval recorded, oldest first.
type ReleaseEvidence struct {
	Checks    map[string]CheckRecord `json:"checks,omitempty"`
	Approvals []gate.Approval        `json:"approvals,omitempty"`
}

func (e ReleaseEvidence) clone() ReleaseEvidence {
	e.Checks = maps.Clone(e.Checks)
	e.Approvals = slices.Clone(e.Approvals)
	for i := range e.Approvals {
		e.Approvals[i].Roles = slices.Clone(e.Approvals[i].Roles)
	}
	return e
}

// Evidence keeps the CI check results and approvals the gates judge. The release
// store belongs to the engine and has no room for them, so the bot keeps them itself:
// in memory, guarded by a mutex, and, when a path is given, in a JSON file that is
// rewritten (to a temporary file, then renamed over the old one) after every change.
// The file is
//
//	{"releases": {"<release id>": {"checks": {"<name>": {…}}, "approvals": [{…}]}}}
//
// Losing the file loses the recorded checks and approvals, never a release or its
// history: CI posts again and people approve again. An Evidence is safe for
// concurrent use by one process; two processes must not share a file.
type Evidence struct {
	mu       sync.Mutex
	path     string
	releases map[release.ID]ReleaseEvidence
}

type evidenceFile struct {
	Releases map[release.ID]ReleaseEvidence `json:"releases"`
}

// OpenEvidence loads the evidence file at path (a missing file is an empty one); ""
// keeps everything in memory only. A file that does not decode is an error naming it,
// never silently discarded.
func OpenEvidence(path string) (*Evidence, error) {
	e := &Evidence{path: path, releases: map[release.ID]ReleaseEvidence{}}
	if path == "" {
		return e, nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return e, nil
	}
	if err != nil {
		return nil, fmt.Errorf("releasebot: read evidence file: %w", err)
	}
	var f evidenceFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("releasebot: evidence file %s does not decode (%v); repair it or move it away (CI and approvers then post again)", path, err)
	}
	if f.Releases != nil {
		e.releases = f.Releases
	}
	return e, nil
}

// EvidencePath is where the bot keeps the evidence of the store at dbPath: next to
// it, with ".evidence.json" appended.
func EvidencePath(dbPath string) string { return dbPath + ".evidence.json" }

// Path is the evidence file, or "" when the evidence lives in memory only.
func (e *Evidence) Path() string { return e.path }

// RecordCheck stores the result of a CI check for release id, replacing any earlier
// result under the same name, and returns the release's evidence after it.
func (e *Evidence) RecordCheck(id release.ID, name string, c CheckRecord) (ReleaseEvidence, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	old := e.releases[id]
	ev := old.clone()
	if ev.Checks == nil {
		ev.Checks = map[string]CheckRecord{}
	}
	ev.Checks[name] = c
	return e.commit(id, old, ev)
}

// RecordApproval stores an approval for release id and returns the release's
// evidence after it. A second approval by the same actor for the same revision
// replaces the first.
func (e *Evidence) RecordApproval(id release.ID, a gate.Approval) (ReleaseEvidence, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	old := e.releases[id]
	ev := old.clone()
	a.Roles = slices.Clone(a.Roles)
	ev.Approvals = slices.DeleteFunc(ev.Approvals, func(x gate.Approval) bool {
		return x.Actor == a.Actor && x.Revision == a.Revision
	})
	ev.Approvals = append(ev.Approvals, a)
	return e.commit(id, old, ev)
}

// commit installs ev and persists; on a write failure the old value is put back, so
// memory and file never disagree about what was acknowledged.
func (e *Evidence) commit(id release.ID, old, ev ReleaseEvidence) (ReleaseEvidence, error) {
	e.releases[id] = ev
	if err := e.persist(); err != nil {
		if old.Checks == nil && old.Approvals == nil {
			delete(e.releases, id)
		} else {
			e.releases[id] = old
		}
		return ReleaseEvidence{}, err
	}
	return ev.clone(), nil
}

// Get returns a copy of what is known about release id.
func (e *Evidence) Get(id release.ID) ReleaseEvidence {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.releases[id].clone()
}

// Input is the gate input for release id: its checks and approvals. The engine adds
// the release's own facts.
func (e *Evidence) Input(id release.ID) gate.Input {
	ev := e.Get(id)
	in := gate.Input{Approvals: ev.Approvals}
	if len(ev.Checks) > 0 {
		in.Checks = make(map[string]gate.Check, len(ev.Checks))
		for name, c := range ev.Checks {
			in.Checks[name] = gate.Check{Status: c.Status, URL: c.URL}
		}
	}
	return in
}

// persist writes the whole file; the caller holds mu.
func (e *Evidence) persist() error {
	if e.path == "" {
		return nil
	}
	b, err := json.MarshalIndent(evidenceFile{Releases: e.releases}, "", "  ")
	if err != nil {
		return fmt.Errorf("releasebot: encode evidence: %w", err)
	}
	dir := filepath.Dir(e.path)
	tmp, err := os.CreateTemp(dir, filepath.Base(e.path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("releasebot: write evidence: %w", err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename there is nothing to remove
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("releasebot: write evidence: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("releasebot: write evidence: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("releasebot: write evidence: %w", err)
	}
	if err := os.Rename(tmp.Name(), e.path); err != nil {
		return fmt.Errorf("releasebot: write evidence: %w", err)
	}
	return nil
}
