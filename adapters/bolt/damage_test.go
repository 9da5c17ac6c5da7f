package bolt_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/adapters/bolt"
	"github.com/releasekit/releasekit/release"
)

// damageSource writes a store file with releases in several states, their
// histories, outbox rows and bookings in three environments, closes it and returns
// its path and what it holds.
func damageSource(t *testing.T) (string, snapshot) {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "source.db")
	s, err := bolt.Open(path, bolt.WithNoSync(true))
	require.NoError(t, err)
	e := newEngine(t, s)
	for i := range 60 {
		r, err := e.Create(ctx, spec(fmt.Sprintf("svc-%02d", i)))
		require.NoError(t, err)
		for _, ev := range []release.Event{release.EventPlan, release.EventSchedule, release.EventApprove}[:i%4] {
			_, err = e.Fire(ctx, r.ID, ev, bob, release.Reason(strings.Repeat("why ", i%7)), release.Data(map[string]int{"i": i}))
			require.NoError(t, err)
		}
	}
	for i := range 90 {
		env := []string{"prod", "staging", "dev"}[i%3]
		start := t0.Add(time.Duration(i) * 30 * time.Minute)
		require.NoError(t, s.Book(ctx, booking(fmt.Sprintf("b%03d", i), env, start, start.Add(time.Duration(1+i%5)*time.Hour), fmt.Sprintf("svc-%d", i%7))))
	}
	require.NoError(t, s.Check(ctx))
	snap, err := read(ctx, s)
	require.NoError(t, err)
	require.NoError(t, s.Close())
	return path, snap
}

// snapshot is everything a store returns through its reads.
type snapshot struct {
	Releases []release.Release
	History  map[release.ID][]release.AuditEntry
	Bookings []string
	Pending  []string
}

// read reads everything back; the first error stops it.
func read(ctx context.Context, s *bolt.Store) (snapshot, error) {
	snap := snapshot{History: map[release.ID][]release.AuditEntry{}}
	var err error
	if snap.Releases, err = s.List(ctx, release.Filter{}); err != nil {
		return snap, err
	}
	for _, r := range snap.Releases {
		if _, err := s.Get(ctx, r.ID); err != nil {
			return snap, err
		}
		if snap.History[r.ID], err = s.History(ctx, r.ID); err != nil {
			return snap, err
		}
	}
	bs, err := s.Bookings(ctx, "", time.Time{}, t0.Add(365*24*time.Hour))
	if err != nil {
		return snap, err
	}
	for _, b := range bs {
		snap.Bookings = append(snap.Bookings, fmt.Sprintf("%s %s %v %v %v", b.ID, b.Environment, b.Services, b.Start.UnixNano(), b.End.UnixNano()))
	}
	for _, env := range []string{"prod", "staging", "dev"} {
		if _, err := s.Bookings(ctx, env, t0, t0.Add(24*time.Hour)); err != nil {
			return snap, err
		}
	}
	p, err := s.Pending(ctx)
	if err != nil {
		return snap, err
	}
	for _, n := range p {
		snap.Pending = append(snap.Pending, n.Notification.Key()+" "+n.Notification.Entry.Hash)
	}
	return snap, nil
}

// outcome of opening and reading a damaged copy.
type outcome int

const (
	refusedAtOpen outcome = iota // Open returned a typed error
	foundOnRead                  // a read returned a typed error
	foundByCheck                 // the reads returned other data without an error; Check found it
	intact                       // everything read back the same and Check passed
)

// typedDamage reports whether err is one of the errors a damaged file may give.
func typedDamage(err error) bool {
	return errors.Is(err, release.ErrCorrupt) || errors.Is(err, release.ErrTampered) || errors.Is(err, bolt.ErrSchema)
}

