package fanout

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/releasekit/releasekit/release"
)

// Notifier notifies several notifiers. It is a [release.Notifier], safe for
// concurrent use when its notifiers are.
type Notifier struct {
	targets []target
	inOrder bool
}

type target struct {
	index int
	name  string
	n     release.Notifier
}

var _ release.Notifier = (*Notifier)(nil)

// New returns a fan-out that notifies every non-nil notifier concurrently and waits
// for all of them.
func New(notifiers ...release.Notifier) *Notifier { return build(false, notifiers) }

// InOrder returns a fan-out that notifies every non-nil notifier one after another,
// in the order given; a failure does not stop the later ones.
func InOrder(notifiers ...release.Notifier) *Notifier { return build(true, notifiers) }

func build(inOrder bool, ns []release.Notifier) *Notifier {
	f := &Notifier{inOrder: inOrder}
	for i, n := range ns {
		if n == nil {
			continue
		}
		f.targets = append(f.targets, target{index: i, name: nameOf(n), n: n})
	}
	return f
}

// Len returns the number of notifiers (nil ones not counted).
func (f *Notifier) Len() int { return len(f.targets) }

// Namer is implemented by notifiers that name themselves in errors.
type Namer interface {
	Name() string
}

func nameOf(n release.Notifier) string {
	if nm, ok := n.(Namer); ok {
		return nm.Name()
	}
	return fmt.Sprintf("%T", n)
}

// Named gives n a name for fan-out errors ("slack #releases"). A nil n stays nil,
// so the fan-out skips it.
func Named(name string, n release.Notifier) release.Notifier {
	if n == nil {
		return nil
	}
	return named{name: name, Notifier: n}
}

type named struct {
	name string
	release.Notifier
}

func (n named) Name() string { return n.name }

// ErrPanic is matched by the error of a notifier that panicked.
var ErrPanic = errors.New("fanout: notifier panicked")

// NotifierError is one notifier's failure.
type NotifierError struct {
	// Index is the notifier's position among the arguments of New or InOrder, nil
	// ones counted.
	Index int
	// Name is the notifier's name (see [Named]).
	Name string
	Err  error
}

func (e *NotifierError) Error() string {
	return fmt.Sprintf("notifier %d (%s): %v", e.Index, e.Name, e.Err)
}

// Unwrap returns Err.
func (e *NotifierError) Unwrap() error { return e.Err }

// Notify notifies every notifier and returns nil, or the failures joined with
// errors.Join in argument order, each a *NotifierError. A context that has ended
// before the call returns its error and notifies nobody.
func (f *Notifier) Notify(ctx context.Context, n release.Notification) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("fanout: not sent to %d notifiers: %w", len(f.targets), err)
	}
	errs := make([]error, len(f.targets))
	if f.inOrder || len(f.targets) == 1 {
		for i, t := range f.targets {
			errs[i] = call(ctx, t, n)
		}
	} else {
		var wg sync.WaitGroup
		for i, t := range f.targets {
			wg.Go(func() { errs[i] = call(ctx, t, n) })
		}
		wg.Wait()
	}
	return errors.Join(errs...)
}

func call(ctx context.Context, t target, n release.Notification) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &NotifierError{Index: t.index, Name: t.name, Err: fmt.Errorf("%w: %v", ErrPanic, v)}
		}
	}()
	if e := t.n.Notify(ctx, n); e != nil {
		return &NotifierError{Index: t.index, Name: t.name, Err: e}
	}
	return nil
}
