package faultstore

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/releasekit/releasekit/calendar"
	"github.com/releasekit/releasekit/release"
)

// Op names an operation that can fail.
type Op string

// The operations.
const (
	OpCreate  Op = "create"  // Store.Create
	OpGet     Op = "get"     // Store.Get
	OpList    Op = "list"    // Store.List
	OpUpdate  Op = "update"  // Store.Update
	OpHistory Op = "history" // Store.History
	// OpAppend is the history append of Create and Update. The Store contract makes
	// it part of the same atomic step as the release write, so a fault before it is a
	// write that rolled back (nothing stored) and a fault after it a write that
	// committed but reported an error.
	OpAppend   Op = "append"
	OpClaim    Op = "claim"    // Outbox.ClaimNotifications
	OpAck      Op = "ack"      // Outbox.AckNotification
	OpRetry    Op = "retry"    // Outbox.RetryNotification
	OpBook     Op = "book"     // Booker.Book
	OpUnbook   Op = "unbook"   // Booker.Unbook
	OpBookings Op = "bookings" // Booker.Bookings
	OpNotify   Op = "notify"   // Notifier.Notify (only for NewNotifier)
)

// Ops lists every operation.
func Ops() []Op {
	return []Op{OpCreate, OpGet, OpList, OpUpdate, OpHistory, OpAppend, OpClaim, OpAck, OpRetry, OpBook, OpUnbook, OpBookings, OpNotify}
}

// Valid reports whether o is one of [Ops].
func (o Op) Valid() bool { return slices.Contains(Ops(), o) }

// Phase says when a fault strikes relative to the inner call.
type Phase string

// The phases.
const (
	// Before: the inner call is not made; the operation returns an error and changes
	// nothing. The default.
	Before Phase = "before"
	// After: the inner call is made and, when it succeeded, its result is thrown
	// away and an error returned. For a write this is the ambiguous case: the change
	// is stored although the caller was told it failed.
	After Phase = "after"
)

// Phases lists every phase.
func Phases() []Phase { return []Phase{Before, After} }

// Valid reports whether p is one of [Phases] (or empty, meaning Before).
func (p Phase) Valid() bool { return p == "" || slices.Contains(Phases(), p) }

// Fault says which calls of one operation fail, and how.
type Fault struct {
	// Op is the operation that fails.
	Op Op
	// Phase is Before (the default) or After.
	Phase Phase
	// Probability, in [0, 1], fails each call with that chance, drawn from the
	// injector's seeded generator.
	Probability float64
	// Nth, when positive, fails the Nth call of Op (counting from 1, while faults are
	// enabled) whatever Probability says.
	Nth int
	// Hang makes a failing call block until its context ends and then return the
	// context's error (after making the inner call, for After).
	Hang bool
	// Err, when set, is the cause carried by the returned *FaultError (errors.Is
	// finds it), e.g. release.ErrStale for a spurious stale revision.
	Err error
}

// Validate reports every problem with f at once.
func (f Fault) Validate() error {
	var p []string
	if !f.Op.Valid() {
		p = append(p, fmt.Sprintf("op %q is not one of %v", f.Op, Ops()))
	}
	if !f.Phase.Valid() {
		p = append(p, fmt.Sprintf("phase %q is not one of %v", f.Phase, Phases()))
	}
	if f.Probability < 0 || f.Probability > 1 || f.Probability != f.Probability {
		p = append(p, fmt.Sprintf("probability %v is outside [0, 1]", f.Probability))
	}
	if f.Nth < 0 {
		p = append(p, fmt.Sprintf("nth %d is negative", f.Nth))
	}
	if f.Probability == 0 && f.Nth == 0 {
		p = append(p, "neither a probability nor an nth call: the fault would never strike")
	}
	if len(p) == 0 {
		return nil
	}
	return &ConfigError{Problems: p}
}

// ErrInjected matches every error a fault produced.
var ErrInjected = errors.New("faultstore: injected fault")

// ErrInvalid matches a bad configuration (it also matches release.ErrInvalid).
var ErrInvalid = errors.New("faultstore: invalid configuration")

// FaultError is the error an injected fault returns.
type FaultError struct {
	Op    Op
	Phase Phase
	// Call is the number of the call of Op that failed, counting from 1.
	Call int
	// Committed says that the inner write succeeded (an After fault on a write): the
	// change is stored. A caller cannot see this field in production; it is here so
	// tests can check what a caller must find out by reading back.
	Committed bool
	// Cause is the fault's Err, or the context's error for a hang; may be nil.
	Cause error
}

