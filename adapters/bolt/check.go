package bolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	bbolt "go.etcd.io/bbolt"

	"github.com/releasekit/releasekit/release"
)

// maxProblems caps how many problems [Store.Check] reports.
const maxProblems = 100

// Check reads the whole file in one read transaction (writers are not blocked) and
// verifies what the store promises: every value in every bucket matches its checksum
// (a byte altered on disk or by hand is found, wherever it is) and a lookup by its key
// finds it (damage to a page's keys is found); every release decodes, has a history
// that verifies against its head and is what that history says, field by field
// (release.VerifyRelease: an edited state, author or environment is named), with as
// many entries as its revision; no history without its release; the releases' index
// holds exactly the keys the release rows give (a release missing from it under its
// name, a component, its environment, state or creation time is reported, and so is
// a key that points to a release that is not stored or whose row has another value);
// every outbox row decodes, is in the due index, and is the notification of an entry
// that exists in its release's history with the same hash (no orphan rows); every
// booking decodes, is in the environment index and is no longer than its
// environment's recorded longest booking, and every index entry points to its row;
// every lockdown history row decodes under its sequence and the history verifies
// (release.VerifyLockdownHistory). It returns nil or the problems joined (errors.Join,
// at most 100), each matching release.ErrCorrupt or release.ErrTampered. A file too
// damaged for bbolt to read is a *DamagedError, and so is a meta page found damaged
// when the file was opened (bbolt then opened it at the transaction before, so the
// last commit may be lost). Its cost is linear in the size of the file.
func (s *Store) Check(ctx context.Context) error {
	var problems []error
	report := func(err error) error {
		problems = append(problems, err)
		if len(problems) >= maxProblems {
			return errStop
		}
		return nil
	}
	corrupt := func(what, format string, args ...any) error {
		return report(&release.CorruptError{What: what, Reason: fmt.Sprintf(format, args...)})
	}
	if s.metaDamage != "" {
		problems = append(problems, &DamagedError{Path: s.path, Reason: s.metaDamage})
	}
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		for _, name := range allBuckets {
			if tx.Bucket(name) == nil {
				return corrupt(fmt.Sprintf("bucket %s", name), "it is missing")
			}
		}
		if err := checkLookups(ctx, tx, corrupt); err != nil {
			return err
		}
		heads, want, err := checkReleases(ctx, s, tx, report, corrupt)
		if err != nil {
			return err
		}
		if err := checkIndex(ctx, tx, want, report, corrupt); err != nil {
			return err
		}
		if err := checkOutbox(tx, heads, report, corrupt); err != nil {
			return err
		}
		if err := checkLockdowns(tx, report); err != nil {
			return err
		}
		return checkBookings(tx, report, corrupt)
	})
	if err != nil && !errors.Is(err, errStop) {
		return err
	}
	return errors.Join(problems...)
}

var errStop = errors.New("bolt: check stopped after too many problems")

// checkLookups finds, for every key a cursor walk visits in every bucket (nested ones
// too), that a lookup by that key finds it. Damage to a key in a branch page sends
// lookups to the wrong page while a walk still visits every row: reads would then say
// "not found" for a row that exists, which no checksum of the row can reveal.
func checkLookups(ctx context.Context, tx *bbolt.Tx, corrupt corrupter) error {
	var walk func(path string, b *bbolt.Bucket) error
	walk = func(path string, b *bbolt.Bucket) error {
		return b.ForEach(func(k, v []byte) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			if v == nil {
				nested := b.Bucket(k)
				if nested == nil {
					return corrupt(fmt.Sprintf("bucket %s key %x", path, k), "a nested bucket the walk visits is not found by its key (damaged page)")
				}
				return walk(fmt.Sprintf("%s/%x", path, k), nested)
			}
			if got := b.Get(k); !bytes.Equal(got, v) {
				return corrupt(fmt.Sprintf("bucket %s key %x", path, k), "a row the walk visits is not found by its key (damaged page)")
			}
			return nil
		})
	}
	return tx.ForEach(func(name []byte, b *bbolt.Bucket) error { return walk(string(name), b) })
}

type reporter func(err error) error
type corrupter func(what, format string, args ...any) error

