package release_test

import (
	"context"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// chromium finds a headless Chromium: RELEASEKIT_CHROMIUM, then chromium or
// chromium-browser on PATH (Debian's chromium package; .ci/chromium.sh installs
// it). Without one the test skips with a message, and fails under CI=true.
func chromium(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv("RELEASEKIT_CHROMIUM"); bin != "" {
		return bin
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if bin, err := exec.LookPath(name); err == nil {
			return bin
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed: CI must install it (source .ci/chromium.sh && chromium_ensure)")
	}
	t.Skip("chromium is not installed: install Debian's chromium package (or source .ci/chromium.sh && chromium_ensure) to run the browser test")
	return ""
}

// headless runs Chromium on url with args, in a profile of its own, without
// reaching the network.
func headless(t *testing.T, bin, url string, args ...string) []byte {
	t.Helper()
	// A bound on a browser that hangs, not a measurement.
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
		"--user-data-dir=" + t.TempDir()}
	cmd := exec.CommandContext(ctx, bin, append(append(base, args...), url)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "chromium: %s", stderr.String())
	return out
}

// TestReportHTMLInChromium opens the HTML report in headless Chromium and checks
// that the page rendered: its title and summary table in the DOM, and the
// calendar's SVG drawn with a size (its bars' colours on the screenshot).
func TestReportHTMLInChromium(t *testing.T) {
	bin := chromium(t)
	page := filepath.Join(t.TempDir(), "report.html")
	require.NoError(t, os.WriteFile(page, []byte(reportHTML(t, "Week 51 | prod train")), 0o644))
	url := "file://" + page

	dom := string(headless(t, bin, url, "--dump-dom"))
	assert.Contains(t, dom, "<title>Week 51 | prod train</title>")
	assert.Contains(t, dom, `<table id="summary-table">`)
	assert.Contains(t, dom, "<th>prod</th>")
	assert.Contains(t, dom, `<svg id="gantt"`)

	shot := filepath.Join(t.TempDir(), "report.png")
	headless(t, bin, url, "--window-size=1100,2000", "--screenshot="+shot)
	f, err := os.Open(shot)
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err)
	require.Equal(t, image.Pt(1100, 2000), img.Bounds().Size())

	// The bars are filled with the outcome colours of the page's style: shipped
	// green, rolled-back red, booked blue. Counting their pixels shows the SVG was
	// laid out with a size and painted.
	want := map[string]color.RGBA{"shipped": {0x2d, 0xa4, 0x4e, 0xff}, "rolled back": {0xcf, 0x22, 0x2e, 0xff}, "booked": {0x09, 0x69, 0xda, 0xff}}
	count := map[string]int{}
	white := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
			if c == (color.RGBA{0xff, 0xff, 0xff, 0xff}) {
				white++
			}
			for k, w := range want {
				if c == w {
					count[k]++
				}
			}
		}
	}
	assert.Less(t, white, b.Dx()*b.Dy(), "the screenshot is blank")
	for k := range want {
		// A bar is at least 4 px wide and 16 px high, its edges antialiased.
		assert.GreaterOrEqual(t, count[k], 2*14, "%s bars are not painted", k)
	}
}
