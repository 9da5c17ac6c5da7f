package ci

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/releasekit/releasekit/release"
)

// recorder is what the receivers need of the engine: list releases, and record a
// result on one at most once per key, saying whether this call recorded it.
type recorder interface {
	List(ctx context.Context, f release.Filter) ([]release.Release, error)
	Record(ctx context.Context, rel release.Release, res Result, key string) (recorded bool, err error)
}

// engineRecorder records through [release.Engine.Record].
type engineRecorder struct{ eng *release.Engine }

func (e engineRecorder) List(ctx context.Context, f release.Filter) ([]release.Release, error) {
	return e.eng.List(ctx, f)
}

// receipt is the history data of a recorded result: the result as the receiver
// read it (the sender's event, its own status word, the ref, the delivery id), and
// the receipt id of the request that recorded it.
type receipt struct {
	Result
	Receipt string `json:"receipt"`
}

// Record records res on rel as a check (Evidence of kind check, by the automation
// named after the source, with the role "ci"), key being the idempotency key.
//
// Each call carries a receipt id of its own in the entry's data, so that a second
// delivery under the same key is a different request: the engine refuses it with
// ErrKeyReused and writes nothing. That is how a replay is told apart from the
// first delivery exactly, even when copies arrive at the same time (the store
// decides which one commits).
func (e engineRecorder) Record(ctx context.Context, rel release.Release, res Result, key string) (bool, error) {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return false, fmt.Errorf("ci: a receipt id: %w", err)
	}
	ev := release.Evidence{
		Kind: release.EvidenceCheck, By: release.Automation(string(res.Source), "ci"),
		Name: res.Name, Status: res.Status, URL: res.URL, ExternalID: res.ExternalID, Source: string(res.Source), Commit: res.Commit,
	}
	_, err := e.eng.Record(ctx, rel.ID, ev, release.IdempotencyKey(key),
		release.Reason(fmt.Sprintf("%s %s %s: %s", res.Source, res.Event, res.Native, res.Status)),
		release.Data(receipt{Result: res, Receipt: hex.EncodeToString(b[:])}))
	switch {
	case errors.Is(err, release.ErrKeyReused):
		return false, nil
	case err != nil:
		return false, err
	}
	return true, nil
}
