package release

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/looplab/fsm"
	"github.com/releasekit/releasekit/change"
)

// State is where a release is in its lifecycle.
type State string

// The lifecycle's states. See [Transitions] and docs/LIFECYCLE.md for the diagram.
const (
	StateDraft       State = "draft"        // being written; nothing is decided
	StatePlanned     State = "planned"      // contents and risk known; waiting for a slot
	StateScheduled   State = "scheduled"    // has a slot in the calendar
	StateApproved    State = "approved"     // passed its gates (Go decision)
	StateDeploying   State = "deploying"    // being rolled out
	StateDeployed    State = "deployed"     // rolled out, not yet verified
	StateVerified    State = "verified"     // verified in its environment
	StateFailed      State = "failed"       // deployment, verification or rollback failed
	StateRollingBack State = "rolling_back" // being rolled back
	StateRolledBack  State = "rolled_back"  // rolled back to the previous versions
	StateClosed      State = "closed"       // finished; post-implementation review recorded
	StateCancelled   State = "cancelled"    // abandoned before it was deployed
)

// States lists every [State] in lifecycle order.
func States() []State {
	return []State{StateDraft, StatePlanned, StateScheduled, StateApproved, StateDeploying,
		StateDeployed, StateVerified, StateFailed, StateRollingBack, StateRolledBack,
		StateClosed, StateCancelled}
}

// Valid reports whether s is one of [States].
func (s State) Valid() bool { return slices.Contains(States(), s) }

// Terminal reports whether no event leaves s.
func (s State) Terminal() bool { return s == StateClosed || s == StateCancelled }

// Event moves a release from one [State] to another.
type Event string

// The lifecycle's events.
const (
	EventPlan           Event = "plan"            // draft -> planned
	EventSchedule       Event = "schedule"        // planned -> scheduled
	EventUnschedule     Event = "unschedule"      // scheduled, approved -> planned (frees the slot, drops the approval)
	EventApprove        Event = "approve"         // scheduled -> approved
	EventRevoke         Event = "revoke"          // approved -> scheduled (withdraws the approval)
	EventStart          Event = "start"           // approved -> deploying
	EventComplete       Event = "complete"        // deploying -> deployed
	EventVerify         Event = "verify"          // deployed -> verified
	EventFail           Event = "fail"            // deploying, deployed, verified, rolling_back -> failed
	EventRollback       Event = "rollback"        // deploying, deployed, verified, failed -> rolling_back
	EventFinishRollback Event = "finish_rollback" // rolling_back -> rolled_back
	EventClose          Event = "close"           // verified, failed, rolled_back -> closed
	EventCancel         Event = "cancel"          // draft, planned, scheduled, approved -> cancelled
)

// EventCreate is recorded as the first entry of every history. It is not a lifecycle
// event and cannot be fired.
const EventCreate Event = "create"

// The entries that record something about a release without moving it: their From
// and To are the release's state. Like [EventCreate] they cannot be fired.
const (
	// EventRecord is the entry of a piece of [Evidence] ([Engine.Record]).
	EventRecord Event = "record"
	// EventDecision is the entry of a refused approve or start (see [Engine.Fire]):
	// [AuditEntry.Refused] reads the event and each refusal from its "refusal"
	// annotation; a No-Go of the gates is in its "gates" annotation too.
	EventDecision Event = "decision"
)

// Events lists every [Event] that can be fired, in lifecycle order.
func Events() []Event {
	return []Event{EventPlan, EventSchedule, EventUnschedule, EventApprove, EventRevoke,
		EventStart, EventComplete, EventVerify, EventFail, EventRollback,
		EventFinishRollback, EventClose, EventCancel}
}

// Valid reports whether e is one of [Events].
func (e Event) Valid() bool { return slices.Contains(Events(), e) }

// Class is the change class.
//
// Deprecated: use [change.Class], the one type release, calendar and risk share.
type Class = change.Class

// The change classes.
//
// Deprecated: use [change.Standard], [change.Normal] and [change.Emergency].
const (
	ClassStandard  = change.Standard
	ClassNormal    = change.Normal
	ClassEmergency = change.Emergency
)

// Classes lists every change class.
//
// Deprecated: use [change.Classes].
func Classes() []change.Class { return change.Classes() }

// Transition is one edge of the lifecycle: Event moves a release from From to To.
type Transition struct {
	Event Event
	From  State
	To    State
}

