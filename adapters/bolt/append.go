package bolt

import (
	"bytes"
	"errors"

	bbolt "go.etcd.io/bbolt"

	"github.com/releasekit/releasekit/release"
)

// checkTail checks, inside an Update's transaction, that the stored history hb of cur
// ends at cur's head (release.VerifyAppend): the history holds cur.Revision entries,
// so that a deleted entry is refused, and the last one verifies against cur. When
// last is the stored value of entry cur.Revision as this store wrote it and verified
// it against the row cur was read from (see [known]), a last entry equal to it byte
// for byte is not decoded and verified again, and when counted says that the history
// was counted in the current epoch (see [Store.own]: no other writer has committed
// since), only its last key is looked at: O(log n). Otherwise the keys are counted
// (key steps, without decoding them: O(n)) and the last entry, unless equal to last,
// is opened (checksum), decoded and verified. A last entry that does not read back is
// reported as the history error it is.
func checkTail(cur release.Release, hb *bbolt.Bucket, last []byte, counted bool) error {
	c := hb.Cursor()
	if last != nil && counted {
		if lk, lv := c.Last(); bytes.Equal(lk, seqKey(cur.Revision)) && bytes.Equal(lv, last) {
			return nil
		}
	}
	var count int64
	var lk, lv []byte
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
