package prometheus_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// The tests query a real Prometheus server that scrapes an exporter the tests
// run. The server is, in order of preference:
//   - the one .ci/prometheus.sh started (RELEASEKIT_PROMETHEUS_URL, with the
//     file its file_sd config watches in RELEASEKIT_PROMETHEUS_TARGETS);
//   - one the tests start from the prometheus binary (RELEASEKIT_PROMETHEUS_BIN,
//     or prometheus on PATH, as Debian's prometheus package installs it) on
//     127.0.0.1 with a temporary config and data directory, stopped at the end.
// Without either the tests skip with a message, or fail when CI=true.

// exporter serves request counters for a few tracks of a service. Counters grow
// with time at a fixed rate and a fixed share of errors, so rate() of errors
// over rate() of all requests is that share exactly.
type exporter struct {
	run   string
	start time.Time
	mu    sync.Mutex
	share map[string]float64 // track -> error share; a negative share means no traffic
}

const requestsPerSecond = 100

func (e *exporter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	defer e.mu.Unlock()
	t := time.Since(e.start).Seconds()
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	fmt.Fprintln(w, "# TYPE http_requests_total counter")
	for track, f := range e.share {
		ok, bad := (1-f)*requestsPerSecond*t, f*requestsPerSecond*t
		if f < 0 {
			ok, bad = 0, 0
		}
		fmt.Fprintf(w, "http_requests_total{track=%q,code=\"200\"} %g\n", track, ok)
		fmt.Fprintf(w, "http_requests_total{track=%q,code=\"500\"} %g\n", track, bad)
	}
	fmt.Fprintln(w, "# TYPE canary_weight gauge")
	fmt.Fprintln(w, "canary_weight 10")
	fmt.Fprintln(w, "# TYPE broken_gauge gauge")
	fmt.Fprintln(w, "broken_gauge NaN")
}

func (e *exporter) set(track string, share float64) {
	e.mu.Lock()
	e.share[track] = share
	e.mu.Unlock()
}

// errorRatio is the PromQL error share of a track over the last few seconds.
func (e *exporter) errorRatio(track string) string {
	sel := fmt.Sprintf(`run=%q,track=%q`, e.run, track)
	return fmt.Sprintf(`sum(rate(http_requests_total{%s,code="500"}[5s])) / sum(rate(http_requests_total{%s}[5s]))`, sel, sel)
}

type testServer struct {
	url string
	exp *exporter
}

var (
	serverOnce sync.Once
	server     *testServer
	serverErr  error
	serverSkip string
	cleanups   []func()
)

func TestMain(m *testing.M) {
	code := m.Run()
	for i := len(cleanups) - 1; i >= 0; i-- {
		cleanups[i]()
	}
	os.Exit(code)
}

// realServer returns the server and exporter, starting them on first use.
func realServer(t *testing.T) *testServer {
	t.Helper()
	serverOnce.Do(func() { server, serverSkip, serverErr = startServer() })
	if serverErr != nil {
		t.Fatalf("prometheus: %v", serverErr)
	}
	if serverSkip != "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("prometheus: %s (CI=true: .ci/run must install and start it)", serverSkip)
		}
		t.Skipf("prometheus: %s; install Debian's prometheus package or `source .ci/prometheus.sh && prom_start`", serverSkip)
	}
	return server
}

