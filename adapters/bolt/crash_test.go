package bolt_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/adapters/bolt"
	"github.com/releasekit/releasekit/calendar"
	"github.com/releasekit/releasekit/release"
)

const (
	crashChildEnv = "RELEASEKIT_BOLT_CRASH_CHILD"
	// crashKillsEnv raises the number of kills (default 20), e.g. 500 for a long run.
	crashKillsEnv = "RELEASEKIT_BOLT_CRASH_KILLS"
)

// TestCrashChild is the child half of TestCrash: it opens the file named in the
// environment (with real fsync) and writes as fast as it can until it is killed: four
// goroutines firing transitions through release.Engine, two of them racing on shared
// releases, one booking and unbooking slots. After every commit it prints a line:
// "C <release> <revision>", "B <booking>", "U <booking>". Its notifier fails the odd
// sequences, so those stay in the outbox; the engine acknowledges the even ones.
func TestCrashChild(t *testing.T) {
	path := os.Getenv(crashChildEnv)
	if path == "" {
		t.Skip("child process of TestCrash")
	}
	s, err := bolt.Open(path, bolt.WithTimeout(10*time.Second))
	if err != nil {
		t.Fatalf("child: open: %v", err)
	}
	var outMu sync.Mutex
	say := func(format string, args ...any) {
		outMu.Lock()
		defer outMu.Unlock()
		fmt.Fprintf(os.Stdout, format+"\n", args...)
	}
	n := release.NotifierFunc(func(_ context.Context, note release.Notification) error {
		if note.Entry.Sequence%2 == 1 {
			return errors.New("odd sequences stay in the outbox")
		}
		return nil
	})
	e, err := release.New(s, release.WithNotifier(n), release.WithPolicy(release.AllowAll()))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	shared := make([]release.ID, 2)
	for i := range shared {
		r, err := e.Create(ctx, spec(fmt.Sprintf("shared-%d", i)))
		if err != nil {
			t.Fatalf("child: create: %v", err)
		}
		say("C %s %d", r.ID, r.Revision)
		shared[i] = r.ID
	}
	fire := func(id release.ID) {
		cur, err := e.Get(ctx, id)
		if err != nil {
			t.Errorf("child: get: %v", err)
			return
		}
		ev := release.EventSchedule
		switch cur.State {
		case release.StateDraft:
			ev = release.EventPlan
		case release.StateScheduled:
			ev = release.EventUnschedule
		}
		r, err := e.Fire(ctx, id, ev, bob, release.ExpectRevision(cur.Revision), release.Reason("crash test"))
		switch {
		case release.Committed(err):
			say("C %s %d", r.ID, r.Revision)
		case errors.Is(err, release.ErrStale):
		default:
			t.Errorf("child: fire: %v", err)
		}
	}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var own release.ID
			for i := 0; ; i++ {
				if w < 2 {
					fire(shared[i%2])
					continue
				}
				if i%20 == 0 {
					r, err := e.Create(ctx, spec(fmt.Sprintf("w%d-%d", w, i)))
					if err != nil {
						t.Errorf("child: create: %v", err)
						return
					}
					say("C %s %d", r.ID, r.Revision)
					own = r.ID
				}
				fire(own)
				if w == 3 && i%5 == 0 {
					id := fmt.Sprintf("%d-%d", os.Getpid(), i)
					start := t0.Add(time.Duration(i) * time.Hour)
					if err := s.Book(ctx, calendar.Booking{ID: id, Environment: "prod", Services: []string{"svc"}, Start: start, End: start.Add(time.Hour)}); err != nil {
						t.Errorf("child: book: %v", err)
						return
					}
					say("B %s", id)
					if i > 0 {
						prev := fmt.Sprintf("%d-%d", os.Getpid(), i-5)
						if err := s.Unbook(ctx, prev); err != nil {
							t.Errorf("child: unbook: %v", err)
							return
						}
						say("U %s", prev)
					}
				}
			}
		}()
	}
	wg.Wait() // only on an error: the parent kills the child
}

