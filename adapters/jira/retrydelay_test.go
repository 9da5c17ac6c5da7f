package jira_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/releasekit/releasekit/adapters/jira"
)

// A dispatch.Dispatcher waits at least what a failed notification's error asks for
// through a RetryDelay method (release/dispatcher_delay_test.go); Jira's Retry-After
// reaches it through a wrapped *APIError.
func TestAPIErrorRetryDelay(t *testing.T) {
	err := fmt.Errorf("deliver: %w", &jira.APIError{Method: "POST", Path: "/rest/api/3/issue", Status: 429, RetryAfter: 90 * time.Second})
	var hint interface{ RetryDelay() time.Duration }
	if !errors.As(err, &hint) {
		t.Fatal("a wrapped *APIError has no RetryDelay method")
	}
	if got := hint.RetryDelay(); got != 90*time.Second {
		t.Fatalf("RetryDelay = %v, want 90s", got)
	}
}
