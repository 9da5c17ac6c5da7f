package calendar

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"
)

// Calendar is the master release calendar: a fixed set of rules (windows, freezes,
// lockdowns) and a changing set of bookings. It answers whether a booking may run
// ([Calendar.Check]), finds the earliest slot for a change ([Calendar.NextSlot]) and
// schedules batches of dependent changes ([Calendar.Schedule]).
//
// A Calendar never reads the clock: every method takes the instants it works on.
// It is safe for concurrent use by multiple goroutines; reads (Check, NextSlot,
// Schedule, Bookings) run in parallel, writes (Book, Cancel, Apply) are serialised.
type Calendar struct {
	rules      []*ruleEntry
	byName     map[string]*ruleEntry
	envRules   map[string][]*ruleEntry // rules naming the environment in their scope
	anyEnv     []*ruleEntry            // rules whose scope has no environment list
	capacity   map[string]int
	defaultCap int
	align      time.Duration
	origin     time.Time

	mu   sync.RWMutex
	book *bookingIndex
	// sched is set only on the working copy Schedule builds a plan on.
	sched *schedIndex
}

// Option sets an optional setting of a [Calendar]; pass options to [NewWithOptions].
type Option func(*settings) error

type settings struct {
	capacity   map[string]int
	defaultCap int
	align      time.Duration
	origin     time.Time
	bookings   []Booking
}

// WithCapacity sets the maximum number of concurrent bookings in environment env.
// Zero means unlimited. It overrides [WithDefaultCapacity] for that environment.
func WithCapacity(env string, n int) Option {
	return func(s *settings) error {
		if env == "" {
			return &OptionError{Option: "WithCapacity", Problem: "environment name is empty; name the environment the limit applies to"}
		}
		if n < 0 {
			return &OptionError{Option: "WithCapacity", Problem: fmt.Sprintf("capacity of %q is %d; use a positive number, or 0 for unlimited", env, n)}
		}
		s.capacity[env] = n
		return nil
	}
}

// WithDefaultCapacity sets the maximum number of concurrent bookings in every
// environment that has no [WithCapacity] of its own. Zero (the default) means unlimited.
func WithDefaultCapacity(n int) Option {
	return func(s *settings) error {
		if n < 0 {
			return &OptionError{Option: "WithDefaultCapacity", Problem: fmt.Sprintf("capacity is %d; use a positive number, or 0 for unlimited", n)}
		}
		s.defaultCap = n
		return nil
	}
}

// WithAlignment makes [Calendar.NextSlot] and [Calendar.Schedule] start slots only on
// multiples of d counted from the Unix epoch (so 15*time.Minute gives :00, :15, :30
// and :45 in every zone whose offset is a whole number of quarter hours). d must be
// positive; see [WithAlignmentOrigin] to count from another instant.
func WithAlignment(d time.Duration) Option {
	return func(s *settings) error {
		if d <= 0 {
			return &OptionError{Option: "WithAlignment", Problem: fmt.Sprintf("alignment is %v; use a positive duration such as 15*time.Minute", d)}
		}
		s.align = d
		return nil
	}
}

// WithAlignmentOrigin counts the alignment grid from t instead of the Unix epoch, for
// example midnight in a zone with a half-hour offset.
func WithAlignmentOrigin(t time.Time) Option {
	return func(s *settings) error {
		if err := checkInstant(t); err != "" {
			return &OptionError{Option: "WithAlignmentOrigin", Problem: err}
		}
		s.origin = t
		return nil
	}
}

// WithBookings books bs, in order, when the Calendar is built; a booking that is
// invalid or conflicts makes [NewWithOptions] fail.
func WithBookings(bs ...Booking) Option {
	return func(s *settings) error {
		s.bookings = append(s.bookings, bs...)
		return nil
	}
}

// New builds a Calendar from rules with the default settings (unlimited capacity,
// one-minute alignment, no bookings). It validates every rule and reports every
// problem at once: the returned error joins each rule's [Rule.Validate] error and a
// [*DuplicateRuleError] for every name used more than once.
//
// To set capacity, alignment or initial bookings, use [NewWithOptions], which takes
// the rules as a slice so that options can follow them.
func New(rules ...Rule) (*Calendar, error) {
	return NewWithOptions(rules)
}

