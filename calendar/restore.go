package calendar

import "fmt"

// Restore adds bookings that were admitted earlier, for example bookings read back
// from a store, without checking them against the rules or each other: they keep
// counting against overlap and capacity for later checks, whatever exception or
// override admitted them. It refuses a malformed booking or a taken ID, and then adds
// none of bs.
func (c *Calendar) Restore(bs ...Booking) error {
	for _, b := range bs {
		if err := b.Validate(); err != nil {
			return err
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	seen := make(map[string]bool, len(bs))
	for _, b := range bs {
		if c.book.get(b.ID) != nil || seen[b.ID] {
			return fmt.Errorf("calendar: booking ID %q is already taken; restore each booking once: %w", b.ID, ErrDuplicateID)
		}
		seen[b.ID] = true
	}
	for _, b := range bs {
		c.book.insert(b)
	}
	return nil
}
