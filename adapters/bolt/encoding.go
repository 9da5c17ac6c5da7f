package bolt

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/releasekit/releasekit/calendar"
	"github.com/releasekit/releasekit/release"
)

// seqKey is the history key of a sequence number: 8 bytes, big-endian, so that keys
// sort in sequence order.
func seqKey(seq int64) []byte { return binary.BigEndian.AppendUint64(make([]byte, 0, 8), uint64(seq)) }

// timeKeyLen is the length of [appendTime]'s encoding.
const timeKeyLen = 12

// appendTime appends an order-preserving 12-byte encoding of t: the Unix seconds with
// the sign bit flipped (so negative seconds sort first), then the nanoseconds. Every
// time.Time has one, the zero time included.
func appendTime(b []byte, t time.Time) []byte {
	b = binary.BigEndian.AppendUint64(b, uint64(t.Unix())^(1<<63))
	return binary.BigEndian.AppendUint32(b, uint32(t.Nanosecond()))
}

// parseTime reverses [appendTime].
func parseTime(b []byte) (time.Time, bool) {
	if len(b) != timeKeyLen {
		return time.Time{}, false
	}
	sec := int64(binary.BigEndian.Uint64(b[:8]) ^ (1 << 63))
	nsec := binary.BigEndian.Uint32(b[8:])
	if nsec >= 1e9 {
		return time.Time{}, false
	}
	return time.Unix(sec, int64(nsec)).UTC(), true
}

// decodeRelease parses a stored release with release.DecodeRelease (the checks every
// store shares: known state and class, positive revision…) and checks that its ID
// equals the key. Anything else is a *release.CorruptError naming the key.
func decodeRelease(key, val []byte) (release.Release, error) {
	corrupt := func(reason string) (release.Release, error) {
		return release.Release{}, &release.CorruptError{
			What:   fmt.Sprintf("release row %s (bucket %s, key %x)", keyName(key), bucketReleases, key),
			Reason: reason + "; restore the file from a backup",
		}
	}
	r, err := release.DecodeRelease(val)
	if err != nil {
		var ce *release.CorruptError
		if errors.As(err, &ce) {
			return corrupt(ce.Reason)
		}
		return corrupt(err.Error())
	}
	if len(key) != 16 || !bytes.Equal(r.ID[:], key) {
		return corrupt(fmt.Sprintf("the row holds release %s", r.ID))
	}
	return r, nil
}

// keyName renders a release key as its ID when it is 16 bytes.
func keyName(key []byte) string {
	if len(key) == 16 {
		return release.ID(key).String()
	}
	return hex.EncodeToString(key)
}

// decodeHistoryEntry parses a stored entry with release.DecodeEntry and checks that it
// belongs where it is stored.
func decodeHistoryEntry(id release.ID, key, val []byte) (release.AuditEntry, error) {
	corrupt := func(reason string) (release.AuditEntry, error) {
		return release.AuditEntry{}, &release.CorruptError{
			What:   fmt.Sprintf("history entry of release %s (bucket %s/%s, key %x)", id, bucketHistory, id, key),
			Reason: reason + "; restore the file from a backup",
		}
	}
	if len(key) != 8 {
		return corrupt(fmt.Sprintf("the key is %d bytes long, want 8", len(key)))
	}
	e, err := release.DecodeEntry(val)
	if err != nil {
		var ce *release.CorruptError
		if errors.As(err, &ce) {
			return corrupt(ce.Reason)
		}
		return corrupt(err.Error())
	}
	if seq := int64(binary.BigEndian.Uint64(key)); e.Sequence != seq || e.ReleaseID != id {
		return corrupt(fmt.Sprintf("the row holds entry %d of release %s", e.Sequence, e.ReleaseID))
	}
	return e, nil
}

// outboxRow is the stored form of a pending notification.
type outboxRow struct {
	release.PendingNotification
	// LeaseUntil is when the current claim's lease ends; zero when not leased.
	LeaseUntil time.Time `json:"lease_until"`
}

