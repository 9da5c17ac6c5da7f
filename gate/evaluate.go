package gate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"
)

// Options tune one evaluation. The zero value is useful: every gate runs at
// once, gates have no timeout of their own (only ctx bounds them), warnings do
// not block, no waivers are given and no role may waive, and durations are
// measured with the system clock.
type Options struct {
	// Parallelism bounds how many gates run at once. 0 means no bound: one
	// goroutine per gate. Negative values are invalid.
	Parallelism int `json:"parallelism,omitempty"`
	// Timeout bounds each gate. A gate still running after Timeout gets a
	// cancelled context and its result becomes a [StatusError] result saying
	// "timed out after <Timeout>". 0 means no per-gate timeout.
	Timeout time.Duration `json:"timeout,omitempty"`
	// WarningsBlock makes a required gate's [StatusWarn] block the release.
	WarningsBlock bool `json:"warnings_block,omitempty"`
	// Waivers are the waivers given for this evaluation; see [Decide] for
	// when a waiver is valid.
	Waivers []Waiver `json:"waivers,omitempty"`
	// AllowedWaiverRoles are the roles whose holders may waive a gate. Empty
	// means nobody may waive.
	AllowedWaiverRoles []string `json:"allowed_waiver_roles,omitempty"`
	// Clock measures each gate's [Result.Duration]. nil means time.Now. It
	// plays no part in the verdict (gates use [Input.Now]) and is not recorded.
	Clock func() time.Time `json:"-"`
}

// Validate reports every invalid field at once, each as an [*OptionsError],
// joined with [errors.Join]; nil means the options are usable.
func (o Options) Validate() error {
	var errs []error
	if o.Parallelism < 0 {
		errs = append(errs, &OptionsError{Field: "Parallelism", Problem: fmt.Sprintf("is %d: use 0 for one goroutine per gate or a positive bound", o.Parallelism)})
	}
	if o.Timeout < 0 {
		errs = append(errs, &OptionsError{Field: "Timeout", Problem: fmt.Sprintf("is %v: use 0 for no per-gate timeout or a positive duration", o.Timeout)})
	}
	for i, r := range o.AllowedWaiverRoles {
		if strings.TrimSpace(r) == "" {
			errs = append(errs, &OptionsError{Field: fmt.Sprintf("AllowedWaiverRoles[%d]", i), Problem: "is empty: name a role or remove the entry"})
		}
	}
	return errors.Join(errs...)
}

// systemClock measures gate durations when Options.Clock is nil.
var systemClock = time.Now

func (o Options) now() time.Time {
	if o.Clock != nil {
		return o.Clock()
	}
	return systemClock()
}

// Decision is the Go/No-Go verdict of one evaluation. It records its inputs so
// that [Replay] gives the same verdict, and it survives a JSON round trip
// (Err is rebuilt from Results on decoding).
type Decision struct {
	// Go is true when no required gate blocks; see [Decide].
	Go bool `json:"go"`
	// Results holds one result per gate, in the order the gates were given.
	Results []Result `json:"results"`
	// Err joins one [*GateError] per blocking gate, in gate order. It is nil
	// exactly when Go is true, except that [Evaluate] also joins the options'
	// validation error when the options are invalid.
	Err error `json:"-"`
	// Input is a copy of the input the gates saw.
	Input Input `json:"input"`
	// Options are the options of the evaluation (without the Clock).
	Options Options `json:"options"`
	// Fingerprint is a SHA-256 over a canonical encoding of Input and Options;
	// [Decision.Verify] checks it.
	Fingerprint string `json:"fingerprint"`
}

// UnmarshalJSON decodes a recorded decision and rebuilds Err from its results.
func (d *Decision) UnmarshalJSON(b []byte) error {
	type plain Decision
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*d = Decision(p)
	d.Err = blockingErrors(d.Results, d.Options.WarningsBlock)
	return nil
}

// Replay re-decides a recorded decision from its recorded results, input and
// options (waivers are re-validated against the recorded [Input.Now]). For an
// untampered decision the verdict equals the recorded one.
func Replay(d Decision) Decision {
	return Decide(d.Results, d.Input, d.Options)
}

