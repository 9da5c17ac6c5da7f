package ci_test

import (
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/adapters/ci"
)

// TestReportScript runs the report script of docs/CI-RECEIVERS.md, as a pipeline step
// would, against a generic receiver.
func TestReportScript(t *testing.T) {
	for _, tool := range []string{"bash", "openssl", "curl"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is needed to run the documented report script: %v", tool, err)
			}
			t.Skipf("%s is not installed: %v", tool, err)
		}
	}
	doc, err := os.ReadFile("../../docs/CI-RECEIVERS.md")
	require.NoError(t, err)
	_, rest, ok := strings.Cut(string(doc), "<!-- receiver:report.sh -->\n```sh\n")
	require.True(t, ok, "docs/CI-RECEIVERS.md has no block marked <!-- receiver:report.sh -->")
	script, _, ok := strings.Cut(rest, "```")
	require.True(t, ok)

	e := newEnv(t)
	rel := e.release("1.4.0", map[string]string{"commit": sha})
	srv := httptest.NewServer(e.handler(ci.NewGeneric))
	defer srv.Close()

	run := func(args string) (string, error) {
		cmd := exec.Command("bash", "-euc", script+"\nreleasekit_report "+args)
		cmd.Env = append(os.Environ(), "RELEASEKIT_URL="+srv.URL+"/ci/generic", "RELEASEKIT_SECRET="+secret)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := run("integration-tests failure " + sha + " azure-4711-1 https://ci.example/4711")
	require.NoError(t, err, out)
	got := e.recorded(rel)
	require.Len(t, got, 1, out)
	assert.Equal(t, "integration-tests", got[0].Name)
	assert.Equal(t, "failure", string(got[0].Status))
	assert.Equal(t, "https://ci.example/4711", got[0].URL)

	out, err = run("integration-tests failure " + sha + " azure-4711-1")
	assert.Error(t, err, "a replay fails the step (curl -f on 409): %s", out)
	assert.Len(t, e.recorded(rel), 1)

	t.Setenv("RELEASEKIT_SECRET", "wrong")
	cmd := exec.Command("bash", "-euc", script+"\nreleasekit_report build success "+sha+" azure-4712-1")
	cmd.Env = append(os.Environ(), "RELEASEKIT_URL="+srv.URL+"/ci/generic")
	out2, err := cmd.CombinedOutput()
	assert.Error(t, err, "a step with the wrong secret fails: %s", out2)
	assert.Len(t, e.recorded(rel), 1)
}
