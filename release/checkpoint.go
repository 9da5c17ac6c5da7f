package release

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Checkpoint is a signed tree head: a commitment, made with a key the database never
// holds, to every history entry committed up to it. The tree is a Merkle tree
// (RFC 6962 hashing, golang.org/x/mod/sumdb/tlog) with one leaf per committed history
// entry, in the order checkpoints first covered them; Leaves are the leaves this
// checkpoint added after the previous one. Note is the checkpoint in the C2SP
// signed-note format (c2sp.org/tlog-checkpoint): the origin, the tree size and the
// root hash on three lines, then an Ed25519 signature line.
//
// A checkpoint encodes as one JSON object; a file of them, one per line, is what
// [ReadCheckpoints] reads and what a [CheckpointSink] publishes.
type Checkpoint struct {
	Origin string    `json:"origin"`
	Size   int64     `json:"size"`
	Root   tlog.Hash `json:"root"`
	// Time is when the engine signed it, by its clock. It is not signed: it says
	// when, not what.
	Time time.Time `json:"time"`
	// Note is the signed note text.
	Note string `json:"note"`
	// Leaves are the leaves with indexes Size-len(Leaves) … Size-1. An audit pack
	// leaves them out: its entries carry inclusion proofs instead.
	Leaves []CheckpointLeaf `json:"leaves,omitempty"`
}

// CheckpointLeaf is one leaf of the checkpoint tree: a committed history entry,
// named by its release and sequence, and the entry's hash. Its tree hash is
// tlog.RecordHash over the line "<release id> <sequence> <entry hash>\n".
type CheckpointLeaf struct {
	Release  ID     `json:"release"`
	Sequence int64  `json:"sequence"`
	Hash     string `json:"hash"`
}

func (l CheckpointLeaf) data() []byte {
	return []byte(l.Release.String() + " " + strconv.FormatInt(l.Sequence, 10) + " " + l.Hash + "\n")
}

// CheckpointSink publishes checkpoints outside the engine's database: a file on
// another machine, object storage with a retention lock, a transparency log, a
// webhook. The engine calls it after commits, never on the commit path: a failing
// sink delays checkpoints (the engine logs it and retries at the next trigger) and
// never blocks or undoes a transition.
type CheckpointSink interface {
	// Publish appends c to the published checkpoints. c extends the latest one: its
	// first leaf has index c.Size-len(c.Leaves), which must equal the latest
	// published Size (0 when none is). When it does not (another process published
	// first), Publish changes nothing and returns an error matching ErrStale; the
	// engine then reads the published checkpoints again and builds on them.
	Publish(ctx context.Context, c Checkpoint) error
	// Checkpoints returns every published checkpoint, leaves included, oldest first;
	// none is an empty slice and a nil error. The engine reads them once when it
	// starts checkpointing and again after a conflict: the published checkpoints, not
	// the database, are the tree's state.
	Checkpoints(ctx context.Context) ([]Checkpoint, error)
}

// CheckpointOption tunes [WithCheckpoints].
type CheckpointOption func(*checkpointer) error

// CheckpointEvery makes the engine sign a checkpoint once n entries were committed
// since the last one (default 100). 0 turns the count off (then only the interval
// triggers).
func CheckpointEvery(n int) CheckpointOption {
	return func(c *checkpointer) error {
		if n < 0 {
			return &ValidationError{What: "checkpoint options", Problems: []string{fmt.Sprintf("CheckpointEvery(%d): the count cannot be negative", n)}}
		}
		c.every = int64(n)
		return nil
	}
}

// CheckpointInterval makes the engine sign a checkpoint at most d after a commit
// that no checkpoint covers yet (default one minute), so the last commits before a
// quiet spell are anchored too. 0 turns the timer off.
func CheckpointInterval(d time.Duration) CheckpointOption {
	return func(c *checkpointer) error {
		if d < 0 {
			return &ValidationError{What: "checkpoint options", Problems: []string{fmt.Sprintf("CheckpointInterval(%v): the interval cannot be negative", d)}}
		}
		c.interval = d
		return nil
	}
}

