package bolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	bbolt "go.etcd.io/bbolt"
	bberrors "go.etcd.io/bbolt/errors"

	"github.com/releasekit/releasekit/release"
)

// SchemaVersion is the version of the file layout this code writes. Open refuses a
// file with a newer version (*SchemaError) rather than misreading it, and upgrades a
// file with an older one in place (see the package documentation).
const SchemaVersion uint64 = 3

// Bucket and key names of the file layout (see the package documentation).
var (
	bucketMeta        = []byte("meta")
	bucketReleases    = []byte("releases")
	bucketHistory     = []byte("history")
	bucketOutbox      = []byte("outbox")
	bucketOutboxDue   = []byte("outbox_due")
	bucketBookings    = []byte("bookings")
	bucketBookingsEnv = []byte("bookings_by_env")
	bucketBookingSpan = []byte("bookings_span")
	bucketLockdowns   = []byte("lockdowns")
	keySchema         = []byte("schema")

	allBuckets = [][]byte{bucketMeta, bucketReleases, bucketHistory, bucketOutbox, bucketOutboxDue, bucketBookings, bucketBookingsEnv, bucketBookingSpan, bucketIndex, bucketLockdowns}
	// schema1Buckets are the buckets every file of schema 1 has.
	schema1Buckets = [][]byte{bucketMeta, bucketReleases, bucketHistory, bucketOutbox, bucketOutboxDue, bucketBookings, bucketBookingsEnv}
)

// DefaultTimeout is how long Open waits for the file lock by default.
const DefaultTimeout = time.Second

// Store is a durable [release.Store] in one bbolt file. It also implements
// [release.Outbox] and [release.Booker]. It is safe for concurrent use by many
// goroutines of one process; bbolt serialises the writers. The zero value is not
// usable; call [Open].
type Store struct {
	db     *bbolt.DB
	path   string
	closed atomic.Bool
	// metaDamage, when not empty, says which meta page was damaged when the file was
	// opened (bbolt then opened it from the other one); Check reports it.
	metaDamage string

	// Group commit: writers queue their transaction functions; one of them (the
	// leader) runs everything queued so far in one bbolt transaction and one fsync,
	// then hands leadership to the first writer that queued meanwhile.
	mu      sync.Mutex
	leading bool
	queue   []*writeCall
	// lastBatch and lastCommit are the size and duration of the last commit; arrived
	// wakes a leader that waits for writers to queue (see leadBatch).
	lastBatch  int
	lastCommit time.Duration
	arrived    chan struct{}
	// clock times commits for the group-commit wait. It is the system clock: the
	// wait bounds real I/O, so a host's fake clock must not shorten or stretch it.
	clock release.Clock

	// known remembers the releases last written or read (see [known]).
	known knownSet
	// lastTx is the ID of the last write transaction this Store committed, and
	// epoch counts the write transactions it found another writer committed (see
	// [Store.own]): a known's history count holds only within the epoch it was
	// made in.
	lastTx atomic.Uint64
	epoch  atomic.Uint64
}

// maxBatch bounds how many writes share one transaction.
const maxBatch = 128

// maxBatchWait bounds how long a leader waits for the writers of the last batch to
// queue again before it commits.
const maxBatchWait = time.Millisecond

type writeCall struct {
	fn   func(tx *bbolt.Tx) error
	done chan error
	lead chan struct{}
}

// refusal marks an error a write function returns before it wrote anything (not
// found, conflict, slot taken, corrupt row…): its batch goes on without it.
type refusal struct{ err error }

func (r refusal) Error() string { return r.err.Error() }

// refuse marks err as a refusal; see [refusal].
func refuse(err error) error { return refusal{err} }

var (
	_ release.Store  = (*Store)(nil)
	_ release.Outbox = (*Store)(nil)
	_ release.Booker = (*Store)(nil)

	_ release.CapacityBooker = (*Store)(nil)
)

type options struct {
	timeout time.Duration
	noSync  bool
	mode    os.FileMode
}

// Option configures [Open].
type Option func(*options) error

// WithTimeout sets how long Open waits for the file's lock when another process holds
// it before it returns a *LockedError; the default is [DefaultTimeout]. It must be
// positive: bbolt would wait forever otherwise.
func WithTimeout(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 {
			return fmt.Errorf("%w: bolt open timeout %v is not positive; give a duration such as time.Second", release.ErrInvalid, d)
		}
		o.timeout = d
		return nil
	}
}

// WithNoSync turns off fsync after each commit. UNSAFE: a power loss or an operating
// system crash can then lose committed transitions or corrupt the file. A killed
// process loses nothing (the data is in the page cache), so it is for tests and
// benchmarks only, never for production.
func WithNoSync(noSync bool) Option {
	return func(o *options) error { o.noSync = noSync; return nil }
}

