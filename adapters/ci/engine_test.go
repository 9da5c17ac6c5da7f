package ci_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/adapters/bolt"
	"github.com/releasekit/releasekit/adapters/ci"
	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/gate"
	"github.com/releasekit/releasekit/release"
)

// The checks gate decides from what the receivers recorded: a failed run keeps the
// release from approval, the run that succeeds lets it through.
func TestGatesReadReceivedResults(t *testing.T) {
	ctx := context.Background()
	eng, err := release.New(memory.New(), release.WithGates(release.GateConfig{
		ByEnvironment: map[string][]gate.Gate{"prod": {gate.Checks("test")}},
	}))
	require.NoError(t, err)
	const commit = "3484a3fb816e0859fd6e1cea078d76385ff50625"
	r, err := eng.Create(ctx, release.Spec{Name: "octo-repo", Version: "1.4.0", Environment: "prod", Author: "ana",
		Labels: map[string]string{"commit": commit}})
	require.NoError(t, err)
	rui := release.Person("rui", release.RoleReleaseManager)
	for _, ev := range []release.Event{release.EventPlan, release.EventSchedule} {
		_, err = eng.Fire(ctx, r.ID, ev, rui)
		require.NoError(t, err)
	}
	_, err = eng.Fire(ctx, r.ID, release.EventApprove, rui)
	require.ErrorIs(t, err, release.ErrGuardRefused, "no result of the check yet")

	h, err := ci.NewGitHub(eng, secret, quiet())
	require.NoError(t, err)
	ok := sample(t, "github/workflow_run.completed.json")
	failed := bytes.Replace(ok, []byte(`"conclusion": "success"`), []byte(`"conclusion": "failure"`), 1)
	code, a := post(t, h, "/", failed, github("workflow_run", "run-1", failed))
	require.Equal(t, http.StatusOK, code, a.Error)
	_, err = eng.Fire(ctx, r.ID, release.EventApprove, rui)
	require.ErrorIs(t, err, release.ErrGuardRefused, "the run failed")
	assert.ErrorContains(t, err, `"test" is failure`)

	code, a = post(t, h, "/", ok, github("workflow_run", "run-2", ok))
	require.Equal(t, http.StatusOK, code, a.Error)
	got, err := eng.Fire(ctx, r.ID, release.EventApprove, rui)
	require.NoError(t, err)
	assert.Equal(t, release.StateApproved, got.State)
}

// failing is a memory store whose keyed updates fail while down is set.
type failing struct {
	*memory.Store
	down atomic.Bool
}

func (f *failing) UpdateKeyed(ctx context.Context, expected int64, r release.Release, e release.AuditEntry, k release.KeyRecord) error {
	if f.down.Load() {
		return errors.New("disk full")
	}
	return f.Store.UpdateKeyed(ctx, expected, r, e, k)
}

// A store failure answers 503 and records nothing; the sender's retry of the same
// delivery then records it, once.
func TestStoreFailureIsRetryable(t *testing.T) {
	ctx := context.Background()
	st := &failing{Store: memory.New()}
	eng, r, h := genericOn(t, st)
	body := genericBody("retry-1", sha, "", "")

	st.down.Store(true)
	code, a := post(t, h, "/", body, signed(body))
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.Contains(t, a.Error, "retry the delivery")
	evs, err := eng.Evidence(ctx, r.ID)
	require.NoError(t, err)
	assert.Empty(t, evs)

	st.down.Store(false)
	code, a = post(t, h, "/", body, signed(body))
	assert.Equal(t, http.StatusOK, code, a.Error)
	code, _ = post(t, h, "/", body, signed(body))
	assert.Equal(t, http.StatusConflict, code)
	evs, err = eng.Evidence(ctx, r.ID)
	require.NoError(t, err)
	assert.Len(t, evs, 1)
}

// A receiver needs a store that keeps idempotency keys.
func TestStoreWithoutKeysIsRefused(t *testing.T) {
	eng, err := release.New(plainStore{memory.New()})
	require.NoError(t, err)
	_, err = ci.NewGitHub(eng, secret)
	assert.ErrorIs(t, err, release.ErrInvalid)
	assert.ErrorContains(t, err, "keeps no idempotency keys")
}

// plainStore hides the memory store's optional interfaces.
type plainStore struct{ s *memory.Store }

func (p plainStore) Create(ctx context.Context, r release.Release, e release.AuditEntry) error {
	return p.s.Create(ctx, r, e)
}
func (p plainStore) Get(ctx context.Context, id release.ID) (release.Release, error) {
	return p.s.Get(ctx, id)
}
func (p plainStore) List(ctx context.Context, f release.Filter) ([]release.Release, error) {
	return p.s.List(ctx, f)
}
func (p plainStore) Update(ctx context.Context, n int64, r release.Release, e release.AuditEntry) error {
	return p.s.Update(ctx, n, r, e)
}
func (p plainStore) History(ctx context.Context, id release.ID) ([]release.AuditEntry, error) {
	return p.s.History(ctx, id)
}

// On the embedded durable store, as on the memory store: of concurrent copies of a
// delivery one records, and after a restart the delivery is still known.
func TestReplayOnBolt(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "releases.db")
	st, err := bolt.Open(path)
	require.NoError(t, err)
	_, r, h := genericOn(t, st)
	body := genericBody("bolt-1", sha, "", "")
	var ok atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if code, _ := post(t, h, "/", body, signed(body)); code == http.StatusOK {
				ok.Add(1)
			}
		})
	}
	wg.Wait()
	assert.Equal(t, int32(1), ok.Load())
	require.NoError(t, st.Close())

	st, err = bolt.Open(path)
	require.NoError(t, err)
	defer st.Close()
	eng, err := release.New(st)
	require.NoError(t, err)
	h, err = ci.NewGeneric(eng, secret, quiet())
	require.NoError(t, err)
	code, _ := post(t, h, "/", body, signed(body))
	assert.Equal(t, http.StatusConflict, code, "a replay after a restart")
	evs, err := eng.Evidence(ctx, r.ID)
	require.NoError(t, err)
	assert.Len(t, evs, 1)
}

// genericOn is an engine on st with one release of the commit sha and a generic
// receiver.
func genericOn(t *testing.T, st release.Store) (*release.Engine, release.Release, http.Handler) {
	t.Helper()
	eng, err := release.New(st)
	require.NoError(t, err)
	r, err := eng.Create(context.Background(), release.Spec{Name: "p", Version: "1.4.0", Environment: "prod", Author: "ana",
		Labels: map[string]string{"commit": sha}})
	require.NoError(t, err)
	h, err := ci.NewGeneric(eng, secret, quiet())
	require.NoError(t, err)
	return eng, r, h
}