func (e *FaultError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "faultstore: injected fault: %s call %d failed %s the inner call", e.Op, e.Call, e.Phase)
	if e.Committed {
		b.WriteString("; the write was stored: read back to learn the outcome")
	} else if e.Phase == Before {
		b.WriteString("; nothing was changed")
	}
	if e.Cause != nil {
		b.WriteString(": ")
		b.WriteString(e.Cause.Error())
	}
	return b.String()
}

// Unwrap returns [ErrInjected] and the cause.
func (e *FaultError) Unwrap() []error {
	if e.Cause == nil {
		return []error{ErrInjected}
	}
	return []error{ErrInjected, e.Cause}
}

// ConfigError lists every problem with the faults given.
type ConfigError struct {
	Problems []string
}

func (e *ConfigError) Error() string {
	return "faultstore: invalid configuration: " + strings.Join(e.Problems, "; ")
}

// Unwrap returns [ErrInvalid] and release.ErrInvalid.
func (e *ConfigError) Unwrap() []error { return []error{ErrInvalid, release.ErrInvalid} }

// Option configures [New] and [NewNotifier].
type Option func(*Injector) error

// WithSeed seeds the generator that decides the probabilistic faults; the default is
// 1. For one seed and one order of calls the same calls fail (concurrent callers
// interleave their draws, so only their order varies).
func WithSeed(seed uint64) Option {
	return func(i *Injector) error { i.rng = rand.New(rand.NewPCG(seed, 0x6661756c74)); return nil }
}

// WithFaults adds faults; each is validated.
func WithFaults(fs ...Fault) Option {
	return func(i *Injector) error { return i.add(fs) }
}

// Site is an operation and a phase, the key of the injected counts in [Stats].
type Site struct {
	Op    Op
	Phase Phase
}

// Stats counts calls and injected faults.
type Stats struct {
	// Calls counts every call per operation (Create and Update also count as
	// OpAppend), faults enabled or not.
	Calls map[Op]int
	// Injected counts the faults that struck, per operation and phase.
	Injected map[Site]int
	// Ambiguous counts the After faults on writes whose inner call succeeded.
	Ambiguous int
	// Hung counts the calls that hung until their context ended.
	Hung int
}

// Total is the number of faults injected.
func (s Stats) Total() int {
	n := 0
	for _, v := range s.Injected {
		n += v
	}
	return n
}

// Injector decides which calls fail. It is safe for concurrent use; it can be
// disabled and re-enabled at any time (a test switches faults off to let a dispatcher
// drain).
type Injector struct {
	mu       sync.Mutex
	rng      *rand.Rand
	faults   []Fault
	seen     []int // per fault: matching calls while enabled
	disabled bool
	stats    Stats
	allowed  func(Op) bool
}

func newInjector(allowed func(Op) bool, opts []Option) (*Injector, error) {
	i := &Injector{
		rng:     rand.New(rand.NewPCG(1, 0x6661756c74)),
		allowed: allowed,
		stats:   Stats{Calls: map[Op]int{}, Injected: map[Site]int{}},
	}
	for _, opt := range opts {
		if err := opt(i); err != nil {
			return nil, err
		}
	}
	return i, nil
}

