package releasetool

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
	modzip "golang.org/x/mod/zip"
)

// WriteProxy adds the given version of every published module, as its tag holds it, to
// the file-based module proxy in dir (created if needed): for each module,
// <escaped path>/@v/list, <version>.info, <version>.mod and <version>.zip, the layout
// GOPROXY=file://<dir> reads. The zips are made from git with golang.org/x/mod/zip, the
// way a module proxy makes them from the tag.
func (r *Repo) WriteProxy(ctx context.Context, dir, version string) error {
	mods, err := r.Published()
	if err != nil {
		return err
	}
	for _, m := range mods {
		tag := m.Tag(version)
		out, err := r.git(ctx, "log", "-1", "--format=%cI", tag)
		if err != nil {
			return fmt.Errorf("%s@%s has no tag %s: %w", m.Path, version, tag, err)
		}
		at, err := time.Parse(time.RFC3339, strings.TrimSpace(out))
		if err != nil {
			return err
		}
		if err := r.addToProxy(ctx, dir, tag, m, version, at); err != nil {
			return err
		}
	}
	return nil
}

// addToProxy adds module m at version, as revision rev (a commit, tag or tree) of the
// repository holds it, to the file-based proxy in dir.
func (r *Repo) addToProxy(ctx context.Context, dir, rev string, m Module, version string, at time.Time) error {
	escaped, err := module.EscapePath(m.Path)
	if err != nil {
		return err
	}
	escVer, err := module.EscapeVersion(version)
	if err != nil {
		return err
	}
	vdir := filepath.Join(dir, filepath.FromSlash(escaped), "@v")
	if err := os.MkdirAll(vdir, 0o755); err != nil {
		return err
	}
	var zip bytes.Buffer
	mv := module.Version{Path: m.Path, Version: version}
	if err := modzip.CreateFromVCS(&zip, mv, r.Root, rev, m.Dir); err != nil {
		return fmt.Errorf("zipping %s@%s: %w", m.Path, version, err)
	}
	gomod, err := r.git(ctx, "cat-file", "blob", rev+":"+pathJoin(m.Dir, "go.mod"))
	if err != nil {
		return err
	}
	info, err := json.Marshal(struct {
		Version string
		Time    time.Time
	}{version, at.UTC()})
	if err != nil {
		return err
	}
	for name, data := range map[string][]byte{
		escVer + ".zip":  zip.Bytes(),
		escVer + ".mod":  []byte(gomod),
		escVer + ".info": info,
	} {
		if err := os.WriteFile(filepath.Join(vdir, name), data, 0o644); err != nil {
			return err
		}
	}
	listFile := filepath.Join(vdir, "list")
	old, err := os.ReadFile(listFile)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	versions := lines(string(old))
	if !slices.Contains(versions, version) {
		versions = append(versions, version)
	}
	semver.Sort(versions)
	return os.WriteFile(listFile, []byte(strings.Join(versions, "\n")+"\n"), 0o644)
}

// pathJoin joins slash-separated repository paths, treating "" as the root.
func pathJoin(dir, name string) string {
	if dir == "" {
		return name
	}
	return dir + "/" + name
}
