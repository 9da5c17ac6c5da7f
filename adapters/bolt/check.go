package bolt

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	bbolt "go.etcd.io/bbolt"

	"github.com/releasekit/releasekit/release"
)

// maxProblems caps how many problems [Store.Check] reports.
const maxProblems = 100

// Check reads the whole file in one read transaction (writers are not blocked) and
// verifies what the store promises: every release decodes, has a history that
// verifies against its head, and is what that history says, field by field
// (release.VerifyRelease: an edited state, author or environment is named); no
// history without its release; every outbox row decodes, is in the due
// index, and is the notification of an entry that exists in its release's history
// with the same hash (no orphan rows); every booking decodes and is in the
// environment index, and every index entry points to its row. It returns nil or the
// problems joined (errors.Join, at most 100), each matching release.ErrCorrupt or
// release.ErrTampered. Its cost is linear in the size of the file.
func (s *Store) Check(ctx context.Context) error {
	var problems []error
	report := func(err error) bool {
		problems = append(problems, err)
		return len(problems) < maxProblems
	}
	corrupt := func(what, format string, args ...any) bool {
		return report(&release.CorruptError{What: what, Reason: fmt.Sprintf(format, args...)})
	}
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		rels := tx.Bucket(bucketReleases)
		hist := tx.Bucket(bucketHistory)
		heads := map[release.ID]map[int64]string{}
		err := rels.ForEach(func(k, v []byte) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			r, err := decodeRelease(k, v)
			if err != nil {
				if !report(err) {
					return errStop
				}
				return nil
			}
			h, err := s.historyIn(tx, r.ID)
			if err != nil {
				if !report(err) {
					return errStop
				}
				return nil
			}
			if err := release.VerifyRelease(r, h); err != nil {
				if !report(err) {
					return errStop
				}
			}
			hashes := make(map[int64]string, len(h))
			for _, e := range h {
				hashes[e.Sequence] = e.Hash
			}
			heads[r.ID] = hashes
			return nil
		})
		if err != nil {
			return err
		}
		err = hist.ForEach(func(k, _ []byte) error {
			if rels.Get(k) == nil {
				if !corrupt(fmt.Sprintf("history bucket %x", k), "no release row has this ID") {
					return errStop
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		idx := tx.Bucket(bucketOutboxDue)
		err = tx.Bucket(bucketOutbox).ForEach(func(k, v []byte) error {
			row, err := decodeOutboxRow(k, v)
			if err != nil {
				if !report(err) {
					return errStop
				}
				return nil
			}
			what := fmt.Sprintf("outbox row %q", k)
			if lv := idx.Get(dueKey(row.Due, string(k))); lv == nil {
				if !corrupt(what, "it is missing from the due index, so no claim will find it") {
					return errStop
				}
			} else if !bytes.Equal(lv, leaseValue(row.LeaseUntil)) {
				if !corrupt(what, "its lease end differs from the due index's") {
					return errStop
				}
			}
			e := row.Notification.Entry
			switch hashes, ok := heads[e.ReleaseID]; {
			case !ok:
				if !corrupt(what, "release %s is not stored (an orphan row)", e.ReleaseID) {
					return errStop
				}
			case hashes[e.Sequence] != e.Hash || e.Hash == "":
				if !corrupt(what, "entry %d is not in the history of release %s (an orphan row)", e.Sequence, e.ReleaseID) {
					return errStop
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		rows := tx.Bucket(bucketOutbox)
		err = idx.ForEach(func(k, _ []byte) error {
			if len(k) <= timeKeyLen || rows.Get(k[timeKeyLen:]) == nil {
				if !corrupt(fmt.Sprintf("outbox due index key %x", k), "no outbox row belongs to it") {
					return errStop
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		books := tx.Bucket(bucketBookings)
		bidx := tx.Bucket(bucketBookingsEnv)
		err = books.ForEach(func(k, v []byte) error {
			b, err := decodeBooking(k, v)
			if err != nil {
				if !report(err) {
					return errStop
				}
				return nil
			}
			if end := bidx.Get(envKey(b)); !bytes.Equal(end, appendTime(nil, b.End)) {
				if !corrupt(fmt.Sprintf("booking %q", k), "its environment index entry is missing or has another end") {
					return errStop
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		return bidx.ForEach(func(k, v []byte) error {
			var id []byte
			if len(k) >= 4 {
				n := int(uint32(k[0])<<24 | uint32(k[1])<<16 | uint32(k[2])<<8 | uint32(k[3]))
				if 4+n+timeKeyLen <= len(k) {
					id = k[4+n+timeKeyLen:]
				}
			}
			if id == nil || books.Get(id) == nil {
				if !corrupt(fmt.Sprintf("booking index key %x", k), "no booking row belongs to it") {
					return errStop
				}
			}
			return nil
		})
	})
	if err != nil && !errors.Is(err, errStop) {
		return err
	}
	return errors.Join(problems...)
}

var errStop = errors.New("bolt: check stopped after too many problems")

// historyIn reads a release's history inside tx.
func (s *Store) historyIn(tx *bbolt.Tx, id release.ID) ([]release.AuditEntry, error) {
	hb := tx.Bucket(bucketHistory).Bucket(id[:])
	if hb == nil {
		return nil, &release.CorruptError{What: fmt.Sprintf("release %s", id), Reason: "its history bucket is missing"}
	}
	var out []release.AuditEntry
	err := hb.ForEach(func(k, v []byte) error {
		e, err := decodeHistoryEntry(id, k, v)
		if err != nil {
			return err
		}
		out = append(out, e)
		return nil
	})
	return out, err
}