// Verify replays d and returns an error wrapping [ErrReplayMismatch] when the
// verdict or the fingerprint differs from what was recorded.
func (d Decision) Verify() error {
	r := Replay(d)
	var errs []error
	if r.Go != d.Go {
		errs = append(errs, fmt.Errorf("%w: recorded go=%t, replay gives go=%t", ErrReplayMismatch, d.Go, r.Go))
	}
	if r.Fingerprint != d.Fingerprint {
		errs = append(errs, fmt.Errorf("%w: recorded fingerprint %s, input and options give %s", ErrReplayMismatch, d.Fingerprint, r.Fingerprint))
	}
	return errors.Join(errs...)
}

// Decide is the pure verdict: given the gates' results, the input and the
// options, it applies the waivers and decides Go or No-Go. [Evaluate] calls it
// after running the gates; [Replay] calls it on a recorded decision.
//
// A result blocks when it is Required, its status is fail or error (or warn
// while [Options.WarningsBlock] is set), and no valid waiver lifts it. A
// waiver for a blocking result is valid when its Gate is the result's gate,
// its Actor is set and is neither [Input.Author] nor [Input.Requester]
// (separation of duties, in any spelling of the ID), one of
// its Roles is in [Options.AllowedWaiverRoles], its Reason is not blank, and it
// expires after [Input.Now]. The first valid waiver is recorded in
// [Result.Waived]; each invalid one before it is explained in
// [Result.WaiverRejections]. Waivers for results that do not block are
// ignored. Advisory results never block. Go is true when no result blocks (so
// an empty list of results gives Go).
//
// No waiver lifts a result marked [Result.Unwaivable] (an [ApprovalGate], or a
// gate marked with [Unwaivable]): every waiver for it is rejected, and
// [Result.WaiverRejections] says that the gate cannot be waived and that more
// eligible people must approve.
func Decide(results []Result, in Input, opts Options) Decision {
	rs := make([]Result, len(results))
	for i, r := range results {
		r.Waived = nil
		r.WaiverRejections = nil
		r.Evidence = maps.Clone(r.Evidence)
		if r.Required && !r.Passed(opts.WarningsBlock) {
			for _, w := range opts.Waivers {
				if w.Gate != r.Gate {
					continue
				}
				if r.Unwaivable {
					r.WaiverRejections = append(r.WaiverRejections, fmt.Sprintf("waiver by %q rejected: gate %q cannot be waived: a quorum of approvals is met by people approving, never by a waiver; ask more eligible people to approve", w.Actor, r.Gate))
					continue
				}
				if problem := waiverProblem(w, in, opts.AllowedWaiverRoles); problem != "" {
					r.WaiverRejections = append(r.WaiverRejections, fmt.Sprintf("waiver by %q rejected: %s", w.Actor, problem))
					continue
				}
				wc := cloneWaiver(w)
				r.Waived = &wc
				break
			}
		}
		rs[i] = r
	}
	err := blockingErrors(rs, opts.WarningsBlock)
	rec := recordedOptions(opts)
	ic := cloneInput(in)
	return Decision{
		Go:          err == nil,
		Results:     rs,
		Err:         err,
		Input:       ic,
		Options:     rec,
		Fingerprint: fingerprint(ic, rec),
	}
}

func waiverProblem(w Waiver, in Input, allowed []string) string {
	var problems []string
	if strings.TrimSpace(w.Actor) == "" {
		problems = append(problems, "it names no actor")
	} else if samePerson(w.Actor, in.Author) {
		problems = append(problems, "the author of the release may not waive its gates (separation of duties)")
	} else if samePerson(w.Actor, in.Requester) {
		problems = append(problems, "the requester of the release may not waive its gates (separation of duties)")
	}
	roleOK := false
	for _, r := range w.Roles {
		if slices.Contains(allowed, r) {
			roleOK = true
			break
		}
	}
	if !roleOK {
		if len(allowed) == 0 {
			problems = append(problems, "no role may waive gates in this evaluation (Options.AllowedWaiverRoles is empty)")
		} else {
			problems = append(problems, fmt.Sprintf("the actor holds none of the roles allowed to waive (%s)", strings.Join(allowed, ", ")))
		}
	}
	if strings.TrimSpace(w.Reason) == "" {
		problems = append(problems, "it gives no reason")
	}
	if w.Expires.IsZero() {
		problems = append(problems, "it has no expiry")
	} else if !w.Expires.After(in.Now) {
		problems = append(problems, fmt.Sprintf("it expired at %s", w.Expires.UTC().Format(time.RFC3339)))
	}
	return strings.Join(problems, ", ")
}

