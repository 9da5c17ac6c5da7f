package prometheus

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/releasekit/releasekit/analysis"
)

// Defaults of a [Provider].
const (
	DefaultTimeout = 10 * time.Second
	DefaultRetries = 2
	DefaultBackoff = 250 * time.Millisecond
)

// Provider queries one Prometheus server. It is safe for concurrent use.
type Provider struct {
	api     v1.API
	timeout time.Duration
	retries int
	backoff time.Duration
	client  *http.Client
	headers http.Header
}

var _ analysis.Provider = (*Provider)(nil)

// Option configures a [Provider].
type Option func(*Provider) error

// WithHTTPClient sets the HTTP client (its transport carries TLS settings,
// proxies, connection limits); the default is a client on
// http.DefaultTransport. Its own Timeout, if any, applies too.
func WithHTTPClient(c *http.Client) Option {
	return func(p *Provider) error {
		if c == nil {
			return fmt.Errorf("%w: WithHTTPClient(nil)", ErrInvalidOption)
		}
		p.client = c
		return nil
	}
}

// WithHeader adds a header to every request, for authentication proxies and
// multi-tenant front ends (e.g. "X-Scope-OrgID").
func WithHeader(name, value string) Option {
	return func(p *Provider) error {
		if strings.TrimSpace(name) == "" {
			return fmt.Errorf("%w: WithHeader with an empty name", ErrInvalidOption)
		}
		p.headers.Add(name, value)
		return nil
	}
}

// WithBearerToken sends "Authorization: Bearer <token>" with every request.
func WithBearerToken(token string) Option {
	return func(p *Provider) error {
		if token == "" {
			return fmt.Errorf("%w: WithBearerToken with an empty token", ErrInvalidOption)
		}
		p.headers.Set("Authorization", "Bearer "+token)
		return nil
	}
}

// WithBasicAuth sends HTTP basic authentication with every request.
func WithBasicAuth(user, password string) Option {
	return func(p *Provider) error {
		r := &http.Request{Header: http.Header{}}
		r.SetBasicAuth(user, password)
		p.headers.Set("Authorization", r.Header.Get("Authorization"))
		return nil
	}
}

// WithTimeout bounds each attempt (the request and the server's evaluation,
// which is sent as the query's timeout parameter); the default is
// [DefaultTimeout].
func WithTimeout(d time.Duration) Option {
	return func(p *Provider) error {
		if d <= 0 {
			return fmt.Errorf("%w: WithTimeout(%v): use a positive duration", ErrInvalidOption, d)
		}
		p.timeout = d
		return nil
	}
}

// WithRetries sets how many times a query is tried again after a transient
// failure (the server unreachable, a 5xx or 429 answer, an evaluation timeout),
// waiting backoff, then twice that, and so on. A refused query (bad syntax) is
// never retried. The default is [DefaultRetries] and [DefaultBackoff].
func WithRetries(n int, backoff time.Duration) Option {
	return func(p *Provider) error {
		if n < 0 || backoff < 0 {
			return fmt.Errorf("%w: WithRetries(%d, %v): use 0 or more retries and a backoff of 0 or more", ErrInvalidOption, n, backoff)
		}
		p.retries, p.backoff = n, backoff
		return nil
	}
}

// New returns a provider for the Prometheus server at address, e.g.
// "http://127.0.0.1:9090" (a path prefix is kept, for servers behind a proxy).
func New(address string, opts ...Option) (*Provider, error) {
	p := &Provider{timeout: DefaultTimeout, retries: DefaultRetries, backoff: DefaultBackoff,
		client: &http.Client{Transport: http.DefaultTransport}, headers: http.Header{}}
	var errs []error
	if u, err := url.Parse(address); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("%w: address %q: want an http or https URL such as http://127.0.0.1:9090", ErrInvalidOption, address))
	}
	for _, o := range opts {
		if err := o(p); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	client := *p.client
	base := client.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	client.Transport = headerTransport{base: base, headers: p.headers}
	c, err := api.NewClient(api.Config{Address: address, Client: &client})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidOption, err)
	}
	p.api = v1.NewAPI(c)
	return p, nil
}

type headerTransport struct {
	base    http.RoundTripper
	headers http.Header
}

func (t headerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if len(t.headers) > 0 {
		r = r.Clone(r.Context())
		for k, vs := range t.headers {
			r.Header[k] = append([]string(nil), vs...)
		}
	}
	return t.base.RoundTrip(r)
}

// Query evaluates a PromQL expression at q.At (the zero time: the server's
// now) and returns one sample per series, sorted by labels. A scalar result is
// one sample without labels. No series is an error wrapping
// [analysis.ErrNoData]; a range vector or string result, bad syntax or an
// evaluation error wraps [analysis.ErrInvalidQuery]; an unreachable or failing
// server, after the retries, wraps [analysis.ErrUnavailable].
func (p *Provider) Query(ctx context.Context, q analysis.Query) (analysis.Vector, error) {
	var val model.Value
	err := p.do(ctx, "query", q.Expr, func(ctx context.Context) (err error) {
		val, _, err = p.api.Query(ctx, q.Expr, q.At, v1.WithTimeout(p.timeout))
		return err
	})
	if err != nil {
		return nil, err
	}
	switch v := val.(type) {
	case model.Vector:
		if len(v) == 0 {
			return nil, &Error{Op: "query", Expr: q.Expr, Message: "no series matched", Err: analysis.ErrNoData}
		}
		out := make(analysis.Vector, len(v))
		for i, s := range v {
			out[i] = analysis.Sample{Labels: labels(s.Metric), Value: float64(s.Value), At: s.Timestamp.Time().UTC()}
		}
		out.Sort()
		return out, nil
	case *model.Scalar:
		return analysis.Vector{{Value: float64(v.Value), At: v.Timestamp.Time().UTC()}}, nil
	case model.Matrix:
		return nil, &Error{Op: "query", Expr: q.Expr, Message: "the expression is a range vector: wrap it in a function such as rate or max_over_time, or use QueryRange", Err: analysis.ErrInvalidQuery}
	}
	return nil, &Error{Op: "query", Expr: q.Expr, Message: fmt.Sprintf("the result is a %s, not a number or an instant vector", val.Type()), Err: analysis.ErrInvalidQuery}
}

