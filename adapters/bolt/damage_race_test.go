//go:build race

package bolt_test

// The race detector turns on checkptr, which stops the process (a fatal error, not a
// panic) when bbolt's pointer arithmetic walks a damaged page across what it takes
// for two allocations. That is the instrument's verdict on bbolt's unsafe code, not
// something a build without it sees: there the same read is caught by the store and
// reported as a *DamagedError. So under -race the tests that damage files at random
// run themselves again in a build without the race detector, and pass or fail with it.
const raceEnabled = true
