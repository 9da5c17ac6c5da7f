package releasetool

import (
	"context"
	"errors"
	"fmt"
	"go/types"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/exp/apidiff"
	"golang.org/x/mod/modfile"
	"golang.org/x/mod/semver"
	"golang.org/x/tools/go/packages"
)

// APIChange is one change to the exported API of a published module, as
// golang.org/x/exp/apidiff reports it.
type APIChange struct {
	// Module is the module path.
	Module string
	// Name is what changed, named by its package's directory relative to the repository
	// root (the root package by its name): "release.Spec.Owner",
	// "adapters/postgres.(*Store).Close", "package calendar/calendartest". A CHANGELOG.md
	// note about an incompatible change names it so.
	Name string
	// Message says how it changed: "removed", "changed from int to string", "added".
	Message string
	// Compatible is false for a change that can break a user's build.
	Compatible bool
}

func (c APIChange) String() string { return c.Name + ": " + c.Message }

// Incompatible returns the changes that can break a user's build.
func Incompatible(changes []APIChange) []APIChange {
	return slices.DeleteFunc(slices.Clone(changes), func(c APIChange) bool { return c.Compatible })
}

// CompareAPI reports every change to the exported API of every published module between
// the release base (a version such as "v0.1.0", whose tags it reads) and the working
// tree. Internal packages and commands are not API. A module published since base
// reports nothing; a module removed since base is an incompatible change.
//
// Both trees are loaded in workspace mode (a go.work of their published modules), since a
// module's requirement on an unreleased sibling version resolves only there; their
// third-party dependencies come from the module cache or GOPROXY.
func (r *Repo) CompareAPI(ctx context.Context, base string) ([]APIChange, error) {
	mods, err := r.Published()
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "releasetool-api-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	oldRoot := filepath.Join(tmp, "old")
	if err := r.extract(ctx, base, oldRoot); err != nil {
		return nil, fmt.Errorf("reading release %s: %w", base, err)
	}
	oldRepo := &Repo{Root: oldRoot, Unpublished: r.Unpublished}
	oldMods, err := oldRepo.Published()
	if err != nil {
		return nil, fmt.Errorf("release %s: %w", base, err)
	}
	oldAPI, err := loadAPI(ctx, oldRoot, oldMods, filepath.Join(tmp, "old.work"))
	if err != nil {
		return nil, fmt.Errorf("loading the API of release %s: %w", base, err)
	}
	newAPI, err := loadAPI(ctx, r.Root, mods, filepath.Join(tmp, "new.work"))
	if err != nil {
		return nil, fmt.Errorf("loading the API of the working tree: %w", err)
	}

	var changes []APIChange
	for _, m := range oldMods {
		if _, ok := newAPI[m.Path]; !ok {
			changes = append(changes, APIChange{Module: m.Path, Name: "module " + m.Path, Message: "removed"})
		}
	}
	for _, m := range mods {
		old, ok := oldAPI[m.Path]
		if !ok {
			continue
		}
		for _, c := range apidiff.ModuleChanges(old, newAPI[m.Path]).Changes {
			obj, msg, _ := strings.Cut(c.Message, ": ")
			changes = append(changes, APIChange{Module: m.Path, Name: changeName(m, obj), Message: msg, Compatible: c.Compatible})
		}
	}
	slices.SortFunc(changes, func(a, b APIChange) int {
		if a.Compatible != b.Compatible {
			if a.Compatible {
				return 1
			}
			return -1
		}
		return strings.Compare(a.Name, b.Name)
	})
	return changes, nil
}

// changeName turns apidiff's name of a changed object, relative to the module m
// ("./release.Spec", "Open", "package example.com/m/sub"), into one relative to the
// repository root.
func changeName(m Module, obj string) string {
	pkgDir := func(rel string) string { // a package directory relative to the module
		switch {
		case rel != "":
			return pathJoin(m.Dir, rel)
		case m.Dir != "":
			return m.Dir
		default:
			return path.Base(m.Path)
		}
	}
	switch {
	case strings.HasPrefix(obj, "package "):
		p := strings.TrimPrefix(obj, "package ")
		if rel, ok := strings.CutPrefix(p, m.Path); ok && (rel == "" || rel[0] == '/') {
			return "package " + pkgDir(strings.TrimPrefix(rel, "/"))
		}
		return obj
	case strings.HasPrefix(obj, "./"):
		return pathJoin(m.Dir, obj[2:])
	case strings.Contains(obj, "/"):
		return obj // an object of another module's package: apidiff names it by full path
	default:
		return pkgDir("") + "." + obj
	}
}

