package release

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/releasekit/releasekit/change"
	"github.com/releasekit/releasekit/gate"
)

// AuditFilter selects the changes of an [Engine.AuditPack].
type AuditFilter struct {
	// From and To bound the period, [From, To). Both are required. A release belongs
	// to the period when it was created in it, reached deployed in it, or its booked
	// slot overlaps it (as in [Engine.Report]).
	From, To time.Time
	// Environment is the environment whose changes are packed: "" means "prod" (the
	// changes a SOX change-management review samples), "*" every environment.
	Environment string
}

func (f AuditFilter) environment() string {
	switch f.Environment {
	case "":
		return "prod"
	case "*":
		return ""
	}
	return f.Environment
}

// packFormat names the pack's format in its header.
const packFormat = "releasekit-audit-pack/v1"

// packRecord is one line of an audit pack. Type says which fields are set.
type packRecord struct {
	Type string `json:"type"`
	// header
	Format      string     `json:"format,omitempty"`
	Environment string     `json:"environment,omitempty"`
	From        *time.Time `json:"from,omitempty"`
	To          *time.Time `json:"to,omitempty"`
	Generated   *time.Time `json:"generated_at,omitempty"`
	// checkpoint
	Checkpoint *Checkpoint `json:"checkpoint,omitempty"`
	// release
	Release *Release `json:"release,omitempty"`
	// entry
	Entry *AuditEntry `json:"entry,omitempty"`
	Leaf  *int64      `json:"leaf,omitempty"`
	Proof []tlog.Hash `json:"proof,omitempty"`
	// decision, waiver, override: derived from the entry (ReleaseID, Sequence) they
	// name, which the chain and the proofs cover; the verifier derives them again.
	ReleaseID *ID             `json:"release_id,omitempty"`
	Sequence  int64           `json:"sequence,omitempty"`
	Decision  json.RawMessage `json:"decision,omitempty"`
	Waiver    *gate.Waiver    `json:"waiver,omitempty"`
	Override  json.RawMessage `json:"override,omitempty"`
	Evidence  *Evidence       `json:"evidence,omitempty"`
	// lockdown
	Lockdown *LockdownEntry `json:"lockdown,omitempty"`
	// summary
	Markdown string `json:"markdown,omitempty"`
}

