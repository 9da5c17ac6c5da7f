package storetest

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/releasekit/releasekit/release"
)

// RoundsEnv names the environment variable that sets the number of rounds
// [Linearizable] runs when [LinearizableOptions.Rounds] is zero, for longer runs
// (e.g. RELEASEKIT_LIN_ROUNDS=1000). Unset, 20 rounds run.
const RoundsEnv = "RELEASEKIT_LIN_ROUNDS"

// LinearizableOptions tunes [Linearizable]. The zero value is useful: every zero field
// takes the default named on it.
type LinearizableOptions struct {
	// Clients is the number of concurrent goroutines; default 64.
	Clients int
	// OpsPerRound is the number of operations of one round, shared out among the
	// clients (who all start together); default 100. A round's history is checked on
	// its own: the cost of proving a bad history bad grows exponentially with the
	// operations in flight at once, so many short rounds find more than a few long
	// ones in the same time.
	OpsPerRound int
	// Rounds is the number of rounds. Default: the value of RELEASEKIT_LIN_ROUNDS
	// ([RoundsEnv]), else 20.
	Rounds int
	// Until, when not nil, keeps the rounds going past Rounds until it is closed: a
	// test that disturbs the store (restarts a server) closes it when done, so that
	// rounds run during and after the disturbance, whatever the timing.
	Until <-chan struct{}
	// Releases is the number of shared releases the clients fire on; default 8.
	Releases int
	// Seed seeds the clients' choice of operations; default derived from the time
	// (it is logged). The interleaving is the scheduler's, so a seed does not make a
	// run repeatable, only its mix of operations.
	Seed uint64
	// CheckTimeout bounds the checker per round; default 2 minutes. A round whose
	// check times out fails the test: an undecided check proves nothing.
	CheckTimeout time.Duration
	// Ambiguous accepts errors other than the three definite outcomes (committed,
	// conflict, invalid transition) as ambiguous: the operation may or may not have
	// taken effect, and the checker tries both. Use it with stores that fail on
	// purpose (release/faultstore). Without it such an error fails the test.
	Ambiguous bool
	// EngineOptions are passed to [release.New] after the suite's own (a clock and
	// [release.AllowAll]).
	EngineOptions []release.Option
}

// Validate reports every negative field at once.
func (o LinearizableOptions) Validate() error {
	var p []string
	for _, f := range []struct {
		name string
		v    int
	}{{"clients", o.Clients}, {"ops per round", o.OpsPerRound}, {"rounds", o.Rounds}, {"releases", o.Releases}} {
		if f.v < 0 {
			p = append(p, fmt.Sprintf("%s %d is negative", f.name, f.v))
		}
	}
	if o.CheckTimeout < 0 {
		p = append(p, fmt.Sprintf("check timeout %v is negative", o.CheckTimeout))
	}
	if len(p) == 0 {
		return nil
	}
	return &release.ValidationError{What: "linearizable options", Problems: p}
}

func (o LinearizableOptions) withDefaults() (LinearizableOptions, error) {
	if o.Clients == 0 {
		o.Clients = 64
	}
	if o.OpsPerRound == 0 {
		o.OpsPerRound = 100
	}
	if o.Releases == 0 {
		o.Releases = 8
	}
	if o.Rounds == 0 {
		o.Rounds = 20
		if v := os.Getenv(RoundsEnv); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return o, fmt.Errorf("%s=%q: want a positive number of rounds", RoundsEnv, v)
			}
			o.Rounds = n
		}
	}
	if o.Seed == 0 {
		o.Seed = uint64(wallClock().UnixNano())
	}
	if o.CheckTimeout == 0 {
		o.CheckTimeout = 2 * time.Minute
	}
	return o, nil
}

