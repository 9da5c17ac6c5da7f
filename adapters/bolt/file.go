package bolt

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"runtime/debug"

	"github.com/releasekit/releasekit/release"
)

// ErrDamaged: the database file is damaged (truncated, overwritten, not a bbolt file)
// so that bbolt cannot use it. Rows that do not decode or verify are
// release.ErrCorrupt; so is a damaged file (a *DamagedError matches both).
var ErrDamaged = errors.New("bolt: database file is damaged")

// DamagedError says what is wrong with a database file that cannot be used: a file
// shorter than its own meta page says it is (truncated), meta pages that are not
// bbolt's or do not match their checksums, pages that bbolt could not read (its
// panics and memory faults on a damaged file are turned into this error). Restore the
// file from a backup ([Store.Backup]).
type DamagedError struct {
	// Path is the database file.
	Path string
	// Reason says what is damaged and where.
	Reason string
	// Err is bbolt's error or panic, when there was one.
	Err error
}

func (e *DamagedError) Error() string {
	return fmt.Sprintf("bolt: database file %s is damaged: %s; restore it from a backup", e.Path, e.Reason)
}

// Unwrap returns [ErrDamaged], release.ErrCorrupt and bbolt's error, if any.
func (e *DamagedError) Unwrap() []error {
	out := []error{ErrDamaged, release.ErrCorrupt}
	if e.Err != nil {
		out = append(out, e.Err)
	}
	return out
}

// The on-disk layout of bbolt's meta pages (go.etcd.io/bbolt/internal/common, file
// format version 2, in the machine's byte order as bbolt writes it): a 16-byte page
// header, then magic, version, page size, flags
// (4 bytes each), the root bucket (page id, sequence), the freelist page id, the high
// water mark (pages in use), the transaction id and an FNV-64a checksum of the 56
// bytes before it (8 bytes each).
const (
	pageHeaderSize  = 16
	metaSize        = 64
	metaMagic       = 0xED0CDAED
	metaVersion     = 2
	noFreelist      = ^uint64(0)
	freelistFlag    = 0x10
	minPageSize     = 1024
	maxPageSize     = 1 << 24
	defaultPageSize = 4096
)

type meta struct {
	pageSize                  uint32
	root, freelist, pgid, txd uint64
}

// readMeta decodes the meta page at off; ok is false when it is not a valid bbolt
// meta page (magic, version, checksum).
func readMeta(f io.ReaderAt, off int64) (m meta, ok bool) {
	var b [pageHeaderSize + metaSize]byte
	if _, err := f.ReadAt(b[:], off); err != nil {
		return m, false
	}
	d := b[pageHeaderSize:]
	le := binary.NativeEndian
	h := fnv.New64a()
	_, _ = h.Write(d[:56])
	if le.Uint32(d[0:]) != metaMagic || le.Uint32(d[4:]) != metaVersion || le.Uint64(d[56:]) != h.Sum64() {
		return m, false
	}
	return meta{pageSize: le.Uint32(d[8:]), root: le.Uint64(d[16:]), freelist: le.Uint64(d[32:]), pgid: le.Uint64(d[40:]), txd: le.Uint64(d[48:])}, true
}

