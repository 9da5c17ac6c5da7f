// Package httpprobe is an [analysis.Provider] that reads numbers from JSON
// documents served over HTTP: a service's health or stats endpoint, a load
// balancer's API, a feature-flag service. It shows that the provider contract
// is not shaped after Prometheus: a query is a URL and a path into the
// document, not PromQL.
//
// A query's Expr is a URL, absolute or relative to the probe's base URL, whose
// fragment is the path to the value: "/stats#requests.error_rate" reads
// {"requests":{"error_rate":0.002}}. Path segments are object keys or array
// indexes, separated by dots; a "*" segment matches every key or element and
// gives one series per match, labelled with its concrete path ("path"). A
// number is read as it is, a string is parsed as a number ("NaN" included),
// true and false are 1 and 0, and null is NaN.
//
// A probe reads the current document: it has no history, so a query with a
// non-zero At is refused. Each query is one HTTP GET, with no retry: an
// analysis tolerates errors in a row up to its consecutiveErrorLimit.
package httpprobe

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/releasekit/releasekit/analysis"
)

// ErrInvalidOption is returned by [New] for an invalid base URL or option.
var ErrInvalidOption = errors.New("invalid HTTP probe option")

// DefaultTimeout bounds each request unless [WithTimeout] says otherwise.
const DefaultTimeout = 10 * time.Second

// maxBody is the largest document a probe reads.
const maxBody = 8 << 20

// Probe queries JSON documents over HTTP. It is safe for concurrent use.
type Probe struct {
	base    *url.URL
	client  *http.Client
	headers http.Header
	timeout time.Duration
}

var _ analysis.Provider = (*Probe)(nil)

// Option configures a [Probe].
type Option func(*Probe) error

// WithHTTPClient sets the HTTP client; the default uses http.DefaultTransport.
func WithHTTPClient(c *http.Client) Option {
	return func(p *Probe) error {
		if c == nil {
			return fmt.Errorf("%w: WithHTTPClient(nil)", ErrInvalidOption)
		}
		p.client = c
		return nil
	}
}

// WithHeader adds a header to every request (an API key, a bearer token).
func WithHeader(name, value string) Option {
	return func(p *Probe) error {
		if strings.TrimSpace(name) == "" {
			return fmt.Errorf("%w: WithHeader with an empty name", ErrInvalidOption)
		}
		p.headers.Add(name, value)
		return nil
	}
}

// WithTimeout bounds each request; the default is [DefaultTimeout].
func WithTimeout(d time.Duration) Option {
	return func(p *Probe) error {
		if d <= 0 {
			return fmt.Errorf("%w: WithTimeout(%v): use a positive duration", ErrInvalidOption, d)
		}
		p.timeout = d
		return nil
	}
}

// New returns a probe whose relative query URLs resolve against base (an
// http or https URL).
func New(base string, opts ...Option) (*Probe, error) {
	p := &Probe{client: &http.Client{}, headers: http.Header{}, timeout: DefaultTimeout}
	var errs []error
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("%w: base URL %q: want an http or https URL such as http://canary.internal:8080", ErrInvalidOption, base))
	}
	p.base = u
	for _, o := range opts {
		if err := o(p); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return p, nil
}

