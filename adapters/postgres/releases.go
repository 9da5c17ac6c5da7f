package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/releasekit/releasekit/adapters/internal/entrycodec"
	"github.com/releasekit/releasekit/release"
)

// checkWrite reports what makes r and e unfit to store together: the entry must
// belong to the release and carry its revision as its sequence.
func checkWrite(r release.Release, e release.AuditEntry) error {
	var p []string
	if r.ID.IsZero() {
		p = append(p, "release ID is zero")
	}
	if e.ReleaseID != r.ID {
		p = append(p, fmt.Sprintf("entry belongs to release %s, not %s", e.ReleaseID, r.ID))
	}
	if e.Sequence != r.Revision {
		p = append(p, fmt.Sprintf("entry sequence %d is not the release's revision %d", e.Sequence, r.Revision))
	}
	if r.Revision < 1 {
		p = append(p, fmt.Sprintf("revision %d is not positive", r.Revision))
	}
	if len(p) == 0 {
		return nil
	}
	return &release.ValidationError{What: "write to the postgres store", Problems: p}
}

// encodeRelease returns the release's JSON (stored as bytes, exactly) and its labels
// as a JSON object (stored as jsonb, for containment queries).
func encodeRelease(r release.Release) (doc, labels []byte, err error) {
	if doc, err = release.EncodeRelease(r); err != nil {
		return nil, nil, err
	}
	labels = []byte("{}")
	if len(r.Labels) > 0 {
		if labels, err = json.Marshal(r.Labels); err != nil {
			return nil, nil, fmt.Errorf("%w: labels of release %s cannot be encoded as JSON: %v", release.ErrInvalid, r.ID, err)
		}
	}
	return doc, labels, nil
}

// movedFrom reports whether why (from whyNotAppended) says the release is at another
// revision than expected. A StaleError without its actual revision (the read that
// would have said failed) says nothing.
func movedFrom(why error, expected int64) bool {
	se := (*release.StaleError)(nil)
	return errors.As(why, &se) && se.Actual != 0 && se.Actual != expected
}

// decodeRelease decodes the doc of the row with the given ID with
// release.DecodeRelease (the checks every store shares) and checks that it is that
// release's.
func decodeRelease(id release.ID, doc []byte) (release.Release, error) {
	r, err := release.DecodeRelease(doc)
	if err != nil {
		var ce *release.CorruptError
		if errors.As(err, &ce) {
			return release.Release{}, &release.CorruptError{What: "release " + id.String(), Reason: ce.Reason}
		}
		return release.Release{}, err
	}
	if r.ID != id {
		return release.Release{}, &release.CorruptError{What: "release " + id.String(), Reason: "stored document has ID " + r.ID.String()}
	}
	return r, nil
}

// Create implements [release.Store]: the release row and its first history entry are
// written by one statement. A stored ID returns an error matching
// [release.ErrAlreadyExists].
func (s *Store) Create(ctx context.Context, r release.Release, first release.AuditEntry) error {
	return s.create(ctx, r, first, nil)
}

// create is Create that also stores k, when not nil, in the same statement.
func (s *Store) create(ctx context.Context, r release.Release, first release.AuditEntry, k *release.KeyRecord) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := checkWrite(r, first); err != nil {
		return err
	}
	doc, labels, err := encodeRelease(r)
	if err != nil {
		return err
	}
	entry, _, err := entrycodec.Encode("postgres", first)
	if err != nil {
		return err
	}
	q, args := s.q.create[0], []any{[16]byte(r.ID), r.Name, r.Version, r.Environment,
		string(r.Class), string(r.State), r.Revision, doc, first.Sequence, entry, labels}
	if k != nil {
		q = s.q.create[1]
	}
	if args, err = keyArgs(args, first.Sequence, k); err != nil {
		return err
	}
	op := "create release " + r.ID.String()
	err = s.retry(ctx, op, func(ctx context.Context) error {
		_, err := s.pool.Exec(ctx, q, args...)
		return err
	})
	if err != nil {
		var te *ContentionError
		if errors.As(err, &te) {
			return te
		}
		if err := keyTaken(err, k); err != nil {
			return err
		}
		switch code, _ := pgCode(err); code {
		case codeUniqueViolation:
			return fmt.Errorf("postgres: create release %s: %w", r.ID, release.ErrAlreadyExists)
		case codeBadEncoding, codeBadText, codeBadJSON:
			return fmt.Errorf("%w: postgres: create release %s: the database cannot read its text as JSON: remove any U+0000 from the release's fields: %v", release.ErrInvalid, r.ID, err)
		}
		return settle(ctx, op, err, s.landed(r.ID, first.Sequence, entry))
	}
	return nil
}