// Range is the span and resolution of a range query.
type Range struct {
	Start, End time.Time
	Step       time.Duration
}

// Series is one series of a range query: its labels and its points in time
// order.
type Series struct {
	Labels map[string]string `json:"labels,omitempty"`
	Points []Point           `json:"points"`
}

// Point is one value of a [Series].
type Point struct {
	At    time.Time `json:"at"`
	Value float64   `json:"value"`
}

// QueryRange evaluates a PromQL expression over r and returns every series,
// sorted by labels, with the same errors as [Provider.Query].
func (p *Provider) QueryRange(ctx context.Context, expr string, r Range) ([]Series, error) {
	if r.Step <= 0 || !r.End.After(r.Start) {
		return nil, &Error{Op: "query_range", Expr: expr, Message: fmt.Sprintf("range %v to %v step %v: the end must follow the start and the step be positive", r.Start, r.End, r.Step), Err: analysis.ErrInvalidQuery}
	}
	var val model.Value
	err := p.do(ctx, "query_range", expr, func(ctx context.Context) (err error) {
		val, _, err = p.api.QueryRange(ctx, expr, v1.Range{Start: r.Start, End: r.End, Step: r.Step}, v1.WithTimeout(p.timeout))
		return err
	})
	if err != nil {
		return nil, err
	}
	m, ok := val.(model.Matrix)
	if !ok {
		return nil, &Error{Op: "query_range", Expr: expr, Message: fmt.Sprintf("the result is a %s, not a matrix", val.Type()), Err: analysis.ErrInvalidQuery}
	}
	if len(m) == 0 {
		return nil, &Error{Op: "query_range", Expr: expr, Message: "no series matched", Err: analysis.ErrNoData}
	}
	out := make([]Series, len(m))
	keys := make(analysis.Vector, len(m)) // to sort by labels as the provider contract does
	for i, s := range m {
		out[i] = Series{Labels: labels(s.Metric), Points: make([]Point, len(s.Values))}
		for j, v := range s.Values {
			out[i].Points[j] = Point{At: v.Timestamp.Time().UTC(), Value: float64(v.Value)}
		}
		keys[i] = analysis.Sample{Labels: out[i].Labels, Value: float64(i)}
	}
	keys.Sort()
	sorted := make([]Series, len(out))
	for i, k := range keys {
		sorted[i] = out[int(k.Value)]
	}
	return sorted, nil
}

func labels(m model.Metric) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[string(k)] = string(v)
	}
	return out
}

// do runs one API call with the per-attempt timeout, retrying transient
// failures, and maps the final error.
func (p *Provider) do(ctx context.Context, op, expr string, call func(context.Context) error) error {
	var err error
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, p.timeout)
		err = call(actx)
		timedOut := actx.Err() != nil && ctx.Err() == nil
		cancel()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return &Error{Op: op, Expr: expr, Attempts: attempt, Message: "cancelled", Err: ctx.Err()}
		}
		e := classify(op, expr, err, timedOut, p.timeout)
		e.Attempts = attempt
		if !e.transient || attempt > p.retries {
			return e
		}
		wait := p.backoff << (attempt - 1)
		if wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return &Error{Op: op, Expr: expr, Attempts: attempt, Message: "cancelled while waiting to retry after: " + e.Message, Err: ctx.Err()}
			case <-t.C:
			}
		}
	}
}

func classify(op, expr string, err error, timedOut bool, timeout time.Duration) *Error {
	e := &Error{Op: op, Expr: expr, Err: analysis.ErrUnavailable, transient: true}
	var apiErr *v1.Error
	switch {
	case timedOut:
		e.Message = fmt.Sprintf("no answer within %v", timeout)
	case errors.As(err, &apiErr):
		e.Type, e.Message = string(apiErr.Type), apiErr.Msg
		if d := strings.TrimSpace(apiErr.Detail); d != "" && len(d) < 300 {
			e.Message += ": " + d
		}
		switch apiErr.Type {
		case v1.ErrBadData, v1.ErrExec:
			e.Err, e.transient = analysis.ErrInvalidQuery, false
		case v1.ErrClient:
			e.transient = strings.Contains(apiErr.Msg, "429")
			if strings.Contains(apiErr.Msg, "401") || strings.Contains(apiErr.Msg, "403") {
				e.Message += " (check the credentials: WithBearerToken, WithBasicAuth or WithHeader)"
			}
		case v1.ErrBadResponse:
			e.transient = false
		}
	default:
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		e.Message = err.Error()
	}
	return e
}
