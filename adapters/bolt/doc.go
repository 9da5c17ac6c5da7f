// Package bolt is the embedded, durable [release.Store] on go.etcd.io/bbolt: one file
// on one machine, the default the quickstart uses. A [Store] also implements
// [release.Outbox] (a transactional outbox for notifications) and [release.Booker]
// (calendar bookings that never double-book a service).
//
// It is for release bots, CLIs and services that run as a single process on a single
// machine and must not lose their state when they restart. A platform with several
// replicas over one database uses adapters/postgres instead.
//
// # Opening
//
// [Open] creates or opens the file and takes bbolt's exclusive lock on it. A second
// Open of the same file, from another process or this one, does not hang: after the
// open timeout ([WithTimeout], default one second) it returns a *[LockedError]
// ([ErrLocked]). A file written by a newer schema is refused with a *[SchemaError]
// ([ErrSchema]). [WithNoSync] turns fsync off, for tests and benchmarks only.
//
// # File layout (schema version 3)
//
//	meta             "schema" -> 8-byte big-endian schema version (3)
//	releases         16-byte release ID -> JSON of release.Release
//	releases_index   one key per indexed field value of each release -> nothing
//	                 but the checksum:
//	                 'n' | 'c' | 'e' | 's' + 4-byte length + the name, a
//	                 component name, the environment or the state + release ID
//	                 (a value over 512 bytes: length 0xFFFFFFFF + its SHA-256)
//	                 't' + 12-byte creation time + release ID
//	history          one nested bucket per release (key: 16-byte ID), in it
//	                 8-byte big-endian sequence -> release.EncodeEntry bytes
//	outbox           notification key ("<id>/<sequence>") -> JSON of the
//	                 release.PendingNotification plus its lease end
//	outbox_due       12-byte due time + notification key -> 12-byte lease end,
//	                 or one zero byte when not leased (claim order)
//	bookings         booking ID -> JSON of the booking
//	bookings_by_env  4-byte length + environment + 12-byte start + booking ID
//	                 -> 12-byte end (overlap search)
//	bookings_span    environment -> 8-byte big-endian duration of its longest
//	                 booking (where an overlap search starts)
//	lockdowns        8-byte big-endian sequence -> JSON of release.LockdownEntry
//	                 (the runtime lockdown history; added, empty, to older files
//	                 when they are opened)
//
// Times in keys are Unix seconds with the sign bit flipped (8 bytes, big-endian) then
// nanoseconds (4 bytes), so byte order is time order.
//
// Every value but the schema version ends with a 4-byte big-endian CRC-32C over the
// bucket's name (and, in a history, the release ID), the key and the value before it.
// A byte altered on disk or by hand, a value moved under another key, or a key
// renamed under its value no longer matches: reading it is a *release.CorruptError
// naming the bucket and the key, and [Store.Check] finds it wherever it is.
//
// # Upgrades
//
// [Open] upgrades an older file in place, in the transaction that opens it. From
// schema 1 (written before checksums) to 2 it seals every value with its checksum and
// builds bookings_span from the bookings; from schema 2 to 3 it builds
// releases_index from the release rows (one read of every release). The upgrade is
// all or nothing; a file it cannot read is left as it was and Open returns the
// error. The package's tests open a file written by the schema-1 code
// (testdata/upgrade) and one written by the schema-2 code (testdata/upgrade-schema2),
// and list through the index built on the way.
//
// The store is a [release.LockdownStore]: a start's update counts the lockdowns
// bucket in the same transaction (bbolt has one writer at a time), so no start
// commits after a lockdown it did not see.
//
// # Damaged files
//
// bbolt trusts the bytes of its file: on a truncated or overwritten file it can panic
// or fault reading its memory map. Before bbolt sees a file, Open checks what bbolt
// will read (both meta pages, the file's length against the pages in use, the
// freelist), and it turns any panic or memory fault inside bbolt, at Open or later,
// into a *[DamagedError] ([ErrDamaged], also release.ErrCorrupt) naming the file and
// the damage. bbolt keeps two meta pages; when the newest is damaged it opens the file
// from the other one, at the transaction before, as it must after a crash during a
// commit: Open succeeds, and [Store.Check] reports the damaged meta page (the last
// commit may be lost). A damaged file is never repaired: restore it from a backup
// ([Store.Backup]).
//
// # Durability and atomicity
//
// Every write is one bbolt read-write transaction, fsynced before the method returns
// (unless [WithNoSync]): [Store.Update] checks the revision, replaces the release and
// the index keys that changed with it, appends the history entry (never overwriting
// one) and inserts the outbox row, all or nothing. A process killed at any moment leaves either the whole transition or
// none of it; the package's tests kill a writing process with SIGKILL in a loop and
// verify every history afterwards. [Store.Check] verifies a whole file; [Store.Backup]
// copies it while it is in use.
//
// Stored rows that do not decode or do not match their checksum are reported as
// *release.CorruptError (release.ErrCorrupt) naming the bucket and key, never a panic. The store refuses to
// write what it could not read back or what would break a history (an entry that does
// not chain to the stored head, a sequence that is not the next one): release.ErrInvalid.
//
// # Limits
//
//   - One process at a time: bbolt locks the file. Goroutines of that process share
//     the Store freely; readers never block. bbolt runs one write transaction at a
//     time, so the Store commits concurrent writes together (group commit: the writes
//     that queue while a commit is in flight share the next transaction and its
//     fsync; when the last commit held several writers and fewer have queued, the
//     next waits for them up to half the last commit's duration, at most a
//     millisecond; a lone writer waits for nothing). A write refused before it changed
//     anything (a conflict, a taken slot) drops out of its group without affecting the
//     others.
//   - An append's check of the stored history (release.VerifyAppend: the last entry
//     is the release's head, verifies, and agrees with the release row) decodes the
//     row and the last entry only when they are not, byte for byte, the ones this
//     Store last wrote or read (it remembers the last 1,024 releases it touched).
//     So that a deleted entry is refused, the history's keys are counted (without
//     decoding them: O(entries) key steps) unless the Store counted them itself and
//     every write transaction committed since was its own: then it looks at the last
//     key only (O(log entries)). Any write transaction it did not make sends the next
//     append of every release back to counting, and a Store opened on the file starts
//     by counting. An entry deleted by rewriting the file's pages under a running
//     Store, without a bbolt transaction, is refused at the latest by the next Store
//     opened on the file, and found by Engine.VerifyAudit and [Store.Check]. The same
//     memory serves [Store.Get] of a row it wrote.
//   - [Store.List] walks releases_index: the keys of the name, component,
//     environment or states the filter sets (several are intersected, each seeking
//     past the others), from the After cursor, reading only the candidates' rows:
//     O(k log n) for k candidates, whatever the number of releases the filter
//     excludes. A filter with only a creation range reads the range's keys and sorts
//     their IDs (O(k log k) for the k releases created in it); a filter on none of
//     these fields (version, class, labels alone) scans the releases in ID order and
//     decodes each one. A write that changes an indexed field rewrites its keys (an
//     update that changes the state: one delete and one put).
//   - [Store.Bookings] for one environment seeks that environment's index to the start
//     of the range minus its longest booking and walks to the end of the range
//     (O(log n + k)); for all environments it scans every booking. The longest
//     booking is a bound kept across Unbook, so one long booking, even cancelled,
//     widens every later search in its environment.
//   - Contexts are checked before each transaction begins; bbolt transactions cannot
//     be cancelled once started (they are short).
//   - The file only grows; bbolt reuses freed pages but does not shrink the file.
package bolt