// lifecycle is the lifecycle as looplab/fsm event descriptions: the single source of
// truth for [Transitions], [Next] and the generated diagram.
var lifecycle = []fsm.EventDesc{
	{Name: string(EventPlan), Src: states(StateDraft), Dst: string(StatePlanned)},
	{Name: string(EventSchedule), Src: states(StatePlanned), Dst: string(StateScheduled)},
	{Name: string(EventUnschedule), Src: states(StateScheduled, StateApproved), Dst: string(StatePlanned)},
	{Name: string(EventApprove), Src: states(StateScheduled), Dst: string(StateApproved)},
	{Name: string(EventRevoke), Src: states(StateApproved), Dst: string(StateScheduled)},
	{Name: string(EventStart), Src: states(StateApproved), Dst: string(StateDeploying)},
	{Name: string(EventComplete), Src: states(StateDeploying), Dst: string(StateDeployed)},
	{Name: string(EventVerify), Src: states(StateDeployed), Dst: string(StateVerified)},
	{Name: string(EventFail), Src: states(StateDeploying, StateDeployed, StateVerified, StateRollingBack), Dst: string(StateFailed)},
	{Name: string(EventRollback), Src: states(StateDeploying, StateDeployed, StateVerified, StateFailed), Dst: string(StateRollingBack)},
	{Name: string(EventFinishRollback), Src: states(StateRollingBack), Dst: string(StateRolledBack)},
	{Name: string(EventClose), Src: states(StateVerified, StateFailed, StateRolledBack), Dst: string(StateClosed)},
	{Name: string(EventCancel), Src: states(StateDraft, StatePlanned, StateScheduled, StateApproved), Dst: string(StateCancelled)},
}

func states(ss ...State) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = string(s)
	}
	return out
}

// Transitions lists every edge of the lifecycle, in the order of [Events] and then of
// the source states.
func Transitions() []Transition {
	var out []Transition
	for _, d := range lifecycle {
		for _, src := range d.Src {
			out = append(out, Transition{Event: Event(d.Name), From: State(src), To: State(d.Dst)})
		}
	}
	return out
}

// next is the lifecycle as a lookup table, built once from the same descriptions.
var next = func() map[State]map[Event]State {
	m := map[State]map[Event]State{}
	for _, t := range Transitions() {
		if m[t.From] == nil {
			m[t.From] = map[Event]State{}
		}
		m[t.From][t.Event] = t.To
	}
	return m
}()

// Next returns the state that event e leads to from state s, or false when e cannot be
// fired in s.
func Next(s State, e Event) (State, bool) {
	to, ok := next[s][e]
	return to, ok
}

// Available lists the events that can be fired in state s, in the order of [Events].
func Available(s State) []Event {
	var out []Event
	for _, e := range Events() {
		if _, ok := Next(s, e); ok {
			out = append(out, e)
		}
	}
	return out
}

// newMachine builds a fresh looplab/fsm machine in state s.
func newMachine(s State) *fsm.FSM {
	return fsm.NewFSM(string(s), lifecycle, nil)
}

// machines holds idle machines for step. Building one costs a few kilobytes of maps
// per transition; a machine taken from here is set to the release's state first, and
// one goes back only when its Event returned with no transition pending (the machine
// has no callbacks, so every Event ends one way or the other before it returns), so
// the store stays the only truth about a release's state.
var machines = sync.Pool{New: func() any { return newMachine(StateDraft) }}

// step fires e on a machine in state s and returns the destination. It checks ctx
// before firing, as a cancelled context would otherwise leave the machine stuck.
func step(ctx context.Context, s State, e Event) (State, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	m := machines.Get().(*fsm.FSM)
	m.SetState(string(s))
	err := m.Event(ctx, string(e))
	var noTransition fsm.NoTransitionError
	switch {
	case err == nil:
		to := State(m.Current())
		machines.Put(m)
		return to, nil
	case errors.As(err, &noTransition):
		machines.Put(m)
		return s, nil
	case errors.As(err, new(fsm.InvalidEventError)), errors.As(err, new(fsm.UnknownEventError)):
		machines.Put(m)
	}
	return "", err
}

// Diagram returns the lifecycle as a Mermaid state diagram, drawn by looplab/fsm's
// visualizer from the same machine the engine fires, with the initial and final states
// marked.
func Diagram() (string, error) {
	out, err := fsm.VisualizeWithType(newMachine(StateDraft), fsm.MermaidStateDiagram)
	if err != nil {
		return "", fmt.Errorf("release: draw lifecycle diagram: %w", err)
	}
	var b strings.Builder
	b.WriteString(strings.ReplaceAll(out, "\t", "    "))
	for _, st := range States() {
		if st.Terminal() {
			b.WriteString("    " + string(st) + " --> [*]\n")
		}
	}
	return b.String(), nil
}
