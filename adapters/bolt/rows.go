package bolt

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"

	bbolt "go.etcd.io/bbolt"

	"github.com/releasekit/releasekit/release"
)

// Every value the store writes (schema 2 on) ends with a checksum: CRC-32C, 4 bytes
// big-endian, over the bucket's name, the key and the value before it. A byte changed
// on disk, a value moved to another key or bucket, or a key changed under its value
// no longer matches, and reading it is a *release.CorruptError naming the bucket and
// the key. The one value without it is the schema version in the meta bucket, which
// every version of the code must be able to read.
const checksumLen = 4

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// table names a bucket for checksums and errors: the bucket's name, and for a
// release's nested history bucket the history bucket's name and the release ID.
type table struct {
	name []byte
	id   []byte // the nested bucket's key, or nil
}

func (t table) String() string {
	if t.id != nil {
		return fmt.Sprintf("%s/%s", t.name, keyName(t.id))
	}
	return string(t.name)
}

func (t table) checksum(key, payload []byte) uint32 {
	c := crc32.Update(0, castagnoli, t.name)
	c = crc32.Update(c, castagnoli, []byte{0})
	c = crc32.Update(c, castagnoli, t.id)
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(key)))
	c = crc32.Update(c, castagnoli, n[:])
	c = crc32.Update(c, castagnoli, key)
	return crc32.Update(c, castagnoli, payload)
}

// seal returns payload followed by its checksum under key in t.
func (t table) seal(key, payload []byte) []byte {
	out := make([]byte, len(payload), len(payload)+checksumLen)
	copy(out, payload)
	return binary.BigEndian.AppendUint32(out, t.checksum(key, payload))
}

// open returns the payload of a stored value after checking its checksum; the
// payload aliases val (valid for the transaction only).
func (t table) open(key, val []byte) ([]byte, error) {
	if len(val) < checksumLen {
		return nil, t.damaged(key, fmt.Sprintf("the value is %d bytes long, too short to hold its checksum", len(val)))
	}
	payload, sum := val[:len(val)-checksumLen], binary.BigEndian.Uint32(val[len(val)-checksumLen:])
	if t.checksum(key, payload) != sum {
		return nil, t.damaged(key, "its bytes do not match their checksum (damaged on disk, or edited)")
	}
	return payload, nil
}

func (t table) damaged(key []byte, reason string) error {
	row := "row " + printableKey(key)
	if t.id != nil && len(key) == 8 {
		row = fmt.Sprintf("history entry %d", binary.BigEndian.Uint64(key))
	}
	return &release.CorruptError{
		What:   fmt.Sprintf("%s of bucket %s (key %x)", row, t, key),
		Reason: reason + "; restore the file from a backup",
	}
}

// printableKey renders a key as text when it is printable ASCII, as a release ID when
// it is 16 bytes, else as hex.
func printableKey(key []byte) string {
	for _, c := range key {
		if c < 0x20 || c > 0x7e {
			return keyName(key)
		}
	}
	return fmt.Sprintf("%q", key)
}

// get returns the payload stored under key in b (nil, nil when there is none).
func (t table) get(b *bbolt.Bucket, key []byte) ([]byte, error) {
	v := b.Get(key)
	if v == nil {
		return nil, nil
	}
	return t.open(key, v)
}

// put stores payload under key in b, sealed.
func (t table) put(b *bbolt.Bucket, key, payload []byte) error {
	return b.Put(key, t.seal(key, payload))
}

// The tables of the file layout.
var (
	tReleases    = table{name: bucketReleases}
	tOutbox      = table{name: bucketOutbox}
	tOutboxDue   = table{name: bucketOutboxDue}
	tBookings    = table{name: bucketBookings}
	tBookingsEnv = table{name: bucketBookingsEnv}
	tBookingSpan = table{name: bucketBookingSpan}
)

// historyTable is the table of release id's history bucket.
func historyTable(id []byte) table { return table{name: bucketHistory, id: id} }
