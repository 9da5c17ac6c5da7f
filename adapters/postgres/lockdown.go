package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/releasekit/releasekit/adapters/internal/lockdownrow"
	"github.com/releasekit/releasekit/release"
)

var _ release.LockdownStore = (*Store)(nil)

func (s *Store) lockdownTables() (entries, head string) {
	return pgx.Identifier{s.schema, "lockdowns"}.Sanitize(), pgx.Identifier{s.schema, "lockdown_head"}.Sanitize()
}

// AppendLockdown implements [release.LockdownStore]: one statement moves the head
// from e.Sequence-1 to e.Sequence (taking its row lock until the commit) and inserts
// the entry; when the head is elsewhere nothing is inserted and the error matches
// release.ErrStale.
func (s *Store) AppendLockdown(ctx context.Context, e release.LockdownEntry) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b, err := json.Marshal(e)
	if err != nil {
		return &release.CorruptError{What: "lockdown entry", Reason: err.Error()}
	}
	entries, head := s.lockdownTables()
	q := `WITH h AS (UPDATE ` + head + ` SET seq = $1 WHERE id = 1 AND seq = $1 - 1 RETURNING seq)
INSERT INTO ` + entries + ` (seq, entry) SELECT seq, $2 FROM h`
	op := "append lockdown entry " + strconv.FormatInt(e.Sequence, 10)
	var n int64
	err = s.retry(ctx, op, func(ctx context.Context) error {
		tag, err := s.pool.Exec(ctx, q, e.Sequence, b)
		n = tag.RowsAffected()
		return err
	})
	if err != nil {
		var te *ContentionError
		if errors.As(err, &te) {
			return te
		}
		if code, _ := pgCode(err); code == codeUniqueViolation {
			return fmt.Errorf("postgres: %s: %w: the entry exists", op, release.ErrStale)
		}
		return fail(ctx, op, err)
	}
	if n != 1 {
		return fmt.Errorf("postgres: %s: %w: the lockdown history does not hold %d entries", op, release.ErrStale, e.Sequence-1)
	}
	return nil
}

// LockdownHistory implements [release.LockdownStore]. A row that does not decode, or
// holds another sequence's entry, is a *release.CorruptError.
func (s *Store) LockdownHistory(ctx context.Context) ([]release.LockdownEntry, error) {
	return s.LockdownHistoryFrom(ctx, 1)
}

// LockdownHistoryFrom implements [release.LockdownStore] as LockdownHistory does,
// reading only the rows from sequence from on (a range scan of the primary key).
func (s *Store) LockdownHistoryFrom(ctx context.Context, from int64) ([]release.LockdownEntry, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	entries, _ := s.lockdownTables()
	rows, err := s.pool.Query(ctx, `SELECT seq, entry FROM `+entries+` WHERE seq >= $1 ORDER BY seq`, max(from, 1))
	if err != nil {
		return nil, fail(ctx, "read the lockdown history", err)
	}
	defer rows.Close()
	out := []release.LockdownEntry{}
	for rows.Next() {
		var (
			seq int64
			raw []byte
		)
		if err := rows.Scan(&seq, &raw); err != nil {
			return nil, fail(ctx, "read the lockdown history", err)
		}
		e, err := lockdownrow.Decode(raw, seq)
		if err != nil {
			return nil, &release.CorruptError{What: fmt.Sprintf("lockdown entry %d", seq), Reason: err.Error()}
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fail(ctx, "read the lockdown history", err)
	}
	return out, nil
}

// UpdateFenced implements [release.LockdownStore]: the statement of Update (or
// UpdateKeyed) swaps the release only while the lockdown head holds fence, which it
// takes FOR SHARE. An append that committed first has moved the head (read
// committed re-reads the locked row), so nothing is swapped; an append that comes
// later waits for the head's lock until this statement's transaction ends. Either
// way the start commits before the append or not at all.
func (s *Store) UpdateFenced(ctx context.Context, expected int64, r release.Release, e release.AuditEntry, k *release.KeyRecord, fence int64) error {
	return s.update(ctx, expected, r, e, k, &fence)
}

// fenced returns the update statement q with the lockdown fence in its swap's
// condition, with fence appended to args.
func (s *Store) fenced(q string, args []any, fence *int64) (string, []any, error) {
	if fence == nil {
		return q, args, nil
	}
	const cond = "WHERE id = $1 AND revision = $2 AND "
	i := strings.Index(q, cond)
	if i < 0 {
		return "", nil, fmt.Errorf("postgres: internal: no swap to fence in %q", q)
	}
	_, head := s.lockdownTables()
	args = append(args, *fence)
	p := "$" + strconv.Itoa(len(args))
	i += len(cond)
	q = q[:i] + "EXISTS (SELECT 1 FROM " + head + " WHERE id = 1 AND seq = " + p + " FOR SHARE) AND " + q[i:]
	return q, args, nil
}

// fenceMoved tells, after a fenced update swapped nothing, whether the lockdown head
// moved from fence (an error matching release.ErrStale) or not (nil).
func (s *Store) fenceMoved(ctx context.Context, fence *int64) error {
	if fence == nil {
		return nil
	}
	_, head := s.lockdownTables()
	var seq int64
	if err := s.pool.QueryRow(ctx, `SELECT seq FROM `+head+` WHERE id = 1`).Scan(&seq); err != nil {
		return fail(ctx, "read the lockdown head", err)
	}
	if seq != *fence {
		return fmt.Errorf("postgres: %w", lockdownrow.FenceMoved(seq, *fence))
	}
	return nil
}