// WithFileMode sets the permissions of a newly created file; the default is 0600.
// The owner must be able to read and write.
func WithFileMode(m os.FileMode) Option {
	return func(o *options) error {
		if m&0o600 != 0o600 {
			return fmt.Errorf("%w: bolt file mode %v does not let the owner read and write", release.ErrInvalid, m)
		}
		o.mode = m
		return nil
	}
}

// Open opens (or creates) the store in the file at path. It takes bbolt's exclusive
// lock on the file: while one Store holds it, another Open of the same file (in this
// process or another) waits for the open timeout and then returns a *LockedError
// (ErrLocked). A file written by a newer schema is refused with a *SchemaError
// (ErrSchema). Close the Store to release the file.
func Open(path string, opts ...Option) (*Store, error) {
	o := options{timeout: DefaultTimeout, mode: 0o600}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	if path == "" {
		return nil, fmt.Errorf("%w: bolt.Open needs a file path", release.ErrInvalid)
	}
	metaDamage, err := checkFile(path)
	if err != nil {
		return nil, err
	}
	// Keep bbolt's file, to close it (and release its lock) should bbolt panic
	// half-way through opening a damaged file.
	var file *os.File
	bopts := &bbolt.Options{Timeout: o.timeout, NoSync: o.noSync, FreelistType: bbolt.FreelistMapType,
		OpenFile: func(name string, flag int, perm os.FileMode) (*os.File, error) {
			f, err := os.OpenFile(name, flag, perm)
			file = f
			return f, err
		}}
	var db *bbolt.DB
	err = guard(path, func() error {
		var err error
		db, err = bbolt.Open(path, o.mode, bopts)
		return err
	})
	if err != nil {
		var de *DamagedError
		switch {
		case errors.As(err, &de):
			if file != nil {
				_ = file.Close()
			}
			return nil, err
		case errors.Is(err, bberrors.ErrTimeout):
			return nil, &LockedError{Path: path, Waited: o.timeout}
		case errors.Is(err, bberrors.ErrInvalid), errors.Is(err, bberrors.ErrVersionMismatch), errors.Is(err, bberrors.ErrChecksum):
			return nil, &DamagedError{Path: path, Reason: "bbolt refused it: " + err.Error(), Err: err}
		}
		return nil, fmt.Errorf("bolt: open %s: %w", path, err)
	}
	if err := guard(path, func() error {
		return db.Update(func(tx *bbolt.Tx) error {
			if err := initSchema(tx, path); err != nil {
				return err
			}
			return upgradeKeys(tx, path)
		})
	}); err != nil {
		_ = db.Close()
		return nil, err
	}
	return &Store{db: db, path: path, metaDamage: metaDamage, arrived: make(chan struct{}, 1), clock: release.SystemClock()}, nil
}

// initSchema creates the buckets of a new file, checks the schema of an existing one,
// and upgrades a file of an older schema.
func initSchema(tx *bbolt.Tx, path string) error {
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		empty := true
		if err := tx.ForEach(func([]byte, *bbolt.Bucket) error { empty = false; return nil }); err != nil {
			return err
		}
		if !empty {
			return &SchemaError{Path: path, Supported: SchemaVersion, Reason: "the file holds bbolt buckets but no releasekit meta bucket; it is not a releasekit store"}
		}
		for _, name := range allBuckets {
			if _, err := tx.CreateBucket(name); err != nil {
				return fmt.Errorf("bolt: create bucket %s in %s: %w", name, path, err)
			}
		}
		return tx.Bucket(bucketMeta).Put(keySchema, binary.BigEndian.AppendUint64(nil, SchemaVersion))
	}
	v := meta.Get(keySchema)
	if len(v) != 8 {
		return &SchemaError{Path: path, Supported: SchemaVersion, Reason: fmt.Sprintf("the schema version is %d bytes long, want 8", len(v))}
	}
	found := binary.BigEndian.Uint64(v)
	switch {
	case found > SchemaVersion:
		return &SchemaError{Path: path, Found: found, Supported: SchemaVersion, Reason: "the file was written by a newer releasekit; upgrade this program"}
	case found == 0:
		return &SchemaError{Path: path, Found: found, Supported: SchemaVersion, Reason: "schema version 0 does not exist"}
	}
	if found == 1 {
		if err := upgrade1to2(tx, path); err != nil {
			return err
		}
	}
	if found <= 2 {
		if err := upgrade2to3(tx, path); err != nil {
			return err
		}
	}
	// The lockdown history came after schema 2 without changing any existing row:
	// a file written before it gets the (empty) bucket when it is next opened.
	if _, err := tx.CreateBucketIfNotExists(bucketLockdowns); err != nil {
		return fmt.Errorf("bolt: create bucket %s in %s: %w", bucketLockdowns, path, err)
	}
	for _, name := range allBuckets {
		if tx.Bucket(name) == nil {
			return &SchemaError{Path: path, Found: found, Supported: SchemaVersion, Reason: fmt.Sprintf("bucket %s is missing", name)}
		}
	}
	return nil
}

