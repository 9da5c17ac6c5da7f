package release

import (
	"context"
	"fmt"
)

// lockdownKey is the idempotency key of a Lockdown or Lift call and the hash of its
// request; the zero value means the call has no key.
type lockdownKey struct {
	key, request string
}

// lockdownKeyOf reads the options of a Lockdown or Lift call (op): IdempotencyKey,
// and nothing else.
func lockdownKeyOf(op string, opts []FireOption, req request) (lockdownKey, error) {
	o, err := fireOpts(opts)
	if err != nil {
		return lockdownKey{}, err
	}
	if err := o.only(op); err != nil {
		return lockdownKey{}, err
	}
	if !o.keyed {
		return lockdownKey{}, nil
	}
	return lockdownKey{key: o.key, request: req.hash()}, nil
}

// find looks k up in the lockdown history h: the entry written with it, when its
// event and request are k's; a *KeyReusedError when the key was written with
// another request. A call without a key finds nothing.
func (k lockdownKey) find(h []LockdownEntry, event Event) (LockdownEntry, bool, error) {
	if k.key == "" {
		return LockdownEntry{}, false, nil
	}
	for _, en := range h {
		if en.Key != k.key {
			continue
		}
		if en.Event != event || en.Request != k.request {
			op := "lockdown"
			if event == EventLift {
				op = "lift"
			}
			return LockdownEntry{}, true, &KeyReusedError{Key: k.key, Op: op}
		}
		return en.Clone(), true, nil
	}
	return LockdownEntry{}, false, nil
}

// recallLockdown returns the lockdown a keyed call of event made before, as its
// entry left it, when the lockdown history holds the key. It returns the history it
// read and verified to look the key up (nil for a call without a key), for the
// call to append to.
func (e *Engine) recallLockdown(ctx context.Context, ls LockdownStore, k lockdownKey, event Event) (Lockdown, []LockdownEntry, bool, error) {
	if k.key == "" {
		return Lockdown{}, nil, false, nil
	}
	h, err := e.readLockdowns(ctx, ls)
	if err != nil {
		return Lockdown{}, nil, false, fmt.Errorf("release: %s: %w", event, err)
	}
	en, found, err := k.find(h, event)
	return en.Lockdown, h, found, err
}