// landed reports whether the history row (id, seq) holds exactly entry: the mark that
// a write carrying it committed.
func (s *Store) landed(id release.ID, seq int64, entry []byte) func(context.Context) (bool, error) {
	return func(ctx context.Context) (bool, error) {
		var ok bool
		err := s.pool.QueryRow(ctx, s.q.entryAt, [16]byte(id), seq, entry).Scan(&ok)
		return ok, err
	}
}

// Get implements [release.Store].
func (s *Store) Get(ctx context.Context, id release.ID) (release.Release, error) {
	if err := ctx.Err(); err != nil {
		return release.Release{}, err
	}
	var doc []byte
	if err := s.pool.QueryRow(ctx, s.q.get, [16]byte(id)).Scan(&doc); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return release.Release{}, fmt.Errorf("postgres: release %s: %w", id, release.ErrNotFound)
		}
		return release.Release{}, fail(ctx, "get release "+id.String(), err)
	}
	return decodeRelease(id, doc)
}

// List implements [release.Store]. Every filter field is evaluated by PostgreSQL, in
// ascending ID order (uuid order is byte order), through the indexes of migration
// 0004: (name, id), (environment, id) and (state, id) return a selective filter's
// matches in the order of the page, so LIMIT stops the scan; components with a GIN
// index (containment), creation ranges on (created_at, id), labels with jsonb
// containment. Creation times are compared to the microsecond, as every time the
// store keeps.
func (s *Store) List(ctx context.Context, f release.Filter) ([]release.Release, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := f.Validate(); err != nil {
		return nil, err
	}
	var (
		where []string
		args  []any
	)
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "$?", "$"+strconv.Itoa(len(args))))
	}
	if f.Environment != "" {
		add("environment = $?", f.Environment)
	}
	if f.Name != "" {
		add("name = $?", f.Name)
	}
	if f.Component != "" {
		add("components @> ARRAY[$?::text]", f.Component)
	}
	if f.Version != "" {
		add("version = $?", f.Version)
	}
	if f.Class != "" {
		add("class = $?", string(f.Class))
	}
	if len(f.States) > 0 {
		states := make([]string, len(f.States))
		for i, st := range f.States {
			states[i] = string(st)
		}
		add("state = ANY($?::text[])", states)
	}
	if len(f.Labels) > 0 {
		b, err := json.Marshal(f.Labels)
		if err != nil {
			return nil, fmt.Errorf("%w: labels filter: %v", release.ErrInvalid, err)
		}
		add("labels @> $?::jsonb", b)
	}
	if !f.CreatedFrom.IsZero() {
		add("created_at >= $?", f.CreatedFrom)
	}
	if !f.CreatedTo.IsZero() {
		add("created_at < $?", f.CreatedTo)
	}
	if !f.After.IsZero() {
		add("id > $?", [16]byte(f.After))
	}
	q := s.q.listBase
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY id"
	if f.Limit > 0 {
		args = append(args, f.Limit)
		q += " LIMIT $" + strconv.Itoa(len(args))
	}
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fail(ctx, "list releases", err)
	}
	defer rows.Close()
	out := []release.Release{}
	for rows.Next() {
		var (
			id  [16]byte
			doc []byte
		)
		if err := rows.Scan(&id, &doc); err != nil {
			return nil, fail(ctx, "list releases", err)
		}
		r, err := decodeRelease(release.ID(id), doc)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fail(ctx, "list releases", err)
	}
	return out, nil
}

// Update implements [release.Store]. One statement does the compare-and-swap on the
// revision, appends the history entry and records the outbox row, so either all three
// are committed or none is. The same statement appends only to a whole history: the
// release's head is e's PrevHash, the history holds exactly expected entries and the
// last one carries that hash. When no row was swapped, a second query tells
// [release.ErrNotFound], a *[release.ConflictError] and a *[release.HistoryError] (a
// history with entries missing, or whose last entry is not the head or does not
// verify) apart. With [WithoutOutbox] no outbox row is written.
func (s *Store) Update(ctx context.Context, expected int64, r release.Release, e release.AuditEntry) error {
	return s.update(ctx, expected, r, e, nil, nil)
}

