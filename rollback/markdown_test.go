package rollback_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/releasekit/releasekit/rollback"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden runbooks under testdata/")

func TestWriteMarkdownGolden(t *testing.T) {
	partial := shopOptions()
	partial.Failed = []string{"payments"}
	nothing := shopDeployment()
	for i := range nothing.Components {
		nothing.Components[i].NotStarted, nothing.Components[i].Finished = true, false
	}
	tests := []struct {
		golden string
		record rollback.Deployment
		opts   rollback.Options
	}{
		{"shop-full.md", shopDeployment(), shopOptions()},
		{"shop-partial.md", shopDeployment(), partial},
		{"shop-defaults.md", shopDeployment(), rollback.Options{RollForward: true}},
		{"nothing-started.md", nothing, rollback.Options{}},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			rb, err := rollback.Plan(shopGraph(), tt.record, tt.opts)
			require.NoError(t, err)
			var buf bytes.Buffer
			require.NoError(t, rb.WriteMarkdown(&buf))
			path := filepath.Join("testdata", tt.golden)
			if *update {
				require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o644))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "run go test ./rollback -run Golden -update to create it")
			require.Equal(t, string(want), buf.String(), "runbook differs from %s (-want +got); rerun with -update if the change is intended", path)
		})
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, os.ErrClosed }

func TestWriteMarkdownErrors(t *testing.T) {
	rb, err := rollback.Plan(shopGraph(), shopDeployment(), shopOptions())
	require.NoError(t, err)
	require.ErrorIs(t, rb.WriteMarkdown(failingWriter{}), os.ErrClosed)
	rb.Waves[0].Number = 7
	require.ErrorIs(t, rb.WriteMarkdown(&bytes.Buffer{}), rollback.ErrInvalidRunbook)
}