// upgrade1to2 upgrades a file of schema 1 in the transaction that opens it: it seals
// every value with its checksum (schema 1 had none) and builds the bookings_span
// bucket (each environment's longest booking) from the bookings. A file that fails
// half-way is left as it was (the transaction rolls back).
func upgrade1to2(tx *bbolt.Tx, path string) error {
	for _, name := range schema1Buckets {
		if tx.Bucket(name) == nil {
			return &SchemaError{Path: path, Found: 1, Supported: SchemaVersion, Reason: fmt.Sprintf("bucket %s is missing", name)}
		}
	}
	seal := func(b *bbolt.Bucket, t table) error {
		type kv struct{ k, v []byte }
		var rows []kv
		err := b.ForEach(func(k, v []byte) error {
			if v != nil { // not a nested bucket
				rows = append(rows, kv{bytes.Clone(k), bytes.Clone(v)})
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, r := range rows {
			if err := t.put(b, r.k, r.v); err != nil {
				return err
			}
		}
		return nil
	}
	for _, t := range []table{tReleases, tOutbox, tOutboxDue, tBookings, tBookingsEnv} {
		if err := seal(tx.Bucket(t.name), t); err != nil {
			return fmt.Errorf("bolt: upgrade %s to schema 2: bucket %s: %w", path, t.name, err)
		}
	}
	hist := tx.Bucket(bucketHistory)
	var ids [][]byte
	if err := hist.ForEachBucket(func(k []byte) error { ids = append(ids, bytes.Clone(k)); return nil }); err != nil {
		return err
	}
	for _, id := range ids {
		if err := seal(hist.Bucket(id), historyTable(id)); err != nil {
			return fmt.Errorf("bolt: upgrade %s to schema 2: history of %s: %w", path, keyName(id), err)
		}
	}
	span, err := tx.CreateBucket(bucketBookingSpan)
	if err != nil {
		return fmt.Errorf("bolt: upgrade %s to schema 2: %w", path, err)
	}
	longest := map[string]time.Duration{}
	err = tx.Bucket(bucketBookings).ForEach(func(k, v []byte) error {
		b, err := openBooking(k, v)
		if err != nil {
			return err
		}
		longest[b.Environment] = max(longest[b.Environment], b.End.Sub(b.Start))
		return nil
	})
	if err != nil {
		return fmt.Errorf("bolt: upgrade %s to schema 2: %w", path, err)
	}
	for env, d := range longest {
		if err := putSpan(span, env, d); err != nil {
			return err
		}
	}
	return tx.Bucket(bucketMeta).Put(keySchema, binary.BigEndian.AppendUint64(nil, 2))
}

// upgrade2to3 upgrades a file of schema 2 in the transaction that opens it: it builds
// the releases' index (releases_index) from every release row. A row that does not
// read (a checksum or decoding failure) fails the upgrade, and the file is left as it
// was (the transaction rolls back): restore it from a backup, or open it with the
// code of schema 2 to read what it can.
func upgrade2to3(tx *bbolt.Tx, path string) error {
	if tx.Bucket(bucketIndex) != nil {
		return &SchemaError{Path: path, Found: 2, Supported: SchemaVersion, Reason: fmt.Sprintf("a schema-2 file already holds bucket %s", bucketIndex)}
	}
	if _, err := tx.CreateBucket(bucketIndex); err != nil {
		return fmt.Errorf("bolt: upgrade %s to schema 3: %w", path, err)
	}
	if err := buildIndex(tx); err != nil {
		return fmt.Errorf("bolt: upgrade %s to schema 3: index the releases: %w", path, err)
	}
	return tx.Bucket(bucketMeta).Put(keySchema, binary.BigEndian.AppendUint64(nil, 3))
}

// Path returns the database file's path.
func (s *Store) Path() string { return s.path }

// Close releases the file. Methods called after Close return ErrClosed. Close is
// idempotent.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("bolt: close %s: %w", s.path, err)
	}
	return nil
}

// Backup writes a consistent copy of the whole file to w while the store stays in
// use (a read transaction: writers are not blocked). The copy opens with [Open].
func (s *Store) Backup(ctx context.Context, w io.Writer) (int64, error) {
	var n int64
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	return n, err
}

// view runs fn in a read transaction after checking ctx and the store's state. bbolt
// transactions cannot be cancelled once begun; ctx is checked before.
func (s *Store) view(ctx context.Context, fn func(tx *bbolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.closed.Load() {
		return ErrClosed
	}
	return mapClosed(guard(s.path, func() error { return s.db.View(fn) }))
}

// update runs fn in a read-write transaction after checking ctx and the store's
// state, and returns once that transaction is committed (and fsynced) or rolled back.
//
// Writers that arrive while a commit is in flight are committed together in the next
// transaction (group commit): a lone writer waits for nothing, and 16 concurrent writers
// share a handful of fsyncs instead of paying one each. fn must return refuse(err) for
// any error found before it wrote anything; the batch then goes on without it. Any
// other error from fn rolls the batch back and every write of it runs again alone, so
// each caller gets exactly its own outcome. fn may thus run more than once and must not
// keep state between runs.
func (s *Store) update(ctx context.Context, fn func(tx *bbolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.closed.Load() {
		return ErrClosed
	}
	c := &writeCall{fn: fn, done: make(chan error, 1), lead: make(chan struct{}, 1)}
	s.mu.Lock()
	s.queue = append(s.queue, c)
	select {
	case s.arrived <- struct{}{}:
	default:
	}
	if !s.leading {
		s.leading = true
		s.mu.Unlock()
		s.leadBatch()
	} else {
		s.mu.Unlock()
	}
	for {
		select {
		case err := <-c.done:
			var r refusal
			if errors.As(err, &r) {
				return r.err
			}
			return mapClosed(err)
		case <-c.lead:
			s.leadBatch()
		}
	}
}

// leadBatch commits the queued writes (the leader's own first), then hands leadership
// to the first writer still queued, or gives it up. When the last batch held several
// writers and fewer are queued now, it first waits for them to queue again, up to
// half the last commit's duration (at most maxBatchWait): writers that were released
// together come back at about the same time, and one more transaction would cost them
// a commit (an fsync) each. A lone writer never waits.
func (s *Store) leadBatch() {
	s.mu.Lock()
	if want := s.lastBatch; want > 1 && len(s.queue) < want {
		timer := time.NewTimer(min(s.lastCommit/2, maxBatchWait))
	wait:
		for len(s.queue) < want {
			s.mu.Unlock()
			select {
			case <-s.arrived:
				s.mu.Lock()
			case <-timer.C:
				s.mu.Lock()
				break wait
			}
		}
		timer.Stop()
	}
	n := min(len(s.queue), maxBatch)
	batch := s.queue[:n:n]
	s.queue = s.queue[n:]
	s.mu.Unlock()

	began := s.clock.Now()
	s.commit(batch)
	took := s.clock.Now().Sub(began)

	s.mu.Lock()
	s.lastBatch, s.lastCommit = n, took
	if len(s.queue) > 0 {
		s.queue[0].lead <- struct{}{}
	} else {
		s.leading = false
		s.queue = nil
	}
	s.mu.Unlock()
}

var errBatchAbort = errors.New("bolt: batch rolled back")

// commit runs a batch in one transaction and delivers each write's outcome.
func (s *Store) commit(batch []*writeCall) {
	if len(batch) == 1 {
		batch[0].done <- s.alone(batch[0].fn)
		return
	}
	results := make([]error, len(batch))
	err := guard(s.path, func() error {
		return s.db.Update(func(tx *bbolt.Tx) error {
			s.own(tx)
			for i, c := range batch {
				err := c.fn(tx)
				var r refusal
				if err != nil && !errors.As(err, &r) {
					return errBatchAbort
				}
				results[i] = err
			}
			return nil
		})
	})
	if err == nil {
		for i, c := range batch {
			c.done <- results[i]
		}
		return
	}
	for _, c := range batch { // something failed mid-write, or the commit did: alone
		c.done <- s.alone(c.fn)
	}
}

// alone runs fn in a transaction of its own.
func (s *Store) alone(fn func(tx *bbolt.Tx) error) error {
	return guard(s.path, func() error {
		return s.db.Update(func(tx *bbolt.Tx) error {
			s.own(tx)
			return fn(tx)
		})
	})
}

// own starts every write transaction of the Store: when the transaction committed
// last is not the Store's own (another writer's transaction on the same bbolt
// handle; while the Store is open, bbolt's lock keeps other programs out), it starts
// a new epoch, so that no known made before it is trusted with the history's length
// (see [checkTail]). A new Store's first write starts one too. It notes tx's ID, to
// be the Store's last once tx commits.
func (s *Store) own(tx *bbolt.Tx) {
	id := uint64(tx.ID())
	if id != s.lastTx.Load()+1 {
		s.epoch.Add(1)
	}
	tx.OnCommit(func() { s.lastTx.Store(id) })
}

func mapClosed(err error) error {
	if errors.Is(err, bberrors.ErrDatabaseNotOpen) {
		return ErrClosed
	}
	return err
}