// tryDamaged opens the file at path, reads everything, runs Check and classifies the
// result; it fails t on an untyped error or on other data that Check does not find.
func tryDamaged(t *testing.T, path string, want snapshot, what string) outcome {
	t.Helper()
	ctx := context.Background()
	s, err := bolt.Open(path, bolt.WithNoSync(true), bolt.WithTimeout(time.Second))
	if err != nil {
		if !typedDamage(err) {
			t.Errorf("%s: Open = %v, want a typed error (ErrCorrupt/ErrDamaged/ErrSchema)", what, err)
		}
		if !strings.Contains(err.Error(), path) && !errors.Is(err, release.ErrCorrupt) {
			t.Errorf("%s: the error does not name the file: %v", what, err)
		}
		return refusedAtOpen
	}
	defer s.Close()
	got, readErr := read(ctx, s)
	checkErr := s.Check(ctx)
	if errors.Is(readErr, release.ErrNotFound) {
		// Damage to a key in a page makes a lookup of the original key miss: a read
		// cannot tell that from a missing row, so Check must find it.
		if !typedDamage(checkErr) {
			t.Errorf("%s: a read found no row (%v) and Check did not report the damage: %v", what, readErr, checkErr)
		}
		return foundByCheck
	}
	for _, err := range []error{readErr, checkErr} {
		if err != nil && !typedDamage(err) {
			t.Errorf("%s: an untyped error: %v", what, err)
		}
	}
	same := readErr == nil && reflect.DeepEqual(got, want)
	switch {
	case readErr != nil:
		return foundOnRead
	case same && checkErr == nil:
		return intact
	case same:
		return foundByCheck // damage the reads did not meet, Check did
	case checkErr == nil:
		t.Errorf("%s: the reads returned other data without an error and Check passed", what)
		return intact
	}
	return foundByCheck
}

func copyTo(t *testing.T, src string, edit func([]byte) []byte) string {
	t.Helper()
	b, err := os.ReadFile(src)
	require.NoError(t, err)
	dst := filepath.Join(t.TempDir(), "damaged.db")
	require.NoError(t, os.WriteFile(dst, edit(append([]byte(nil), b...)), 0o600))
	return dst
}

// TestTruncated: the store file cut at every 1 percent of its length, and to 4 KiB,
// never panics: Open refuses it with a *DamagedError naming the file (or the cut fell
// in unused space and everything reads back the same).
func TestTruncated(t *testing.T) {
	if withoutRace(t) {
		return
	}
	src, want := damageSource(t)
	fi, err := os.Stat(src)
	require.NoError(t, err)
	size := fi.Size()
	counts := map[outcome]int{}
	for pct := 1; pct <= 99; pct++ {
		cut := size * int64(pct) / 100
		path := copyTo(t, src, func(b []byte) []byte { return b[:cut] })
		o := tryDamaged(t, path, want, fmt.Sprintf("cut to %d%% (%d of %d bytes)", pct, cut, size))
		counts[o]++
	}
	t.Logf("%d-byte file cut at 1..99%%: %d refused by Open, %d found on read, %d found by Check, %d intact (cut in unused space)",
		size, counts[refusedAtOpen], counts[foundOnRead], counts[foundByCheck], counts[intact])
	assert.Positive(t, counts[refusedAtOpen])

	path := copyTo(t, src, func(b []byte) []byte { return b[:4096] })
	_, err = bolt.Open(path)
	var de *bolt.DamagedError
	require.ErrorAs(t, err, &de, "a file cut to 4 KiB")
	assert.ErrorIs(t, err, bolt.ErrDamaged)
	assert.ErrorIs(t, err, release.ErrCorrupt)
	assert.Equal(t, path, de.Path)
	assert.Contains(t, err.Error(), path)
	assert.Contains(t, err.Error(), "truncated")
}

// TestDamagedBytes: 200 copies of a store file, each with 1 to 8 random bytes
// overwritten at random places of the file, never panic and never read back other
// data unnoticed: Open refuses the file, a read or Check returns a typed error, or
// (damage in unused space) everything reads back the same and Check passes.
func TestDamagedBytes(t *testing.T) {
	if withoutRace(t) {
		return
	}
	src, want := damageSource(t)
	files := 200
	if testing.Short() {
		files = 40
	}
	counts := map[outcome]int{}
	rng := rand.New(rand.NewPCG(2026, 13))
	for i := range files {
		var where []string
		path := copyTo(t, src, func(b []byte) []byte {
			for range 1 + rng.IntN(8) {
				off := rng.IntN(len(b))
				b[off] ^= byte(1 + rng.IntN(255))
				where = append(where, fmt.Sprint(off))
			}
			return b
		})
		counts[tryDamaged(t, path, want, fmt.Sprintf("file %d, bytes %s", i, strings.Join(where, ",")))]++
	}
	t.Logf("%d damaged files: %d refused by Open, %d found on read, %d found by Check only, %d intact (damage in unused space)",
		files, counts[refusedAtOpen], counts[foundOnRead], counts[foundByCheck], counts[intact])
}

