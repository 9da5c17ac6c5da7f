package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/releasekit/releasekit/release"
)

var _ release.KeyStore = (*Store)(nil)

// keysPkey is the primary key constraint of the idempotency keys table.
const keysPkey = "idempotency_keys_pkey"

// CreateKeyed implements [release.KeyStore]: the key row is inserted by the same
// statement as the release and its first entry, so both commit or neither does.
func (s *Store) CreateKeyed(ctx context.Context, r release.Release, first release.AuditEntry, k release.KeyRecord) error {
	return s.create(ctx, r, first, &k)
}

// UpdateKeyed implements [release.KeyStore]: the key row is inserted by the same
// statement as the swap, so both commit or neither does.
func (s *Store) UpdateKeyed(ctx context.Context, expected int64, r release.Release, e release.AuditEntry, k release.KeyRecord) error {
	return s.update(ctx, expected, r, e, &k, nil)
}

// LookupKey implements [release.KeyStore].
func (s *Store) LookupKey(ctx context.Context, key string) (release.KeyRecord, error) {
	if err := ctx.Err(); err != nil {
		return release.KeyRecord{}, err
	}
	var b []byte
	err := s.pool.QueryRow(ctx, `SELECT record FROM `+s.keysTable()+` WHERE key = $1`, key).Scan(&b)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return release.KeyRecord{}, release.ErrNotFound
	case err != nil:
		return release.KeyRecord{}, fail(ctx, "look up idempotency key", err)
	}
	return release.DecodeKeyRecord(b)
}

func (s *Store) keysTable() string { return pgx.Identifier{s.schema, "idempotency_keys"}.Sanitize() }

// keyed returns the statement q extended to insert an idempotency key's row for the
// release the CTE named from returns, from the four parameters after q's own (the
// key, the request's hash, the history sequence, the record; see keyArgs). The key
// row is a CTE of the same statement: a taken key fails the whole statement, and a
// swap that matches no row inserts no key. The store builds it once (buildWrites).
func keyed(q, keys, from string) (string, error) {
	n := maxParam(q)
	p := func(i int) string { return "$" + strconv.Itoa(n+i) }
	cte := "k AS (INSERT INTO " + keys + " (key, request, release_id, seq, record) SELECT " +
		p(1) + ", " + p(2) + ", id, " + p(3) + ", " + p(4) + " FROM " + from + ")"
	// The first CTE (the release's insert or swap) ends with "RETURNING id)".
	const end = "RETURNING id)"
	i := strings.Index(q, end)
	if i < 0 {
		return "", fmt.Errorf("postgres: internal: no CTE to key in %q", q)
	}
	i += len(end)
	return q[:i] + ",\n" + cte + q[i:], nil
}

// keyArgs appends the parameters of a keyed statement for k, when not nil, to args.
func keyArgs(args []any, seq int64, k *release.KeyRecord) ([]any, error) {
	if k == nil {
		return args, nil
	}
	rec, err := release.EncodeKeyRecord(*k)
	if err != nil {
		return nil, err
	}
	return append(args, k.Key, k.Request, seq, rec), nil
}

// keyTaken maps the violation of the keys' primary key onto ErrAlreadyExists; nil
// for any other error.
func keyTaken(err error, k *release.KeyRecord) error {
	if k == nil {
		return nil
	}
	if code, constraint := pgCode(err); code == codeUniqueViolation && constraint == keysPkey {
		return fmt.Errorf("postgres: idempotency key %q: %w", k.Key, release.ErrAlreadyExists)
	}
	return nil
}
