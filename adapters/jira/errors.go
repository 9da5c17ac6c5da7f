package jira

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/releasekit/releasekit/release"
)

// ErrAPI is matched by an [*APIError]: Jira answered with a status other than 2xx,
// or could not be reached.
var ErrAPI = errors.New("jira: request failed")

// ErrStale is matched by a [*ConflictError].
var ErrStale = errors.New("jira: the issue was changed by someone else")

// APIError is a failed call to Jira: the request, the issue it was about, and what
// Jira said, field by field.
type APIError struct {
	// Method and Path are the request's ("POST", "/rest/api/3/issue").
	Method, Path string
	// Issue is the key of the issue the call was about, or "" (a search, a version).
	Issue string
	// Status is the HTTP status, 0 when no answer came (Err says why).
	Status int
	// Messages are Jira's errorMessages.
	Messages []string
	// Fields are Jira's errors by field name ("summary": "You must specify a summary").
	Fields map[string]string
	// RetryAfter is what Jira asked to wait (429 and 503), or 0.
	RetryAfter time.Duration
	// Attempts is the number of requests made.
	Attempts int
	// Err is the transport error when no answer came, or nil.
	Err error
}

// RetryDelay returns RetryAfter, so that a [dispatch.Dispatcher] redelivers no sooner
// than Jira asked.
func (e *APIError) RetryDelay() time.Duration { return e.RetryAfter }

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "jira: %s %s", e.Method, e.Path)
	if e.Issue != "" {
		fmt.Fprintf(&b, " (issue %s)", e.Issue)
	}
	if e.Status == 0 {
		fmt.Fprintf(&b, ": no answer after %d attempt(s): %v", e.Attempts, e.Err)
		return b.String()
	}
	fmt.Fprintf(&b, ": status %d after %d attempt(s)", e.Status, e.Attempts)
	for _, m := range e.Messages {
		fmt.Fprintf(&b, "; %s", m)
	}
	names := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		fmt.Fprintf(&b, "; field %s: %s", k, e.Fields[k])
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (Retry-After %v)", e.RetryAfter)
	}
	switch {
	case e.Status == 401:
		b.WriteString("; check the email and API token, or the bearer token")
	case e.Status == 403:
		b.WriteString("; the account lacks a permission in the project (browse, create, transition, comment or administer versions)")
	}
	return b.String()
}

// Unwrap returns [ErrAPI] and the transport error, if any.
func (e *APIError) Unwrap() []error {
	if e.Err != nil {
		return []error{ErrAPI, e.Err}
	}
	return []error{ErrAPI}
}

// Temporary reports whether trying again later may succeed: no answer, 429 or 5xx.
func (e *APIError) Temporary() bool {
	return e.Status == 0 || e.Status == 429 || e.Status >= 500
}

// ConflictError says the issue is not where the release's transition can follow:
// a person moved it (or the workflow offers no such transition from its status).
type ConflictError struct {
	// Issue is the issue's key.
	Issue string
	// Release and Sequence name the history entry that could not be followed.
	Release  release.ID
	Sequence int64
	// State is the release state the entry reached; Transition is what
	// [Config.Transitions] maps it to (a transition or a status name).
	State      release.State
	Transition string
	// Status is the issue's status; Available the transitions Jira offers from it.
	Status    string
	Available []string
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("jira: issue %s is in status %q, from which no transition named %q or leading to a status %q is offered (release %s, entry %d, state %s; offered: %s); move the issue to a status from which it is, or change the mapping",
		e.Issue, e.Status, e.Transition, e.Transition, e.Release, e.Sequence, e.State, orNone(e.Available))
}

// Unwrap returns [ErrStale].
func (e *ConflictError) Unwrap() error { return ErrStale }

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}
