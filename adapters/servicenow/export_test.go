package servicenow

// Locks returns how many per-release locks s holds, for tests.
func Locks(s *Syncer) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.locks)
}