// AuditPack writes the evidence of every change in a period, for an auditor, as
// JSON Lines (one JSON object per line, each with a "type"):
//
//   - "header": the format, the filter and when the pack was made;
//   - "checkpoint": the latest published checkpoint (without its leaves), when the
//     engine has [WithCheckpoints];
//   - per release, in creation order: "release" (the stored release), then its full
//     history, one "entry" each, with the entry's leaf index and inclusion proof
//     against that checkpoint when a checkpoint covers it; then the records derived
//     from the entries: "decision" (the gate decision an approve recorded), "waiver"
//     (each gate failure it waived), "override" (a calendar override at start);
//   - "summary": a Markdown summary for the reviewer: who requested each change, who
//     approved it before the deploy, whether separation of duties held, the gates,
//     emergency changes and overrides with their later review, and how much of it the
//     checkpoint anchors;
//
// and, before the summary, the whole runtime lockdown history, one "lockdown" per
// entry (when the store keeps lockdowns and any were declared), which the summary
// lists with the lockdowns and freezes that overlap the period.
//
// [VerifyAuditPack] (and `releasekit verify-audit`) checks a pack offline with the
// checkpoints' public key. AuditPack checks every history as it writes it and fails,
// writing nothing, when one does not verify: a pack never carries a broken record.
// Invalid filters give a *ValidationError.
func (e *Engine) AuditPack(ctx context.Context, w io.Writer, f AuditFilter) error {
	if err := (ReportOptions{From: f.From, To: f.To}).Validate(); err != nil {
		return err
	}
	rs, err := e.periodReleases(ctx, ReportOptions{From: f.From, To: f.To, Environment: f.environment()}, nil)
	if err != nil {
		return err
	}
	slices.SortFunc(rs, func(a, b Release) int { return a.ID.Compare(b.ID) })
	var cp *Checkpoint
	var proofs *proofSource
	if c := e.checkpoints; c != nil {
		c.run.Lock()
		defer c.run.Unlock()
		c.loaded = false // read what every replica published
		if err := c.load(ctx); err != nil {
			return err
		}
		cp, proofs = c.latest, &proofSource{tree: &c.tree, index: c.index, leaves: c.leaves}
	}
	now := e.now()
	from, to := f.From.UTC(), f.To.UTC()
	p := pack{header: packRecord{Type: "header", Format: packFormat, Environment: f.Environment, From: &from, To: &to, Generated: &now}, checkpoint: cp}
	if p.header.Environment == "" {
		p.header.Environment = "prod"
	}
	if ls, ok := e.store.(LockdownStore); ok {
		if p.lockdowns, err = e.readLockdowns(ctx, ls); err != nil {
			return fmt.Errorf("release: audit pack: %w", err)
		}
	}
	for _, r := range rs {
		h, err := e.store.History(ctx, r.ID)
		if err != nil {
			return fmt.Errorf("release: audit pack: history of %s %s: %w", r.Name, r.Version, err)
		}
		if err := verifyStored(r, h); err != nil {
			return fmt.Errorf("release: audit pack: %w", err)
		}
		pr := packRelease{release: r, entries: h, leaves: make([]*int64, len(h)), proofs: make([][]tlog.Hash, len(h))}
		for i, en := range h {
			if proofs == nil || cp == nil {
				break
			}
			idx, ok := proofs.index[leafKey{r.ID, en.Sequence}]
			if !ok || idx >= cp.Size {
				break
			}
			if l := proofs.leaves[idx]; l.Hash != en.Hash {
				return fmt.Errorf("release: audit pack: %w", anchoredMismatch(r.ID, h, l, cp.Size))
			}
			proof, err := tlog.ProveRecord(cp.Size, idx, proofs.tree)
			if err != nil {
				return fmt.Errorf("release: audit pack: proof of %s/%d: %w", r.ID, en.Sequence, err)
			}
			pr.leaves[i], pr.proofs[i] = &idx, proof
		}
		p.releases = append(p.releases, pr)
	}
	var b bytes.Buffer
	if err := p.write(&b); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	_, err = w.Write(b.Bytes())
	return err
}

type proofSource struct {
	tree   *memTree
	index  map[leafKey]int64
	leaves []CheckpointLeaf
}

// pack is an audit pack in memory: what AuditPack writes and VerifyAuditPack reads.
type pack struct {
	header     packRecord
	checkpoint *Checkpoint
	releases   []packRelease
	lockdowns  []LockdownEntry
}

type packRelease struct {
	release Release
	entries []AuditEntry
	leaves  []*int64
	proofs  [][]tlog.Hash
	derived []packRecord
}

func (p *pack) write(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	put := func(r packRecord) error { return enc.Encode(r) }
	if err := put(p.header); err != nil {
		return err
	}
	if p.checkpoint != nil {
		if err := put(packRecord{Type: "checkpoint", Checkpoint: p.checkpoint}); err != nil {
			return err
		}
	}
	for _, pr := range p.releases {
		if err := put(packRecord{Type: "release", Release: &pr.release}); err != nil {
			return err
		}
		for i := range pr.entries {
			if err := put(packRecord{Type: "entry", Entry: &pr.entries[i], Leaf: pr.leaves[i], Proof: pr.proofs[i]}); err != nil {
				return err
			}
		}
		for _, d := range derive(pr.release.ID, pr.entries) {
			if err := put(d); err != nil {
				return err
			}
		}
	}
	for i := range p.lockdowns {
		if err := put(packRecord{Type: "lockdown", Lockdown: &p.lockdowns[i]}); err != nil {
			return err
		}
	}
	return put(packRecord{Type: "summary", Markdown: p.summary()})
}