// update is Update that also stores k, when not nil, in the same statement, and
// swaps only while the lockdown history holds *fence entries when fence is not nil.
func (s *Store) update(ctx context.Context, expected int64, r release.Release, e release.AuditEntry, k *release.KeyRecord, fence *int64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := checkWrite(r, e); err != nil {
		return err
	}
	doc, labels, err := encodeRelease(r)
	if err != nil {
		return err
	}
	entry, _, err := entrycodec.Encode("postgres", e)
	if err != nil {
		// An entry no read could return is refused (ErrInvalid), but a missing
		// release or a stale revision is the answer before the entry's validity,
		// as the statement would give it: one read, on this path only.
		why := s.whyNotAppended(ctx, r.ID, expected)
		if errors.Is(why, release.ErrNotFound) || movedFrom(why, expected) {
			return why
		}
		return err
	}
	q := s.q.update[writeVariant(!s.noOutbox, k != nil, fence != nil)]
	args := []any{[16]byte(r.ID), expected, r.Name, r.Version, r.Environment,
		string(r.Class), string(r.State), r.Revision, doc, e.Sequence, entry, labels, e.PrevHash}
	if !s.noOutbox {
		args = append(args, release.Notification{Release: r, Entry: e}.Key(), e.Time)
	}
	if args, err = keyArgs(args, e.Sequence, k); err != nil {
		return err
	}
	if fence != nil {
		args = append(args, *fence)
	}
	var n int64
	op := "update release " + r.ID.String()
	err = s.retry(ctx, op, func(ctx context.Context) error { return s.pool.QueryRow(ctx, q, args...).Scan(&n) })
	if err != nil {
		var te *ContentionError
		if errors.As(err, &te) {
			return te
		}
		if err := keyTaken(err, k); err != nil {
			return err
		}
		switch code, _ := pgCode(err); code {
		case codeUniqueViolation:
			// The history row or the outbox row of that sequence exists already: a
			// concurrent writer got there first.
			return &release.ConflictError{ID: r.ID, Expected: expected}
		case codeBadEncoding, codeBadText, codeBadJSON:
			// The stored row or history is not JSON the database can read any more.
			why := s.whyNotAppended(ctx, r.ID, expected)
			if se := (*release.StaleError)(nil); errors.As(why, &se) && se.Actual == expected {
				// Nothing else is wrong: the text is. Not ErrStale, which a caller retries.
				return &release.CorruptError{What: "release " + r.ID.String(), Reason: "the database cannot read its row, its history or the new entry as JSON (" + err.Error() +
					"); text holding U+0000, which earlier versions stored and this one refuses, is the usual cause. Nothing was written; the release can take no change on this store: History still reads and verifies it, so record what it says and create a new release to go on"}
			}
			return why
		}
		return settle(ctx, op, err, s.landed(r.ID, e.Sequence, entry))
	}
	if n == 1 {
		return nil
	}
	if err := s.fenceMoved(ctx, fence); err != nil {
		return err
	}
	return s.whyNotAppended(ctx, r.ID, expected)
}

// History implements [release.Store]. Every entry is decoded and checked with
// [release.DecodeEntry]; a row that does not decode, or whose entry names another
// release or sequence than its row, is a *[release.CorruptError].
func (s *Store) History(ctx context.Context, id release.ID) ([]release.AuditEntry, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, s.q.history, [16]byte(id))
	if err != nil {
		return nil, fail(ctx, "history of release "+id.String(), err)
	}
	defer rows.Close()
	var out []release.AuditEntry
	for rows.Next() {
		var (
			seq int64
			raw []byte
		)
		if err := rows.Scan(&seq, &raw); err != nil {
			return nil, fail(ctx, "history of release "+id.String(), err)
		}
		e, err := release.DecodeEntry(raw)
		if err != nil {
			var ce *release.CorruptError
			if errors.As(err, &ce) {
				ce.What = fmt.Sprintf("history entry %d of release %s", seq, id)
			}
			return nil, err
		}
		if e.ReleaseID != id || e.Sequence != seq {
			return nil, &release.CorruptError{
				What:   fmt.Sprintf("history entry %d of release %s", seq, id),
				Reason: fmt.Sprintf("the row holds entry %d of release %s", e.Sequence, e.ReleaseID),
			}
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fail(ctx, "history of release "+id.String(), err)
	}
	if len(out) > 0 {
		return out, nil
	}
	var exists bool
	if err := s.pool.QueryRow(ctx, s.q.exists, [16]byte(id)).Scan(&exists); err != nil {
		return nil, fail(ctx, "history of release "+id.String(), err)
	}
	if !exists {
		return nil, fmt.Errorf("postgres: history of release %s: %w", id, release.ErrNotFound)
	}
	return nil, &release.CorruptError{What: "history of release " + id.String(), Reason: "the release is stored but its history is empty"}
}
