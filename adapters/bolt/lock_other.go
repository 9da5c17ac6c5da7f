//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package bolt

import (
	"errors"
	"os"
)

// tryLock cannot take bbolt's lock on this platform: the file is not checked before
// bbolt opens it (Open still turns bbolt's panics into a *DamagedError).
func tryLock(*os.File) (bool, error) { return false, errors.ErrUnsupported }

func unlock(*os.File) {}
