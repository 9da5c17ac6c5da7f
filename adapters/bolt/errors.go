package bolt

import (
	"errors"
	"fmt"
	"time"
)

// Sentinel errors of the bolt adapter. Errors about releases, histories, the outbox
// and bookings use the sentinels of package release (release.ErrNotFound,
// release.ErrStale, release.ErrCorrupt, release.ErrInvalid…); these are about the
// file itself.
var (
	// ErrLocked: another process (or another Open in this process) holds the file.
	ErrLocked = errors.New("bolt: database file is locked")
	// ErrSchema: the file's schema version is one this code cannot use (written by a
	// newer releasekit, or not a releasekit file at all).
	ErrSchema = errors.New("bolt: unsupported schema")
	// ErrClosed: the Store was closed.
	ErrClosed = errors.New("bolt: store is closed")
)

// LockedError says that the file is held by another process: bbolt takes an exclusive
// lock on the file, so one process at a time may open it.
type LockedError struct {
	// Path is the database file.
	Path string
	// Waited is how long Open waited for the lock (the open timeout).
	Waited time.Duration
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("bolt: database file %s is in use by another process (bolt holds an exclusive lock; waited %v); stop the other process or use adapters/postgres for many replicas", e.Path, e.Waited)
}

// Unwrap returns [ErrLocked].
func (e *LockedError) Unwrap() error { return ErrLocked }

// SchemaError says that the file's schema version is not one this code can use.
type SchemaError struct {
	// Path is the database file.
	Path string
	// Found is the version stored in the file; 0 when the file has releasekit-looking
	// buckets but no version, or a version that cannot be read.
	Found uint64
	// Supported is the newest version this code reads and writes.
	Supported uint64
	// Reason says what is wrong in words.
	Reason string
}

func (e *SchemaError) Error() string {
	return fmt.Sprintf("bolt: database file %s: %s (file schema %d, this code supports up to %d)", e.Path, e.Reason, e.Found, e.Supported)
}

// Unwrap returns [ErrSchema].
func (e *SchemaError) Unwrap() error { return ErrSchema }
