package ci

import (
	"context"
	"errors"

	"github.com/releasekit/releasekit/release"
)

// recorder is what the receivers need of the engine: list releases, and record a
// result on one at most once per key, saying whether this call recorded it.
type recorder interface {
	List(ctx context.Context, f release.Filter) ([]release.Release, error)
	Record(ctx context.Context, rel release.Release, res Result, key string) (recorded bool, err error)
}

// engineRecorder records through the engine.
type engineRecorder struct{ eng *release.Engine }

func (e engineRecorder) List(ctx context.Context, f release.Filter) ([]release.Release, error) {
	return e.eng.List(ctx, f)
}

// errNoRecord is returned until the engine can record evidence.
var errNoRecord = errors.New("ci: this engine cannot record evidence yet")

func (e engineRecorder) Record(ctx context.Context, rel release.Release, res Result, key string) (bool, error) {
	return false, errNoRecord
}