// WithCheckpoints anchors the audit outside the database. After commits (every
// [CheckpointEvery] entries, and at most [CheckpointInterval] after an unanchored
// commit) the engine, in the background, reads the entries committed since the last
// checkpoint from the store, checks that they chain onto what was anchored, adds one
// leaf per entry to the tree, signs a [Checkpoint] with signer (an Ed25519
// golang.org/x/mod/sumdb/note signer; its name is the checkpoint's origin) and hands
// it to sink. [Engine.Checkpoint] signs one now (at shutdown, or from a host's
// timer). [VerifyCheckpoints] and audit packs check the store against the published
// checkpoints with the public key alone; docs/AUDIT.md has the threat model.
//
// Each checkpoint reads only the releases this engine committed to since the last
// one, so its cost does not grow with the store; the first checkpoint after the
// engine starts reads every release, so entries committed by an engine that stopped
// before anchoring them are anchored then. Several engines over one store (replicas)
// may each checkpoint, with the same signer and sink: the sink's compare-and-swap
// keeps one tree, and an engine whose publish conflicts reads what the others
// published and builds on it.
func WithCheckpoints(signer note.Signer, sink CheckpointSink, opts ...CheckpointOption) Option {
	return func(e *Engine) error {
		var p []string
		if signer == nil {
			p = append(p, "WithCheckpoints: the signer is nil (note.NewSigner with an Ed25519 key from note.GenerateKey)")
		}
		if sink == nil {
			p = append(p, "WithCheckpoints: the sink is nil (a CheckpointSink such as adapters/checkpointfile)")
		}
		if len(p) > 0 {
			return &ValidationError{What: "engine options", Problems: p}
		}
		c := &checkpointer{signer: signer, sink: sink, every: 100, interval: time.Minute, origin: signer.Name(), dirty: map[ID]struct{}{}}
		for _, opt := range opts {
			if opt == nil {
				continue
			}
			if err := opt(c); err != nil {
				return err
			}
		}
		e.checkpoints = c
		return nil
	}
}

// Checkpoint signs and publishes a checkpoint covering every entry committed so far,
// and returns it. When no entry was committed since the last checkpoint it returns
// the last one without signing again. It waits for a checkpoint the engine is
// signing in the background. Without [WithCheckpoints] it returns an error matching
// ErrInvalid.
//
// A release whose history no longer verifies, or no longer starts with what earlier
// checkpoints anchored, is not anchored further: Checkpoint returns the checkpoint
// over the other releases together with a *[HistoryError] (ErrTampered) for each
// such release, and the background checkpoints log them, at every checkpoint, until
// the history is restored.
func (e *Engine) Checkpoint(ctx context.Context) (Checkpoint, error) {
	c := e.checkpoints
	if c == nil {
		return Checkpoint{}, &ValidationError{What: "checkpoint", Problems: []string{"the engine has no WithCheckpoints option"}}
	}
	c.run.Lock()
	defer c.run.Unlock()
	return c.once(ctx, e)
}

// checkpointer holds the tree, rebuilt from the published checkpoints, and the
// trigger state. Everything but pending and armed is guarded by run, which one
// checkpoint holds from reading the store to publishing.
type checkpointer struct {
	signer   note.Signer
	sink     CheckpointSink
	every    int64
	interval time.Duration
	origin   string

	pending atomic.Int64 // commits since the last checkpoint
	armed   atomic.Bool  // an interval timer is pending
	dirtyMu sync.Mutex
	dirty   map[ID]struct{} // releases this engine committed to since the last checkpoint
	run     sync.Mutex

	// scan makes the next checkpoint read every release, not only the dirty ones:
	// after a (re)load, so that entries committed by an engine that stopped before
	// checkpointing them are anchored by the next one to start.
	scan bool

	loaded  bool
	tree    memTree
	leaves  []CheckpointLeaf
	index   map[leafKey]int64 // leaf index of each anchored entry
	covered map[ID]int64      // anchored entries per release
	latest  *Checkpoint       // without leaves
}

type leafKey struct {
	id  ID
	seq int64
}

// committed is called after every commit; it starts a checkpoint when one is due.
func (c *checkpointer) committed(e *Engine, id ID) {
	c.dirtyMu.Lock()
	c.dirty[id] = struct{}{}
	c.dirtyMu.Unlock()
	n := c.pending.Add(1)
	if c.every > 0 && n >= c.every {
		c.start(e)
		return
	}
	c.arm(e)
}

func (c *checkpointer) arm(e *Engine) {
	if c.interval > 0 && c.armed.CompareAndSwap(false, true) {
		time.AfterFunc(c.interval, func() {
			c.armed.Store(false)
			c.start(e)
		})
	}
}

// backgroundTimeout bounds a checkpoint signed in the background, so that a sink
// that hangs delays checkpoints (retried at the next trigger) instead of stopping them.
const backgroundTimeout = time.Minute

