// Package releasetool makes releasekit's releases and proves that users can consume them.
//
// The repository holds several Go modules (the root module, adapters/postgres, and more as
// they are added); go.work lists them all, and modules are discovered from it. Every module
// is published except the few named in [DefaultUnpublished] (bench, the bot's e2e tests, this tool): published
// modules are tagged together, with one version, and stand alone: they require real
// versions of their siblings, and a tagged version carries no replace directive, since the
// go command ignores the replace directives of a dependency. Between releases each may
// replace a sibling with the sibling's directory, so that GOWORK=off works in its
// directory; the release drops those lines. Developers work across modules with go.work.
//
// [Repo.Release] is the release process as code (`make release VERSION=v0.2.0`): it
// refuses a malformed version, a dirty tree, a version not greater than the last tag, a
// layout that breaks the rules above, an incompatible API change without a note in
// CHANGELOG.md or without the version bump the policy requires, and failing tests; then it
// sets the sibling requirements to the new version, runs go mod tidy in every published
// module against a module proxy built from the tree, writes the CHANGELOG.md section from
// the commits since the last tag, commits, and tags every published module. It makes no
// tag unless all of that succeeded.
//
// [Repo.CompareAPI] reports every change to the exported API of every published module
// since a tag, with golang.org/x/exp/apidiff; [Repo.CheckAPI] is what CI runs.
//
// [Repo.WriteProxy] writes a tagged version of every published module in the layout that
// GOPROXY=file://... reads (list, info, mod and zip files, zips made with
// golang.org/x/mod/zip), so that a test can run a user's `go get` without the internet.
package releasetool
