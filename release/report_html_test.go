package release_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/release"
)

// reportHTML renders the report scenario as HTML.
func reportHTML(t *testing.T, title string) string {
	t.Helper()
	s := newReportScenario(t)
	s.build(t)
	var b bytes.Buffer
	require.NoError(t, s.eng.Report(context.Background(), &b, release.ReportOptions{
		From: reportFrom, To: reportTo, Graph: s.graph, Title: title, Format: release.ReportHTML}))
	return b.String()
}

func TestReportHTMLGolden(t *testing.T) {
	got := reportHTML(t, "Week 51 | prod train")
	golden := filepath.Join("testdata", "report", "week51.html")
	if *update {
		require.NoError(t, os.WriteFile(golden, []byte(got), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err, "run go test ./release -run TestReportHTMLGolden -update to create the golden file")
	assert.Equal(t, string(want), got, "report differs from %s (run with -update to accept)", golden)
}

func TestReportHTMLContent(t *testing.T) {
	out := reportHTML(t, `Week 51 <script>alert("x")</script> & co`)
	for _, want := range []string{
		"<!DOCTYPE html>",
		`<title>Week 51 &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; co</title>`,
		`<table id="summary-table">`,
		`<tr><th>prod</th><td class="n">1</td><td class="n">1</td><td class="n">0</td><td class="n">1</td><td class="n">1</td><td class="n">4</td></tr>`,
		`<td class="o-rolled-back">rolled back</td>`,
		`<td>search | beta</td>`,
		`<svg id="gantt"`,
		`class="bar-rolled-back"`,
		`<svg class="graph"`,
		"Lead time for changes (from release creation, not commit)",
	} {
		assert.Contains(t, out, want)
	}
	assert.NotContains(t, out, "<script", "the page runs no script, and a title cannot inject one")
	assert.NotRegexp(t, regexp.MustCompile(`(?i)\son[a-z]+=`), out, "no event handler attributes")
	// One bar per booked slot, and each has a width.
	bars := regexp.MustCompile(`<rect class="bar-[a-z-]+" x="[0-9.]+" y="[0-9.]+" width="([0-9.]+)"`).FindAllStringSubmatch(out, -1)
	require.Len(t, bars, 3)
	for _, b := range bars {
		assert.NotEqual(t, "0", b[1])
	}
	assert.Equal(t, 1, strings.Count(out, `<h2 id="appendix">`))
}
