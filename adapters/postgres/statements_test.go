package postgres_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/adapters/postgres"
)

// TestWriteStatements: every variant of the create and update statements, built once
// per store, is one the server prepares, with the parameters the write passes: the
// bare statement's, then the outbox row's two, the idempotency key's four and the
// lockdown fence.
func TestWriteStatements(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openStore(t, "")
	conn, err := s.Pool().Acquire(ctx)
	require.NoError(t, err)
	defer conn.Release()
	prepared := 0
	params := func(name, sql string) int {
		t.Helper()
		prepared++
		d, err := conn.Conn().Prepare(ctx, fmt.Sprintf("%s_%d", name, prepared), sql)
		require.NoError(t, err, "%s:\n%s", name, sql)
		return len(d.ParamOIDs)
	}
	for _, keyed := range []bool{false, true} {
		n := 11
		if keyed {
			n += 4
		}
		q := postgres.CreateStatement(s, keyed)
		require.Equal(t, n, params("create", q))
		require.Equal(t, keyed, strings.Contains(q, "idempotency_keys"))
	}
	for _, outbox := range []bool{false, true} {
		for _, keyed := range []bool{false, true} {
			for _, fenced := range []bool{false, true} {
				n := 13
				if outbox {
					n += 2
				}
				if keyed {
					n += 4
				}
				if fenced {
					n++
				}
				q := postgres.UpdateStatement(s, outbox, keyed, fenced)
				require.Equal(t, n, params("update", q), "outbox %v, keyed %v, fenced %v:\n%s", outbox, keyed, fenced, q)
				require.Equal(t, outbox, strings.Contains(q, `"outbox"`), q)
				require.Equal(t, keyed, strings.Contains(q, `"idempotency_keys"`), q)
				require.Equal(t, fenced, strings.Contains(q, `"lockdown_head"`), q)
			}
		}
	}
}
