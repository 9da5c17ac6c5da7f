package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestCommands(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/one\n\ngo 1.25.0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"init", "--quiet"}, {"-c", "user.name=T", "-c", "user.email=t@example.com", "commit", "--quiet", "--allow-empty", "-m", "empty"}} {
		if out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	for _, tc := range []struct {
		args    []string
		wantOut string
		wantErr string
	}{
		{args: []string{"check", "-C", dir, "-unpublished", ""}, wantOut: "example.com/one"},
		{args: []string{"apicheck", "-C", dir}, wantOut: "no release tag yet"},
		{args: []string{"release", "-C", dir, "-version", "v1.2"}, wantErr: "release refused, no tag made: malformed version"},
		{args: []string{"release", "-C", dir, "-version", "v0.1.0", "stray"}, wantErr: "unexpected arguments"},
		{args: []string{"proxy", "-C", dir}, wantErr: "proxy needs -version and -out"},
		{args: []string{"publish"}, wantErr: `unknown command "publish"`},
		{args: nil, wantErr: "no command"},
	} {
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), tc.args, &stdout, &stderr)
		if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
			t.Errorf("releasetool %q: error %v, want %q", tc.args, err, tc.wantErr)
		}
		if !strings.Contains(stdout.String(), tc.wantOut) {
			t.Errorf("releasetool %q printed %q, want %q in it", tc.args, stdout.String(), tc.wantOut)
		}
	}
}