// NewWithOptions is [New] with options ([WithCapacity], [WithDefaultCapacity],
// [WithAlignment], [WithAlignmentOrigin], [WithBookings]). Rule problems and option
// problems are reported together.
func NewWithOptions(rules []Rule, opts ...Option) (*Calendar, error) {
	s := settings{capacity: map[string]int{}, align: DefaultAlignment, origin: time.Unix(0, 0).UTC()}
	var errs []error
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&s); err != nil {
			errs = append(errs, err)
		}
	}
	c := &Calendar{
		byName:     make(map[string]*ruleEntry, len(rules)),
		envRules:   map[string][]*ruleEntry{},
		capacity:   s.capacity,
		defaultCap: s.defaultCap,
		align:      s.align,
		origin:     s.origin,
		book:       newBookingIndex(),
	}
	seen := map[string][]int{}
	var names []string
	for i, r := range rules {
		if err := r.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("rules[%d]: %w", i, err))
			continue
		}
		if _, dup := seen[r.Name]; !dup {
			names = append(names, r.Name)
		}
		seen[r.Name] = append(seen[r.Name], i)
		if len(seen[r.Name]) > 1 {
			continue
		}
		e := newRuleEntry(len(c.rules), r)
		c.rules = append(c.rules, e)
		c.byName[r.Name] = e
	}
	for _, n := range names {
		if idx := seen[n]; len(idx) > 1 {
			errs = append(errs, &DuplicateRuleError{Name: n, Indexes: idx})
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	for _, e := range c.rules {
		if len(e.rule.Scope.Environments) == 0 {
			c.anyEnv = append(c.anyEnv, e)
			continue
		}
		for _, env := range uniq(e.rule.Scope.Environments) {
			c.envRules[env] = append(c.envRules[env], e)
		}
	}
	for _, b := range s.bookings {
		if err := c.Book(b); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func uniq(xs []string) []string {
	out := slices.Clone(xs)
	slices.Sort(out)
	return slices.Compact(out)
}

// Rules returns a copy of the calendar's rules in the order they were given to [New].
func (c *Calendar) Rules() []Rule {
	out := make([]Rule, len(c.rules))
	for i, e := range c.rules {
		out[i] = cloneRule(e.rule)
	}
	return out
}

// Rule returns a copy of the rule called name, and whether there is one.
func (c *Calendar) Rule(name string) (Rule, bool) {
	e, ok := c.byName[name]
	if !ok {
		return Rule{}, false
	}
	return cloneRule(e.rule), true
}

// Capacity returns the maximum number of concurrent bookings in env; 0 means unlimited.
func (c *Calendar) Capacity(env string) int {
	if n, ok := c.capacity[env]; ok {
		return n
	}
	return c.defaultCap
}

// Alignment returns the slot alignment of [Calendar.NextSlot] and [Calendar.Schedule].
func (c *Calendar) Alignment() time.Duration { return c.align }

// AlignmentOrigin returns the instant the alignment grid is counted from.
func (c *Calendar) AlignmentOrigin() time.Time { return c.origin }

// Bookings returns a copy of every booking, ordered by start, then environment, then ID.
func (c *Calendar) Bookings() []Booking {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([]Booking, 0, c.book.size())
	for _, e := range c.book.slots {
		if e != nil {
			out = append(out, cloneBooking(e.b))
		}
	}
	sortBookings(out)
	return out
}

// Booking returns a copy of the booking with the given ID, and whether there is one.
func (c *Calendar) Booking(id string) (Booking, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	e := c.book.get(id)
	if e == nil {
		return Booking{}, false
	}
	return cloneBooking(e.b), true
}

// Len returns the number of bookings.
func (c *Calendar) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.book.size()
}

// Clone returns an independent Calendar with the same rules, settings and bookings.
// Rule expansions are shared, so cloning is cheap and both calendars stay fast.
func (c *Calendar) Clone() *Calendar {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.cloneLocked()
}

func (c *Calendar) cloneLocked() *Calendar {
	return &Calendar{
		rules:      c.rules,
		byName:     c.byName,
		envRules:   c.envRules,
		anyEnv:     c.anyEnv,
		capacity:   c.capacity,
		defaultCap: c.defaultCap,
		align:      c.align,
		origin:     c.origin,
		book:       c.book.clone(),
	}
}

func sortBookings(bs []Booking) {
	sort.SliceStable(bs, func(i, j int) bool {
		a, b := bs[i], bs[j]
		if !a.Start.Equal(b.Start) {
			return a.Start.Before(b.Start)
		}
		if a.Environment != b.Environment {
			return a.Environment < b.Environment
		}
		return a.ID < b.ID
	})
}

func cloneBooking(b Booking) Booking {
	b.Services = slices.Clone(b.Services)
	return b
}

func cloneRule(r Rule) Rule {
	r.ExDates = slices.Clone(r.ExDates)
	r.Scope = cloneScope(r.Scope)
	r.AllowClasses = slices.Clone(r.AllowClasses)
	r.AllowActions = slices.Clone(r.AllowActions)
	return r
}

func cloneScope(s Scope) Scope {
	return Scope{
		Environments: slices.Clone(s.Environments),
		Services:     slices.Clone(s.Services),
		Teams:        slices.Clone(s.Teams),
	}
}