// loadAPI type-checks the importable packages of the modules mods, found under root, in a
// workspace written to workFile, and returns them by module path.
func loadAPI(ctx context.Context, root string, mods []Module, workFile string) (map[string]*apidiff.Module, error) {
	goVersion := "1.21"
	wf := &modfile.WorkFile{Syntax: &modfile.FileSyntax{}}
	var patterns []string
	for _, m := range mods {
		if m.file.Go != nil && semver.Compare("v"+m.file.Go.Version, "v"+goVersion) > 0 {
			goVersion = m.file.Go.Version
		}
		if err := wf.AddUse(filepath.Join(root, filepath.FromSlash(m.Dir)), ""); err != nil {
			return nil, err
		}
		patterns = append(patterns, m.Path+"/...")
	}
	if err := wf.AddGoStmt(goVersion); err != nil {
		return nil, err
	}
	reqs, dirs := siblingRequirements(mods)
	for _, req := range reqs {
		if err := wf.AddReplace(req.Path, req.Version, filepath.Join(root, filepath.FromSlash(dirs[req.Path])), ""); err != nil {
			return nil, err
		}
	}
	wf.Cleanup()
	if err := os.WriteFile(workFile, modfile.Format(wf.Syntax), 0o644); err != nil {
		return nil, err
	}
	cfg := &packages.Config{
		Context: ctx,
		Dir:     root,
		Env:     append(os.Environ(), "GOWORK="+workFile),
		Mode:    packages.NeedName | packages.NeedTypes | packages.NeedModule,
	}
	pkgs, err := packages.Load(cfg, patterns...)
	if err != nil {
		return nil, err
	}
	api := map[string]*apidiff.Module{}
	for _, m := range mods {
		api[m.Path] = &apidiff.Module{Path: m.Path}
	}
	var errs []error
	for _, p := range pkgs {
		for _, e := range p.Errors {
			errs = append(errs, fmt.Errorf("%s: %v", p.PkgPath, e))
		}
		if p.Module == nil || p.Types == nil || p.Name == "main" || isInternal(p.PkgPath) {
			continue
		}
		if am := api[p.Module.Path]; am != nil {
			am.Packages = append(am.Packages, p.Types)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	for _, am := range api {
		slices.SortFunc(am.Packages, func(a, b *types.Package) int { return strings.Compare(a.Path(), b.Path()) })
	}
	return api, nil
}

// isInternal reports whether an import path names an internal package, which no other
// module can import.
func isInternal(importPath string) bool {
	for _, elem := range strings.Split(importPath, "/") {
		if elem == "internal" {
			return true
		}
	}
	return false
}

// APIReport is what [Repo.CheckAPI] found.
type APIReport struct {
	// Last is the last release, "" when there is none and so nothing to compare.
	Last string
	// Changes are the API changes since Last, the incompatible ones first.
	Changes []APIChange
	// Unnoted are the incompatible changes that CHANGELOG.md's Unreleased notes do not name.
	Unnoted []APIChange
	// MinimumNext is the lowest version the next release may have ("" when no version of
	// these module paths may follow).
	MinimumNext string
}

// CheckAPI compares the API of every published module with the last release, as CI does.
// It fails (with the report) when an incompatible change has no note in CHANGELOG.md, or
// when there is any incompatible change after v1. Before the first release there is
// nothing to compare, and the report says so.
func (r *Repo) CheckAPI(ctx context.Context) (*APIReport, error) {
	last, err := r.LastVersion(ctx)
	if err != nil || last == "" {
		return &APIReport{}, err
	}
	rep := &APIReport{Last: last}
	if rep.Changes, err = r.CompareAPI(ctx, last); err != nil {
		return nil, err
	}
	cl, err := readChangelog(r.Root)
	if err != nil {
		return nil, err
	}
	incompatible := Incompatible(rep.Changes)
	rep.Unnoted = cl.unnoted(rep.Changes)
	rep.MinimumNext = MinimumNext(last, len(incompatible) > 0)
	if len(rep.Unnoted) > 0 {
		return rep, unnotedError(rep.Unnoted)
	}
	if rep.MinimumNext == "" {
		return rep, fmt.Errorf("%w: %s since %s, so %s", ErrIncompatible, describe(incompatible), last, policyFor(last))
	}
	return rep, nil
}