// Query fetches the document q.Expr names and returns the values its fragment
// points to (see the package documentation). Errors wrap
// [analysis.ErrInvalidQuery] (a malformed query, a 4xx answer, a path that
// points at an object), [analysis.ErrNoData] (the path is not in the
// document), or [analysis.ErrUnavailable] (no answer, a 5xx answer, a body
// that is not JSON).
func (p *Probe) Query(ctx context.Context, q analysis.Query) (analysis.Vector, error) {
	fail := func(sentinel error, format string, args ...any) (analysis.Vector, error) {
		return nil, fmt.Errorf("http probe %q: %w: %s", q.Expr, sentinel, fmt.Sprintf(format, args...))
	}
	if !q.At.IsZero() {
		return fail(analysis.ErrInvalidQuery, "a probe reads the current document and has no history: leave At zero")
	}
	ref, err := url.Parse(strings.TrimSpace(q.Expr))
	if err != nil {
		return fail(analysis.ErrInvalidQuery, "not a URL: %v", err)
	}
	if ref.Fragment == "" {
		return fail(analysis.ErrInvalidQuery, `no path to the value: end the URL with "#" and the path, e.g. "/stats#requests.error_rate"`)
	}
	path := strings.Split(ref.Fragment, ".")
	if slices.Contains(path, "") {
		return fail(analysis.ErrInvalidQuery, "path %q has an empty segment", ref.Fragment)
	}
	target := p.base.ResolveReference(ref)
	target.Fragment = ""

	rctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, target.String(), nil)
	if err != nil {
		return fail(analysis.ErrInvalidQuery, "%v", err)
	}
	req.Header.Set("Accept", "application/json")
	for k, vs := range p.headers {
		req.Header[k] = slices.Clone(vs)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		switch {
		case ctx.Err() != nil:
			return nil, fmt.Errorf("http probe %q: %w", q.Expr, ctx.Err())
		case rctx.Err() != nil:
			return fail(analysis.ErrUnavailable, "no answer within %v", p.timeout)
		}
		return fail(analysis.ErrUnavailable, "%v", err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
		return fail(analysis.ErrUnavailable, "%s answered %s", target, resp.Status)
	case resp.StatusCode >= 400:
		return fail(analysis.ErrInvalidQuery, "%s answered %s", target, resp.Status)
	case resp.StatusCode >= 300:
		return fail(analysis.ErrUnavailable, "%s answered %s", target, resp.Status)
	}
	var doc any
	dec := json.NewDecoder(io.LimitReader(resp.Body, maxBody))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return fail(analysis.ErrUnavailable, "%s did not answer with a JSON document: %v", target, err)
	}
	var out analysis.Vector
	wild := slices.Contains(path, "*")
	if err := walk(doc, path, nil, func(at []string, v any) error {
		f, err := number(v)
		if err != nil {
			return fmt.Errorf("%w: %s %v", analysis.ErrInvalidQuery, strings.Join(at, "."), err)
		}
		s := analysis.Sample{Value: f}
		if wild {
			s.Labels = map[string]string{"path": strings.Join(at, ".")}
		}
		out = append(out, s)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("http probe %q: %w", q.Expr, err)
	}
	if len(out) == 0 {
		return fail(analysis.ErrNoData, "nothing at %q in the document", ref.Fragment)
	}
	out.Sort()
	return out, nil
}

// walk calls fn for every value path leads to from v.
func walk(v any, path, at []string, fn func(at []string, v any) error) error {
	if len(path) == 0 {
		return fn(at, v)
	}
	seg, rest := path[0], path[1:]
	switch x := v.(type) {
	case map[string]any:
		if seg == "*" {
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, k := range keys {
				if err := walk(x[k], rest, append(slices.Clip(at), k), fn); err != nil {
					return err
				}
			}
			return nil
		}
		if child, ok := x[seg]; ok {
			return walk(child, rest, append(slices.Clip(at), seg), fn)
		}
	case []any:
		if seg == "*" {
			for i, child := range x {
				if err := walk(child, rest, append(slices.Clip(at), strconv.Itoa(i)), fn); err != nil {
					return err
				}
			}
			return nil
		}
		if i, err := strconv.Atoi(seg); err == nil && i >= 0 && i < len(x) {
			return walk(x[i], rest, append(slices.Clip(at), seg), fn)
		}
	}
	return nil // not there: no data
}

func number(v any) (float64, error) {
	switch x := v.(type) {
	case json.Number:
		return strconv.ParseFloat(string(x), 64)
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		if err != nil {
			return 0, fmt.Errorf("is the string %q, not a number", x)
		}
		return f, nil
	case bool:
		if x {
			return 1, nil
		}
		return 0, nil
	case nil:
		return math.NaN(), nil
	case map[string]any:
		return 0, errors.New("is an object: extend the path to one of its keys")
	case []any:
		return 0, errors.New(`is an array: extend the path with an index or "*"`)
	}
	return 0, fmt.Errorf("has an unexpected type %T", v)
}