func cloneWaiver(w Waiver) Waiver {
	w.Roles = slices.Clone(w.Roles)
	return w
}

func cloneInput(in Input) Input {
	in.Approvals = slices.Clone(in.Approvals)
	for i := range in.Approvals {
		in.Approvals[i].Roles = slices.Clone(in.Approvals[i].Roles)
	}
	in.Checks = maps.Clone(in.Checks)
	in.Metrics = maps.Clone(in.Metrics)
	in.Baselines = maps.Clone(in.Baselines)
	return in
}

func recordedOptions(o Options) Options {
	o.Clock = nil
	o.Waivers = slices.Clone(o.Waivers)
	for i := range o.Waivers {
		o.Waivers[i] = cloneWaiver(o.Waivers[i])
	}
	o.AllowedWaiverRoles = slices.Clone(o.AllowedWaiverRoles)
	return o
}

func fingerprint(in Input, o Options) string {
	// encoding/json sorts map keys, so this encoding is canonical for our types.
	b, err := json.Marshal(struct {
		Input   Input   `json:"input"`
		Options Options `json:"options"`
	}{in, o})
	if err != nil {
		// Only non-finite floats can fail to encode; fall back to a text dump.
		b = fmt.Appendf(nil, "%#v|%#v", in, o)
	}
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// Evaluate runs the gates concurrently and decides Go or No-Go.
//
//   - At most [Options.Parallelism] gates run at once (0: all at once).
//   - Each gate gets a context cancelled after [Options.Timeout] (0: none); a
//     gate still running then becomes a [StatusError] result "timed out after
//     <Timeout>". Evaluate does not wait for a gate that ignores its context:
//     that gate's goroutine is left running (leaked) until it returns, its
//     result is discarded, and it no longer counts against Parallelism.
//   - A panicking gate becomes a [StatusError] result "panicked: <value>", with
//     the stack in its Evidence under "stack".
//   - When ctx is cancelled, gates still running and gates not yet started end
//     as [StatusError] results that say so.
//   - A nil gate, a gate with an empty name and a second gate with the same
//     name become [StatusError] results without running.
//   - Invalid options ([Options.Validate]) run no gate: every result is a
//     [StatusError] and the decision is No-Go with the validation errors in Err.
//
// Results come in the order of gates whatever the timing. Evaluate returns
// after every gate has returned, timed out or been cancelled; the decision is
// made by [Decide].
func Evaluate(ctx context.Context, gates []Gate, in Input, opts Options) Decision {
	results := make([]Result, len(gates))
	if err := opts.Validate(); err != nil {
		for i, g := range gates {
			name, _ := safeName(g)
			results[i] = Result{Gate: name, Status: StatusError, Required: g == nil || !safeAdvisory(g), Unwaivable: safeUnwaivable(g),
				Reason: "not evaluated because the options are invalid: " + err.Error()}
		}
		d := Decide(results, in, opts)
		d.Go = false
		d.Err = errors.Join(err, d.Err)
		return d
	}

	seen := make(map[string]bool, len(gates))
	var run []int
	for i, g := range gates {
		name, nerr := safeName(g)
		results[i] = Result{Gate: name, Status: StatusError, Required: g == nil || !safeAdvisory(g), Unwaivable: safeUnwaivable(g)}
		switch {
		case g == nil:
			results[i].Gate = fmt.Sprintf("gate[%d]", i)
			results[i].Reason = fmt.Sprintf("gate %d is nil: remove it or pass a Gate", i)
		case nerr != nil:
			results[i].Gate = fmt.Sprintf("gate[%d]", i)
			results[i].Reason = fmt.Sprintf("gate %d: Name panicked: %v", i, nerr)
		case name == "":
			results[i].Gate = fmt.Sprintf("gate[%d]", i)
			results[i].Reason = fmt.Sprintf("gate %d has an empty name: give it one (see gate.Named)", i)
		case seen[name]:
			results[i].Reason = fmt.Sprintf("gate %d has the same name %q as an earlier gate: give each gate a unique name (see gate.Named)", i, name)
		default:
			seen[name] = true
			run = append(run, i)
		}
	}

	limit := opts.Parallelism
	if limit == 0 || limit > len(run) {
		limit = max(len(run), 1)
	}
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for _, i := range run {
		acquired := false
		if ctx.Err() == nil {
			select {
			case sem <- struct{}{}:
				acquired = true
			case <-ctx.Done():
			}
		}
		if err := ctx.Err(); err != nil {
			if acquired {
				<-sem
			}
			results[i].Reason = fmt.Sprintf("not started: the evaluation was cancelled (%v)", context.Cause(ctx))
			continue
		}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			results[i] = runOne(ctx, gates[i], results[i], in, opts)
		}(i)
	}
	wg.Wait()
	return Decide(results, in, opts)
}

