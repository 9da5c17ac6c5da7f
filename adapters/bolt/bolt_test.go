package bolt_test

import (
	"context"
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	bbolt "go.etcd.io/bbolt"

	"github.com/releasekit/releasekit/adapters/bolt"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/releasetest"
	"github.com/releasekit/releasekit/release/storetest"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func openTemp(t *testing.T, opts ...bolt.Option) (*bolt.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "releases.db")
	s, err := bolt.Open(path, append([]bolt.Option{bolt.WithNoSync(true)}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s, path
}

func newEngine(t *testing.T, s release.Store) *release.Engine {
	t.Helper()
	e, err := release.New(s, release.WithClock(releasetest.NewClock(t0, time.Second)), release.WithPolicy(release.AllowAll()))
	require.NoError(t, err)
	return e
}

var bob = release.Person("bob", release.RoleReleaseManager)

func spec(name string) release.Spec {
	return release.Spec{
		Name: name, Version: "1.0.0", Environment: "prod", Author: "ana",
		Components: []release.Component{{Name: name + "-api", Version: "1.0.0"}},
		Labels:     map[string]string{"team": "payments"},
	}
}

// The store passes the public conformance suite. fsync is off here to keep the suite
// fast (it changes nothing a process can observe); TestCrash runs with real fsync.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) release.Store {
		s, _ := openTemp(t)
		return s
	}, storetest.WithTamper(bolt.Tamper))
}

// Everything written is there after Close and Open: releases, histories, outbox rows
// and bookings.
func TestReopen(t *testing.T) {
	ctx := context.Background()
	s, path := openTemp(t)
	e := newEngine(t, s)
	var ids []release.ID
	for _, name := range []string{"checkout", "payments", "ledger"} {
		r, err := e.Create(ctx, spec(name))
		require.NoError(t, err)
		for _, ev := range []release.Event{release.EventPlan, release.EventSchedule} {
			r, err = e.Fire(ctx, r.ID, ev, bob, release.Reason("because "+string(ev)))
			require.NoError(t, err)
		}
		ids = append(ids, r.ID)
	}
	require.NoError(t, s.Book(ctx, booking("b1", "prod", t0, t0.Add(time.Hour), "checkout")))
	before, err := s.List(ctx, release.Filter{})
	require.NoError(t, err)
	pending, err := s.Pending(ctx)
	require.NoError(t, err)
	require.Len(t, pending, 6, "two transitions for each of three releases")
	require.NoError(t, s.Close())

	s2, err := bolt.Open(path)
	require.NoError(t, err)
	defer s2.Close()
	after, err := s2.List(ctx, release.Filter{})
	require.NoError(t, err)
	require.Len(t, after, 3)
	for i, r := range after {
		assert.Equal(t, ids[i], r.ID)
		assert.Equal(t, before[i].Head, r.Head)
		assert.Equal(t, int64(3), r.Revision)
		assert.Equal(t, release.StateScheduled, r.State)
		h, err := s2.History(ctx, r.ID)
		require.NoError(t, err)
		require.NoError(t, release.VerifyHistory(h, r.Head))
	}
	pending2, err := s2.Pending(ctx)
	require.NoError(t, err)
	assert.Len(t, pending2, 6)
	bs, err := s2.Bookings(ctx, "prod", t0, t0.Add(24*time.Hour))
	require.NoError(t, err)
	require.Len(t, bs, 1)
	assert.Equal(t, "b1", bs[0].ID)
	require.NoError(t, s2.Check(ctx))
}

// A second Open of a held file returns ErrLocked after the timeout instead of hanging
// (flock conflicts between two open file descriptions even in one process).
func TestLockedSameProcess(t *testing.T) {
	_, path := openTemp(t)
	start := time.Now()
	_, err := bolt.Open(path, bolt.WithTimeout(150*time.Millisecond))
	elapsed := time.Since(start)
	require.ErrorIs(t, err, bolt.ErrLocked)
	var le *bolt.LockedError
	require.ErrorAs(t, err, &le)
	assert.Equal(t, path, le.Path)
	assert.Contains(t, err.Error(), "in use by another process")
	assert.Contains(t, err.Error(), "adapters/postgres")
	assert.Less(t, elapsed, 2*time.Second, "Open took %v; it must give up after its timeout", elapsed)
}