// derive lists the decision, waiver and override records of a history.
func derive(id ID, h []AuditEntry) []packRecord {
	var out []packRecord
	for _, en := range h {
		ref := id
		if en.Evidence != nil {
			out = append(out, packRecord{Type: "evidence", ReleaseID: &ref, Sequence: en.Sequence, Evidence: en.Evidence.Clone()})
		}
		if raw, ok := en.Annotations["gates"]; ok {
			out = append(out, packRecord{Type: "decision", ReleaseID: &ref, Sequence: en.Sequence, Decision: raw})
			var d gate.Decision
			if json.Unmarshal(raw, &d) == nil {
				for _, res := range d.Results {
					if res.Waived != nil {
						out = append(out, packRecord{Type: "waiver", ReleaseID: &ref, Sequence: en.Sequence, Waiver: res.Waived})
					}
				}
			}
		}
		if raw, ok := en.Annotations["calendar"]; ok && bytes.Contains(raw, []byte(`"override"`)) {
			out = append(out, packRecord{Type: "override", ReleaseID: &ref, Sequence: en.Sequence, Override: raw})
		}
	}
	return out
}

// summary is the Markdown for the reviewer.
func (p *pack) summary() string {
	var b strings.Builder
	pf := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	h := p.header
	env := h.Environment
	if env == "*" {
		env = "every environment"
	}
	pf("# Change audit: %s, %s to %s\n\n", env, utc(*h.From), utc(*h.To))
	entries, anchored := 0, 0
	for _, pr := range p.releases {
		entries += len(pr.entries)
		for _, l := range pr.leaves {
			if l != nil {
				anchored++
			}
		}
	}
	pf("%d changes, %d history entries. ", len(p.releases), entries)
	if p.checkpoint == nil {
		pf("No checkpoint anchors this record: it is only as trustworthy as the database it came from.\n\n")
	} else {
		pf("%d of the entries are anchored by the signed checkpoint %s (tree size %d, signed %s UTC); each carries its inclusion proof.\n\n",
			anchored, oneLine(p.checkpoint.Origin), p.checkpoint.Size, utc(p.checkpoint.Time))
	}
	if len(p.releases) == 0 {
		pf("No change in this period.\n")
		return b.String()
	}
	pf("| # | Change | Class | State | Requested by | Approved before the deploy | Separation of duties | Gates | Overrides |\n|---|---|---|---|---|---|---|---|---|\n")
	var exceptions []string
	for i, pr := range p.releases {
		s := sodOf(pr.release, pr.entries)
		pf("| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", ref(i), cell(label(pr.release)), pr.release.Class, pr.release.State,
			cell(pr.release.Author), cell(strings.Join(s.approvers, ", ")), cell(s.verdict), cell(s.gates), cell(strings.Join(s.overrides, "; ")))
		if pr.release.Class == change.Emergency || len(s.overrides) > 0 || s.waivers > 0 {
			review := "no post-implementation review recorded"
			if pr.release.Review != nil {
				review = "reviewed: " + oneLine(pr.release.Review.Outcome)
			}
			what := []string{}
			if pr.release.Class == change.Emergency {
				what = append(what, "emergency change")
			}
			if len(s.overrides) > 0 {
				what = append(what, "calendar overridden")
			}
			if s.waivers > 0 {
				what = append(what, fmt.Sprintf("gate failures waived: %d", s.waivers))
			}
			exceptions = append(exceptions, fmt.Sprintf("- %s %s: %s; %s.\n", ref(i), oneLine(label(pr.release)), strings.Join(what, ", "), review))
		}
	}
	pf("\n## Emergency changes, overrides and waivers\n\n")
	if len(exceptions) == 0 {
		pf("None.\n")
	}
	for _, x := range exceptions {
		pf("%s", x)
	}
	p.lockdownSummary(pf)
	return b.String()
}