// start signs a checkpoint in the background unless one is being signed (that one,
// or the next trigger, covers the commit).
func (c *checkpointer) start(e *Engine) {
	if !c.run.TryLock() {
		return
	}
	go func() {
		defer c.run.Unlock()
		for {
			ctx, cancel := context.WithTimeout(context.Background(), backgroundTimeout)
			_, err := c.once(ctx, e)
			cancel()
			if err != nil {
				e.log.LogAttrs(context.Background(), slog.LevelError, "release checkpoint failed or left releases out; the next commit or the interval tries again",
					slog.Any("error", err))
				c.arm(e)
				return
			}
			if n := c.pending.Load(); c.every == 0 || n < c.every {
				if n > 0 {
					c.arm(e)
				}
				return
			}
		}
	}()
}

// once signs and publishes one checkpoint; the caller holds run. After a conflict
// with another publisher it reloads and tries again, a few times.
func (c *checkpointer) once(ctx context.Context, e *Engine) (Checkpoint, error) {
	var err error
	for range 8 {
		var cp Checkpoint
		if cp, err = c.try(ctx, e); !errors.Is(err, ErrStale) {
			return cp, err
		}
		c.loaded = false
	}
	return Checkpoint{}, err
}

func (c *checkpointer) try(ctx context.Context, e *Engine) (Checkpoint, error) {
	if err := c.load(ctx); err != nil {
		return Checkpoint{}, err
	}
	seen := c.pending.Load()
	c.dirtyMu.Lock()
	dirty := c.dirty
	c.dirty = map[ID]struct{}{}
	c.dirtyMu.Unlock()
	news, broken, err := c.uncovered(ctx, e.store, dirty)
	if err != nil {
		c.redirty(dirty)
		return Checkpoint{}, err
	}
	// A broken history is refused, reported, and checked again at every checkpoint;
	// the other releases are anchored all the same, so that breaking one release does
	// not stop the audit of the rest.
	c.redirty(broken.ids)
	if len(news) == 0 {
		c.scan = false
		c.pending.Add(-seen)
		if c.latest == nil {
			return Checkpoint{}, broken.err() // nothing (sound) committed yet: nothing to sign
		}
		return *c.latest, broken.err()
	}
	base := c.tree.n
	for _, l := range news {
		if err := c.tree.append(l); err != nil {
			c.tree.truncate(base)
			c.redirty(dirty)
			return Checkpoint{}, err
		}
	}
	cp, err := c.sign(e.now())
	if err != nil {
		c.tree.truncate(base)
		c.redirty(dirty)
		return Checkpoint{}, err
	}
	cp.Leaves = news
	if err := c.sink.Publish(ctx, cp); err != nil {
		c.tree.truncate(base)
		c.redirty(dirty)
		return Checkpoint{}, fmt.Errorf("release: checkpoint %d: publish: %w", cp.Size, err)
	}
	c.scan = false
	c.adopt(news)
	cp.Leaves = nil
	c.latest = &cp
	c.pending.Add(-seen)
	return cp, broken.err()
}

// refused lists the releases whose histories a checkpoint refused to anchor.
type refused struct {
	ids  map[ID]struct{}
	errs []error
}

func (r *refused) add(id ID, err error) {
	if r.ids == nil {
		r.ids = map[ID]struct{}{}
	}
	r.ids[id] = struct{}{}
	r.errs = append(r.errs, err)
}

func (r refused) err() error {
	if len(r.errs) == 0 {
		return nil
	}
	return fmt.Errorf("release: checkpoint refused to anchor %d releases whose history is broken: %w", len(r.errs), errors.Join(r.errs...))
}

// adopt records leaves already appended to the tree.
func (c *checkpointer) adopt(ls []CheckpointLeaf) {
	for _, l := range ls {
		c.index[leafKey{l.Release, l.Sequence}] = int64(len(c.leaves))
		c.leaves = append(c.leaves, l)
		c.covered[l.Release] = l.Sequence
	}
}

