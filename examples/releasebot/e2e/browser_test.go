package e2e_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/examples/releasebot/bot"
	"github.com/releasekit/releasekit/internal/browser"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/releasetest"
)

// api is a small client of the bot for the browser test's set-up and checks.
type api struct {
	t   *testing.T
	url string
}

func (a api) send(method, path, token, body string, want int) []byte {
	a.t.Helper()
	req, err := http.NewRequest(method, a.url+path, strings.NewReader(body))
	require.NoError(a.t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	require.NoError(a.t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(a.t, err)
	require.Equal(a.t, want, res.StatusCode, "%s %s: %s", method, path, b)
	return b
}

// TestBoardInChromium drives the board in headless Chromium with JavaScript off: it
// signs in through the form, finds a release under its environment and state,
// follows its link, and checks the release's page against the API.
func TestBoardInChromium(t *testing.T) {
	exe := browser.Chromium(t)
	clock := releasetest.NewClock(monday, 0)
	b, err := bot.New(memory.New(), config(), bot.WithClock(clock), bot.WithNotifier(nil))
	require.NoError(t, err)
	srv := httptest.NewServer(b.Handler())
	t.Cleanup(srv.Close)
	a := api{t: t, url: srv.URL}

	// A dev release planned, scheduled, checked and approved; a staging one in draft.
	v := decode[bot.ReleaseView](t, a.send("POST", "/releases", tokAna, `{"name": "payments", "version": "3.1.0", "environment": "dev", "duration": "30m",
		"components": [{"name": "payments", "version": "3.1.0", "previous_version": "3.0.2"}]}`, 201))
	id := v.Release.ID.String()
	a.send("POST", "/releases/"+id+"/events/plan", tokAna, `{"reason": "sprint 12"}`, 200)
	a.send("POST", "/releases/"+id+"/events/schedule", tokAna, "", 200)
	a.send("POST", "/releases/"+id+"/checks", tokCI, `{"name": "build", "status": "success", "url": "https://ci.example/runs/1"}`, 200)
	a.send("POST", "/releases/"+id+"/events/approve", tokRui, `{"reason": "looks good"}`, 200)
	a.send("POST", "/releases", tokAna, `{"name": "checkout", "version": "2.4.0", "environment": "staging"}`, 201)

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.NoSandbox, // CI runs as root
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	ctx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel = chromedp.NewContext(ctx)
	t.Cleanup(cancel)
	// A bound on the whole browser session (not a timing assertion): a browser that
	// hangs fails the test instead of holding CI.
	ctx, cancel = context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(cancel)

	disableJS := chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
		return err
	})
	require.NoError(t, chromedp.Do(ctx,
		disableJS,
		chromedp.Navigate(srv.URL+"/board"),
		chromedp.WaitReady(chromedp.CSS(`input[name="token"]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name="token"]`), tokRui),
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
		chromedp.WaitReady(chromedp.CSS(`#releases`)),
	), "signing in through the form")
	board, err := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS(`main`)))
	require.NoError(t, err)
	link, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(`tr[data-environment="dev"] td[data-state="approved"] a.release`), "href"))
	require.NoError(t, err, "the dev release is listed under dev and approved")
	assert.Equal(t, "/board/releases/"+id, link.Value)
	assert.Contains(t, board, `<tr data-environment="staging">`)
	assert.Contains(t, board, `data-service="payments"`, "the dependency graph is drawn")
	assert.Contains(t, board, `data-kind="booking"`, "the dev release's slot is on the calendar")
	graph, err := chromedp.Run(ctx, chromedp.Dimensions(chromedp.CSS(`svg#graph`)))
	require.NoError(t, err)
	assert.Greater(t, graph.Width, int64(100), "the dependency graph's SVG has a size")
	assert.Greater(t, graph.Height, int64(100))
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	require.NoError(t, err)
	keep(t, "board.png", shot)

	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`a.release[data-id="`+id+`"]`)),
		chromedp.WaitReady(chromedp.CSS(`#history`)),
	), "following the release's link")
	page, err := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS(`main`)))
	require.NoError(t, err)
	if shot, err = chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
		keep(t, "release.png", shot)
	}
	require.NoError(t, err)

	// What the page shows is what the API says.
	got := decode[bot.ReleaseView](t, a.send("GET", "/releases/"+id, tokRui, "", 200))
	hist := decode[bot.HistoryResponse](t, a.send("GET", "/releases/"+id+"/history", tokRui, "", 200))
	field := func(name string) string {
		m := regexp.MustCompile(`<td data-field="` + name + `"[^>]*>([^<]*)</td>`).FindStringSubmatch(page)
		if m == nil {
			return "(missing)"
		}
		return m[1]
	}
	assert.Equal(t, string(got.Release.State), field("state"))
	assert.Equal(t, strconv.FormatInt(got.Release.Revision, 10), field("revision"))
	assert.Equal(t, got.Release.Version, field("version"))
	assert.Equal(t, got.Release.Environment, field("environment"))
	assert.Equal(t, got.Release.Author, field("author"))
	assert.Equal(t, got.Release.Duration.String(), field("duration"))
	assert.Equal(t, release.StateApproved, got.Release.State)
	assert.Equal(t, len(hist.Entries), strings.Count(page, `<tr class="entry"`), "one row per history entry")
	for _, e := range hist.Entries {
		assert.Contains(t, page, `data-sequence="`+strconv.FormatInt(e.Sequence, 10)+`" data-event="`+string(e.Event)+`"`)
	}
	assert.True(t, hist.Verified)
	assert.Contains(t, page, `data-verified="true"`)
	assert.Contains(t, page, `build: <strong>success</strong>`, "the recorded check is shown")
}

// keep writes a screenshot into $RELEASEBOT_SCREENSHOTS when it is set, for people
// to look at; the test itself checks the DOM.
func keep(t *testing.T, name string, shot []byte) {
	t.Helper()
	require.NotEmpty(t, shot, "a screenshot of the rendered page")
	if dir := os.Getenv("RELEASEBOT_SCREENSHOTS"); dir != "" {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), shot, 0o644))
	}
}