// checkFile reads what bbolt reads when it opens the file and checks it, so that a
// truncated or overwritten file is refused with a *DamagedError instead of reaching
// bbolt, which panics on some of them ("invalid freelist page"). It checks the file
// only when it can take bbolt's lock on it first (a file in use by a Store is left to
// bbolt, which reports the lock); a missing or empty file is a new store.
//
// When exactly one of the two meta pages is invalid, bbolt opens the file from the
// other one, at the transaction before, as it must after a crash that tore the write
// of a meta page; after a clean shutdown the same means damage, and the last
// committed transaction is lost. checkFile then returns a note saying so, which
// [Store.Check] reports.
func checkFile(path string) (metaDamage string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", nil // a new store, or bbolt reports it with its own open
	}
	defer f.Close()
	if locked, _ := tryLock(f); !locked {
		return "", nil
	}
	defer unlock(f)
	fi, err := f.Stat()
	if err != nil || fi.Size() == 0 {
		return "", nil
	}
	size := fi.Size()
	damaged := func(format string, args ...any) error {
		return &DamagedError{Path: path, Reason: fmt.Sprintf(format, args...)}
	}
	if size < pageHeaderSize+metaSize {
		return "", damaged("it is %d bytes long, too short for a bbolt meta page (truncated?)", size)
	}
	m0, ok0 := readMeta(f, 0)
	pageSize := int64(defaultPageSize)
	if ok0 {
		pageSize = int64(m0.pageSize)
	}
	m1, ok1 := readMeta(f, pageSize)
	if !ok0 && !ok1 {
		// bbolt tries other page sizes for the second meta page.
		for ps := int64(minPageSize); ps <= maxPageSize && ps < size && !ok1; ps *= 2 {
			m1, ok1 = readMeta(f, ps)
		}
	}
	// bbolt uses the valid meta page with the higher transaction id.
	var m meta
	switch {
	case ok0 && (!ok1 || m0.txd >= m1.txd):
		m = m0
	case ok1:
		m = m1
	default:
		if size < 2*pageSize {
			return "", damaged("it is %d bytes long, too short for bbolt's two meta pages, and the first is not valid (truncated?)", size)
		}
		return "", damaged("neither meta page is a valid bbolt meta page (wrong magic, version or checksum): not a bbolt file, or both were overwritten")
	}
	if ok0 != ok1 {
		bad := 0
		if ok0 {
			bad = 1
		}
		metaDamage = fmt.Sprintf("when it was opened, meta page %d did not match its checksum, so it was opened at transaction %d from meta page %d: the transaction committed after it is lost (a crash while a commit wrote its meta page leaves the same; after a clean shutdown it means the file was damaged)", bad, m.txd, 1-bad)
	}
	ps := int64(m.pageSize)
	if ps < minPageSize || ps > maxPageSize || ps&(ps-1) != 0 {
		return "", damaged("the meta page gives page size %d", ps)
	}
	pages := uint64(size / ps)
	switch {
	case m.pgid < 3 || m.pgid > pages:
		return "", damaged("the meta page (transaction %d) says %d pages of %d bytes are in use (%d bytes), but the file is %d bytes long: it was truncated or its meta page overwritten", m.txd, m.pgid, ps, m.pgid*uint64(ps), size)
	case m.root < 2 || m.root >= m.pgid:
		return "", damaged("the root bucket's page %d is outside the %d pages in use", m.root, m.pgid)
	case m.freelist == noFreelist:
		return metaDamage, nil
	case m.freelist < 2 || m.freelist >= m.pgid:
		return "", damaged("the freelist page %d is outside the %d pages in use", m.freelist, m.pgid)
	}
	return metaDamage, checkFreelist(f, m, ps, damaged)
}

// checkFreelist checks the freelist page: its type, its length and that every page
// it frees is in use.
func checkFreelist(f *os.File, m meta, ps int64, damaged func(string, ...any) error) error {
	off := int64(m.freelist) * ps
	var h [pageHeaderSize]byte
	if _, err := f.ReadAt(h[:], off); err != nil {
		return damaged("its freelist page %d cannot be read: %v", m.freelist, err)
	}
	le := binary.NativeEndian
	flags, count, overflow := le.Uint16(h[8:]), uint64(le.Uint16(h[10:])), uint64(le.Uint32(h[12:]))
	if flags != freelistFlag {
		return damaged("page %d, which the meta page names as the freelist, is not a freelist page (flags %#x)", m.freelist, flags)
	}
	if m.freelist+overflow >= m.pgid {
		return damaged("the freelist page %d runs over %d more pages, past the %d pages in use", m.freelist, overflow, m.pgid)
	}
	ids := off + pageHeaderSize
	if count == 0xFFFF { // the real count is the first element
		var c [8]byte
		if _, err := f.ReadAt(c[:], ids); err != nil {
			return damaged("the freelist's length cannot be read: %v", err)
		}
		count, ids = le.Uint64(c[:]), ids+8
	}
	if count*8 > uint64(overflow+1)*uint64(ps) {
		return damaged("the freelist says it holds %d pages, more than its %d pages can", count, overflow+1)
	}
	buf := make([]byte, count*8)
	if _, err := f.ReadAt(buf, ids); err != nil {
		return damaged("the freelist cannot be read: %v", err)
	}
	for i := uint64(0); i < count; i++ {
		if id := le.Uint64(buf[i*8:]); id < 2 || id >= m.pgid {
			return damaged("the freelist frees page %d, outside the %d pages in use", id, m.pgid)
		}
	}
	return nil
}

// guard runs fn, which calls into bbolt, turning a panic, or a memory fault reading
// the file's mapping, into a *DamagedError for path: bbolt trusts the bytes of its
// file, and a damaged page makes it index out of range or read past the end of the
// mapped file.
func guard(path string, fn func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			perr, ok := r.(error)
			if !ok {
				perr = fmt.Errorf("%v", r)
			}
			err = &DamagedError{Path: path, Reason: "bbolt could not read its pages: " + perr.Error(), Err: perr}
		}
	}()
	return fn()
}
