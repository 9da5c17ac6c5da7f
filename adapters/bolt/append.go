package bolt

import (
	"errors"

	bbolt "go.etcd.io/bbolt"

	"github.com/releasekit/releasekit/release"
)

// checkTail checks, inside an Update's transaction, that the stored history hb of cur
// ends at cur's head (release.VerifyAppend): it counts the keys (without decoding
// them) and opens (checksum) and decodes the last entry. A last entry that does not
// read back is reported as the history error it is.
func checkTail(cur release.Release, hb *bbolt.Bucket) error {
	var count int64
	c := hb.Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		count++
	}
	var last release.AuditEntry
	if k, v := c.Last(); k != nil {
		payload, err := historyTable(cur.ID[:]).open(k, v)
		if err == nil {
			last, err = decodeHistoryEntry(cur.ID, k, payload)
		}
		if err != nil {
			var ce *release.CorruptError
			if errors.As(err, &ce) {
				return &release.HistoryError{ID: cur.ID, Index: int(count - 1), Sequence: count,
					Reason: "the last stored entry does not read back (" + ce.Reason + "); refusing to append to it"}
			}
			return err
		}
	}
	return release.VerifyAppend(cur, count, last)
}
