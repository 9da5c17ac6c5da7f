package servicenow

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// The sentinels the errors of this package match.
var (
	// ErrInvalidConfig is matched by a [*ConfigError].
	ErrInvalidConfig = errors.New("servicenow: invalid configuration")
	// ErrStatus is matched by an [*Error] whose request the instance answered with
	// a status other than 2xx.
	ErrStatus = errors.New("servicenow: the instance refused the request")
	// ErrUnavailable is matched by the *Error of a delivery refused at once because
	// the instance failed a moment ago (see [WithCooldown]).
	ErrUnavailable = errors.New("servicenow: the instance failed a moment ago; not trying again yet")
	// ErrStale is matched by a [*ConflictError]: the change request was changed
	// by someone else in a way the sync does not overwrite.
	ErrStale = errors.New("servicenow: the change request was changed by someone else")
)

// ConfigError lists every problem of a [Config] at once.
type ConfigError struct {
	Problems []string
}

func (e *ConfigError) Error() string {
	return "servicenow: invalid configuration: " + strings.Join(e.Problems, "; ")
}

// Unwrap returns [ErrInvalidConfig].
func (e *ConfigError) Unwrap() error { return ErrInvalidConfig }

// Error is a failed call to the instance. It names the operation, the table, the
// record (a change number such as CHG0010001, a sys_id, or the release ID the
// change request is looked up by) and, when the call was about one field, the
// field.
type Error struct {
	Op     string // "look up", "create", "update", "delete", "read approvals"
	Table  string // "change_request", "sysapproval_approver"
	Record string
	Field  string
	// Status is the HTTP status, 0 when no answer came (a network error, a timeout).
	Status int
	// Message and Detail are the instance's error object ({"error": {"message",
	// "detail"}}), when it sent one.
	Message, Detail string
	// RetryAfter is what a 429 or 503 asked to wait, or 0.
	RetryAfter time.Duration
	// Attempts is the number of requests made.
	Attempts int
	// Err is the cause: ErrStatus, a network error, or the context's error.
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "servicenow: %s %s", e.Op, e.Table)
	if e.Record != "" {
		fmt.Fprintf(&b, " %s", e.Record)
	}
	if e.Field != "" {
		fmt.Fprintf(&b, " (field %s)", e.Field)
	}
	switch {
	case e.Status != 0:
		fmt.Fprintf(&b, ": answered %d", e.Status)
		if e.Message != "" {
			fmt.Fprintf(&b, " %s", e.Message)
		}
		if e.Detail != "" {
			fmt.Fprintf(&b, ": %s", e.Detail)
		}
		if e.RetryAfter > 0 {
			fmt.Fprintf(&b, " (Retry-After %v)", e.RetryAfter)
		}
	case e.Err != nil:
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " after %d attempts", e.Attempts)
	}
	if e.Status == 401 || e.Status == 403 && e.Field == "" {
		b.WriteString("; check the integration user's credentials and roles (itil, or change write access)")
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// RetryDelay returns how long the instance asked to wait (RetryAfter): a
// dispatch.Dispatcher tries the notification again no sooner.
func (e *Error) RetryDelay() time.Duration { return e.RetryAfter }

// retryable reports whether a later attempt may succeed.
func (e *Error) retryable() bool {
	return e.Status == 0 && e.Err != nil || e.Status == 429 || e.Status >= 500
}

// ConflictError says a change request was changed by someone else in a way the
// sync deliberately leaves alone: a person canceled or closed it while the release
// is still open, or moved it where the release cannot follow. See the package
// documentation for what the sync overwrites and what it keeps.
type ConflictError struct {
	// Change is the change number; Release the release's ID.
	Change, Release string
	// Field is the field in conflict ("state").
	Field string
	// Want is what the release asks for; Got what the record holds; By who last
	// updated the record.
	Want, Got, By string
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("servicenow: change_request %s (field %s) for release %s: the release asks for %s but %s set %s; the sync leaves a person's decision alone: reopen the change request or cancel the release",
		e.Change, e.Field, e.Release, e.Want, e.By, e.Got)
}

// Unwrap returns [ErrStale].
func (e *ConflictError) Unwrap() error { return ErrStale }