const lockChildEnv = "RELEASEKIT_BOLT_LOCK_CHILD"

// TestLockChild is the child half of TestLockedOtherProcess: it opens the file named
// in the environment with the default timeout and reports the error.
func TestLockChild(t *testing.T) {
	path := os.Getenv(lockChildEnv)
	if path == "" {
		t.Skip("child process of TestLockedOtherProcess")
	}
	s, err := bolt.Open(path)
	if err == nil {
		_ = s.Close()
		t.Fatalf("second process opened a locked file")
	}
	if !errors.Is(err, bolt.ErrLocked) {
		t.Fatalf("second process: Open = %v, want ErrLocked", err)
	}
	// It waited for the lock as long as the timeout says, then gave up (a hang would
	// end in the go test timeout instead). No wall-clock upper bound: on a loaded
	// machine waking up late is not a defect.
	var le *bolt.LockedError
	if !errors.As(err, &le) || le.Waited < bolt.DefaultTimeout {
		t.Fatalf("second process: Open = %v, want a *LockedError after waiting %v", err, bolt.DefaultTimeout)
	}
	t.Logf("second process got: %v", err)
}

// Another process opening a held file gets ErrLocked after the default timeout.
func TestLockedOtherProcess(t *testing.T) {
	if os.Getenv(lockChildEnv) != "" {
		t.Skip("in the child")
	}
	_, path := openTemp(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockChild$", "-test.v")
	cmd.Env = append(os.Environ(), lockChildEnv+"="+path)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "child output:\n%s", out)
	assert.Contains(t, string(out), "in use by another process")
}

// A file with a newer schema version is refused, and so is a bbolt file of another
// program; the file is not changed.
func TestSchema(t *testing.T) {
	_, path := openTemp(t)
	// openTemp's cleanup closes later; close now to edit the file.
	dir := t.TempDir()
	newer := filepath.Join(dir, "newer.db")
	s, err := bolt.Open(newer)
	require.NoError(t, err)
	require.NoError(t, s.Close())
	db, err := bbolt.Open(newer, 0o600, nil)
	require.NoError(t, err)
	require.NoError(t, db.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket([]byte("meta")).Put([]byte("schema"), binary.BigEndian.AppendUint64(nil, bolt.SchemaVersion+1))
	}))
	require.NoError(t, db.Close())
	_, err = bolt.Open(newer)
	require.ErrorIs(t, err, bolt.ErrSchema)
	var se *bolt.SchemaError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, bolt.SchemaVersion+1, se.Found)
	assert.Contains(t, err.Error(), "newer releasekit")

	foreign := filepath.Join(dir, "foreign.db")
	db, err = bbolt.Open(foreign, 0o600, nil)
	require.NoError(t, err)
	require.NoError(t, db.Update(func(tx *bbolt.Tx) error { _, err := tx.CreateBucket([]byte("widgets")); return err }))
	require.NoError(t, db.Close())
	_, err = bolt.Open(foreign)
	require.ErrorIs(t, err, bolt.ErrSchema)
	assert.Contains(t, err.Error(), "not a releasekit store")
	_ = path
}

// Options are checked, and a closed store says so.
func TestOptionsAndClose(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		why string
		opt bolt.Option
	}{
		{"a zero timeout would wait forever", bolt.WithTimeout(0)},
		{"a file mode the owner cannot write", bolt.WithFileMode(0o400)},
	} {
		_, err := bolt.Open(filepath.Join(dir, "x.db"), tc.opt)
		assert.ErrorIs(t, err, release.ErrInvalid, tc.why)
	}
	_, err := bolt.Open("")
	assert.ErrorIs(t, err, release.ErrInvalid, "empty path")

	path := filepath.Join(dir, "mode.db")
	s, err := bolt.Open(path, bolt.WithFileMode(0o640))
	require.NoError(t, err)
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o640), fi.Mode().Perm())
	require.NoError(t, s.Close())
	require.NoError(t, s.Close(), "Close is idempotent")
	_, err = s.Get(context.Background(), release.ID{1})
	assert.ErrorIs(t, err, bolt.ErrClosed)
	_, err = s.List(context.Background(), release.Filter{})
	assert.ErrorIs(t, err, bolt.ErrClosed)
}
