package ci

import (
	"fmt"
	"strings"

	"github.com/releasekit/releasekit/gate"
)

// The status mappings: each CI system's own words for a run's state, and the
// [gate.CheckStatus] a result with that word records. docs/CI-RECEIVERS.md
// gives the same tables with the reasons; a test keeps the two in step.
//
// A word that is not in its table is refused with an *unknownStatusError rather
// than guessed at: a new word in a sender's vocabulary must be mapped on purpose.
var (
	// githubConclusions maps the conclusion of a completed check run, check
	// suite or workflow run.
	githubConclusions = map[string]gate.CheckStatus{
		"success":         gate.CheckSuccess,
		"failure":         gate.CheckFailure,
		"neutral":         gate.CheckSkipped, // says nothing either way: not a success a gate can rely on
		"cancelled":       gate.CheckSkipped, // did not finish: not a success
		"skipped":         gate.CheckSkipped,
		"timed_out":       gate.CheckError,   // the run could not finish in its time
		"action_required": gate.CheckPending, // waits for a person (an approval to run, a fix)
		"stale":           gate.CheckError,   // GitHub gave up on an incomplete run
		"startup_failure": gate.CheckError,   // workflow runs: the workflow could not start
	}
	// githubProgress maps the status of a run that has not completed.
	githubProgress = map[string]gate.CheckStatus{
		"queued":      gate.CheckPending,
		"in_progress": gate.CheckPending,
		"requested":   gate.CheckPending,
		"waiting":     gate.CheckPending,
		"pending":     gate.CheckPending,
	}
	// githubDeployments maps the state of a deployment status.
	githubDeployments = map[string]gate.CheckStatus{
		"success":     gate.CheckSuccess,
		"failure":     gate.CheckFailure,
		"error":       gate.CheckError,
		"pending":     gate.CheckPending,
		"queued":      gate.CheckPending,
		"in_progress": gate.CheckPending,
		"inactive":    gate.CheckSkipped, // superseded by a later deployment
	}
	// gitlabStatuses maps the status of a pipeline or a job.
	gitlabStatuses = map[string]gate.CheckStatus{
		"success":              gate.CheckSuccess,
		"failed":               gate.CheckFailure,
		"canceled":             gate.CheckSkipped,
		"canceling":            gate.CheckSkipped,
		"skipped":              gate.CheckSkipped,
		"manual":               gate.CheckPending, // waits for a person to start it
		"running":              gate.CheckPending,
		"created":              gate.CheckPending,
		"pending":              gate.CheckPending,
		"preparing":            gate.CheckPending,
		"waiting_for_resource": gate.CheckPending,
		"waiting_for_callback": gate.CheckPending,
		"scheduled":            gate.CheckPending,
	}
	// jenkinsResults maps a build's result (hudson.model.Result).
	jenkinsResults = map[string]gate.CheckStatus{
		"SUCCESS":   gate.CheckSuccess,
		"UNSTABLE":  gate.CheckFailure, // it built, but tests failed: not a success
		"FAILURE":   gate.CheckFailure,
		"ABORTED":   gate.CheckSkipped, // stopped before it finished
		"NOT_BUILT": gate.CheckSkipped,
	}
	// genericStatuses: the generic shape speaks the gate's own vocabulary.
	genericStatuses = func() map[string]gate.CheckStatus {
		m := map[string]gate.CheckStatus{}
		for _, s := range gate.CheckStatuses() {
			m[string(s)] = s
		}
		return m
	}()
)

// mapStatus looks word up in table.
func mapStatus(src Source, field, word string, table map[string]gate.CheckStatus) (gate.CheckStatus, error) {
	if s, ok := table[word]; ok {
		return s, nil
	}
	return "", &unknownStatusError{Source: src, Field: field, Status: word, Known: keys(table)}
}

func keys(m map[string]gate.CheckStatus) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sortStrings(out)
	return out
}

// unknownStatusError says a delivery carries a status word its receiver does not
// map. Nothing is recorded; the receiver answers 422.
type unknownStatusError struct {
	Source Source
	// Field is where the word was, e.g. "check_run.conclusion".
	Field  string
	Status string
	Known  []string
}

func (e *unknownStatusError) Error() string {
	return fmt.Sprintf("ci: %s %s %q is not a status this receiver maps (known: %s); nothing was recorded",
		e.Source, e.Field, e.Status, strings.Join(e.Known, ", "))
}

// Unwrap returns [errPayload].
func (e *unknownStatusError) Unwrap() error { return errPayload }