// encodeOutboxRow builds the stored form of a new, unleased outbox row from the
// already encoded release and entry, without encoding them again. It decodes as an
// [outboxRow].
func encodeOutboxRow(rel, entry []byte, due time.Time) ([]byte, error) {
	d, err := json.Marshal(due)
	if err != nil {
		return nil, fmt.Errorf("%w: bolt: outbox due time %v cannot be encoded: %v", release.ErrInvalid, due, err)
	}
	b := make([]byte, 0, len(rel)+len(entry)+len(d)+96)
	b = append(b, `{"notification":{"release":`...)
	b = append(b, rel...)
	b = append(b, `,"entry":`...)
	b = append(b, entry...)
	b = append(b, `},"attempts":0,"due":`...)
	b = append(b, d...)
	return append(b, `,"lease_until":"0001-01-01T00:00:00Z"}`...), nil
}

func decodeOutboxRow(key, val []byte) (outboxRow, error) {
	var row outboxRow
	corrupt := func(reason string) (outboxRow, error) {
		return outboxRow{}, &release.CorruptError{
			What:   fmt.Sprintf("outbox row %q (bucket %s)", key, bucketOutbox),
			Reason: reason + "; acknowledge the key to drop it, or restore the file from a backup",
		}
	}
	if err := json.Unmarshal(val, &row); err != nil {
		return corrupt(err.Error())
	}
	if got := row.Notification.Key(); got != string(key) {
		return corrupt(fmt.Sprintf("the row holds notification %s", got))
	}
	if row.Notification.Release.ID != row.Notification.Entry.ReleaseID {
		return corrupt(fmt.Sprintf("the row holds release %s with an entry of release %s", row.Notification.Release.ID, row.Notification.Entry.ReleaseID))
	}
	if h, err := row.Notification.Entry.ComputeHash(); err != nil || h != row.Notification.Entry.Hash {
		return corrupt("its history entry does not match its hash")
	}
	return row, nil
}

// dueKey is the outbox_due index key of a row: due time, then the notification key.
func dueKey(due time.Time, key string) []byte {
	return append(appendTime(make([]byte, 0, timeKeyLen+len(key)), due), key...)
}

// bookingRow is the stored form of a calendar.Booking (calendar.Booking has no JSON
// tags; the stored form is this package's own and stable).
type bookingRow struct {
	ID          string          `json:"id"`
	Environment string          `json:"environment"`
	Services    []string        `json:"services"`
	Team        string          `json:"team,omitempty"`
	Start       time.Time       `json:"start"`
	End         time.Time       `json:"end"`
	Class       calendar.Class  `json:"class,omitempty"`
	Action      calendar.Action `json:"action,omitempty"`
}

func toRow(b calendar.Booking) bookingRow {
	return bookingRow{
		ID: b.ID, Environment: b.Environment, Services: append([]string(nil), b.Services...), Team: b.Team,
		Start: b.Start, End: b.End, Class: b.Class, Action: b.Action,
	}
}

func (r bookingRow) booking() calendar.Booking {
	return calendar.Booking{
		ID: r.ID, Environment: r.Environment, Services: r.Services, Team: r.Team,
		Start: r.Start, End: r.End, Class: r.Class, Action: r.Action,
	}
}

func decodeBooking(key, val []byte) (calendar.Booking, error) {
	var r bookingRow
	corrupt := func(reason string) (calendar.Booking, error) {
		return calendar.Booking{}, &release.CorruptError{
			What:   fmt.Sprintf("booking row %q (bucket %s)", key, bucketBookings),
			Reason: reason + "; restore the file from a backup",
		}
	}
	if err := json.Unmarshal(val, &r); err != nil {
		return corrupt(err.Error())
	}
	if r.ID != string(key) {
		return corrupt(fmt.Sprintf("the row holds booking %q", r.ID))
	}
	if !r.End.After(r.Start) {
		return corrupt("its end is not after its start")
	}
	return r.booking(), nil
}

// envPrefix is the bookings_by_env prefix of an environment: its length (4 bytes)
// then its bytes, so no environment's prefix is a prefix of another's.
func envPrefix(env string) []byte {
	b := binary.BigEndian.AppendUint32(make([]byte, 0, 4+len(env)+timeKeyLen+16), uint32(len(env)))
	return append(b, env...)
}

// envKey is the bookings_by_env key of a booking: environment prefix, start, ID. Its
// value is the booking's end ([appendTime]).
func envKey(b calendar.Booking) []byte {
	return append(appendTime(envPrefix(b.Environment), b.Start), b.ID...)
}
