package release

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/Masterminds/semver/v3"
	"github.com/google/uuid"
	"github.com/releasekit/releasekit/change"
)

// ID identifies a release. It is a UUIDv7: IDs made by one [Engine] sort in the
// order the releases were created.
type ID uuid.UUID

// ParseID parses the canonical text form of an [ID]; it accepts any UUID. Text that
// is not a UUID is a *[ValidationError] (ErrInvalid) naming it.
func ParseID(s string) (ID, error) {
	u, err := uuid.Parse(s)
	if err != nil {
		return ID{}, &ValidationError{What: "release ID", Problems: []string{fmt.Sprintf("%q is not a UUID (%v); release IDs look like 0190b3c4-5f6e-7a8b-9c0d-1e2f3a4b5c6d", s, err)}}
	}
	return ID(u), nil
}

// String returns the canonical text form, e.g. "0190b3c4-5f6e-7a8b-9c0d-1e2f3a4b5c6d".
func (id ID) String() string { return uuid.UUID(id).String() }

// IsZero reports whether id is the zero ID.
func (id ID) IsZero() bool { return id == ID{} }

// Compare orders IDs byte-wise, which for UUIDv7 is creation order.
func (id ID) Compare(other ID) int { return bytes.Compare(id[:], other[:]) }

// MarshalText implements encoding.TextMarshaler.
func (id ID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (id *ID) UnmarshalText(b []byte) error {
	v, err := ParseID(string(b))
	if err != nil {
		return err
	}
	*id = v
	return nil
}

// idSource makes UUIDv7 values from the engine's clock, strictly increasing within one
// source: a millisecond timestamp, then a 12-bit sequence for IDs in the same
// millisecond, then random bits.
type idSource struct {
	mu     sync.Mutex
	lastMS int64
	seq    uint16
}

func (s *idSource) next(now time.Time) (ID, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return ID{}, fmt.Errorf("release: read random bytes for an ID: %w", err)
	}
	s.mu.Lock()
	ms := now.UnixMilli()
	if ms <= s.lastMS {
		ms = s.lastMS
		s.seq++
		if s.seq > 0x0fff {
			ms++
			s.seq = 0
		}
	} else {
		s.seq = 0
	}
	s.lastMS = ms
	seq := s.seq
	s.mu.Unlock()

	var ts [8]byte
	binary.BigEndian.PutUint64(ts[:], uint64(ms))
	copy(b[0:6], ts[2:8])
	b[6] = 0x70 | byte(seq>>8)&0x0f
	b[7] = byte(seq)
	b[8] = b[8]&0x3f | 0x80
	return ID(b), nil
}

// Component is one deployable part of a release.
type Component struct {
	Name            string `json:"name"`
	Version         string `json:"version"`
	PreviousVersion string `json:"previous_version,omitempty"`
}

// ActorKind says whether an actor is a person or an automation.
type ActorKind string

// The actor kinds.
const (
	ActorPerson     ActorKind = "person"
	ActorAutomation ActorKind = "automation"
)

// ActorKinds lists every [ActorKind].
func ActorKinds() []ActorKind { return []ActorKind{ActorPerson, ActorAutomation} }

// Actor is who fires an event: a person or an automation, with roles.
type Actor struct {
	ID    string    `json:"id"`
	Roles []string  `json:"roles,omitempty"`
	Kind  ActorKind `json:"kind"`
}

// Person returns a person actor with the given roles.
func Person(id string, roles ...string) Actor {
	return Actor{ID: id, Roles: roles, Kind: ActorPerson}
}

// Automation returns an automation actor (a bot, a pipeline) with the given roles.
func Automation(id string, roles ...string) Actor {
	return Actor{ID: id, Roles: roles, Kind: ActorAutomation}
}

// HasRole reports whether a has role r.
func (a Actor) HasRole(r string) bool { return slices.Contains(a.Roles, r) }

func (a Actor) validate() []string {
	var p []string
	if problem := idProblem(a.ID); problem != "" {
		p = append(p, "actor ID "+problem)
	}
	if !slices.Contains(ActorKinds(), a.Kind) {
		p = append(p, fmt.Sprintf("actor kind %q is not one of %v", a.Kind, ActorKinds()))
	}
	return p
}