// TestCrash kills a writing child process with SIGKILL at random moments, many times
// (RELEASEKIT_BOLT_CRASH_KILLS, default 20), and after every kill opens the file and
// checks that no transition is half-written: every history verifies against its
// release's head, the revision equals the history's length, every transition the child
// saw committed is there, the outbox holds exactly the transitions the engine did not
// acknowledge (no orphan row, none missing), and Check finds nothing wrong.
func TestCrash(t *testing.T) {
	if os.Getenv(crashChildEnv) != "" {
		t.Skip("in the child")
	}
	if testing.Short() {
		t.Skip("crash test needs child processes")
	}
	kills := 20
	if v := os.Getenv(crashKillsEnv); v != "" {
		var err error
		kills, err = strconv.Atoi(v)
		require.NoError(t, err, "%s=%q", crashKillsEnv, v)
	}
	path := filepath.Join(t.TempDir(), "crash.db")
	committed := map[release.ID]int64{} // highest revision the child reported per release
	booked := map[string]bool{}         // bookings reported; false once reported unbooked
	var lastBooked string
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	total, acked := 0, 0
	for kill := range kills {
		lines := runAndKill(t, path, time.Duration(rng.IntN(150))*time.Millisecond)
		for _, l := range lines {
			f := strings.Fields(l)
			switch {
			case len(f) == 3 && f[0] == "C":
				id, err := release.ParseID(f[1])
				require.NoError(t, err)
				rev, err := strconv.ParseInt(f[2], 10, 64)
				require.NoError(t, err)
				committed[id] = max(committed[id], rev)
				total++
			case len(f) == 2 && f[0] == "B":
				booked[f[1]], lastBooked = true, f[1]
			case len(f) == 2 && f[0] == "U":
				booked[f[1]] = false
			}
		}
		acked = verifyCrashFile(t, path, kill, committed, booked, lastBooked)
	}
	t.Logf("survived %d SIGKILLs; %d commits reported by the children, all found; %d releases; %d transitions acknowledged, the rest in the outbox", kills, total, len(committed), acked)
}

// runAndKill starts the child, waits until it has committed something, lets it run
// for delay more, kills it with SIGKILL and returns the complete lines it printed.
func runAndKill(t *testing.T, path string, delay time.Duration) []string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+path)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	first := make(chan struct{})
	done := make(chan []string)
	go func() {
		var lines []string
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if len(lines) == 0 {
				close(first)
			}
			lines = append(lines, sc.Text())
		}
		if len(lines) == 0 {
			close(first)
		}
		done <- lines
	}()
	select {
	case <-first:
	case <-time.After(30 * time.Second):
		t.Fatalf("the child printed nothing in 30s")
	}
	time.Sleep(delay)
	require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
	lines := <-done
	err = cmd.Wait()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee, "the child must die by the kill, not exit: %v; output: %v", err, lines)
	require.Equal(t, syscall.SIGKILL, ee.Sys().(syscall.WaitStatus).Signal(), "the child ended otherwise: %v", lines)
	return lines
}

// verifyCrashFile opens the file after a kill and checks it; it returns the number of
// acknowledged notifications.
func verifyCrashFile(t *testing.T, path string, kill int, committed map[release.ID]int64, booked map[string]bool, lastBooked string) int {
	t.Helper()
	ctx := context.Background()
	s, err := bolt.Open(path, bolt.WithTimeout(5*time.Second))
	require.NoError(t, err, "after kill %d", kill)
	defer s.Close()
	require.NoError(t, s.Check(ctx), "after kill %d", kill)
	rs, err := s.List(ctx, release.Filter{})
	require.NoError(t, err)
	pending, err := s.Pending(ctx)
	require.NoError(t, err)
	rows := map[string]release.PendingNotification{}
	for _, p := range pending {
		rows[p.Notification.Key()] = p
	}
	stored := map[release.ID]bool{}
	acked := 0
	for _, r := range rs {
		stored[r.ID] = true
		h, err := s.History(ctx, r.ID)
		require.NoError(t, err)
		require.NoError(t, release.VerifyHistory(h, r.Head), "after kill %d: release %s", kill, r.ID)
		require.Equal(t, int64(len(h)), r.Revision, "after kill %d: release %s revision vs history", kill, r.ID)
		require.GreaterOrEqual(t, r.Revision, committed[r.ID], "after kill %d: release %s lost a reported commit", kill, r.ID)
		for _, e := range h[1:] {
			key := release.Notification{Entry: e}.Key()
			p, ok := rows[key]
			switch {
			case ok:
				require.Equal(t, e.Hash, p.Notification.Entry.Hash, "after kill %d: outbox row %s", kill, key)
				require.Equal(t, e.Sequence, p.Notification.Release.Revision, "after kill %d: outbox row %s", kill, key)
				delete(rows, key)
			case e.Sequence%2 == 1:
				t.Fatalf("after kill %d: transition %s was never acknowledged but has no outbox row", kill, key)
			default:
				acked++
			}
		}
	}
	require.Empty(t, rows, "after kill %d: outbox rows without a transition (orphans)", kill)
	for id := range committed {
		require.True(t, stored[id], "after kill %d: reported release %s is missing", kill, id)
	}
	bs, err := s.Bookings(ctx, "prod", t0.Add(-time.Hour), t0.Add(1e6*time.Hour))
	require.NoError(t, err)
	have := map[string]bool{}
	for _, b := range bs {
		have[b.ID] = true
	}
	for id, live := range booked {
		require.False(t, !live && have[id], "after kill %d: booking %s was reported unbooked but is stored", kill, id)
	}
	require.True(t, lastBooked == "" || have[lastBooked], "after kill %d: booking %s was reported but is missing (it was never unbooked)", kill, lastBooked)
	return acked
}