// LinearizabilityReport counts what [Linearizable] checked.
type LinearizabilityReport struct {
	// Rounds is the number of rounds run; Histories the number of per-release
	// histories checked (rounds × releases).
	Rounds, Histories int
	// Operations is the number of operations recorded and checked.
	Operations int
	// Reads, Commits, Conflicts, Invalid and Ambiguous count the operations by
	// outcome: a Get that returned a release, a Fire that committed, one refused with
	// ErrStale, one refused with ErrInvalidTransition, and one whose error left it
	// open whether it took effect (only with Ambiguous).
	Reads, Commits, Conflicts, Invalid, Ambiguous int
	// CheckTime is the time the checker took, over all rounds.
	CheckTime time.Duration
}

// Linearizable records the history of concurrent clients firing transitions through a
// [release.Engine] on a store from newStore, and checks with a linearizability checker
// (github.com/anishathalye/porcupine) that every outcome could have happened in some
// order of the operations that respects real time: the store behaves as one register
// per release, with compare-and-swap on the revision.
//
// The store is created once. Each round, opts.Clients goroutines (64) start together
// and perform opts.OpsPerRound operations (100) between them on a few shared releases
// (8), kept cycling between planned and scheduled: a Get; a Get followed by the
// schedule or unschedule that fits what it read, with [release.ExpectRevision]; a
// plain Fire of either event (often invalid for the state, a deliberate refusal); or
// a Fire that expects a stale revision. Each operation's call and return are timed on
// a monotonic clock and its outcome recorded: the release read, the committed state
// and revision, a conflict (with the revisions it expected and saw), an invalid
// transition (with the state it saw). The model then accepts:
//   - a read only of the current state and revision;
//   - a commit only from the state the event leaves from, at the revision expected
//     (when one was), to the next state at the next revision;
//   - a conflict only when the revision is not the one expected (and is the one the
//     error names as actual, when it names one);
//   - an invalid transition only when the current state is the one reported and the
//     event cannot leave it.
//
// Each round is checked on its own, partitioned by release. On a violation the test
// fails with the path of an HTML visualization of the history (written to a temporary
// file that stays after the test). After the last round every release's history must
// verify against its head, with one entry per revision.
//
// A store with a lost update (an Update that ignores the expected revision) or a Get
// that returns stale values fails this check; release/storetest's own tests prove it
// on planted bugs. Rounds can be raised for longer runs with RELEASEKIT_LIN_ROUNDS.
func Linearizable(t *testing.T, newStore func(t *testing.T) release.Store, opts LinearizableOptions) LinearizabilityReport {
	t.Helper()
	var rep LinearizabilityReport
	if err := opts.Validate(); err != nil {
		t.Fatalf("storetest.Linearizable: %v", err)
		return rep
	}
	opts, err := opts.withDefaults()
	if err != nil {
		t.Fatalf("storetest.Linearizable: %v", err)
		return rep
	}
	s := newStore(t)
	var mu sync.Mutex
	now := t0
	clock := release.ClockFunc(func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(time.Millisecond)
		return now
	})
	e, err := release.New(s, append([]release.Option{release.WithClock(clock), release.WithPolicy(release.AllowAll())}, opts.EngineOptions...)...)
	if err != nil {
		t.Fatalf("storetest.Linearizable: release.New: %v", err)
		return rep
	}
	ctx := context.Background()
	ids := make([]release.ID, opts.Releases)
	base := make([]int64, opts.Releases)
	for i := range ids {
		r, err := createPlanned(ctx, e, i)
		if err != nil {
			t.Fatalf("storetest.Linearizable: set up release %d: %v", i, err)
			return rep
		}
		ids[i], base[i] = r.ID, r.Revision
	}
	t.Logf("linearizability: %d clients, %d rounds of %d operations, on %d releases, seed %d", opts.Clients, opts.Rounds, opts.OpsPerRound, opts.Releases, opts.Seed)
	rec := &recorder{start: wallClock()}
	commitsPer := make([]int, opts.Releases)
	ambiguousPer := make([]int, opts.Releases)
	for round := 0; round < opts.Rounds || opts.Until != nil && !closed(opts.Until); round++ {
		rec.ops = rec.ops[:0]
		// The round opens with a read of every release, before any client starts: it
		// tells the model where each register stands.
		for i, id := range ids {
			if err := rec.open(ctx, e, opts.Clients, i, id, opts.Ambiguous); err != nil {
				t.Fatalf("storetest.Linearizable: round %d: reading release %s failed: %v", round, id, err)
				return rep
			}
		}
		var wg sync.WaitGroup
		startGate := make(chan struct{})
		// Each step records at least one operation and reports at most one error.
		errs := make(chan error, opts.OpsPerRound+opts.Clients)
		for c := range opts.Clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(opts.Seed, uint64(round)<<32|uint64(c)))
				actor := release.Person(fmt.Sprintf("client-%d", c), release.RoleReleaseManager)
				<-startGate
				share := opts.OpsPerRound / opts.Clients
				if c < opts.OpsPerRound%opts.Clients {
					share++
				}
				for n := 0; n < share; {
					i := rng.IntN(len(ids))
					n += rec.step(ctx, e, rng, c, i, ids[i], actor, opts.Ambiguous, errs)
				}
			}()
		}
		close(startGate)
		wg.Wait()
		close(errs)
		clientFailed := false
		for err := range errs {
			t.Errorf("storetest.Linearizable: round %d: %v", round, err)
			clientFailed = true
		}
		if clientFailed {
			t.FailNow()
			return rep
		}
		history := append([]porcupine.Operation(nil), rec.ops...)
		for _, op := range history {
			o := op.Output.(linOutput)
			in := op.Input.(linInput)
			switch o.kind {
			case outRead:
				rep.Reads++
			case outCommitted:
				rep.Commits++
				commitsPer[in.release]++
			case outConflict:
				rep.Conflicts++
			case outInvalid:
				rep.Invalid++
			case outAmbiguous:
				rep.Ambiguous++
				if in.kind == opFire {
					ambiguousPer[in.release]++
				}
			}
		}
		rep.Operations += len(history)
		rep.Rounds++
		rep.Histories += opts.Releases
		began := wallClock()
		res := porcupine.CheckOperationsTimeout(linModel, history, opts.CheckTimeout)
		rep.CheckTime += wallClock().Sub(began)
		switch res {
		case porcupine.Ok:
		case porcupine.Unknown:
			t.Fatalf("storetest.Linearizable: round %d: the checker did not decide within %v (%d operations); lower OpsPerRound or raise CheckTimeout", round, opts.CheckTimeout, len(history))
			return rep
		default:
			t.Fatalf("storetest.Linearizable: round %d: the history of %d operations is not linearizable: %s", round, len(history), visualize(history))
			return rep
		}
	}
	// Nothing lost: every release's history verifies, has one entry per revision, and
	// counts the commits the clients saw (plus at most the ambiguous ones).
	for i, id := range ids {
		var (
			r release.Release
			h []release.AuditEntry
		)
		err := settled(opts.Ambiguous, func() (err error) {
			if r, err = s.Get(ctx, id); err != nil {
				return fmt.Errorf("final Get(%s): %w", id, err)
			}
			if h, err = s.History(ctx, id); err != nil {
				return fmt.Errorf("final History(%s): %w", id, err)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("storetest.Linearizable: %v", err)
			return rep
		}
		if int64(len(h)) != r.Revision {
			t.Errorf("storetest.Linearizable: release %s is at revision %d with %d history entries: a gap or an orphan entry", id, r.Revision, len(h))
		}
		if err := release.VerifyHistory(h, r.Head); err != nil {
			t.Errorf("storetest.Linearizable: release %s: history does not verify: %v", id, err)
		}
		grew := int(r.Revision - base[i])
		if grew < commitsPer[i] || grew > commitsPer[i]+ambiguousPer[i] {
			t.Errorf("storetest.Linearizable: release %s grew by %d revisions, but clients saw %d commits and %d ambiguous fires: a commit was lost or invented", id, grew, commitsPer[i], ambiguousPer[i])
		}
	}
	t.Logf("linearizability: %d operations in %d histories checked in %v: %d reads, %d commits, %d conflicts, %d invalid transitions, %d ambiguous",
		rep.Operations, rep.Histories, rep.CheckTime.Round(time.Millisecond), rep.Reads, rep.Commits, rep.Conflicts, rep.Invalid, rep.Ambiguous)
	return rep
}

// settled runs f once, or with ambiguous outcomes allowed until it succeeds (for
// about ten seconds): reads through a store that fails on purpose.
func settled(ambiguous bool, f func() error) error {
	err := f()
	for try := 1; err != nil && ambiguous && try < 100; try++ {
		time.Sleep(time.Duration(min(try, 10)) * 10 * time.Millisecond)
		err = f()
	}
	return err
}

func closed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// createPlanned creates release number i and plans it, retrying what a faulty store
// refuses (ambiguous creates show up as ErrAlreadyExists never, since IDs are fresh).
func createPlanned(ctx context.Context, e *release.Engine, i int) (release.Release, error) {
	var last error
	for range 100 {
		r, err := e.Create(ctx, spec(fmt.Sprintf("lin-%d", i), "prod"))
		if err != nil {
			last = err
			continue
		}
		for range 100 {
			cur, err := e.Get(ctx, r.ID)
			if err != nil {
				last = err
				continue
			}
			if cur.State == release.StatePlanned {
				return cur, nil
			}
			if _, err := e.Fire(ctx, r.ID, release.EventPlan, bob, release.ExpectRevision(cur.Revision)); err != nil && !release.Committed(err) {
				last = err
			}
		}
		return release.Release{}, last
	}
	return release.Release{}, last
}

type opKind uint8

const (
	opGet opKind = iota
	opFire
)

type linInput struct {
	kind     opKind
	release  int
	event    release.Event
	expected int64 // 0: none
}

type outKind uint8

const (
	outRead outKind = iota
	outCommitted
	outConflict
	outInvalid
	outAmbiguous
)

type linOutput struct {
	kind     outKind
	state    release.State // read, committed: the state; invalid: the state seen
	revision int64         // read, committed: the revision
	expected int64         // conflict: the revision the losing write expected (0: unknown)
	actual   int64         // conflict: the revision the store or engine saw instead (0: unknown)
}

// register is the model's state of one release; unknown before the first read.
type register struct {
	known    bool
	state    release.State
	revision int64
}

type recorder struct {
	start time.Time
	mu    sync.Mutex
	ops   []porcupine.Operation
}

// now is a monotonic timestamp (wall clock readings carry the monotonic clock).
func (r *recorder) now() int64 { return int64(wallClock().Sub(r.start)) }

func (r *recorder) add(client int, in linInput, call int64, out linOutput, ret int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ops = append(r.ops, porcupine.Operation{ClientId: client, Input: in, Call: call, Output: out, Return: ret})
}

// open records the read that opens a round. With ambiguous outcomes allowed it
// retries failed reads for about ten seconds (unrecorded: nothing runs concurrently,
// so they tell nothing), long enough for a restarted database server to come back.
func (r *recorder) open(ctx context.Context, e *release.Engine, client, i int, id release.ID, ambiguous bool) error {
	return settled(ambiguous, func() error {
		call := r.now()
		got, err := e.Get(ctx, id)
		ret := r.now()
		if err == nil {
			r.add(client, linInput{kind: opGet, release: i}, call, linOutput{kind: outRead, state: got.State, revision: got.Revision}, ret)
		}
		return err
	})
}

// step performs one client action (one or two operations) and returns how many
// operations it recorded.
func (r *recorder) step(ctx context.Context, e *release.Engine, rng *rand.Rand, client, i int, id release.ID, actor release.Actor, ambiguous bool, errs chan<- error) int {
	switch k := rng.IntN(10); {
	case k < 3: // a read
		call := r.now()
		got, err := e.Get(ctx, id)
		ret := r.now()
		in := linInput{kind: opGet, release: i}
		switch {
		case err == nil:
			r.add(client, in, call, linOutput{kind: outRead, state: got.State, revision: got.Revision}, ret)
		case ambiguous:
			r.add(client, in, call, linOutput{kind: outAmbiguous}, ret)
		default:
			errs <- fmt.Errorf("client %d: Get(%s): %w", client, id, err)
		}
		return 1
	case k < 7: // read, then the event that fits, expecting the revision read
		call := r.now()
		got, err := e.Get(ctx, id)
		ret := r.now()
		in := linInput{kind: opGet, release: i}
		if err != nil {
			if !ambiguous {
				errs <- fmt.Errorf("client %d: Get(%s): %w", client, id, err)
				return 1
			}
			r.add(client, in, call, linOutput{kind: outAmbiguous}, ret)
			return 1
		}
		r.add(client, in, call, linOutput{kind: outRead, state: got.State, revision: got.Revision}, ret)
		ev := release.EventSchedule
		if got.State == release.StateScheduled {
			ev = release.EventUnschedule
		}
		r.fire(ctx, e, client, i, id, ev, got.Revision, actor, ambiguous, errs)
		return 2
	case k < 9: // a plain fire of either event
		ev := release.EventSchedule
		if rng.IntN(2) == 0 {
			ev = release.EventUnschedule
		}
		r.fire(ctx, e, client, i, id, ev, 0, actor, ambiguous, errs)
		return 1
	default: // a fire that expects a revision that is likely stale (or not yet reached)
		ev := release.EventSchedule
		if rng.IntN(2) == 0 {
			ev = release.EventUnschedule
		}
		r.fire(ctx, e, client, i, id, ev, 1+rng.Int64N(3), actor, ambiguous, errs)
		return 1
	}
}

func (r *recorder) fire(ctx context.Context, e *release.Engine, client, i int, id release.ID, ev release.Event, expected int64, actor release.Actor, ambiguous bool, errs chan<- error) {
	var opts []release.FireOption
	if expected != 0 {
		opts = append(opts, release.ExpectRevision(expected))
	}
	in := linInput{kind: opFire, release: i, event: ev, expected: expected}
	call := r.now()
	got, err := e.Fire(ctx, id, ev, actor, opts...)
	ret := r.now()
	var (
		ce *release.StaleError
		te *release.TransitionError
	)
	switch {
	case release.Committed(err):
		r.add(client, in, call, linOutput{kind: outCommitted, state: got.State, revision: got.Revision}, ret)
	case errors.As(err, &ce):
		r.add(client, in, call, linOutput{kind: outConflict, expected: ce.Expected, actual: ce.Actual}, ret)
	case errors.Is(err, release.ErrStale):
		r.add(client, in, call, linOutput{kind: outConflict, expected: expected}, ret)
	case errors.As(err, &te):
		r.add(client, in, call, linOutput{kind: outInvalid, state: te.State}, ret)
	case ambiguous:
		r.add(client, in, call, linOutput{kind: outAmbiguous}, ret)
	default:
		errs <- fmt.Errorf("client %d: Fire(%s, %s, expected %d): %w", client, id, ev, expected, err)
	}
}

// linStep lists the registers the model can be in after op, from reg.
func linStep(reg register, in linInput, out linOutput) []any {
	if !reg.known {
		// Only the opening read can come first: it sets the register.
		if in.kind == opGet && out.kind == outRead {
			return []any{register{known: true, state: out.state, revision: out.revision}}
		}
		return nil
	}
	if in.kind == opGet {
		switch out.kind {
		case outRead:
			if out.state == reg.state && out.revision == reg.revision {
				return []any{reg}
			}
			return nil
		case outAmbiguous:
			return []any{reg}
		}
		return nil
	}
	next, can := release.Next(reg.state, in.event)
	expectedOK := in.expected == 0 || in.expected == reg.revision
	applied := register{known: true, state: next, revision: reg.revision + 1}
	switch out.kind {
	case outCommitted:
		if expectedOK && can && out.state == next && out.revision == reg.revision+1 {
			return []any{applied}
		}
	case outConflict:
		// Refused at a moment the revision was not the one expected, and (when the
		// error says) was the one it names.
		if (out.expected == 0 || out.expected != reg.revision) && (out.actual == 0 || out.actual == reg.revision) {
			return []any{reg}
		}
	case outInvalid:
		if expectedOK && !can && out.state == reg.state {
			return []any{reg}
		}
	case outAmbiguous:
		if expectedOK && can {
			return []any{reg, applied}
		}
		return []any{reg}
	}
	return nil
}

var linNondet = porcupine.NondeterministicModel{
	Partition: func(history []porcupine.Operation) [][]porcupine.Operation {
		by := map[int][]porcupine.Operation{}
		var order []int
		for _, op := range history {
			i := op.Input.(linInput).release
			if _, ok := by[i]; !ok {
				order = append(order, i)
			}
			by[i] = append(by[i], op)
		}
		out := make([][]porcupine.Operation, 0, len(order))
		for _, i := range order {
			out = append(out, by[i])
		}
		return out
	},
	Init: func() []any { return []any{register{}} },
	Step: func(state, input, output any) []any {
		return linStep(state.(register), input.(linInput), output.(linOutput))
	},
	Hash: func(state any) uint64 {
		r := state.(register)
		h := fnv.New64a()
		_, _ = fmt.Fprintf(h, "%t|%s|%d", r.known, r.state, r.revision)
		return h.Sum64()
	},
	DescribeOperation: func(input, output any) string {
		in, out := input.(linInput), output.(linOutput)
		var call string
		if in.kind == opGet {
			call = fmt.Sprintf("get(r%d)", in.release)
		} else if in.expected != 0 {
			call = fmt.Sprintf("%s(r%d, expect %d)", in.event, in.release, in.expected)
		} else {
			call = fmt.Sprintf("%s(r%d)", in.event, in.release)
		}
		switch out.kind {
		case outRead, outCommitted:
			return fmt.Sprintf("%s -> %s@%d", call, out.state, out.revision)
		case outConflict:
			return fmt.Sprintf("%s -> conflict (expected %d, saw %d)", call, out.expected, out.actual)
		case outInvalid:
			return fmt.Sprintf("%s -> invalid from %s", call, out.state)
		default:
			return call + " -> ambiguous"
		}
	},
	DescribeState: func(state any) string {
		r := state.(register)
		if !r.known {
			return "?"
		}
		return fmt.Sprintf("%s@%d", r.state, r.revision)
	},
}

var linModel = linNondet.ToModel()

// visualize checks history again with the details kept and writes the HTML
// visualization to a temporary file; it returns a sentence naming the file.
func visualize(history []porcupine.Operation) string {
	_, info := porcupine.CheckOperationsVerbose(linModel, history, 0)
	f, err := os.CreateTemp("", "releasekit-linearizability-*.html")
	if err != nil {
		return fmt.Sprintf("(no visualization: %v)", err)
	}
	path := f.Name()
	_ = f.Close()
	if err := porcupine.VisualizePath(linModel, info, path); err != nil {
		return fmt.Sprintf("(no visualization: %v)", err)
	}
	return "open " + path + " in a browser to see the operations no order can explain"
}

// wallClock times the clients' calls and returns: linearizability is judged on real
// time, so the checker reads the system clock (with its monotonic reading) here, and
// only here.
var wallClock = time.Now