// TestDamagedBytesInUse: damage only inside the pages bbolt has in use (below the
// meta page's high water mark), where nothing should go unnoticed but damage to
// pages bbolt has freed.
func TestDamagedBytesInUse(t *testing.T) {
	if withoutRace(t) {
		return
	}
	src, want := damageSource(t)
	b, err := os.ReadFile(src)
	require.NoError(t, err)
	pageSize := int(binary.NativeEndian.Uint32(b[16+8:]))
	pgid := int(binary.NativeEndian.Uint64(b[16+40:]))
	counts := map[outcome]int{}
	rng := rand.New(rand.NewPCG(7, 2026))
	for i := range 100 {
		off := 2*pageSize + rng.IntN((pgid-2)*pageSize) // past the meta pages
		path := copyTo(t, src, func(b []byte) []byte { b[off] ^= byte(1 + rng.IntN(255)); return b })
		counts[tryDamaged(t, path, want, fmt.Sprintf("file %d, byte %d (page %d)", i, off, off/pageSize))]++
	}
	t.Logf("100 files with one byte damaged in pages 2..%d: %d refused by Open, %d found on read, %d found by Check only, %d intact (freed pages or unused page space)",
		pgid-1, counts[refusedAtOpen], counts[foundOnRead], counts[foundByCheck], counts[intact])
}

// TestDamagedMetaPage: a byte damaged in the newest of bbolt's two meta pages makes
// bbolt open the file from the other one, at the transaction before, as it does after
// a crash during a commit. Open succeeds (that is crash recovery), but Check reports
// the damaged meta page with a *DamagedError, so the lost commit does not go
// unnoticed.
func TestDamagedMetaPage(t *testing.T) {
	src, want := damageSource(t)
	b, err := os.ReadFile(src)
	require.NoError(t, err)
	pageSize := int(binary.NativeEndian.Uint32(b[16+8:]))
	txid := func(page int) uint64 { return binary.NativeEndian.Uint64(b[page*pageSize+16+48:]) }
	newest := 0
	if txid(1) > txid(0) {
		newest = 1
	}
	path := copyTo(t, src, func(b []byte) []byte { b[newest*pageSize+16+60] ^= 0x5a; return b })

	s, err := bolt.Open(path)
	require.NoError(t, err, "the other meta page is valid: bbolt opens the file from it")
	defer s.Close()
	ctx := context.Background()
	got, err := read(ctx, s)
	require.NoError(t, err)
	err = s.Check(ctx)
	var de *bolt.DamagedError
	require.ErrorAs(t, err, &de)
	assert.ErrorIs(t, err, release.ErrCorrupt)
	assert.Contains(t, err.Error(), fmt.Sprintf("meta page %d did not match its checksum", newest))
	assert.Contains(t, err.Error(), fmt.Sprintf("opened at transaction %d", min(txid(0), txid(1))))
	assert.NotEqual(t, want, got, "the file's last commit (a booking) is lost with its meta page")
}

// withoutRace runs the calling test in a child `go test` built without the race
// detector (see damage_race_test.go) and reports whether it did; the caller returns
// when it did. The child's output is logged, and its failure fails t.
func withoutRace(t *testing.T) bool {
	t.Helper()
	if !raceEnabled {
		return false
	}
	args := []string{"test", "-count=1", "-run", "^" + t.Name() + "$", "-v"}
	if testing.Short() {
		args = append(args, "-short")
	}
	cmd := exec.Command("go", append(args, ".")...)
	cmd.Env = append(os.Environ(), "GOFLAGS=")
	out, err := cmd.CombinedOutput()
	t.Logf("run without the race detector (checkptr stops bbolt's reads of damaged pages):\n%s", out)
	if err != nil {
		t.Fatalf("go %s: %v", strings.Join(args, " "), err)
	}
	return true
}
