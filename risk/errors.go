package risk

import (
	"errors"

	"github.com/releasekit/releasekit/dora"
)

// Sentinel errors; the typed errors unwrap to them.
var (
	// ErrInvalidFacts is wrapped by every [*FactError].
	ErrInvalidFacts = errors.New("invalid risk facts")
	// ErrInvalidLevel is wrapped by the [*LevelError] of [ParseLevel] for an unknown
	// level.
	ErrInvalidLevel = errors.New("invalid risk level")
	// ErrInvalidModel is wrapped by every [*ModelError].
	ErrInvalidModel = errors.New("invalid risk model")
	// ErrInvalidPolicy is wrapped by every [*PolicyError].
	ErrInvalidPolicy = errors.New("invalid risk policy")
	// ErrNoRequirement is returned by [Policy.For] for a level the policy does not
	// cover.
	ErrNoRequirement = errors.New("no requirement for risk level")

	// ErrInvalidWindow is the old name of dora.ErrInvalidPeriod.
	//
	// Deprecated: use [dora.ErrInvalidPeriod].
	ErrInvalidWindow = dora.ErrInvalidPeriod
)
