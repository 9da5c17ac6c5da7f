package postgres

// LoadMigrations exposes the migration loader to the black-box tests.
var LoadMigrations = loadMigrations

// OnRetry makes s call f with every attempt the database aborted as a deadlock or a
// serialization failure (before it retries or gives up).
func OnRetry(s *Store, f func(op string, attempt int, err error)) { s.onRetry = f }
