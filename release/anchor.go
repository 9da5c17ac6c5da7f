package release

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"

	"golang.org/x/mod/sumdb/note"
)

// anchors is what a list of published checkpoints, checked with the public key,
// commits to: the tree, and each release's anchored entry hashes by sequence.
type anchors struct {
	tree    memTree
	leaves  []CheckpointLeaf
	index   map[leafKey]int64
	hashes  map[ID][]string
	latest  *Checkpoint
	covered map[ID]int64
}

// openCheckpoints checks published checkpoints with key: each note's signature, each
// root against the leaves, each checkpoint extending the one before.
func openCheckpoints(key note.Verifier, published []Checkpoint) (*anchors, error) {
	if key == nil {
		return nil, &ValidationError{What: "checkpoint verification", Problems: []string{"the public key is nil (note.NewVerifier with the checkpoint key)"}}
	}
	a := &anchors{index: map[leafKey]int64{}, hashes: map[ID][]string{}, covered: map[ID]int64{}}
	for i, cp := range published {
		if err := checkPublished(&a.tree, a.covered, cp, i, key); err != nil {
			return nil, err
		}
		for _, l := range cp.Leaves {
			a.index[leafKey{l.Release, l.Sequence}] = int64(len(a.leaves))
			a.leaves = append(a.leaves, l)
			a.hashes[l.Release] = append(a.hashes[l.Release], l.Hash)
		}
		cp.Leaves = nil
		a.latest = &cp
	}
	return a, nil
}

func (a *anchors) size() int64 {
	if a.latest == nil {
		return 0
	}
	return a.latest.Size
}

// check compares a release's stored history with its anchored entries and returns a
// *HistoryError naming the first that differs or is missing.
func (a *anchors) check(id ID, h []AuditEntry) error {
	for i, want := range a.hashes[id] {
		if i >= len(h) || h[i].Hash != want {
			return anchoredMismatch(id, h, CheckpointLeaf{Release: id, Sequence: int64(i + 1), Hash: want}, a.size())
		}
	}
	return nil
}

// VerifyCheckpoints checks the store against published checkpoints, holding only
// the checkpoints' public key: it verifies every checkpoint's signature with key,
// that its leaves hash to its root and that it extends the one before; then that
// every anchored entry is still in the store unchanged, and that every release's
// history and row verify (as [Engine.VerifyAudit] does) up to its head.
//
// A rewrite made after a checkpoint is found even when whoever made it recomputed
// the chain and the release's head: the rewritten entry's hash is not the anchored
// one. The result names the release and the first entry that differs, as a
// *HistoryError; every broken release is reported (joined). A checkpoint that does
// not verify is a *CheckpointError. Both match ErrTampered. Entries committed after
// the last checkpoint are checked by their chain only: docs/AUDIT.md says what that
// leaves open.
func VerifyCheckpoints(ctx context.Context, s Store, key note.Verifier, published []Checkpoint) error {
	a, err := openCheckpoints(key, published)
	if err != nil {
		return err
	}
	var problems []error
	seen := map[ID]bool{}
	f := Filter{Limit: 1000}
	for {
		page, err := s.List(ctx, f)
		if err != nil {
			return fmt.Errorf("release: verify checkpoints: list releases: %w", err)
		}
		for _, r := range page {
			seen[r.ID] = true
			h, err := s.History(ctx, r.ID)
			if err != nil {
				if errors.Is(err, ErrCorrupt) {
					problems = append(problems, fmt.Errorf("release %s: %w", r.ID, err))
					continue
				}
				return fmt.Errorf("release: verify checkpoints: history of %s: %w", r.ID, err)
			}
			if err := a.check(r.ID, h); err != nil {
				problems = append(problems, err)
			} else if err := verifyStored(r, h); err != nil {
				problems = append(problems, err)
			}
		}
		if len(page) < f.Limit {
			break
		}
		f.After = page[len(page)-1].ID
	}
	var gone []ID
	for id := range a.hashes {
		if !seen[id] {
			gone = append(gone, id)
		}
	}
	slices.SortFunc(gone, ID.Compare)
	for _, id := range gone {
		problems = append(problems, &HistoryError{ID: id, Index: 0, Sequence: 1,
			Reason: fmt.Sprintf("is missing: the release is not in the store, but the checkpoints (tree size %d) anchor %d of its entries", a.size(), len(a.hashes[id]))})
	}
	return errors.Join(problems...)
}

// ReadCheckpoints reads published checkpoints, one JSON object per line (the form
// adapters/checkpointfile writes). Blank lines are skipped; a line that is not a
// checkpoint is a *CorruptError naming it. It checks nothing else:
// [VerifyCheckpoints] does.
func ReadCheckpoints(r io.Reader) ([]Checkpoint, error) {
	var out []Checkpoint
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 256<<20)
	line := 0
	for sc.Scan() {
		line++
		b := sc.Bytes()
		if len(b) == 0 {
			continue
		}
		var cp Checkpoint
		if err := json.Unmarshal(b, &cp); err != nil {
			return nil, &CorruptError{What: "checkpoint", Reason: fmt.Sprintf("line %d: %v", line, err)}
		}
		out = append(out, cp)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return out, nil
}
