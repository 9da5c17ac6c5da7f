package prometheus_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/adapters/prometheus"
	"github.com/releasekit/releasekit/analysis"
)

// These tests check the client's own behaviour (retries, timeouts, headers)
// against a local server that answers in the Prometheus HTTP API's format, so
// that failures can be injected; the queries themselves are tested against the
// real server in prometheus_test.go.

const vectorBody = `{"status":"success","data":{"resultType":"vector","result":[{"metric":{"track":"canary"},"value":[1767225600,"0.25"]}]}}`

func fakeAPI(t *testing.T, h http.HandlerFunc) string {
	t.Helper()
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s.URL
}

func TestRetriesTransientFailures(t *testing.T) {
	var calls atomic.Int32
	url := fakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) <= 2 {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprint(w, "warming up")
			return
		}
		fmt.Fprint(w, vectorBody)
	})
	p, err := prometheus.New(url, prometheus.WithRetries(2, time.Millisecond))
	require.NoError(t, err)
	v, err := p.Query(context.Background(), analysis.Query{Expr: "up"})
	require.NoError(t, err)
	assert.Equal(t, 0.25, v[0].Value)
	assert.Equal(t, int32(3), calls.Load())

	calls.Store(0)
	p, err = prometheus.New(url, prometheus.WithRetries(1, time.Millisecond))
	require.NoError(t, err)
	_, err = p.Query(context.Background(), analysis.Query{Expr: "up"})
	require.ErrorIs(t, err, analysis.ErrUnavailable)
	var pe *prometheus.Error
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, 2, pe.Attempts)
	assert.Equal(t, "server_error", pe.Type)
	assert.Contains(t, err.Error(), "after 2 attempts")
}

func TestTimeoutPerAttempt(t *testing.T) {
	var calls atomic.Int32
	url := fakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		assert.Equal(t, "50ms", r.FormValue("timeout"), "the timeout is sent to the server too")
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	p, err := prometheus.New(url, prometheus.WithTimeout(50*time.Millisecond), prometheus.WithRetries(1, time.Millisecond))
	require.NoError(t, err)
	start := time.Now()
	_, err = p.Query(context.Background(), analysis.Query{Expr: "up"})
	require.ErrorIs(t, err, analysis.ErrUnavailable)
	assert.Contains(t, err.Error(), "no answer within 50ms")
	var pe *prometheus.Error
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, 2, pe.Attempts, "one retry after the first attempt timed out")
	// On a loaded machine the second attempt can time out before the server sees it.
	assert.Contains(t, []int32{1, 2}, calls.Load())
	assert.Less(t, time.Since(start), 3*time.Second)
}

func TestAuthHeaders(t *testing.T) {
	url := fakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer s3cret" || r.Header.Get("X-Scope-OrgID") != "payments" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, vectorBody)
	})
	p, err := prometheus.New(url, prometheus.WithBearerToken("s3cret"), prometheus.WithHeader("X-Scope-OrgID", "payments"))
	require.NoError(t, err)
	_, err = p.Query(context.Background(), analysis.Query{Expr: "up"})
	require.NoError(t, err)

	p, err = prometheus.New(url, prometheus.WithRetries(3, time.Millisecond))
	require.NoError(t, err)
	_, err = p.Query(context.Background(), analysis.Query{Expr: "up"})
	var pe *prometheus.Error
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, 1, pe.Attempts, "401 is not retried")
	assert.Contains(t, err.Error(), "check the credentials")

	basic := fakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		u, pw, ok := r.BasicAuth()
		if !ok || u != "ana" || pw != "pw" {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		fmt.Fprint(w, vectorBody)
	})
	p, err = prometheus.New(basic, prometheus.WithBasicAuth("ana", "pw"))
	require.NoError(t, err)
	_, err = p.Query(context.Background(), analysis.Query{Expr: "up"})
	require.NoError(t, err)
}

func TestNewRefusesBadOptions(t *testing.T) {
	_, err := prometheus.New("127.0.0.1:9090", prometheus.WithTimeout(0), prometheus.WithRetries(-1, 0), prometheus.WithHTTPClient(nil), prometheus.WithHeader(" ", "x"), prometheus.WithBearerToken(""))
	require.ErrorIs(t, err, prometheus.ErrInvalidOption)
	for _, want := range []string{"address", "WithTimeout(0s)", "WithRetries(-1, 0s)", "WithHTTPClient(nil)", "WithHeader with an empty name", "WithBearerToken with an empty token"} {
		assert.Contains(t, err.Error(), want)
	}
}

func TestCancelWhileWaitingToRetry(t *testing.T) {
	url := fakeAPI(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusBadGateway) })
	p, err := prometheus.New(url, prometheus.WithRetries(5, time.Hour))
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err = p.Query(ctx, analysis.Query{Expr: "up"})
	require.True(t, errors.Is(err, context.DeadlineExceeded), "%v", err)
	assert.Contains(t, err.Error(), "while waiting to retry")
}
