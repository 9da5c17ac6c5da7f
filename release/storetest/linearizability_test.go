package storetest_test

import (
	"context"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/storetest"
)

// staleGet serves Get from a per-release cache that it refreshes only every fourth
// read: a read-your-writes bug that compare-and-swap in Update cannot hide.
type staleGet struct {
	*memory.Store
	mu    sync.Mutex
	cache map[release.ID]release.Release
	reads map[release.ID]int
}

func (s *staleGet) Get(ctx context.Context, id release.ID) (release.Release, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reads[id]++
	if r, ok := s.cache[id]; ok && s.reads[id]%4 != 0 {
		return r.Clone(), nil
	}
	r, err := s.Store.Get(ctx, id)
	if err == nil {
		s.cache[id] = r.Clone()
	}
	return r, err
}

var linBroken = map[string]func() release.Store{
	"lost-update": func() release.Store { return lostUpdate{memory.New()} },
	"stale-get": func() release.Store {
		return &staleGet{Store: memory.New(), cache: map[release.ID]release.Release{}, reads: map[release.ID]int{}}
	},
}

const linBrokenEnv = "STORETEST_LIN_BROKEN"

func TestLinearizableMemory(t *testing.T) {
	if os.Getenv(linBrokenEnv) != "" {
		t.Skip("in a child of TestLinearizableCatchesBrokenStores")
	}
	rep := storetest.Linearizable(t, func(*testing.T) release.Store { return memory.New() }, storetest.LinearizableOptions{})
	require.Positive(t, rep.Commits, "no fire committed: the check saw no writes")
	require.Positive(t, rep.Conflicts, "no fire conflicted: the check saw no races")
	require.Positive(t, rep.Invalid, "no fire was an invalid transition")
	require.Equal(t, rep.Operations, rep.Reads+rep.Commits+rep.Conflicts+rep.Invalid+rep.Ambiguous, "every operation has one outcome")
	require.Zero(t, rep.Ambiguous, "a memory store leaves no outcome open")
}

// TestLinearizableCatchesBrokenStores runs Linearizable against stores with planted
// bugs, each in a child process, several times over, and requires every run to fail
// with a linearizability violation: the check can fail, and does so every time.
func TestLinearizableCatchesBrokenStores(t *testing.T) {
	if name := os.Getenv(linBrokenEnv); name != "" {
		storetest.Linearizable(t, func(*testing.T) release.Store { return linBroken[name]() }, storetest.LinearizableOptions{})
		return
	}
	const runs = 5
	visualization := regexp.MustCompile(`open (\S+\.html) in a browser`)
	for _, name := range []string{"lost-update", "stale-get"} {
		t.Run(name, func(t *testing.T) {
			for run := range runs {
				cmd := exec.Command(os.Args[0], "-test.run=^TestLinearizableCatchesBrokenStores$", "-test.v")
				cmd.Env = append(os.Environ(), linBrokenEnv+"="+name)
				out, err := cmd.CombinedOutput()
				require.Error(t, err, "run %d: Linearizable passed a store with the %s bug:\n%s", run, name, out)
				require.Contains(t, string(out), "is not linearizable", "run %d: the %s bug failed otherwise:\n%s", run, name, out)
				m := visualization.FindStringSubmatch(string(out))
				require.NotNil(t, m, "run %d: no visualization named in:\n%s", run, out)
				b, err := os.ReadFile(m[1])
				require.NoError(t, err, "run %d: visualization file", run)
				require.True(t, strings.Contains(string(b), "<html"), "run %d: %s is not an HTML page", run, m[1])
				_ = os.Remove(m[1])
			}
		})
	}
}

func TestLinearizableOptionsValidate(t *testing.T) {
	err := storetest.LinearizableOptions{Clients: -1, Rounds: -2, CheckTimeout: -1}.Validate()
	require.ErrorIs(t, err, release.ErrInvalid)
	for _, want := range []string{"clients -1", "rounds -2", "check timeout"} {
		require.Contains(t, err.Error(), want)
	}
	require.NoError(t, storetest.LinearizableOptions{}.Validate(), "the zero value is valid")
}

// A store adapter's test runs the check on a fresh store of its own.
func ExampleLinearizable() {
	testLinearizable := func(t *testing.T) {
		storetest.Linearizable(t, func(t *testing.T) release.Store {
			return memory.New() // e.g. mystore.Open(filepath.Join(t.TempDir(), "db"))
		}, storetest.LinearizableOptions{})
	}
	_ = testLinearizable
}