func (i *Injector) add(fs []Fault) error {
	var p []string
	for n, f := range fs {
		if err := f.Validate(); err != nil {
			var ce *ConfigError
			errors.As(err, &ce)
			for _, q := range ce.Problems {
				p = append(p, fmt.Sprintf("fault %d: %s", n, q))
			}
			continue
		}
		if !i.allowed(f.Op) {
			p = append(p, fmt.Sprintf("fault %d: op %s does not apply here", n, f.Op))
		}
	}
	if len(p) > 0 {
		return &ConfigError{Problems: p}
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	for _, f := range fs {
		if f.Phase == "" {
			f.Phase = Before
		}
		i.faults = append(i.faults, f)
		i.seen = append(i.seen, 0)
	}
	return nil
}

// SetFaults replaces every fault (and restarts the Nth counts).
func (i *Injector) SetFaults(fs ...Fault) error {
	i.mu.Lock()
	old, oldSeen := i.faults, i.seen
	i.faults, i.seen = nil, nil
	i.mu.Unlock()
	if err := i.add(fs); err != nil {
		i.mu.Lock()
		i.faults, i.seen = old, oldSeen
		i.mu.Unlock()
		return err
	}
	return nil
}

// Enable switches faults on (the initial setting).
func (i *Injector) Enable() { i.mu.Lock(); i.disabled = false; i.mu.Unlock() }

// Disable switches faults off: every call passes through.
func (i *Injector) Disable() { i.mu.Lock(); i.disabled = true; i.mu.Unlock() }

// Stats returns a copy of the counts so far.
func (i *Injector) Stats() Stats {
	i.mu.Lock()
	defer i.mu.Unlock()
	s := Stats{Calls: make(map[Op]int, len(i.stats.Calls)), Injected: make(map[Site]int, len(i.stats.Injected)), Ambiguous: i.stats.Ambiguous, Hung: i.stats.Hung}
	for k, v := range i.stats.Calls {
		s.Calls[k] = v
	}
	for k, v := range i.stats.Injected {
		s.Injected[k] = v
	}
	return s
}

// decide counts a call of the given ops (the first is the call itself, the rest are
// steps inside it, like OpAppend) and returns the fault that strikes, if any.
func (i *Injector) decide(ops ...Op) (Fault, int, bool) {
	i.mu.Lock()
	defer i.mu.Unlock()
	calls := make([]int, len(ops))
	for n, op := range ops {
		i.stats.Calls[op]++
		calls[n] = i.stats.Calls[op]
	}
	if i.disabled {
		return Fault{}, 0, false
	}
	// Every matching fault counts the call and draws, so that which calls fail
	// depends only on the seed and the order of calls; the first that strikes wins.
	var (
		hit   Fault
		call  int
		found bool
	)
	for n, op := range ops {
		for k, f := range i.faults {
			if f.Op != op {
				continue
			}
			i.seen[k]++
			strike := f.Nth > 0 && i.seen[k] == f.Nth
			if f.Probability > 0 && i.rng.Float64() < f.Probability {
				strike = true
			}
			if strike && !found {
				hit, call, found = f, calls[n], true
			}
		}
	}
	if found {
		i.stats.Injected[Site{hit.Op, hit.Phase}]++
	}
	return hit, call, found
}

func (i *Injector) noteAmbiguous() { i.mu.Lock(); i.stats.Ambiguous++; i.mu.Unlock() }
func (i *Injector) noteHung()      { i.mu.Lock(); i.stats.Hung++; i.mu.Unlock() }

// run wraps one call: write says whether a successful inner call changed something.
func (i *Injector) run(ctx context.Context, write bool, call func() error, ops ...Op) error {
	f, n, ok := i.decide(ops...)
	if !ok {
		return call()
	}
	fe := &FaultError{Op: f.Op, Phase: f.Phase, Call: n, Cause: f.Err}
	if f.Phase == After {
		if err := call(); err != nil {
			return err // the inner call failed by itself: its error is the truth
		}
		if write {
			fe.Committed = true
			i.noteAmbiguous()
		}
	}
	if f.Hang {
		i.noteHung()
		<-ctx.Done()
		fe.Cause = ctx.Err()
	}
	return fe
}

// Store is a [release.Store] with injected faults. The value [New] returns also
// implements [release.Outbox] and [release.Booker] exactly when the inner store does,
// so the engine finds the same optional interfaces through it.
type Store interface {
	release.Store
	// Injector controls and counts the faults.
	Injector() *Injector
	// Inner returns the wrapped store, to read back without faults.
	Inner() release.Store
}

// New wraps inner with the given faults (none by default). It returns a *ConfigError
// (ErrInvalid) for a bad fault, such as OpNotify, which only [NewNotifier] takes.
func New(inner release.Store, opts ...Option) (Store, error) {
	if inner == nil {
		return nil, &ConfigError{Problems: []string{"inner store is nil"}}
	}
	inj, err := newInjector(func(o Op) bool { return o != OpNotify }, opts)
	if err != nil {
		return nil, err
	}
	base := &store{inner: inner, inj: inj}
	ob, isOutbox := inner.(release.Outbox)
	bk, isBooker := inner.(release.Booker)
	switch {
	case isOutbox && isBooker:
		return &outboxBookerStore{base, outboxPart{ob, inj}, bookerPart{bk, inj}}, nil
	case isOutbox:
		return &outboxStore{base, outboxPart{ob, inj}}, nil
	case isBooker:
		return &bookerStore{base, bookerPart{bk, inj}}, nil
	}
	return base, nil
}

type store struct {
	inner release.Store
	inj   *Injector
}

type outboxStore struct {
	*store
	outboxPart
}

type bookerStore struct {
	*store
	bookerPart
}

type outboxBookerStore struct {
	*store
	outboxPart
	bookerPart
}

var (
	_ release.Outbox = (*outboxStore)(nil)
	_ release.Booker = (*bookerStore)(nil)
	_ release.Outbox = (*outboxBookerStore)(nil)
	_ release.Booker = (*outboxBookerStore)(nil)
)

func (s *store) Injector() *Injector  { return s.inj }
func (s *store) Inner() release.Store { return s.inner }

func (s *store) Create(ctx context.Context, r release.Release, first release.AuditEntry) error {
	return s.inj.run(ctx, true, func() error { return s.inner.Create(ctx, r, first) }, OpCreate, OpAppend)
}

func (s *store) Get(ctx context.Context, id release.ID) (release.Release, error) {
	var r release.Release
	err := s.inj.run(ctx, false, func() (err error) { r, err = s.inner.Get(ctx, id); return err }, OpGet)
	if err != nil {
		return release.Release{}, err
	}
	return r, nil
}

func (s *store) List(ctx context.Context, f release.Filter) ([]release.Release, error) {
	var rs []release.Release
	err := s.inj.run(ctx, false, func() (err error) { rs, err = s.inner.List(ctx, f); return err }, OpList)
	if err != nil {
		return nil, err
	}
	return rs, nil
}

func (s *store) Update(ctx context.Context, expected int64, r release.Release, e release.AuditEntry) error {
	return s.inj.run(ctx, true, func() error { return s.inner.Update(ctx, expected, r, e) }, OpUpdate, OpAppend)
}

func (s *store) History(ctx context.Context, id release.ID) ([]release.AuditEntry, error) {
	var h []release.AuditEntry
	err := s.inj.run(ctx, false, func() (err error) { h, err = s.inner.History(ctx, id); return err }, OpHistory)
	if err != nil {
		return nil, err
	}
	return h, nil
}

type outboxPart struct {
	ob  release.Outbox
	inj *Injector
}

// ClaimNotifications implements [release.Outbox]. An After fault leaves the claimed
// notifications leased: they come back when the lease ends.
func (o outboxPart) ClaimNotifications(ctx context.Context, now time.Time, minAge, lease time.Duration, limit int) ([]release.PendingNotification, error) {
	var ps []release.PendingNotification
	err := o.inj.run(ctx, true, func() (err error) {
		ps, err = o.ob.ClaimNotifications(ctx, now, minAge, lease, limit)
		return err
	}, OpClaim)
	if err != nil {
		return nil, err
	}
	return ps, nil
}

// AckNotification implements [release.Outbox].
func (o outboxPart) AckNotification(ctx context.Context, key string) error {
	return o.inj.run(ctx, true, func() error { return o.ob.AckNotification(ctx, key) }, OpAck)
}

// RetryNotification implements [release.Outbox].
func (o outboxPart) RetryNotification(ctx context.Context, key string, due time.Time, lastErr string) error {
	return o.inj.run(ctx, true, func() error { return o.ob.RetryNotification(ctx, key, due, lastErr) }, OpRetry)
}

type bookerPart struct {
	bk  release.Booker
	inj *Injector
}

// Book implements [release.Booker].
func (b bookerPart) Book(ctx context.Context, bk calendar.Booking) error {
	return b.inj.run(ctx, true, func() error { return b.bk.Book(ctx, bk) }, OpBook)
}

// Unbook implements [release.Booker].
func (b bookerPart) Unbook(ctx context.Context, id string) error {
	return b.inj.run(ctx, true, func() error { return b.bk.Unbook(ctx, id) }, OpUnbook)
}

// Bookings implements [release.Booker].
func (b bookerPart) Bookings(ctx context.Context, env string, from, to time.Time) ([]calendar.Booking, error) {
	var bs []calendar.Booking
	err := b.inj.run(ctx, false, func() (err error) { bs, err = b.bk.Bookings(ctx, env, from, to); return err }, OpBookings)
	if err != nil {
		return nil, err
	}
	return bs, nil
}

// Notifier is a [release.Notifier] with injected faults: a failing call returns a
// *FaultError; a hanging one blocks until its context ends. Before faults do not call
// the inner notifier; After faults call it and report failure anyway (a delivery the
// sender believes lost: the receiver sees a duplicate later).
type Notifier struct {
	inner release.Notifier
	inj   *Injector
}

// NewNotifier wraps inner (nil: deliveries go nowhere and succeed) with faults of
// OpNotify.
func NewNotifier(inner release.Notifier, opts ...Option) (*Notifier, error) {
	inj, err := newInjector(func(o Op) bool { return o == OpNotify }, opts)
	if err != nil {
		return nil, err
	}
	return &Notifier{inner: inner, inj: inj}, nil
}

// Notify implements [release.Notifier].
func (n *Notifier) Notify(ctx context.Context, note release.Notification) error {
	return n.inj.run(ctx, true, func() error {
		if n.inner == nil {
			return ctx.Err()
		}
		return n.inner.Notify(ctx, note)
	}, OpNotify)
}

// Injector controls and counts the notifier's faults.
func (n *Notifier) Injector() *Injector { return n.inj }
