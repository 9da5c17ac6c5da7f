package jira

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/releasekit/releasekit/adapters/internal/retry"
)

// client makes Jira REST calls: JSON in and out, authentication, retries.
//
// Retries: a 429 is retried for every method, after Retry-After when Jira gives
// one (a longer wait than the policy's MaxRetryAfter ends the call with an
// *APIError carrying it). 5xx answers and transport errors (timeouts included)
// are retried with exponential backoff and full jitter only for calls that are
// safe to repeat (GET, PUT, DELETE and searches); a create, a comment or a
// transition that may have been applied is not repeated blindly: the error goes
// back to the sync, which reads the issue again before it acts.
type client struct {
	base   string
	auth   string
	http   *http.Client
	policy retry.Policy
}

type call struct {
	method, path string
	query        url.Values
	body         any
	out          any
	issue        string
	// safe says the call may be repeated after an ambiguous failure.
	safe bool
	// notFound, when set, is returned for a 404 instead of an *APIError.
	notFound error
}

func (c *client) do(ctx context.Context, k call) error {
	var payload []byte
	if k.body != nil {
		var err error
		if payload, err = json.Marshal(k.body); err != nil {
			return fmt.Errorf("jira: encode %s %s: %w", k.method, k.path, err)
		}
	}
	p := c.policy
	for attempt := 1; ; attempt++ {
		status, wait, err := c.once(ctx, k, payload, attempt)
		if err == nil {
			return nil
		}
		var ae *APIError
		if !errors.As(err, &ae) {
			return err
		}
		if cerr := ctx.Err(); cerr != nil {
			ae.Err = errors.Join(ae.Err, cerr)
			return ae
		}
		retryable := status == http.StatusTooManyRequests || (k.safe && (status == 0 || status >= 500))
		if !retryable || attempt >= p.MaxAttempts {
			return ae
		}
		d := p.Backoff(attempt - 1)
		if wait > 0 {
			if wait > p.MaxRetryAfter {
				return ae
			}
			d = wait
		}
		if err := p.Sleep(ctx, d); err != nil {
			ae.Err = errors.Join(ae.Err, err)
			return ae
		}
	}
}

func (c *client) once(ctx context.Context, k call, payload []byte, attempt int) (int, time.Duration, error) {
	fail := func(status int) *APIError {
		return &APIError{Method: k.method, Path: k.path, Issue: k.issue, Status: status, Attempts: attempt}
	}
	actx, cancel := context.WithTimeout(ctx, c.policy.Timeout)
	defer cancel()
	u := c.base + k.path
	if len(k.query) > 0 {
		u += "?" + k.query.Encode()
	}
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(actx, k.method, u, body)
	if err != nil {
		ae := fail(0)
		ae.Err = err
		return 0, 0, ae
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "releasekit-jira/1")
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", c.auth)
	resp, err := c.http.Do(req)
	if err != nil {
		ae := fail(0)
		ae.Err = redact(err)
		return 0, 0, ae
	}
	defer func() {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		_ = resp.Body.Close()
	}()
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		if k.out == nil || resp.StatusCode == http.StatusNoContent {
			return resp.StatusCode, 0, nil
		}
		if err := json.NewDecoder(io.LimitReader(resp.Body, 32<<20)).Decode(k.out); err != nil {
			ae := fail(resp.StatusCode)
			ae.Err = fmt.Errorf("decode the answer: %w", err)
			ae.Status = 0 // an unreadable answer is no answer
			return 0, 0, ae
		}
		return resp.StatusCode, 0, nil
	}
	if resp.StatusCode == http.StatusNotFound && k.notFound != nil {
		return resp.StatusCode, 0, k.notFound
	}
	ae := fail(resp.StatusCode)
	var je struct {
		ErrorMessages []string          `json:"errorMessages"`
		Errors        map[string]string `json:"errors"`
		Message       string            `json:"message"`
	}
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if json.Unmarshal(raw, &je) == nil {
		ae.Messages, ae.Fields = je.ErrorMessages, je.Errors
		if je.Message != "" {
			ae.Messages = append(ae.Messages, je.Message)
		}
	} else if s := strings.TrimSpace(string(raw)); s != "" {
		ae.Messages = []string{cut(s, 200)}
	}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		if d, ok := retry.ParseRetryAfter(resp.Header.Get("Retry-After"), c.policy.Now()); ok {
			ae.RetryAfter = d
		}
	}
	return resp.StatusCode, ae.RetryAfter, ae
}

// redact keeps the request's URL out of transport errors (it names the site only
// through the path the APIError already carries).
func redact(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func cut(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func basicAuth(email, token string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(email+":"+token))
}
