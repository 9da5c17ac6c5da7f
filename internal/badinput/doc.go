// Package badinput holds no code: its test, a black-box tour of the public API, feeds
// malformed input to every package (the release engine on the memory and bolt stores,
// calendar, depgraph, gate, risk, rollback and the webhook verifier) and checks that
// each gives its typed error, matching both the package's sentinel (errors.Is) and its
// error type (errors.As), and that nothing stored changed. It is for maintainers: a
// new entry point gets its row here.
package badinput
