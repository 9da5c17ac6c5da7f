package main

// The command is package main, which no other package can import: these tests are
// white-box by necessity. The API itself is tested black-box in package bot.

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/examples/releasebot/bot"
)

// syncBuffer is a log sink the server goroutines and the test share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// start runs the command until the returned stop is called; stop returns run's error.
func start(t *testing.T, args ...string) (addr string, logs *syncBuffer, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	logs = &syncBuffer{}
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"-addr", "127.0.0.1:0"}, args...), logs, func(a string) { ready <- a })
	}()
	select {
	case addr = <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("run returned before listening: %v\n%s", err, logs)
	case <-time.After(10 * time.Second):
		cancel()
		t.Fatalf("run did not start listening\n%s", logs)
	}
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-done:
			case <-time.After(15 * time.Second):
				t.Fatalf("run did not shut down\n%s", logs)
			}
		})
		return err
	}
	t.Cleanup(func() { _ = stop() })
	return addr, logs, stop
}

func do(t *testing.T, method, url, token string, body string) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res.StatusCode, b
}

// TestRunOnBoltTwice: the first run writes a demo configuration and serves on the
// bolt store; a release and a check survive a graceful shutdown and a second run.
func TestRunOnBoltTwice(t *testing.T) {
	dir := t.TempDir()
	db, cfgPath := filepath.Join(dir, "bot.db"), filepath.Join(dir, "bot.json")
	addr, logs, stop := start(t, "-db", db, "-config", cfgPath)
	assert.Contains(t, logs.String(), "wrote a demo identity configuration")
	info, err := os.Stat(cfgPath)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "the configuration holds secrets")
	cfg, err := bot.ReadConfigFile(cfgPath)
	require.NoError(t, err)
	ana, ok := cfg.TokenFor("ana")
	require.True(t, ok)
	ci, ok := cfg.TokenFor("ci")
	require.True(t, ok)

	status, _ := do(t, "GET", "http://"+addr+"/healthz", "", "")
	require.Equal(t, http.StatusOK, status)
	status, body := do(t, "GET", "http://"+addr+"/releases", "", "")
	require.Equal(t, http.StatusUnauthorized, status, "%s", body)
	status, body = do(t, "POST", "http://"+addr+"/releases", ana, `{"name": "checkout", "version": "2.4.0", "environment": "dev"}`)
	require.Equal(t, http.StatusCreated, status, "%s", body)
	var created bot.ReleaseView
	require.NoError(t, json.Unmarshal(body, &created))
	r := created.Release
	status, body = do(t, "POST", "http://"+addr+"/releases/"+r.ID.String()+"/checks", ci, `{"name": "build", "status": "success"}`)
	require.Equal(t, http.StatusOK, status, "%s", body)
	require.NoError(t, stop(), "a graceful shutdown returns nil")
	assert.Contains(t, logs.String(), "stopped")
	assert.NoFileExists(t, db+".evidence.json", "the bot keeps nothing beside the store")

	addr, logs, stop = start(t, "-db", db, "-config", cfgPath)
	assert.NotContains(t, logs.String(), "wrote a demo identity configuration", "the configuration is reused")
	status, body = do(t, "GET", "http://"+addr+"/releases/"+r.ID.String(), ana, "")
	require.Equal(t, http.StatusOK, status, "%s", body)
	var v bot.ReleaseView
	require.NoError(t, json.Unmarshal(body, &v))
	assert.Equal(t, "checkout", v.Release.Name)
	assert.Contains(t, v.Evidence.Checks, "build", "the check survived the restart")
	require.NoError(t, stop())
}

func TestRunInMemory(t *testing.T) {
	dir := t.TempDir()
	addr, _, stop := start(t, "-memory", "-db", filepath.Join(dir, "unused.db"), "-config", filepath.Join(dir, "c.json"))
	status, _ := do(t, "GET", "http://"+addr+"/healthz", "", "")
	require.Equal(t, http.StatusOK, status)
	require.NoError(t, stop())
	assert.NoFileExists(t, filepath.Join(dir, "unused.db"))
}

func TestRunRefusesBadSetup(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte(`{"tokens": {"short": {"id": "ana", "kind": "robot"}}}`), 0o600))
	for _, tc := range []struct {
		why     string
		args    []string
		mention string
	}{
		{"a configuration with problems", []string{"-memory", "-config", bad}, "at least 16"},
		{"an unknown flag", []string{"-nope"}, "flag provided but not defined"},
		{"stray arguments", []string{"-memory", "-config", filepath.Join(dir, "ok.json"), "extra"}, "unexpected arguments"},
		{"an address in use or malformed", []string{"-memory", "-config", filepath.Join(dir, "ok.json"), "-addr", "256.0.0.1:-1"}, "listen"},
	} {
		t.Run(tc.why, func(t *testing.T) {
			var logs syncBuffer
			err := run(context.Background(), tc.args, &logs, func(string) { t.Error("must not listen") })
			require.Error(t, err)
			assert.Contains(t, err.Error()+logs.String(), tc.mention)
		})
	}
}