// lockdownSummary lists the runtime lockdowns and freezes that overlap the period,
// when the pack carries a lockdown history.
func (p *pack) lockdownSummary(pf func(format string, args ...any)) {
	if len(p.lockdowns) == 0 {
		return
	}
	pf("\n## Lockdowns and freezes declared at runtime\n\n")
	last := lockdownsOf(p.lockdowns)
	n := 0
	for _, en := range p.lockdowns {
		l := last[en.Lockdown.ID]
		if en.Event != EventDeclare || !l.From.Before(*p.header.To) || !l.end().IsZero() && !l.end().After(*p.header.From) {
			continue
		}
		n++
		pf("- %s", oneLine(l.describe()))
		if !l.LiftedAt.IsZero() {
			pf("; lifted by %s at %s UTC: %s", oneLine(l.LiftedBy.ID), utc(l.LiftedAt), oneLine(l.LiftReason))
		}
		pf(".\n")
	}
	if n == 0 {
		pf("None in this period.\n")
	}
	pf("\nThe lockdown history (%d entries) is in the pack and its chain verifies.\n", len(p.lockdowns))
}

type sod struct {
	approvers []string
	verdict   string
	gates     string
	overrides []string
	waivers   int
}

// sodOf reads a history for the summary: who approved before the first start, and
// whether separation of duties held (a person other than the requester approved).
func sodOf(r Release, h []AuditEntry) sod {
	var s sod
	started := false
	var last json.RawMessage
	for _, en := range h {
		switch {
		case en.Event == EventStart:
			started = true
		case en.Evidence != nil && en.Evidence.Kind == EvidenceApproval && !started:
			if !slices.Contains(s.approvers, en.Actor.ID) {
				s.approvers = append(s.approvers, en.Actor.ID)
			}
		case en.Event == EventApprove && !started:
			who := en.Actor.ID
			if en.Actor.Kind == ActorAutomation {
				who += " (automation)"
			}
			if !slices.Contains(s.approvers, who) {
				s.approvers = append(s.approvers, who)
			}
			if raw, ok := en.Annotations["gates"]; ok {
				last = raw
			}
		}
		if raw, ok := en.Annotations["calendar"]; ok && bytes.Contains(raw, []byte(`"override"`)) {
			var o struct {
				Override string `json:"override"`
				By       string `json:"by"`
			}
			_ = json.Unmarshal(raw, &o)
			s.overrides = append(s.overrides, fmt.Sprintf("%s by %s", o.Override, o.By))
		}
	}
	person := false
	for _, en := range h {
		approval := en.Event == EventApprove || en.Evidence != nil && en.Evidence.Kind == EvidenceApproval
		if approval && en.Actor.Kind == ActorPerson && !SamePerson(en.Actor.ID, r.Author) {
			person = true
		}
	}
	switch {
	case !started && len(s.approvers) == 0:
		s.verdict = "not deployed"
	case len(s.approvers) == 0:
		s.verdict = "NO: deployed without an approval"
	case person:
		s.verdict = "held"
	default:
		s.verdict = "NO: approved only by the requester or an automation"
	}
	s.gates = "none recorded"
	if last != nil {
		var d gate.Decision
		if err := json.Unmarshal(last, &d); err == nil {
			s.gates = "No-Go"
			if d.Go {
				s.gates = "Go"
			}
			s.gates += fmt.Sprintf(" (%d gates", len(d.Results))
			for _, res := range d.Results {
				if res.Waived != nil {
					s.waivers++
				}
			}
			if s.waivers > 0 {
				s.gates += fmt.Sprintf(", %d waived", s.waivers)
			}
			s.gates += ")"
		}
	}
	return s
}

// AuditPackInfo is what [VerifyAuditPack] found in a pack that verifies.
type AuditPackInfo struct {
	Releases, Entries int
	// Anchored counts the entries whose inclusion proof verifies against
	// Checkpoint; the others were committed after it (their chain verifies).
	Anchored   int
	Checkpoint *Checkpoint
	// Summary is the pack's Markdown summary (equal to the one derived again from
	// the verified entries).
	Summary string
}

