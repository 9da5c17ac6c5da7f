package ci

import (
	"context"
	"net/http"
	"sync"

	"github.com/releasekit/releasekit/gate"
	"github.com/releasekit/releasekit/release"
)

// Recorded is one result a Fake recorded.
type Recorded struct {
	Release release.ID
	Result  Result
	Key     string
}

// Fake records results in memory (keys once each) and lists the engine's releases.
type Fake struct {
	Eng  *release.Engine
	Fail error

	mu   sync.Mutex
	recs []Recorded
	keys map[string]bool
}

func (f *Fake) List(ctx context.Context, flt release.Filter) ([]release.Release, error) {
	return f.Eng.List(ctx, flt)
}

func (f *Fake) Record(_ context.Context, rel release.Release, res Result, key string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.Fail != nil {
		return false, f.Fail
	}
	if f.keys == nil {
		f.keys = map[string]bool{}
	}
	if f.keys[key] {
		return false, nil
	}
	f.keys[key] = true
	f.recs = append(f.recs, Recorded{rel.ID, res, key})
	return true, nil
}

// Records returns what was recorded, in order.
func (f *Fake) Records() []Recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Recorded(nil), f.recs...)
}

// UseFake makes receiver h record into f.
func UseFake(h http.Handler, f *Fake) { h.(*handler).rec = f }

// Tables are the status mappings by the names docs/CI-RECEIVERS.md gives them.
var Tables = map[string]map[string]gate.CheckStatus{
	"github conclusion":       githubConclusions,
	"github status":           githubProgress,
	"github deployment state": githubDeployments,
	"gitlab status":           gitlabStatuses,
	"jenkins result":          jenkinsResults,
	"generic status":          genericStatuses,
}
