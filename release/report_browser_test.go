package release_test

import (
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/releasekit/releasekit/internal/browser"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReportHTMLInChromium opens the HTML report in headless Chromium and checks
// that the page rendered: its title and summary table in the DOM, and the
// calendar's SVG drawn with a size (its bars' colours on the screenshot).
func TestReportHTMLInChromium(t *testing.T) {
	bin := browser.Chromium(t)
	page := filepath.Join(t.TempDir(), "report.html")
	require.NoError(t, os.WriteFile(page, []byte(reportHTML(t, "Week 51 | prod train")), 0o644))
	url := "file://" + page

	dom := string(browser.Headless(t, bin, url, "--dump-dom"))
	assert.Contains(t, dom, "<title>Week 51 | prod train</title>")
	assert.Contains(t, dom, `<table id="summary-table">`)
	assert.Contains(t, dom, "<th>prod</th>")
	assert.Contains(t, dom, `<svg id="gantt"`)

	shot := filepath.Join(t.TempDir(), "report.png")
	browser.Headless(t, bin, url, "--window-size=1100,2000", "--screenshot="+shot)
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