// VerifyAuditPack checks an audit pack offline, with the checkpoints' public key:
// the checkpoint's signature; every release's history (sequence, lifecycle, hashes,
// chain) up to its head; every inclusion proof against the checkpoint; that the
// decision, waiver, override and summary records are the ones the entries give.
// With published (the checkpoints as published, leaves included; may be nil), it
// also checks that the pack's checkpoint is one of them and that the pack holds
// every anchored entry of each of its releases, unchanged: without them, a pack that
// leaves out a release's last anchored entries, or presents them as unanchored, is
// not detected (docs/AUDIT.md).
//
// The first break is returned: a *HistoryError naming the release and entry, a
// *CheckpointError, or a *CorruptError for a line that does not parse; each matches
// ErrTampered or ErrCorrupt.
func VerifyAuditPack(r io.Reader, key note.Verifier, published []Checkpoint) (AuditPackInfo, error) {
	var info AuditPackInfo
	if key == nil {
		return info, &ValidationError{What: "audit pack verification", Problems: []string{"the public key is nil"}}
	}
	p, summary, err := readPack(r)
	if err != nil {
		return info, err
	}
	if cp := p.checkpoint; cp != nil {
		if err := verifyNote(*cp, key); err != nil {
			return info, err
		}
		info.Checkpoint = cp
	}
	var anchored *anchors
	if published != nil {
		if anchored, err = openCheckpoints(key, published); err != nil {
			return info, err
		}
		if p.checkpoint != nil && !slices.ContainsFunc(published, func(c Checkpoint) bool { return c.Note == p.checkpoint.Note }) {
			return info, &CheckpointError{Size: p.checkpoint.Size, Reason: "the pack's checkpoint is not one of the published checkpoints"}
		}
	}
	for _, pr := range p.releases {
		id := pr.release.ID
		if err := verifyStored(pr.release, pr.entries); err != nil {
			return info, err
		}
		proven := true
		for i, en := range pr.entries {
			if pr.leaves[i] == nil {
				proven = false
				continue
			}
			bad := func(why string) error {
				return &HistoryError{ID: id, Index: i, Sequence: en.Sequence, Reason: why}
			}
			switch {
			case p.checkpoint == nil:
				return info, bad("carries an inclusion proof but the pack has no checkpoint")
			case !proven:
				return info, bad("carries an inclusion proof but an earlier entry does not: checkpoints anchor a prefix of each history")
			}
			leaf := CheckpointLeaf{Release: id, Sequence: en.Sequence, Hash: en.Hash}
			if err := tlog.CheckRecord(pr.proofs[i], p.checkpoint.Size, p.checkpoint.Root, *pr.leaves[i], tlog.RecordHash(leaf.data())); err != nil {
				return info, bad(fmt.Sprintf("is not the entry the checkpoint (tree size %d) anchors at leaf %d: %v", p.checkpoint.Size, *pr.leaves[i], err))
			}
			info.Anchored++
		}
		if anchored != nil {
			if err := anchored.check(id, pr.entries); err != nil {
				return info, err
			}
		}
		got, _ := json.Marshal(pr.derived)
		want, _ := json.Marshal(derive(id, pr.entries))
		if !bytes.Equal(got, want) {
			return info, &HistoryError{ID: id, Index: 0, Sequence: 1, Reason: "the pack's decision, waiver or override records are not the ones its entries record"}
		}
		info.Releases++
		info.Entries += len(pr.entries)
	}
	if err := VerifyLockdownHistory(p.lockdowns); err != nil {
		return info, err
	}
	if want := p.summary(); summary != want {
		return info, &CorruptError{What: "audit pack", Reason: "the summary is not the one the verified entries give"}
	}
	info.Summary = summary
	return info, nil
}