// Release is a versioned change to one environment and its place in the lifecycle.
// Stores persist every field; the JSON encoding is the stable form.
type Release struct {
	ID          ID                `json:"id"`
	Name        string            `json:"name"`
	Version     string            `json:"version"`
	Components  []Component       `json:"components,omitempty"`
	Environment string            `json:"environment"`
	Class       change.Class      `json:"class"`
	Author      string            `json:"author"`
	Labels      map[string]string `json:"labels,omitempty"`
	State       State             `json:"state"`
	// Revision counts the committed changes: 1 after Create, one more per history
	// entry (transitions, recorded evidence, refused Go/No-Go decisions). It equals
	// the sequence number of the last history entry and is what compare-and-swap
	// (ExpectRevision) compares.
	Revision int64 `json:"revision"`
	// Scope is the scope version: what an approval approves. It starts at 1 and
	// grows with every event that changes what was approved: schedule and
	// unschedule (the slot), revoke (the Go decision withdrawn) and cancel.
	// Version, components, environment and duration are fixed at Create. Approvals
	// and rejections are pinned to the scope version they were given for and count
	// only while it stands; recording evidence (which moves Revision) leaves it as
	// it is. Releases created before scope versions have 0 until their next such
	// event.
	Scope int64 `json:"scope,omitempty"`
	// Head is the hash of the last history entry; it lets VerifyHistory detect a
	// truncated history.
	Head      string    `json:"head"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// Reached records when the release first entered each state.
	Reached map[State]time.Time `json:"reached,omitempty"`

	// Team owns the release; calendar rules scoped to teams match it.
	Team string `json:"team,omitempty"`
	// Duration is how long the deployment takes; scheduling books a slot this long.
	Duration time.Duration `json:"duration,omitempty"`
	// Needs are releases that must be deployed in the same environment first.
	Needs []Need `json:"needs,omitempty"`
	// Slot is the calendar slot booked by schedule, nil when none is booked.
	Slot *Slot `json:"slot,omitempty"`
	// Risk is the assessment made at plan time, nil without WithRisk.
	Risk *RiskSummary `json:"risk,omitempty"`
	// Rollback is the rollback plan attached at fail time, and its run.
	Rollback *RollbackRecord `json:"rollback,omitempty"`
	// Review is the post-implementation review recorded at close.
	Review *Review `json:"review,omitempty"`
	// Predecessor is the release this one was promoted from ([Engine.Promote]): the
	// same version verified in the environment before; zero when it was created.
	Predecessor ID `json:"predecessor,omitzero"`
	// CommittedAt is Spec.CommittedAt: when the change was committed, zero when the
	// host did not say. Lead time ([Engine.Deployments]) runs from it when set.
	CommittedAt time.Time `json:"committed_at,omitzero"`
}

// Need names a release that must be in the environment first: a release Name whose
// Version satisfies the semantic-version constraint (empty: any version), e.g.
// {Name: "payments", Version: ">= 1.5.0, < 2.0.0"}.
type Need struct {
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
}

// Slot is a booked calendar slot.
type Slot struct {
	// Booking is the booking's ID in the calendar and the store.
	Booking string    `json:"booking"`
	Start   time.Time `json:"start"`
	End     time.Time `json:"end"`
}

// RiskSummary is what the engine keeps of a risk assessment.
type RiskSummary struct {
	Score float64 `json:"score"`
	Level string  `json:"level"`
	// Reasons are the contributions, most important first: "reason (+points); to lower it: mitigation".
	Reasons []string `json:"reasons,omitempty"`
}

// RollbackRecord is a rollback plan attached to a failed release, and how its run went.
type RollbackRecord struct {
	// Plan is the rollback runbook as JSON (rollback.Runbook).
	Plan json.RawMessage `json:"plan"`
	// Duration is the plan's estimated length.
	Duration time.Duration `json:"duration"`
	// Report is the last run's report as JSON (rollback.Report), nil before a run.
	Report json.RawMessage `json:"report,omitempty"`
}

// Review is the post-implementation review recorded when a release closes.
type Review struct {
	Outcome   string   `json:"outcome"`
	Lessons   []string `json:"lessons,omitempty"`
	FollowUps []string `json:"follow_ups,omitempty"`
}

// Clone returns a deep copy of r.
func (r Release) Clone() Release {
	r.Components = slices.Clone(r.Components)
	r.Labels = maps.Clone(r.Labels)
	r.Reached = maps.Clone(r.Reached)
	r.Needs = slices.Clone(r.Needs)
	if r.Slot != nil {
		s := *r.Slot
		r.Slot = &s
	}
	if r.Risk != nil {
		k := *r.Risk
		k.Reasons = slices.Clone(k.Reasons)
		r.Risk = &k
	}
	if r.Rollback != nil {
		b := *r.Rollback
		b.Plan, b.Report = bytes.Clone(b.Plan), bytes.Clone(b.Report)
		r.Rollback = &b
	}
	if r.Review != nil {
		v := *r.Review
		v.Lessons, v.FollowUps = slices.Clone(v.Lessons), slices.Clone(v.FollowUps)
		r.Review = &v
	}
	return r
}

// Spec describes a release to create.
type Spec struct {
	Name        string
	Version     string
	Components  []Component
	Environment string
	// Class is the change class; empty means change.Normal.
	Class change.Class
	// Author is the actor ID of whoever wrote the release; separation of duties keeps
	// them from approving it.
	Author string
	Labels map[string]string
	// Team owns the release (calendar rules scoped to teams match it).
	Team string
	// Duration is how long the deployment takes; with WithCalendar it is required
	// (schedule books a slot this long).
	Duration time.Duration
	// Needs are releases that must be deployed in the same environment first.
	Needs []Need
	// CommittedAt, when the host knows it, is when the change was committed (the
	// newest commit the release ships). DORA's lead time for changes runs from it;
	// without it, lead time runs from the release's creation and reports say so.
	CommittedAt time.Time
}

// Validate reports every problem with s at once, as a *ValidationError.
func (s Spec) Validate() error {
	var p []string
	if strings.TrimSpace(s.Name) == "" {
		p = append(p, "name is empty")
	}
	if strings.TrimSpace(s.Version) == "" {
		p = append(p, "version is empty")
	}
	if strings.TrimSpace(s.Environment) == "" {
		p = append(p, "environment is empty")
	}
	if s.Class != "" && !s.Class.Valid() {
		p = append(p, fmt.Sprintf("class %q is not one of %v", s.Class, change.Classes()))
	}
	if problem := idProblem(s.Author); problem != "" {
		p = append(p, "author "+problem)
	}
	seen := map[string]bool{}
	for i, c := range s.Components {
		switch {
		case strings.TrimSpace(c.Name) == "":
			p = append(p, fmt.Sprintf("component %d has no name", i))
		case seen[c.Name]:
			p = append(p, fmt.Sprintf("component %q is listed twice", c.Name))
		}
		seen[c.Name] = true
		if strings.TrimSpace(c.Version) == "" {
			p = append(p, fmt.Sprintf("component %q has no version", c.Name))
		}
	}
	if s.Duration < 0 {
		p = append(p, fmt.Sprintf("duration %v is negative", s.Duration))
	}
	for i, n := range s.Needs {
		if strings.TrimSpace(n.Name) == "" {
			p = append(p, fmt.Sprintf("need %d has no release name", i))
		}
		if n.Version != "" {
			if _, err := semver.NewConstraint(n.Version); err != nil {
				p = append(p, fmt.Sprintf("need %q: version constraint %q: %v", n.Name, n.Version, err))
			}
		}
	}
	return validation("release spec", p)
}

// Filter selects releases in [Store.List]. Zero fields match everything; the fields
// that are set combine with AND, as [Filter.Match] defines. The stores in this
// repository (adapters/memory, bolt, postgres) serve Name, Component, Environment,
// States and the creation range from indexes, so a selective filter costs about the
// same whatever the number of stored releases; Version, Class and Labels are checked
// on what those select (alone, they read every release).
//
// Results come in ascending ID order (creation order for IDs made by an [Engine]),
// whatever the filter: a page ends at its last ID, and passing that ID as After
// gives the next page, without gaps or repeats, however the filter is served.
type Filter struct {
	Environment string
	Name        string
	// Component matches releases that carry a component of this name
	// ([Release.Components]), whatever its version.
	Component string
	Version   string
	Class     change.Class
	// States matches releases in any of these states.
	States []State
	// Labels matches releases that carry every one of these labels with these values.
	Labels map[string]string
	// CreatedFrom and CreatedTo bound the creation time ([Release.CreatedAt]) to the
	// half-open range [CreatedFrom, CreatedTo); a zero bound leaves that side open.
	// The creation time never changes, so a page of a range stays what it was. A
	// CreatedTo before CreatedFrom is invalid.
	CreatedFrom, CreatedTo time.Time
	// After skips releases whose ID is not greater than After (a cursor for paging).
	After ID
	// Limit caps the number of releases returned; 0 means no limit.
	Limit int
}

// Validate reports every problem with f at once, as a *[ValidationError]
// (ErrInvalid): a state or class that does not exist, a negative limit, or a
// creation range whose end is before its start. Stores return it from List.
func (f Filter) Validate() error {
	var p []string
	for _, st := range f.States {
		if !st.Valid() {
			p = append(p, fmt.Sprintf("state %q is not one of %v", st, States()))
		}
	}
	if f.Class != "" && !f.Class.Valid() {
		p = append(p, fmt.Sprintf("class %q is not one of %v", f.Class, change.Classes()))
	}
	if f.Limit < 0 {
		p = append(p, fmt.Sprintf("limit %d is negative; 0 means no limit", f.Limit))
	}
	if !f.CreatedFrom.IsZero() && !f.CreatedTo.IsZero() && f.CreatedTo.Before(f.CreatedFrom) {
		p = append(p, fmt.Sprintf("the creation range is inverted: CreatedTo (%s) is before CreatedFrom (%s); swap them",
			f.CreatedTo.UTC().Format(time.RFC3339Nano), f.CreatedFrom.UTC().Format(time.RFC3339Nano)))
	}
	return validation("list filter", p)
}

// Match reports whether r passes f (ignoring After and Limit). It is the definition
// every store's List follows; stores may use it.
func (f Filter) Match(r Release) bool {
	if f.Environment != "" && r.Environment != f.Environment ||
		f.Name != "" && r.Name != f.Name ||
		f.Version != "" && r.Version != f.Version ||
		f.Class != "" && r.Class != f.Class ||
		len(f.States) > 0 && !slices.Contains(f.States, r.State) ||
		!f.CreatedFrom.IsZero() && r.CreatedAt.Before(f.CreatedFrom) ||
		!f.CreatedTo.IsZero() && !r.CreatedAt.Before(f.CreatedTo) {
		return false
	}
	if f.Component != "" && !slices.ContainsFunc(r.Components, func(c Component) bool { return c.Name == f.Component }) {
		return false
	}
	for k, v := range f.Labels {
		if got, ok := r.Labels[k]; !ok || got != v {
			return false
		}
	}
	return true
}

// idProblem says what is wrong with an actor ID, or "". IDs are compared for
// separation of duties, so one person must not be able to pass as another: an ID may
// not be empty, carry surrounding white space, or hold control or invisible
// (format) characters such as a zero-width space.
func idProblem(id string) string {
	switch {
	case strings.TrimSpace(id) == "":
		return "is empty"
	case strings.TrimSpace(id) != id:
		return fmt.Sprintf("%q has white space around it", id)
	}
	for _, r := range id {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return fmt.Sprintf("%q holds the invisible or control character %U", id, r)
		}
	}
	return ""
}

// SamePerson reports whether two actor IDs name the same person for separation of
// duties: equal regardless of case and of full-width forms ("Ana", "ANA" and "ａｎａ"
// are one person), as the gate package counts approvers.
func SamePerson(a, b string) bool {
	return strings.EqualFold(strings.Map(narrow, a), strings.Map(narrow, b))
}

// narrow maps the full-width forms of ASCII (U+FF01–U+FF5E) onto ASCII.
func narrow(r rune) rune {
	if r >= 0xFF01 && r <= 0xFF5E {
		return r - 0xFF01 + '!'
	}
	return r
}
