package ci

import (
	"strings"

	"github.com/releasekit/releasekit/release"
)

// DefaultCommitLabel is the release label [ByCommit] reads unless told another:
// a release created with Labels{"commit": "<full SHA>"} takes the results of that
// commit.
const DefaultCommitLabel = "commit"

// Match says which releases a result is about: the filter that lists them, or false
// when the result carries nothing to match on. Closed and cancelled releases never
// match (they take no evidence). Give receivers one or more with [WithMatch].
type Match func(Result) (release.Filter, bool)

// ByCommit matches the releases whose label named label holds the result's commit
// SHA, exactly as the sender writes it (GitHub, GitLab and Jenkins send the full
// 40-digit SHA). A result without a commit matches nothing.
func ByCommit(label string) Match {
	return ByLabel(label, func(r Result) string { return r.Commit })
}

// ByVersion matches the releases whose Version is the result's version: its
// Version, or else its Ref with a leading "refs/tags/" and a leading "v" removed
// (a tag "v1.4.0" finds the release of version "1.4.0"). Releases whose Version
// keeps the "v" are matched by the ref as written too.
func ByVersion() Match {
	return func(r Result) (release.Filter, bool) {
		v := r.Version
		if v == "" {
			v = versionOfRef(r.Ref)
		}
		if v == "" {
			return release.Filter{}, false
		}
		return release.Filter{Version: v}, true
	}
}

// versionOfRef returns the version a tag ref names, "" for none.
func versionOfRef(ref string) string {
	ref = strings.TrimPrefix(ref, "refs/tags/")
	v := strings.TrimPrefix(ref, "v")
	if v == "" || v[0] < '0' || v[0] > '9' {
		return "" // a branch name, not a version
	}
	return v
}

// ByLabel matches the releases whose label named label holds value(result); an
// empty value matches nothing. For example, releases labelled with the pipeline
// that builds them:
//
//	ci.ByLabel("pipeline", func(r ci.Result) string { return r.Repository + "#" + r.Name })
func ByLabel(label string, value func(Result) string) Match {
	return func(r Result) (release.Filter, bool) {
		v := value(r)
		if label == "" || v == "" {
			return release.Filter{}, false
		}
		return release.Filter{Labels: map[string]string{label: v}}, true
	}
}