// load rebuilds the tree from the published checkpoints when it is not loaded. It
// checks them as it goes (leaves that continue each release's sequence, roots that
// match, notes signed by this engine's key), so a damaged publication stops
// checkpointing instead of being extended.
func (c *checkpointer) load(ctx context.Context) error {
	if c.loaded {
		return nil
	}
	cps, err := c.sink.Checkpoints(ctx)
	if err != nil {
		return fmt.Errorf("release: checkpoint: read the published checkpoints: %w", err)
	}
	c.tree, c.leaves, c.latest = memTree{}, nil, nil
	c.index, c.covered = map[leafKey]int64{}, map[ID]int64{}
	for i, cp := range cps {
		if err := checkPublished(&c.tree, c.covered, cp, i, nil); err != nil {
			return err
		}
		if err := c.ownSignature(cp); err != nil {
			return err
		}
		c.adopt(cp.Leaves)
		cp.Leaves = nil
		c.latest = &cp
	}
	c.loaded, c.scan = true, true
	return nil
}

// ownSignature checks that cp was signed by this engine's signer: Ed25519 signatures
// are deterministic, so signing the text again gives the same note.
func (c *checkpointer) ownSignature(cp Checkpoint) error {
	n := &note.Note{Text: checkpointText(cp.Origin, cp.Size, cp.Root)}
	b, err := note.Sign(n, c.signer)
	if err != nil {
		return fmt.Errorf("release: checkpoint: sign: %w", err)
	}
	if string(b) != cp.Note {
		return &CheckpointError{Size: cp.Size, Reason: "its note is not signed by this engine's key " + c.signer.Name()}
	}
	return nil
}

// redirty puts back the releases of a checkpoint that failed.
func (c *checkpointer) redirty(ids map[ID]struct{}) {
	c.dirtyMu.Lock()
	defer c.dirtyMu.Unlock()
	for id := range ids {
		c.dirty[id] = struct{}{}
	}
}

// uncovered lists the entries no checkpoint covers, in release-ID then sequence
// order, after checking that each release's history verifies and still holds the
// anchored entries: the engine never anchors a history that was already rewritten
// (those releases are returned as refused). It reads the dirty releases, or every
// release when c.scan is set.
func (c *checkpointer) uncovered(ctx context.Context, s Store, dirty map[ID]struct{}) ([]CheckpointLeaf, refused, error) {
	var out []CheckpointLeaf
	var bad refused
	add := func(r Release) error {
		have := c.covered[r.ID]
		if r.Revision <= have {
			return nil
		}
		h, err := s.History(ctx, r.ID)
		if err != nil {
			return fmt.Errorf("release: checkpoint: history of %s: %w", r.ID, err)
		}
		// The release and its history are read one after the other: a commit in
		// between makes the history run past the head that was read. Read both
		// again while the release keeps moving; a history that runs past a head
		// that stays put was appended to behind the engine's back.
		settled := int64(len(h)) <= r.Revision
		for tries := 0; !settled && tries < 3; tries++ {
			again, err := s.Get(ctx, r.ID)
			if err != nil {
				return fmt.Errorf("release: checkpoint: read %s: %w", r.ID, err)
			}
			if again.Revision == r.Revision {
				settled = true
				break
			}
			r = again
			if h, err = s.History(ctx, r.ID); err != nil {
				return fmt.Errorf("release: checkpoint: history of %s: %w", r.ID, err)
			}
			settled = int64(len(h)) <= r.Revision
		}
		if !settled {
			// Still moving after every read: anchor the history up to the head that
			// was read when it holds that head, and leave the rest to the next
			// checkpoint, which reads the release again. Not tampered either way.
			c.redirty(map[ID]struct{}{r.ID: {}})
			if r.Revision < 1 || h[r.Revision-1].Hash != r.Head {
				return nil
			}
			h = h[:r.Revision]
		}
		if err := c.extends(r, h); err != nil {
			bad.add(r.ID, err)
			return nil
		}
		for _, en := range h[have:] {
			out = append(out, CheckpointLeaf{Release: r.ID, Sequence: en.Sequence, Hash: en.Hash})
		}
		return nil
	}
	if !c.scan {
		for _, id := range slices.SortedFunc(maps.Keys(dirty), ID.Compare) {
			r, err := s.Get(ctx, id)
			if err != nil {
				return nil, bad, fmt.Errorf("release: checkpoint: read %s: %w", id, err)
			}
			if err := add(r); err != nil {
				return nil, bad, err
			}
		}
	}
	f := Filter{Limit: 1000}
	for c.scan {
		page, err := s.List(ctx, f)
		if err != nil {
			return nil, bad, fmt.Errorf("release: checkpoint: list releases: %w", err)
		}
		for _, r := range page {
			if err := add(r); err != nil {
				return nil, bad, err
			}
		}
		if len(page) < f.Limit {
			break
		}
		f.After = page[len(page)-1].ID
	}
	return out, bad, nil
}

