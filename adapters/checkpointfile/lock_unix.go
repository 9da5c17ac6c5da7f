//go:build unix

package checkpointfile

import (
	"os"
	"syscall"
)

// lock holds an exclusive advisory lock on f until unlock is called, so that
// processes on one machine publish one at a time.
func lock(f *os.File) (unlock func(), err error) {
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	return func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN) }, nil
}
