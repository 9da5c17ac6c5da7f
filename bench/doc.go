// Package bench compares releasekit against reference libraries. It is a module
// of its own so that the libraries it compares against (gonum) never enter the
// core go.mod. It has benchmarks only; run them from this directory with
// GOWORK=off go test -run '^$' -bench . -benchmem
package bench