// extends checks that h starts with the entries already anchored (their hashes)
// and that the entries after them verify and chain onto them up to the release's
// head. It recomputes the hashes of the new entries only, so a checkpoint costs what
// was committed since the last one; [VerifyCheckpoints] checks everything.
func (c *checkpointer) extends(r Release, h []AuditEntry) error {
	have := c.covered[r.ID]
	for seq := int64(1); seq <= have; seq++ {
		l := c.leaves[c.index[leafKey{r.ID, seq}]]
		if int64(len(h)) < seq || h[seq-1].Hash != l.Hash {
			return anchoredMismatch(r.ID, h, l, c.latestSize())
		}
	}
	if have == 0 {
		return VerifyHistory(h, r.Head)
	}
	bad := func(i int, format string, args ...any) error {
		return &HistoryError{ID: r.ID, Index: i, Sequence: int64(i + 1), Reason: fmt.Sprintf(format, args...)}
	}
	for i := int(have); i < len(h); i++ {
		e, prev := h[i], h[i-1]
		switch {
		case e.ReleaseID != r.ID:
			return bad(i, "belongs to release %s", e.ReleaseID)
		case e.Sequence != int64(i+1):
			return bad(i, "has sequence %d (an entry was removed, inserted or moved)", e.Sequence)
		case e.Event == EventCreate:
			return bad(i, "a second %s entry", EventCreate)
		case e.From != prev.To:
			return bad(i, "starts from %s but the previous entry ended in %s", e.From, prev.To)
		case e.PrevHash != prev.Hash:
			return bad(i, "does not chain to the entry before it")
		}
		if err := e.check(); err != nil {
			return bad(i, "%v", err)
		}
	}
	if last := h[len(h)-1].Hash; last != r.Head {
		return bad(len(h), "is missing: the last entry is not the release's head")
	}
	return nil
}

func (c *checkpointer) latestSize() int64 {
	if c.latest == nil {
		return 0
	}
	return c.latest.Size
}

func (c *checkpointer) sign(now time.Time) (Checkpoint, error) {
	root, err := c.tree.root(c.tree.n)
	if err != nil {
		return Checkpoint{}, err
	}
	text := checkpointText(c.origin, c.tree.n, root)
	msg, err := note.Sign(&note.Note{Text: text}, c.signer)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("release: checkpoint: sign: %w", err)
	}
	return Checkpoint{Origin: c.origin, Size: c.tree.n, Root: root, Time: now, Note: string(msg)}, nil
}

// checkpointText is the body of a C2SP checkpoint: origin, tree size, root hash.
func checkpointText(origin string, size int64, root tlog.Hash) string {
	return origin + "\n" + strconv.FormatInt(size, 10) + "\n" + base64.StdEncoding.EncodeToString(root[:]) + "\n"
}

// parseCheckpointText is the inverse of checkpointText; extension lines after the
// root are allowed and ignored, as c2sp.org/tlog-checkpoint says.
func parseCheckpointText(text string) (origin string, size int64, root tlog.Hash, err error) {
	lines := strings.SplitN(text, "\n", 4)
	if len(lines) < 4 || lines[0] == "" {
		return "", 0, root, errors.New("it is not origin, size and root hash on three lines")
	}
	size, err = strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 || lines[1] != strconv.FormatInt(size, 10) {
		return "", 0, root, fmt.Errorf("tree size %q is not a number", lines[1])
	}
	h, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(h) != tlog.HashSize {
		return "", 0, root, fmt.Errorf("root hash %q is not %d bytes of base64", lines[2], tlog.HashSize)
	}
	copy(root[:], h)
	return lines[0], size, root, nil
}