// verifyNote checks a checkpoint's signature with key and that its signed text says
// what its fields say.
func verifyNote(cp Checkpoint, key note.Verifier) error {
	n, err := note.Open([]byte(cp.Note), note.VerifierList(key))
	if err != nil {
		return &CheckpointError{Size: cp.Size, Reason: fmt.Sprintf("its note does not verify with the key %s: %v", key.Name(), err)}
	}
	origin, size, root, err := parseCheckpointText(n.Text)
	if err != nil {
		return &CheckpointError{Size: cp.Size, Reason: "its note: " + err.Error()}
	}
	if origin != cp.Origin || size != cp.Size || root != cp.Root {
		return &CheckpointError{Size: cp.Size, Reason: fmt.Sprintf("its signed note says %q, size %d, root %s", origin, size, root)}
	}
	return nil
}

// readPack parses a pack's lines into a pack, checking their order: a header, at
// most one checkpoint, releases each followed by their entries and derived records,
// a summary last.
func readPack(r io.Reader) (*pack, string, error) {
	p := &pack{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 256<<20)
	line := 0
	bad := func(format string, args ...any) error {
		return &CorruptError{What: "audit pack", Reason: fmt.Sprintf("line %d: ", line) + fmt.Sprintf(format, args...)}
	}
	var summary *string
	for sc.Scan() {
		line++
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		if summary != nil {
			return nil, "", bad("a line after the summary")
		}
		var rec packRecord
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&rec); err != nil {
			return nil, "", bad("%v", err)
		}
		if line > 1 && p.header.Type == "" || line == 1 && rec.Type != "header" {
			return nil, "", bad("the pack does not start with its header")
		}
		cur := func() *packRelease {
			if len(p.releases) == 0 {
				return nil
			}
			return &p.releases[len(p.releases)-1]
		}
		switch rec.Type {
		case "header":
			if p.header.Type != "" || rec.Format != packFormat || rec.From == nil || rec.To == nil || rec.Generated == nil {
				return nil, "", bad("a header that is not a %s header, or a second one", packFormat)
			}
			p.header = rec
		case "checkpoint":
			if p.checkpoint != nil || len(p.releases) > 0 || rec.Checkpoint == nil {
				return nil, "", bad("a checkpoint out of place")
			}
			p.checkpoint = rec.Checkpoint
		case "release":
			if rec.Release == nil || len(p.lockdowns) > 0 {
				return nil, "", bad("a release record without its release")
			}
			p.releases = append(p.releases, packRelease{release: *rec.Release})
		case "entry":
			c := cur()
			if c == nil || rec.Entry == nil || len(c.derived) > 0 || len(p.lockdowns) > 0 {
				return nil, "", bad("an entry out of place")
			}
			if rec.Entry.ReleaseID != c.release.ID {
				return nil, "", &HistoryError{ID: c.release.ID, Index: len(c.entries), Sequence: int64(len(c.entries) + 1), Reason: fmt.Sprintf("the pack lists an entry of release %s under it", rec.Entry.ReleaseID)}
			}
			if rec.Leaf == nil && len(rec.Proof) > 0 {
				return nil, "", bad("an entry with a proof but no leaf index")
			}
			c.entries = append(c.entries, *rec.Entry)
			c.leaves = append(c.leaves, rec.Leaf)
			c.proofs = append(c.proofs, rec.Proof)
		case "decision", "waiver", "override", "evidence":
			c := cur()
			if c == nil || rec.ReleaseID == nil || *rec.ReleaseID != c.release.ID {
				return nil, "", bad("a %s record out of place", rec.Type)
			}
			c.derived = append(c.derived, rec)
		case "lockdown":
			if rec.Lockdown == nil {
				return nil, "", bad("a lockdown record without its entry")
			}
			p.lockdowns = append(p.lockdowns, *rec.Lockdown)
		case "summary":
			s := rec.Markdown
			summary = &s
		default:
			return nil, "", bad("unknown record type %q", rec.Type)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, "", err
	}
	if p.header.Type == "" {
		return nil, "", &CorruptError{What: "audit pack", Reason: "it is empty"}
	}
	if summary == nil {
		return nil, "", &CorruptError{What: "audit pack", Reason: "it has no summary: it was cut short"}
	}
	return p, *summary, nil
}