// checkReleases checks every release row and its history, and returns the hashes of
// every release's entries by sequence and the index keys the readable rows must have.
func checkReleases(ctx context.Context, s *Store, tx *bbolt.Tx, report reporter, corrupt corrupter) (map[release.ID]map[int64]string, indexWant, error) {
	rels := tx.Bucket(bucketReleases)
	hist := tx.Bucket(bucketHistory)
	heads := map[release.ID]map[int64]string{}
	want := indexWant{keys: map[string]bool{}, unreadable: map[release.ID]bool{}}
	err := rels.ForEach(func(k, v []byte) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		payload, err := tReleases.open(k, v)
		if err != nil {
			if len(k) == 16 {
				want.unreadable[release.ID(k)] = true
			}
			return report(err)
		}
		r, err := decodeRelease(k, payload)
		if err != nil {
			if len(k) == 16 {
				want.unreadable[release.ID(k)] = true
			}
			return report(err)
		}
		for _, ik := range indexKeys(r) {
			want.keys[string(ik)] = true
		}
		h, err := s.historyIn(tx, r.ID)
		if err != nil {
			return report(err)
		}
		if err := release.VerifyRelease(r, h); err != nil {
			if err := report(err); err != nil {
				return err
			}
		}
		if int64(len(h)) != r.Revision {
			if err := corrupt(fmt.Sprintf("release %s", r.ID), "revision %d but %d history entries", r.Revision, len(h)); err != nil {
				return err
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
		return nil, want, err
	}
	err = hist.ForEach(func(k, v []byte) error {
		if v != nil {
			return corrupt(fmt.Sprintf("history key %x", k), "it holds a value, not a release's history bucket")
		}
		if rels.Get(k) == nil {
			return corrupt(fmt.Sprintf("history bucket %x", k), "no release row has this ID")
		}
		return nil
	})
	return heads, want, err
}

// indexWant is what the releases' index must hold: the keys of every readable
// release row, and the IDs of the rows that did not read (already reported).
type indexWant struct {
	keys       map[string]bool
	unreadable map[release.ID]bool
}

// checkIndex checks every index key against the release rows: each key must be one
// a row has (a key of a release that is not stored, or that the row's fields do not
// give, is reported), and each key a row has must be in the index (a release missing
// from an index is never listed by a filter on that field).
func checkIndex(ctx context.Context, tx *bbolt.Tx, want indexWant, report reporter, corrupt corrupter) error {
	rels := tx.Bucket(bucketReleases)
	err := tx.Bucket(bucketIndex).ForEach(func(k, v []byte) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if _, err := tIndex.open(k, v); err != nil {
			return report(err)
		}
		if want.keys[string(k)] {
			delete(want.keys, string(k))
			return nil
		}
		what := fmt.Sprintf("index key %x (bucket %s)", k, bucketIndex)
		if len(k) < 17 {
			return corrupt(what, "it is too short to end with a release ID")
		}
		id := release.ID(k[len(k)-16:])
		switch {
		case want.unreadable[id]:
			return nil
		case rels.Get(id[:]) == nil:
			return corrupt(what, "it points to release %s, which is not stored; restore the file from a backup", id)
		}
		return corrupt(what, "it points to release %s, whose row does not have this %s (a stale or forged entry: filters on it list the wrong releases); restore the file from a backup", id, indexField(k[0]))
	})
	if err != nil {
		return err
	}
	missing := make([]string, 0, len(want.keys))
	for k := range want.keys {
		missing = append(missing, k)
	}
	slices.Sort(missing)
	for _, k := range missing {
		id := release.ID([]byte(k[len(k)-16:]))
		if err := corrupt(fmt.Sprintf("release %s", id), "its %s is missing from the index (key %x): filters on it do not list the release; restore the file from a backup", indexField(k[0]), k); err != nil {
			return err
		}
	}
	return nil
}

// indexField names the field of an index key's tag.
func indexField(tag byte) string {
	switch tag {
	case 'n':
		return "name"
	case 'c':
		return "component"
	case 'e':
		return "environment"
	case 's':
		return "state"
	case createdTag:
		return "creation time"
	}
	return fmt.Sprintf("field %q", tag)
}

// checkOutbox checks every outbox row against its due index entry and the history
// it notifies of, and every due index entry against its row.
func checkOutbox(tx *bbolt.Tx, heads map[release.ID]map[int64]string, report reporter, corrupt corrupter) error {
	rows := tx.Bucket(bucketOutbox)
	idx := tx.Bucket(bucketOutboxDue)
	err := rows.ForEach(func(k, v []byte) error {
		payload, err := tOutbox.open(k, v)
		if err != nil {
			return report(err)
		}
		row, err := decodeOutboxRow(k, payload)
		if err != nil {
			return report(err)
		}
		what := fmt.Sprintf("outbox row %q", k)
		dk := dueKey(row.Due, string(k))
		switch lv := idx.Get(dk); {
		case lv == nil:
			if err := corrupt(what, "it is missing from the due index, so no claim will find it"); err != nil {
				return err
			}
		default:
			lease, err := tOutboxDue.open(dk, lv)
			if err != nil {
				return report(err)
			}
			if !bytes.Equal(lease, leaseValue(row.LeaseUntil)) {
				if err := corrupt(what, "its lease end differs from the due index's"); err != nil {
					return err
				}
			}
		}
		e := row.Notification.Entry
		switch hashes, ok := heads[e.ReleaseID]; {
		case !ok:
			return corrupt(what, "release %s is not stored (an orphan row)", e.ReleaseID)
		case hashes[e.Sequence] != e.Hash || e.Hash == "":
			return corrupt(what, "entry %d is not in the history of release %s (an orphan row)", e.Sequence, e.ReleaseID)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return idx.ForEach(func(k, v []byte) error {
		if _, err := tOutboxDue.open(k, v); err != nil {
			return report(err)
		}
		if len(k) <= timeKeyLen || rows.Get(k[timeKeyLen:]) == nil {
			return corrupt(fmt.Sprintf("outbox due index key %x", k), "no outbox row belongs to it")
		}
		return nil
	})
}

// checkBookings checks every booking against its environment index entry and its
// environment's longest booking, and every index entry against its row.
func checkBookings(tx *bbolt.Tx, report reporter, corrupt corrupter) error {
	books := tx.Bucket(bucketBookings)
	bidx := tx.Bucket(bucketBookingsEnv)
	span := tx.Bucket(bucketBookingSpan)
	err := span.ForEach(func(k, v []byte) error {
		if _, err := getSpan(span, string(k)); err != nil {
			return report(err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	err = books.ForEach(func(k, v []byte) error {
		b, err := openBooking(k, v)
		if err != nil {
			return report(err)
		}
		what := fmt.Sprintf("booking %q", k)
		ek := envKey(b)
		switch ev := bidx.Get(ek); {
		case ev == nil:
			if err := corrupt(what, "its environment index entry is missing"); err != nil {
				return err
			}
		default:
			end, err := tBookingsEnv.open(ek, ev)
			if err != nil {
				return report(err)
			}
			if !bytes.Equal(end, appendTime(nil, b.End)) {
				if err := corrupt(what, "its environment index entry has another end"); err != nil {
					return err
				}
			}
		}
		longest, err := getSpan(span, b.Environment)
		if err == nil && b.End.Sub(b.Start) > longest {
			return corrupt(what, "it is longer (%v) than the longest booking recorded for %s (%v), so searches can miss it", b.End.Sub(b.Start), b.Environment, longest)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return bidx.ForEach(func(k, v []byte) error {
		if _, err := tBookingsEnv.open(k, v); err != nil {
			return report(err)
		}
		var id []byte
		if len(k) >= 4 {
			if n := int(binary.BigEndian.Uint32(k)); 4+n+timeKeyLen <= len(k) {
				id = k[4+n+timeKeyLen:]
			}
		}
		if id == nil || books.Get(id) == nil {
			return corrupt(fmt.Sprintf("booking index key %x", k), "no booking row belongs to it")
		}
		return nil
	})
}

// historyIn reads a release's history inside tx.
func (s *Store) historyIn(tx *bbolt.Tx, id release.ID) ([]release.AuditEntry, error) {
	hb := tx.Bucket(bucketHistory).Bucket(id[:])
	if hb == nil {
		return nil, &release.CorruptError{What: fmt.Sprintf("release %s", id), Reason: "its history bucket is missing"}
	}
	var out []release.AuditEntry
	t := historyTable(id[:])
	err := hb.ForEach(func(k, v []byte) error {
		payload, err := t.open(k, v)
		if err != nil {
			return err
		}
		e, err := decodeHistoryEntry(id, k, payload)
		if err != nil {
			return err
		}
		out = append(out, e)
		return nil
	})
	return out, err
}
