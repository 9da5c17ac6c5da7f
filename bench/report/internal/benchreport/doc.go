// Package benchreport runs releasekit's benchmark groups and writes the benchmark
// report (docs/BENCHMARKS.md). It is the engine behind the report command
// (bench/report) and `make bench`; it is internal because only that command uses it.
//
// The pieces, in the order a run uses them:
//
//   - [Group] is one `go test -bench` invocation: a package in one of the repository's
//     [Module]s, a -bench regexp and -benchtime, the [Comparison]s of an operation
//     against its reference measured in the same run (each with the [Target] from its
//     issue), and the [Scaling]s that show how cost grows with size. [DefaultGroups]
//     is the table of every benchmark in the repository.
//   - [Parse] and [ParseLine] read the standard benchmark output format (ns/op, B/op,
//     allocs/op and custom metrics such as bytes/edge or transitions/s); [Collect]
//     gathers the lines of repeated runs (-count) into a [Set] of medians ([Summary]).
//   - [Comparison.Evaluate] computes a ratio and its [Verdict]; [Scaling.Evaluate]
//     computes growth factors and exponents between sizes.
//   - [Runner] runs the groups through an [Exec] (the real one runs the go command) and
//     returns a [Report]; a group that fails or is skipped is reported with its
//     [Status] and reason, never dropped.
//   - [Render] writes the [Report] as Markdown.
package benchreport
