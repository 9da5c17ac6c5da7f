// Package depgraph orders releases across dependent services and explains what a
// change can break. It is for release managers' tooling, release bots and the
// rest of releasekit (rollback plans are derived from it).
//
// A [Graph] holds keys of any comparable type; an edge says one key depends on
// another, which is released first. The graph answers:
//
//   - in which waves the services can ship ([Graph.Waves], [Graph.Order]), or
//     which cycle prevents it ([CycleError], [Graph.Cycles]);
//   - what a change can break and what it needs ([Graph.Dependents],
//     [Graph.Dependencies], [Graph.Closure]);
//   - which dependencies are implied by others ([Graph.Reduce]) and which chain
//     takes longest ([Graph.CriticalPath]);
//   - which version requirements an environment does not meet
//     ([Graph.AddRequirement], [Graph.Unmet], [Unmet]);
//   - what the graph looks like ([Graph.WriteDOT], [Graph.WriteMermaid]).
//
// Every output is deterministic: nodes keep the order in which they were first
// added and results follow it. Internally keys are mapped once to dense int32
// indices and the edges are kept as flat adjacency arrays (compressed sparse
// rows, in both directions), rebuilt lazily after a mutation, so queries on
// graphs of a million edges take milliseconds.
package depgraph