func randomRun() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func startServer() (*testServer, string, error) {
	exp := &exporter{run: randomRun(), start: time.Now(), share: map[string]float64{
		"stable": 0.001, "good": 0.001, "bad": 0.2, "idle": -1,
	}}
	ts := httptest.NewServer(exp)
	cleanups = append(cleanups, ts.Close)

	url, targets := os.Getenv("RELEASEKIT_PROMETHEUS_URL"), os.Getenv("RELEASEKIT_PROMETHEUS_TARGETS")
	if url == "" {
		bin := os.Getenv("RELEASEKIT_PROMETHEUS_BIN")
		if bin == "" {
			bin, _ = exec.LookPath("prometheus")
		}
		if bin == "" {
			return nil, "the prometheus binary is not installed and RELEASEKIT_PROMETHEUS_URL is not set", nil
		}
		var err error
		url, targets, err = startPrometheus(bin)
		if err != nil {
			return nil, "", err
		}
	} else if targets == "" {
		return nil, "", fmt.Errorf("RELEASEKIT_PROMETHEUS_URL is set but RELEASEKIT_PROMETHEUS_TARGETS (the file_sd file) is not")
	}
	host := strings.TrimPrefix(ts.URL, "http://")
	b, _ := json.Marshal([]map[string]any{{"targets": []string{host}, "labels": map[string]string{"run": exp.run}}})
	tmp := targets + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return nil, "", err
	}
	if err := os.Rename(tmp, targets); err != nil { // atomic, as file_sd wants
		return nil, "", err
	}
	s := &testServer{url: url, exp: exp}
	return s, "", s.waitForData()
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// startPrometheus runs bin on 127.0.0.1 with a temporary config and data
// directory; the server is killed and the directory removed at the end.
func startPrometheus(bin string) (url, targets string, err error) {
	dir, err := os.MkdirTemp("", "releasekit-prom-")
	if err != nil {
		return "", "", err
	}
	cleanups = append(cleanups, func() { os.RemoveAll(dir) })
	targets = filepath.Join(dir, "targets.json")
	if err := os.WriteFile(targets, []byte("[]"), 0o644); err != nil {
		return "", "", err
	}
	cfg := filepath.Join(dir, "prometheus.yml")
	tmpl, err := os.ReadFile(filepath.Join("testdata", "prometheus.yml"))
	if err != nil {
		return "", "", err
	}
	if err := os.WriteFile(cfg, []byte(strings.ReplaceAll(string(tmpl), "@TARGETS@", targets)), 0o644); err != nil {
		return "", "", err
	}
	var lastErr error
	for range 5 {
		port, err := freePort()
		if err != nil {
			return "", "", err
		}
		logf, err := os.Create(filepath.Join(dir, "server.log"))
		if err != nil {
			return "", "", err
		}
		cmd := exec.Command(bin, "--config.file="+cfg, "--storage.tsdb.path="+filepath.Join(dir, "data"),
			fmt.Sprintf("--web.listen-address=127.0.0.1:%d", port), "--log.level=warn")
		cmd.Stdout, cmd.Stderr = logf, logf
		if err := cmd.Start(); err != nil {
			logf.Close()
			return "", "", fmt.Errorf("starting %s: %w", bin, err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait(); logf.Close() }()
		url = fmt.Sprintf("http://127.0.0.1:%d", port)
		if lastErr = waitReady(url, exited); lastErr == nil {
			cleanups = append(cleanups, func() {
				_ = cmd.Process.Signal(os.Interrupt)
				select {
				case <-exited:
				case <-time.After(10 * time.Second):
					_ = cmd.Process.Kill()
					<-exited
				}
			})
			return url, targets, nil
		}
		_ = cmd.Process.Kill()
		<-exited
		log, _ := os.ReadFile(filepath.Join(dir, "server.log"))
		lastErr = fmt.Errorf("%v; server log:\n%s", lastErr, log)
	}
	return "", "", lastErr
}

func waitReady(url string, exited <-chan error) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return fmt.Errorf("prometheus exited: %v", err)
		default:
		}
		resp, err := http.Get(url + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("not ready after 30s at %s", url)
}

// waitForData waits until every track's error ratio can be computed (two
// scrapes inside the rate window).
func (s *testServer) waitForData() error {
	deadline := time.Now().Add(60 * time.Second)
	q := fmt.Sprintf(`count(rate(http_requests_total{run=%q}[5s]) > -1)`, s.exp.run)
	var last string
	for time.Now().Before(deadline) {
		n, err := instant(s.url, q)
		if err == nil && n == float64(2*len(s.exp.share)) {
			return nil
		}
		last = fmt.Sprint(n, err)
		time.Sleep(250 * time.Millisecond)
	}
	return fmt.Errorf("no data from the exporter after 60s (last answer: %s)", last)
}

// instant is a minimal query used only to wait for the server, independent of
// the code under test.
func instant(base, q string) (float64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v1/query?query="+urlQueryEscape(q), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var body struct {
		Data struct {
			Result []struct {
				Value [2]any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return 0, err
	}
	if len(body.Data.Result) != 1 {
		return 0, fmt.Errorf("%d results", len(body.Data.Result))
	}
	var v float64
	_, err = fmt.Sscan(body.Data.Result[0].Value[1].(string), &v)
	if math.IsNaN(v) {
		return v, fmt.Errorf("NaN")
	}
	return v, err
}
