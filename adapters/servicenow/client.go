package servicenow

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/releasekit/releasekit/adapters/internal/retry"
)

// record is a Table API record: with sysparm_exclude_reference_link every value is
// a string.
type record map[string]string

// call is one Table API request.
type call struct {
	op, table, id, record, field string
	method                       string
	query                        url.Values
	body                         any
	// once: the request is not idempotent (a create); only a 429, which the
	// instance answers before doing anything, is retried here. The caller looks the
	// record up again before it sends another.
	once bool
}

// do sends c with the retry policy and decodes the "result" member into out.
func (s *Syncer) do(ctx context.Context, c call, out any) error {
	u := strings.TrimRight(s.cfg.Instance, "/") + "/api/now/table/" + c.table
	if c.id != "" {
		u += "/" + url.PathEscape(c.id)
	}
	q := c.query
	if q == nil {
		q = url.Values{}
	}
	q.Set("sysparm_exclude_reference_link", "true")
	u += "?" + q.Encode()
	var body []byte
	if c.body != nil {
		var err error
		if body, err = json.Marshal(c.body); err != nil {
			return &Error{Op: c.op, Table: c.table, Record: c.record, Field: c.field, Err: err}
		}
	}
	fail := func(attempts int, e *Error) error {
		e.Op, e.Table, e.Record, e.Field, e.Attempts = c.op, c.table, c.record, c.field, attempts
		return e
	}
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return fail(attempt-1, &Error{Err: err})
		}
		e := s.once(ctx, c.method, u, body, out)
		if e == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fail(attempt, &Error{Err: ctx.Err(), Status: e.Status, Message: e.Message, Detail: e.Detail})
		}
		if !e.retryable() || attempt >= s.policy.MaxAttempts || c.once && e.Status != http.StatusTooManyRequests {
			return fail(attempt, e)
		}
		wait := s.policy.Backoff(attempt - 1)
		if e.RetryAfter > 0 {
			if e.RetryAfter > s.policy.MaxRetryAfter {
				return fail(attempt, e)
			}
			wait = e.RetryAfter
		}
		if err := s.policy.Sleep(ctx, wait); err != nil {
			return fail(attempt, &Error{Err: err, Status: e.Status, Message: e.Message, Detail: e.Detail})
		}
	}
}

// once makes one attempt.
func (s *Syncer) once(ctx context.Context, method, u string, body []byte, out any) *Error {
	actx, cancel := context.WithTimeout(ctx, s.policy.Timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(actx, method, u, rd)
	if err != nil {
		return &Error{Err: err}
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "releasekit-servicenow/1")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if err := s.authorize(ctx, req); err != nil {
		return &Error{Err: err}
	}
	resp, err := s.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is in the configuration; keep the error short
		}
		return &Error{Err: err}
	}
	defer func() {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		_ = resp.Body.Close()
	}()
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		if out == nil || resp.StatusCode == http.StatusNoContent {
			return nil
		}
		var env struct {
			Result json.RawMessage `json:"result"`
		}
		if err := json.NewDecoder(io.LimitReader(resp.Body, 16<<20)).Decode(&env); err != nil {
			return &Error{Status: resp.StatusCode, Err: fmt.Errorf("decode the answer: %w", err)}
		}
		if err := json.Unmarshal(env.Result, out); err != nil {
			return &Error{Status: resp.StatusCode, Err: fmt.Errorf("decode the answer's result: %w", err)}
		}
		return nil
	}
	e := &Error{Status: resp.StatusCode, Err: ErrStatus}
	var env struct {
		Error struct {
			Message string `json:"message"`
			Detail  string `json:"detail"`
		} `json:"error"`
	}
	if json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&env) == nil {
		e.Message, e.Detail = env.Error.Message, env.Error.Detail
	}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		if d, ok := retry.ParseRetryAfter(resp.Header.Get("Retry-After"), s.clock.Now()); ok {
			e.RetryAfter = d
		}
	}
	return e
}

func (s *Syncer) authorize(ctx context.Context, req *http.Request) error {
	switch {
	case s.cfg.TokenSource != nil:
		tok, err := s.cfg.TokenSource(ctx)
		if err != nil {
			return fmt.Errorf("get an OAuth access token: %w", err)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	case s.cfg.Token != "":
		req.Header.Set("Authorization", "Bearer "+s.cfg.Token)
	default:
		req.SetBasicAuth(s.cfg.User, s.cfg.Password)
	}
	return nil
}
