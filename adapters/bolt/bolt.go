package bolt

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"time"

	bbolt "go.etcd.io/bbolt"
	bberrors "go.etcd.io/bbolt/errors"

	"github.com/releasekit/releasekit/release"
)

// SchemaVersion is the version of the file layout this code writes. Open refuses a
// file with a newer version (*SchemaError) rather than misreading it.
const SchemaVersion uint64 = 1

// Bucket and key names of the file layout (see the package documentation).
var (
	bucketMeta        = []byte("meta")
	bucketReleases    = []byte("releases")
	bucketHistory     = []byte("history")
	bucketOutbox      = []byte("outbox")
	bucketOutboxDue   = []byte("outbox_due")
	bucketBookings    = []byte("bookings")
	bucketBookingsEnv = []byte("bookings_by_env")
	keySchema         = []byte("schema")

	allBuckets = [][]byte{bucketMeta, bucketReleases, bucketHistory, bucketOutbox, bucketOutboxDue, bucketBookings, bucketBookingsEnv}
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
}

var (
	_ release.Store  = (*Store)(nil)
	_ release.Outbox = (*Store)(nil)
	_ release.Booker = (*Store)(nil)
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
	db, err := bbolt.Open(path, o.mode, &bbolt.Options{Timeout: o.timeout, NoSync: o.noSync, FreelistType: bbolt.FreelistMapType})
	if err != nil {
		if errors.Is(err, bberrors.ErrTimeout) {
			return nil, &LockedError{Path: path, Waited: o.timeout}
		}
		return nil, fmt.Errorf("bolt: open %s: %w", path, err)
	}
	if err := db.Update(func(tx *bbolt.Tx) error { return initSchema(tx, path) }); err != nil {
		_ = db.Close()
		return nil, err
	}
	return &Store{db: db, path: path}, nil
}

// initSchema creates the buckets of a new file, or checks the schema of an existing one.
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
	for _, name := range allBuckets {
		if tx.Bucket(name) == nil {
			return &SchemaError{Path: path, Found: found, Supported: SchemaVersion, Reason: fmt.Sprintf("bucket %s is missing", name)}
		}
	}
	return nil
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
	return mapClosed(s.db.View(fn))
}

// update runs fn in a read-write transaction after checking ctx and the store's
// state. fn's error rolls everything back.
func (s *Store) update(ctx context.Context, fn func(tx *bbolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.closed.Load() {
		return ErrClosed
	}
	return mapClosed(s.db.Update(fn))
}

func mapClosed(err error) error {
	if errors.Is(err, bberrors.ErrDatabaseNotOpen) {
		return ErrClosed
	}
	return err
}
