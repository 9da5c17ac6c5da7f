package releasetool

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// goEnv is the environment of go commands that resolve the repository's modules from a
// file-based module proxy instead of the workspace (see [ProxyEnv]).
type goEnv struct {
	env []string
}

// ProxyEnv returns the environment (os.Environ with changes) in which go commands resolve
// the modules whose paths start with modPath from the file-based module proxy in proxyDir,
// as users would from a real one: GOWORK=off; GOPROXY reads proxyDir first, then the
// module cache's download directory (offline), then the proxy the machine uses; the
// checksum database is off for modPath only (GONOSUMDB); and the module cache is cacheDir
// (GOFLAGS=-modcacherw, so that it can be removed), so that versions built from an
// untagged tree never reach the user's module cache.
func ProxyEnv(ctx context.Context, proxyDir, cacheDir, modPath string) ([]string, error) {
	e, err := newGoEnv(ctx, proxyDir, cacheDir, modPath)
	if err != nil {
		return nil, err
	}
	return e.env, nil
}

// newGoEnv returns the environment for a proxy in proxyDir and a module cache in
// cacheDir, for modules whose paths start with modPath.
func newGoEnv(ctx context.Context, proxyDir, cacheDir, modPath string) (*goEnv, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOPROXY", "GOMODCACHE", "GONOSUMDB", "GOFLAGS").Output()
	if err != nil {
		return nil, fmt.Errorf("go env: %w", err)
	}
	vals := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(vals) != 4 {
		return nil, fmt.Errorf("go env printed %q", out)
	}
	goproxy, modcache, nosumdb, goflags := vals[0], vals[1], vals[2], vals[3]
	proxies := []string{fileURL(proxyDir)}
	if modcache != "" {
		proxies = append(proxies, fileURL(filepath.Join(modcache, "cache", "download")))
	}
	if goproxy != "" {
		proxies = append(proxies, goproxy)
	}
	if nosumdb != "" {
		modPath += "," + nosumdb
	}
	env := append(os.Environ(),
		"GOWORK=off",
		"GOPROXY="+strings.Join(proxies, ","),
		"GONOSUMDB="+modPath,
		"GOMODCACHE="+cacheDir,
		"GOFLAGS="+strings.TrimSpace(goflags+" -modcacherw"),
	)
	return &goEnv{env: env}, nil
}

func fileURL(dir string) string {
	return "file://" + filepath.ToSlash(dir)
}

// run runs the go command in dir and returns its combined output.
func (e *goEnv) run(ctx context.Context, dir string, args ...string) (string, error) {
	return runGo(ctx, dir, e.env, args...)
}

func runGo(ctx context.Context, dir string, env []string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("go %s in %s: %w\n%s", strings.Join(args, " "), dir, err, out.String())
	}
	return out.String(), nil
}
