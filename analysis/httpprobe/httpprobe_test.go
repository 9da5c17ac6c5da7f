package httpprobe_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/analysis"
	"github.com/releasekit/releasekit/analysis/httpprobe"
	"github.com/releasekit/releasekit/analysis/providertest"
)

const stats = `{
  "service": "payments",
  "requests": {"total": 1200, "error_rate": 0.0025, "idle_ratio": null, "p95": "0.180"},
  "pods": [{"name": "a", "errors": 1}, {"name": "b", "errors": 7}],
  "tracks": {"stable": {"weight": 90}, "canary": {"weight": 10}},
  "healthy": true
}`

func server(t testing.TB) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/stats":
			if r.Header.Get("X-Api-Key") != "k" {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			fmt.Fprint(w, stats)
		case "/broken":
			w.WriteHeader(http.StatusBadGateway)
		case "/html":
			fmt.Fprint(w, "<html>")
		case "/slow":
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(s.Close)
	return s
}

func closedAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

func TestConformance(t *testing.T) {
	s := server(t)
	p, err := httpprobe.New(s.URL, httpprobe.WithHeader("X-Api-Key", "k"))
	require.NoError(t, err)
	down, err := httpprobe.New(closedAddr(t), httpprobe.WithTimeout(2*time.Second))
	require.NoError(t, err)
	providertest.Run(t, p, providertest.Cases{
		One:     analysis.Query{Expr: "/stats#requests.error_rate"},
		Want:    0.0025,
		Several: analysis.Query{Expr: "/stats#pods.*.errors"},
		NoData:  analysis.Query{Expr: "/stats#requests.latency"},
		NaN:     analysis.Query{Expr: "/stats#requests.idle_ratio"},
		Invalid: analysis.Query{Expr: "/stats#requests"},
		Down:    down,
	})
}

func TestValues(t *testing.T) {
	s := server(t)
	p, err := httpprobe.New(s.URL+"/ignored", httpprobe.WithHeader("X-Api-Key", "k"))
	require.NoError(t, err)
	tests := []struct {
		expr string
		want analysis.Vector
		why  string
	}{
		{"/stats#requests.p95", analysis.Vector{{Value: 0.18}}, "a number in a string"},
		{"/stats#healthy", analysis.Vector{{Value: 1}}, "true is 1"},
		{"/stats#pods.1.errors", analysis.Vector{{Value: 7}}, "an array index"},
		{"/stats#tracks.*.weight", analysis.Vector{
			{Labels: map[string]string{"path": "tracks.canary.weight"}, Value: 10},
			{Labels: map[string]string{"path": "tracks.stable.weight"}, Value: 90},
		}, "a wildcard over an object: one series per key, sorted"},
		{s.URL + "/stats#requests.total", analysis.Vector{{Value: 1200}}, "an absolute URL"},
	}
	for _, tt := range tests {
		got, err := p.Query(context.Background(), analysis.Query{Expr: tt.expr})
		require.NoError(t, err, tt.why)
		assert.Equal(t, tt.want, got, tt.why)
	}
}

func TestErrors(t *testing.T) {
	s := server(t)
	p, err := httpprobe.New(s.URL, httpprobe.WithHeader("X-Api-Key", "k"), httpprobe.WithTimeout(200*time.Millisecond))
	require.NoError(t, err)
	tests := []struct {
		q       analysis.Query
		want    error
		message string
	}{
		{analysis.Query{Expr: "/stats"}, analysis.ErrInvalidQuery, "no path to the value"},
		{analysis.Query{Expr: "/stats#a..b"}, analysis.ErrInvalidQuery, "empty segment"},
		{analysis.Query{Expr: "/stats#service"}, analysis.ErrInvalidQuery, `is the string "payments"`},
		{analysis.Query{Expr: "/stats#pods"}, analysis.ErrInvalidQuery, "is an array"},
		{analysis.Query{Expr: "/stats#pods.9.errors"}, analysis.ErrNoData, "nothing at"},
		{analysis.Query{Expr: "/nope#x"}, analysis.ErrInvalidQuery, "404"},
		{analysis.Query{Expr: "/broken#x"}, analysis.ErrUnavailable, "502"},
		{analysis.Query{Expr: "/html#x"}, analysis.ErrUnavailable, "did not answer with a JSON document"},
		{analysis.Query{Expr: "/slow#x"}, analysis.ErrUnavailable, "no answer within 200ms"},
		{analysis.Query{Expr: "/stats#healthy", At: time.Now()}, analysis.ErrInvalidQuery, "no history"},
	}
	for _, tt := range tests {
		_, err := p.Query(context.Background(), tt.q)
		require.ErrorIs(t, err, tt.want, tt.q.Expr)
		assert.Contains(t, err.Error(), tt.message, tt.q.Expr)
	}
	noKey, err := httpprobe.New(s.URL)
	require.NoError(t, err)
	_, err = noKey.Query(context.Background(), analysis.Query{Expr: "/stats#healthy"})
	require.ErrorIs(t, err, analysis.ErrInvalidQuery)
	assert.Contains(t, err.Error(), "401")

	_, err = httpprobe.New("ftp://x", httpprobe.WithTimeout(0), httpprobe.WithHeader("", "v"), httpprobe.WithHTTPClient(nil))
	require.ErrorIs(t, err, httpprobe.ErrInvalidOption)
	for _, want := range []string{"base URL", "WithTimeout(0s)", "WithHeader with an empty name", "WithHTTPClient(nil)"} {
		assert.Contains(t, err.Error(), want)
	}
}

func FuzzQueryPath(f *testing.F) {
	s := server(f)
	p, err := httpprobe.New(s.URL, httpprobe.WithHeader("X-Api-Key", "k"))
	require.NoError(f, err)
	for _, seed := range []string{"/stats#requests.error_rate", "/stats#*.*", "/stats#pods.*.name", "#", "/stats#.", "%zz#x", "/stats#pods.-1"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		v, err := p.Query(context.Background(), analysis.Query{Expr: expr})
		if err == nil && len(v) == 0 {
			t.Fatalf("%q: no samples and no error", expr)
		}
	})
}
