package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/releasekit/releasekit/release"
)

// SQLSTATE codes of stored bytes that are not UTF-8 text or JSON any more.
const (
	codeBadEncoding = "22021" // character_not_in_repertoire
	codeBadText     = "22P05" // untranslatable_character
	codeBadJSON     = "22P02" // invalid_text_representation
)

// wholeHistory is the condition of an Update ($1 the release, $2 the expected
// revision, $13 the hash the new entry chains to) that the stored history ends at the
// stored head and the stored release is what its last entry says: the history holds
// exactly $2 entries, entry $2 carries hash $13, the row's head is $13, and the row's
// state, update time and every field of the entry's snapshot (when it has one) are
// the entry's. It is evaluated in the same statement as the swap, so nothing is
// appended to a history with entries missing, a rewritten head or an edited release.
//
// "Exactly $2 entries" costs three index probes, not a count of the history (which
// made every append cost as much as the history is long): entry $2 is stored, no
// entry after it is, and no entry is unlinked. The links of migration 0006 make the
// rest the database's to keep: every entry after the first is linked to its
// predecessor as it is inserted (a trigger, migration 0007, whoever writes it) and
// the foreign key is checked then, so no entry is written past a gap; and removing
// an entry, or changing its key, unlinks its successor. So entry
// $2, linked back to entry 1, stands for the whole history. The entry and the row are
// each parsed once (OFFSET 0 keeps the planner from inlining the parse into every
// comparison).
func wholeHistory(hist string) string {
	return `NOT EXISTS (SELECT 1 FROM ` + hist + ` WHERE release_id = $1 AND seq > $2)
	AND NOT EXISTS (SELECT 1 FROM ` + hist + ` WHERE release_id = $1 AND prev_seq IS NULL AND seq > 1)
	AND EXISTS (SELECT 1 FROM ` + hist + ` h,
		LATERAL (SELECT convert_from(h.entry, 'UTF8')::jsonb AS e, convert_from(doc, 'UTF8')::jsonb AS d OFFSET 0) j
		WHERE h.release_id = $1 AND h.seq = $2
		AND j.e ->> 'hash' = $13 AND j.d ->> 'head' = $13
		AND j.d ->> 'state' = j.e ->> 'to'
		AND (j.d ->> 'updated_at')::timestamptz = (j.e ->> 'time')::timestamptz
		AND (j.e -> 'snapshot' IS NULL OR j.e -> 'snapshot' = j.d - '{id,state,revision,head,created_at,updated_at,reached}'::text[]))`
}

// tailQuery reads what release.VerifyAppend needs: the stored release, how many
// entries its history holds and its last entry; and the first entry that is not
// linked to its predecessor (NULL when every entry is).
func tailQuery(rel, hist string) string {
	return `SELECT r.doc, (SELECT count(*) FROM ` + hist + ` WHERE release_id = $1),
	(SELECT entry FROM ` + hist + ` WHERE release_id = $1 ORDER BY seq DESC LIMIT 1),
	(SELECT min(seq) FROM ` + hist + ` WHERE release_id = $1 AND prev_seq IS NULL AND seq > 1)
FROM ` + rel + ` r WHERE r.id = $1`
}

// whyNotAppended tells why an Update swapped no row: the release is not stored
// (ErrNotFound), it is at another revision (*ConflictError), or its history does not
// end at its head (*HistoryError, from release.VerifyAppend, or for an entry left
// unlinked by a removal). A history that is whole now, at the expected revision,
// means a concurrent change got in between: a conflict.
func (s *Store) whyNotAppended(ctx context.Context, id release.ID, expected int64) error {
	var (
		doc, last []byte
		count     int64
		unlinked  *int64
	)
	if err := s.pool.QueryRow(ctx, s.q.tail, [16]byte(id)).Scan(&doc, &count, &last, &unlinked); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("postgres: update release %s: %w", id, release.ErrNotFound)
		}
		// The swap failed; report the conflict even if the reason cannot be read.
		return &release.ConflictError{ID: id, Expected: expected}
	}
	cur, err := decodeRelease(id, doc)
	if err != nil {
		return err
	}
	if cur.Revision != expected {
		return &release.ConflictError{ID: id, Expected: expected, Actual: cur.Revision}
	}
	var e release.AuditEntry
	if last != nil {
		if e, err = release.DecodeEntry(last); err != nil {
			var ce *release.CorruptError
			reason := err.Error()
			if errors.As(err, &ce) {
				reason = ce.Reason
			}
			return &release.HistoryError{ID: id, Index: int(count - 1), Sequence: count,
				Reason: "the last stored entry does not read back (" + reason + "); refusing to append to it"}
		}
	}
	if err := release.VerifyAppend(cur, count, e); err != nil {
		return err
	}
	if unlinked != nil {
		// Every entry is there again, but one was removed in between (and put back):
		// the history is not known to be the one that was written.
		return &release.HistoryError{ID: id, Index: int(*unlinked - 1), Sequence: *unlinked,
			Reason: fmt.Sprintf("entry %d is not linked to entry %d: that entry was removed from the store, or its key changed, after entry %d was written; refusing to append (verify the history, then link the entry again)", *unlinked, *unlinked-1, *unlinked)}
	}
	return &release.ConflictError{ID: id, Expected: expected, Actual: cur.Revision}
}