func safeName(g Gate) (name string, err error) {
	if g == nil {
		return "", nil
	}
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("%v", v)
		}
	}()
	return g.Name(), nil
}

func safeAdvisory(g Gate) (adv bool) {
	defer func() {
		if recover() != nil {
			adv = false
		}
	}()
	return IsAdvisory(g)
}

// safeUnwaivable reports whether g is unwaivable; a nil gate or one whose method
// panics is not (its error result blocks without a waiver being able to help).
func safeUnwaivable(g Gate) (u bool) {
	if g == nil {
		return false
	}
	defer func() {
		if recover() != nil {
			u = false
		}
	}()
	return IsUnwaivable(g)
}

func runOne(ctx context.Context, g Gate, base Result, in Input, opts Options) Result {
	gctx, cancel := ctx, context.CancelFunc(func() {})
	if opts.Timeout > 0 {
		gctx, cancel = context.WithTimeout(ctx, opts.Timeout)
	}
	defer cancel()
	start := opts.now()
	done := make(chan Result, 1) // buffered: an abandoned gate can still finish and exit
	go func() {
		defer func() {
			if v := recover(); v != nil {
				done <- Result{Status: StatusError, Reason: fmt.Sprintf("panicked: %v", v),
					Evidence: map[string]string{"stack": string(debug.Stack())}}
			}
		}()
		done <- g.Evaluate(gctx, in)
	}()

	var r Result
	select {
	case r = <-done:
	case <-gctx.Done():
	}
	if gctx.Err() != nil {
		// The gate's context ended before we took its result: the outcome is
		// the timeout or the cancellation, whatever the gate said.
		r = Result{Status: StatusError}
		if ctx.Err() != nil {
			r.Reason = fmt.Sprintf("cancelled before it finished: the evaluation was cancelled (%v)", context.Cause(ctx))
		} else {
			r.Reason = fmt.Sprintf("timed out after %v: make the gate faster or raise Options.Timeout", opts.Timeout)
		}
	}
	r.Gate = base.Gate
	r.Required = base.Required
	r.Unwaivable = base.Unwaivable
	r.Waived = nil
	r.WaiverRejections = nil
	if !r.Status.Valid() {
		r.Reason = fmt.Sprintf("gate returned the unknown status %q (reason: %q): gates must return one of pass, warn, fail, error", r.Status, r.Reason)
		r.Status = StatusError
	}
	if r.Status != StatusPass && strings.TrimSpace(r.Reason) == "" {
		r.Reason = fmt.Sprintf("gate reported %s without a reason", r.Status)
	}
	r.Duration = max(opts.now().Sub(start), 0)
	return r
}
