//go:build !unix

package checkpointfile

import "os"

// lock is a no-op where advisory file locks are not available: the in-process
// mutex and the check of the file's last checkpoint remain.
func lock(*os.File) (unlock func(), err error) { return func() {}, nil }
