package postgres

// LoadMigrations exposes the migration loader to the black-box tests.
var LoadMigrations = loadMigrations

// OnRetry makes s call f with every attempt the database aborted as a deadlock or a
// serialization failure (before it retries or gives up).
func OnRetry(s *Store, f func(op string, attempt int, err error)) { s.onRetry = f }

// UpdateStatement returns s's update statement with or without the outbox row, the
// idempotency key's row and the lockdown fence; CreateStatement its create statement
// with or without the key's row.
func UpdateStatement(s *Store, outbox, keyed, fenced bool) string {
	return s.q.update[writeVariant(outbox, keyed, fenced)]
}

func CreateStatement(s *Store, keyed bool) string {
	if keyed {
		return s.q.create[1]
	}
	return s.q.create[0]
}
