package bolt

import (
	"bytes"
	"errors"

	bbolt "go.etcd.io/bbolt"

	"github.com/releasekit/releasekit/release"
)

// checkTail checks, inside an Update's transaction, that the stored history hb of cur
// ends at cur's head (release.VerifyAppend): it counts the keys (without decoding
// them), so that a deleted entry is refused, and checks the last entry. When last is
// the stored value of entry cur.Revision as this store wrote it and verified it
// against the row cur was read from (see [known]), a last entry equal to it byte for
// byte is not decoded and verified again; otherwise the last entry is opened
// (checksum), decoded and verified. A last entry that does not read back is reported
// as the history error it is.
func checkTail(cur release.Release, hb *bbolt.Bucket, last []byte) error {
	var count int64
	var lk, lv []byte
	c := hb.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		count++
		lk, lv = k, v
	}
	if last != nil && count == cur.Revision && bytes.Equal(lk, seqKey(count)) && bytes.Equal(lv, last) {
		return nil
	}
	var e release.AuditEntry
	if lk != nil {
		payload, err := historyTable(cur.ID[:]).open(lk, lv)
		if err == nil {
			e, err = decodeHistoryEntry(cur.ID, lk, payload)
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
	return release.VerifyAppend(cur, count, e)
}