// checkPublished appends cp's leaves to t and checks cp against it: the leaves start
// where the tree ends, continue each release's sequence (covered is updated), and
// the root and the note's text match the tree. i numbers cp for messages.
func checkPublished(t *memTree, covered map[ID]int64, cp Checkpoint, i int, key note.Verifier) error {
	bad := func(format string, args ...any) error {
		return &CheckpointError{Size: cp.Size, Reason: fmt.Sprintf("checkpoint %d: ", i+1) + fmt.Sprintf(format, args...)}
	}
	if first := cp.Size - int64(len(cp.Leaves)); first != t.n {
		return bad("its leaves start at %d but the checkpoints before it end at %d", first, t.n)
	}
	for _, l := range cp.Leaves {
		if l.Sequence != covered[l.Release]+1 {
			return bad("leaf %s/%d does not follow %s/%d", l.Release, l.Sequence, l.Release, covered[l.Release])
		}
		covered[l.Release] = l.Sequence
		if err := t.append(l); err != nil {
			return err
		}
	}
	root, err := t.root(cp.Size)
	if err != nil {
		return err
	}
	if root != cp.Root {
		return bad("its root %s is not the tree hash of its leaves (%s)", cp.Root, root)
	}
	var keys note.Verifiers = note.VerifierList()
	if key != nil {
		keys = note.VerifierList(key)
	}
	n, err := note.Open([]byte(cp.Note), keys)
	var unverified *note.UnverifiedNoteError
	if key == nil && errors.As(err, &unverified) {
		n, err = unverified.Note, nil // parse only: the caller checks the signature
	}
	if err != nil {
		return bad("its note does not verify with the key %s: %v", keyName(key), err)
	}
	origin, size, nroot, err := parseCheckpointText(n.Text)
	if err != nil {
		return bad("its note: %v", err)
	}
	if origin != cp.Origin || size != cp.Size || nroot != cp.Root {
		return bad("its note says %q, size %d, root %s", origin, size, nroot)
	}
	return nil
}

// memTree is a tlog tree held in memory: the stored hashes in tlog's layout.
type memTree struct {
	hashes []tlog.Hash
	ends   []int // len(hashes) after each leaf, to truncate
	n      int64
}

// ReadHashes implements tlog.HashReader.
func (t *memTree) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(t.hashes)) {
			return nil, fmt.Errorf("release: checkpoint tree: hash %d not stored (%d are)", x, len(t.hashes))
		}
		out[i] = t.hashes[x]
	}
	return out, nil
}

func (t *memTree) append(l CheckpointLeaf) error {
	hs, err := tlog.StoredHashes(t.n, l.data(), t)
	if err != nil {
		return err
	}
	t.hashes = append(t.hashes, hs...)
	t.ends = append(t.ends, len(t.hashes))
	t.n++
	return nil
}

func (t *memTree) truncate(n int64) {
	if n == 0 {
		t.hashes, t.ends = t.hashes[:0], t.ends[:0]
	} else {
		t.hashes, t.ends = t.hashes[:t.ends[n-1]], t.ends[:n]
	}
	t.n = n
}

func (t *memTree) root(n int64) (tlog.Hash, error) {
	if n == 0 {
		return tlog.Hash{}, nil
	}
	return tlog.TreeHash(n, t)
}

// CheckpointError says that a published checkpoint cannot be trusted: its signature
// does not verify with the key, its leaves do not hash to its root, or it does not
// extend the checkpoint before it. It matches ErrTampered.
type CheckpointError struct {
	// Size is the checkpoint's tree size.
	Size   int64
	Reason string
}

func (e *CheckpointError) Error() string {
	return fmt.Sprintf("release: checkpoint of size %d: %s", e.Size, e.Reason)
}

// Unwrap returns [ErrTampered].
func (e *CheckpointError) Unwrap() error { return ErrTampered }

// anchoredMismatch names the first entry of h that differs from the anchored leaf l
// (or that is missing).
func anchoredMismatch(id ID, h []AuditEntry, l CheckpointLeaf, size int64) error {
	if int64(len(h)) < l.Sequence {
		return &HistoryError{ID: id, Index: len(h), Sequence: int64(len(h)) + 1,
			Reason: fmt.Sprintf("is missing, but the checkpoints (tree size %d) anchor %d entries of this release", size, l.Sequence)}
	}
	return &HistoryError{ID: id, Index: int(l.Sequence - 1), Sequence: l.Sequence,
		Reason: fmt.Sprintf("is not the entry the checkpoints (tree size %d) anchor: hash %s, anchored %s (rewritten after it was anchored)", size, h[l.Sequence-1].Hash, l.Hash)}
}

func keyName(k note.Verifier) string {
	if k == nil {
		return "(none)"
	}
	return k.Name()
}

// afterCommit tells the checkpointer, if any, about a commit. It never blocks.
func (e *Engine) afterCommit(id ID) {
	if e.checkpoints != nil {
		e.checkpoints.committed(e, id)
	}
}

// verifyStored checks a stored release and its history as Engine.VerifyAudit does.
func verifyStored(r Release, h []AuditEntry) error { return VerifyRelease(r, h) }
