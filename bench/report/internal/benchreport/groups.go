package benchreport

import "time"

const quickTime = "100ms"

func ref(bench string) *Measure { return &Measure{Bench: bench} }

// DefaultGroups is the table of every benchmark group in the repository, in report
// order. The targets are the ones the issues set; a comparison the issues set no target
// for says so.
func DefaultGroups() []Group {
	const (
		w400k = "BenchmarkWaves/n=100000,m=400000/"
		w1m   = "BenchmarkWaves/n=100000,m=1000000/"
	)
	return []Group{
		{
			ID: "release", Title: "release: one transition through the engine, and audit-history verification", Issue: "issues 2 and 9",
			Module: ModuleRoot, Package: "./release",
			Full:  Settings{Bench: `^(BenchmarkEngineFire|BenchmarkBareFSMEvent|BenchmarkVerifyHistorySizes)$`, BenchTime: "1s"},
			Quick: Settings{BenchTime: quickTime},
			Comparisons: []Comparison{{
				Label: "Engine.Fire on the memory store vs one bare looplab/fsm event",
				Op:    Measure{Bench: "BenchmarkEngineFire"}, Ref: ref("BenchmarkBareFSMEvent"), RefLabel: "bare looplab/fsm event",
				RatioLabel: "engine / bare fsm", Target: None("issue 2 asks for both figures in the same run"),
			}},
			Scalings: []Scaling{{Label: "VerifyHistory", Pattern: `^BenchmarkVerifyHistorySizes/(\d+)$`, SizeName: "entries"}},
			Notes: "EngineFire: read, policy, a fresh lifecycle machine, SHA-256 hash chain, compare-and-swap and history append on `adapters/memory`. " +
				"BareFSMEvent: the floor, one event on a fresh looplab/fsm machine with the same table. VerifyHistorySizes: recomputing every hash of a valid history.",
		},
		{
			ID: "checkpoint", Title: "release: signed checkpoints, cost per commit", Issue: "issue 13",
			Module: ModuleRoot, Package: "./release",
			Full:  Settings{Bench: `^(BenchmarkCheckpointCost|BenchmarkCheckpointCostInterleaved)$`, BenchTime: "1s"},
			Quick: Settings{BenchTime: quickTime},
			Comparisons: []Comparison{
				{Label: "Fire with a checkpoint after every commit vs Fire alone (interleaved in one loop)",
					Op:       Measure{Bench: "BenchmarkCheckpointCostInterleaved/every-1", Unit: "x-none"},
					RefLabel: "Fire without checkpoints, same loop", RatioLabel: "with / without", Target: None("issue 13 asks for the checkpoint cost per commit")},
				{Label: "Fire with a checkpoint every 100 commits (the default) vs Fire alone (interleaved in one loop)",
					Op:       Measure{Bench: "BenchmarkCheckpointCostInterleaved/every-100", Unit: "x-none"},
					RefLabel: "Fire without checkpoints, same loop", RatioLabel: "with / without", Target: None("issue 13 asks for the checkpoint cost per commit")},
				{Label: "Fire with a checkpoint after every commit vs Fire alone (separate sub-benchmarks)", Op: Measure{Bench: "BenchmarkCheckpointCost/every-1"}, Ref: ref("BenchmarkCheckpointCost/none"),
					RefLabel: "Fire without checkpoints", RatioLabel: "with / without", Target: None("issue 13 asks for the checkpoint cost per commit")},
				{Label: "Fire with a checkpoint every 100 commits (the default) vs Fire alone (separate sub-benchmarks)", Op: Measure{Bench: "BenchmarkCheckpointCost/every-100"}, Ref: ref("BenchmarkCheckpointCost/none"),
					RefLabel: "Fire without checkpoints", RatioLabel: "with / without", Target: None("issue 13 asks for the checkpoint cost per commit")},
			},
			Notes: "Fire round-robin over 100 releases on `adapters/memory` (each replaced after 20 entries), with a checkpoint signed synchronously after every 1, 10 or 100 commits " +
				"(read the new entries, check their chain, add tlog leaves, Ed25519 signed note) to a sink that discards it. In an engine the checkpoint runs in the background, off the commit path; " +
				"this charges all of it to the commits. Write-up: [docs/AUDIT.md](AUDIT.md).",
		},
		{
			ID: "depgraph-scale", Title: "depgraph at scale: Waves against gonum and a bare Kahn's algorithm", Issue: "issue 3",
			Module: ModuleBench, Package: ".",
			Full: Settings{Bench: `^(BenchmarkWaves|BenchmarkWavesRatio|BenchmarkOrder|BenchmarkDependentsHub|BenchmarkBuild)$`, BenchTime: "3x", Timeout: 40 * time.Minute},
			// The quick run leaves out gonum's graph build (about 14 s per op at a million edges).
			Quick: Settings{Bench: `^(BenchmarkWaves|BenchmarkWavesRatio|BenchmarkDependentsHub|BenchmarkBuild)$/./^(depgraph|kahn-flat|kahn-int32|gonum-topo-sort|bfs-int32)$`, BenchTime: quickTime, Timeout: 15 * time.Minute},
			Comparisons: []Comparison{
				{Label: "Waves vs gonum topo.Sort, 100,000 nodes, 400,000 edges", Op: Measure{Bench: w400k + "depgraph"}, Ref: ref(w400k + "gonum-topo-sort"),
					RefLabel: "gonum topo.Sort", Invert: true, RatioLabel: "gonum / depgraph", Target: AtLeastTarget(10, "Waves >= 10x faster than gonum topo.Sort")},
				{Label: "Waves vs gonum topo.Sort, 100,000 nodes, 1,000,000 edges", Op: Measure{Bench: w1m + "depgraph"}, Ref: ref(w1m + "gonum-topo-sort"),
					RefLabel: "gonum topo.Sort", Invert: true, RatioLabel: "gonum / depgraph", Target: AtLeastTarget(10, "Waves >= 10x faster than gonum topo.Sort")},
				{Label: "Waves vs bare Kahn's on flat arrays, 100,000 nodes, 400,000 edges", Op: Measure{Bench: w400k + "depgraph"}, Ref: ref(w400k + "kahn-flat"),
					RefLabel: "bare Kahn's, flat arrays", RatioLabel: "depgraph / Kahn", Target: AtMostTarget(2, "Waves within 2x of bare Kahn")},
				{Label: "Waves vs bare Kahn's on flat arrays, 100,000 nodes, 1,000,000 edges", Op: Measure{Bench: w1m + "depgraph"}, Ref: ref(w1m + "kahn-flat"),
					RefLabel: "bare Kahn's, flat arrays", RatioLabel: "depgraph / Kahn", Target: AtMostTarget(2, "Waves within 2x of bare Kahn")},
				{Label: "Waves vs bare Kahn's on flat arrays, 100,000 nodes, 1,000,000 edges (interleaved in one loop)",
					Op:       Measure{Bench: "BenchmarkWavesRatio/n=100000,m=1000000", Unit: "x-kahn-flat"},
					RefLabel: "bare Kahn's, flat arrays, same loop", RatioLabel: "depgraph / Kahn", Target: AtMostTarget(2, "Waves within 2x of bare Kahn")},
				{Label: "Waves vs bare Kahn's on [][]int32 (a weaker reference), 100,000 nodes, 1,000,000 edges", Op: Measure{Bench: w1m + "depgraph"}, Ref: ref(w1m + "kahn-int32"),
					RefLabel: "bare Kahn's, [][]int32", RatioLabel: "depgraph / Kahn", Target: None("shown for comparison with earlier reports; the flat-array Kahn above is the reference")},
				{Label: "Dependents from the hub node vs bare BFS, 100,000 nodes, 1,000,000 edges",
					Op: Measure{Bench: "BenchmarkDependentsHub/n=100000,m=1000000/depgraph"}, Ref: ref("BenchmarkDependentsHub/n=100000,m=1000000/bfs-int32"),
					RefLabel: "bare BFS on [][]int32", RatioLabel: "depgraph / BFS", Target: None("issue 3 asks for the figure")},
				{Label: "Bytes per edge of a built graph vs gonum simple.DirectedGraph, 1,000,000 edges",
					Op:  Measure{Bench: "BenchmarkBuild/n=100000,m=1000000/depgraph", Unit: "bytes/edge"},
					Ref: &Measure{Bench: "BenchmarkBuild/n=100000,m=1000000/gonum", Unit: "bytes/edge"}, Invert: true,
					RefLabel: "gonum", RatioLabel: "gonum / depgraph", Target: None("issue 3 asks for bytes per edge")},
			},
			Scalings: []Scaling{
				{Label: "Waves (depgraph)", Pattern: `^BenchmarkWaves/n=\d+,m=(\d+)/depgraph$`, SizeName: "edges"},
				{Label: "Waves (depgraph, string keys)", Pattern: `^BenchmarkWaves/n=\d+,m=(\d+)/depgraph-string-keys$`, SizeName: "edges"},
				{Label: "bare Kahn's on flat arrays (reference)", Pattern: `^BenchmarkWaves/n=\d+,m=(\d+)/kahn-flat$`, SizeName: "edges"},
				{Label: "bare Kahn's on [][]int32", Pattern: `^BenchmarkWaves/n=\d+,m=(\d+)/kahn-int32$`, SizeName: "edges"},
				{Label: "gonum topo.Sort (reference)", Pattern: `^BenchmarkWaves/n=\d+,m=(\d+)/gonum-topo-sort$`, SizeName: "edges"},
				{Label: "Dependents from the hub node", Pattern: `^BenchmarkDependentsHub/n=\d+,m=(\d+)/depgraph$`, SizeName: "edges"},
				{Label: "Build (AddNode, AddDependency, adjacency)", Pattern: `^BenchmarkBuild/n=\d+,m=(\d+)/depgraph$`, SizeName: "edges"},
			},
			Notes: "Random DAGs from a fixed seed: 10,000 nodes / 40,000 edges, 100,000 / 400,000 and 100,000 / 1,000,000. " +
				"Hub dependents grow with the graph's density, not only its size. A quick run leaves out gonum's graph build, so it has no bytes-per-edge comparison. Write-up: [docs/bench/depgraph.md](bench/depgraph.md).",
		},
		{
			ID: "depgraph", Title: "depgraph: 1,000 services", Issue: "issue 3",
			Module: ModuleRoot, Package: "./depgraph",
			Full:  Settings{Bench: `.`, BenchTime: "200x"},
			Quick: Settings{BenchTime: "20x"},
			Notes: "1,000 services with up to 4 dependencies each; no targets (the issue's targets are on the large graphs above).",
		},
		{
			ID: "calendar-conflicts", Title: "calendar: all conflicts among bookings, against a bare sort-and-sweep and pairwise comparison", Issue: "issue 4",
			Module: ModuleRoot, Package: "./calendar",
			Full:  Settings{Bench: `^(BenchmarkAllConflicts|BenchmarkAllConflictsRatio)$`, BenchTime: "1s", Timeout: 20 * time.Minute},
			Quick: Settings{BenchTime: quickTime},
			Comparisons: []Comparison{
				{Label: "AllConflicts vs bare sort-and-sweep, 100,000 bookings (separate sub-benchmarks)",
					Op: Measure{Bench: "BenchmarkAllConflicts/AllConflicts/n=100000"}, Ref: ref("BenchmarkAllConflicts/BareSweep/n=100000"),
					RefLabel: "bare sort-and-sweep", RatioLabel: "AllConflicts / bare", Target: AtMostTarget(1.5, "AllConflicts within 1.5x of bare sort-and-sweep")},
				{Label: "AllConflicts vs bare sort-and-sweep, 100,000 bookings (interleaved in one loop)",
					Op:       Measure{Bench: "BenchmarkAllConflictsRatio/vs-bare/n=100000", Unit: "x-bare"},
					RefLabel: "bare sort-and-sweep, same loop", RatioLabel: "AllConflicts / bare", Target: AtMostTarget(1.5, "AllConflicts within 1.5x of bare sort-and-sweep")},
				{Label: "pairwise comparison vs AllConflicts, 10,000 bookings (separate sub-benchmarks)",
					Op: Measure{Bench: "BenchmarkAllConflicts/AllConflicts/n=10000"}, Ref: ref("BenchmarkAllConflicts/Pairwise/n=10000"), Invert: true,
					RefLabel: "pairwise comparison", RatioLabel: "pairwise / AllConflicts", Target: AtLeastTarget(100, "pairwise >= 100x slower at 10,000")},
				{Label: "pairwise comparison vs AllConflicts, 10,000 bookings (interleaved in one loop)",
					Op:       Measure{Bench: "BenchmarkAllConflictsRatio/vs-pairwise/n=10000", Unit: "pairwise-speedup"},
					RefLabel: "pairwise comparison, same loop", RatioLabel: "pairwise / AllConflicts", Target: AtLeastTarget(100, "pairwise >= 100x slower at 10,000")},
			},
			Scalings: []Scaling{
				{Label: "AllConflicts", Pattern: `^BenchmarkAllConflicts/AllConflicts/n=(\d+)$`, SizeName: "bookings"},
				{Label: "bare sort-and-sweep (reference)", Pattern: `^BenchmarkAllConflicts/BareSweep/n=(\d+)$`, SizeName: "bookings"},
				{Label: "pairwise comparison (reference; 1,000 and 10,000 only)", Pattern: `^BenchmarkAllConflicts/Pairwise/n=(\d+)$`, SizeName: "bookings"},
			},
			Notes: "The interleaved figures time the operation and its reference in turn inside one loop, so load from other processes hits both alike: " +
				"they are the ones to quote on a shared machine. Write-ups: [docs/bench/calendar-booking.md](bench/calendar-booking.md), " +
				"[docs/bench/calendar-index.md](bench/calendar-index.md).",
		},
		{
			ID: "calendar-check", Title: "calendar: Check against 200 rules and a growing number of bookings", Issue: "issue 4",
			Module: ModuleRoot, Package: "./calendar",
			Full:  Settings{Bench: `^BenchmarkCheck$`, BenchTime: "1s"},
			Quick: Settings{BenchTime: quickTime},
			Scalings: []Scaling{{Label: "Check, 200 rules", Pattern: `^BenchmarkCheck/rules=200/bookings=(\d+)$`, SizeName: "bookings",
				MaxExponent: 0.5, TargetText: "logarithmic in the bookings, not linear: growth exponent <= 0.5 (linear is 1)"}},
			Notes: "The booking counts are those the rules admit out of 1,000, 10,000 and 100,000 generated.",
		},
		{
			ID: "calendar-index", Title: "calendar: booking in random order, and Check beside one 300-day booking", Issue: "issue 14",
			Module: ModuleRoot, Package: "./calendar",
			Full:  Settings{Bench: `^(BenchmarkBookOrder|BenchmarkBookOrderRatio|BenchmarkCheckLongBooking)$`, BenchTime: "10x", Timeout: 20 * time.Minute},
			Quick: Settings{BenchTime: "1x"},
			Comparisons: []Comparison{
				{Label: "Book 100,000 bookings in random order vs in order of start",
					Op: Measure{Bench: "BenchmarkBookOrder/random/bookings=100000"}, Ref: ref("BenchmarkBookOrder/in-order/bookings=100000"),
					RefLabel: "in order of start", RatioLabel: "random / in order", Target: AtMostTarget(1.5, "random order within 1.5x of in order (issue 14 measured 2–2.5x)")},
				{Label: "Book 100,000 bookings in random order vs in order of start (interleaved in one loop)",
					Op:       Measure{Bench: "BenchmarkBookOrderRatio", Unit: "x-in-order"},
					RefLabel: "in order of start, same loop", RatioLabel: "random / in order", Target: AtMostTarget(1.5, "random order within 1.5x of in order (issue 14 measured 2–2.5x)")},
				{Label: "Check with one 300-day booking in the environment vs without, 20,000 one-hour bookings",
					Op: Measure{Bench: "BenchmarkCheckLongBooking/with-300-day-booking"}, Ref: ref("BenchmarkCheckLongBooking/without"),
					RefLabel: "without the long booking", RatioLabel: "with / without", Target: AtMostTarget(1.2, "one long booking costs Check at most 1.2x (issue 14 measured 1.7x)")},
				{Label: "Check with one 300-day booking in the environment vs without (interleaved in one loop)",
					Op:       Measure{Bench: "BenchmarkCheckLongBooking/interleaved", Unit: "x-without"},
					RefLabel: "without the long booking, same loop", RatioLabel: "with / without", Target: AtMostTarget(1.2, "one long booking costs Check at most 1.2x (issue 14 measured 1.7x)")},
			},
			Scalings: []Scaling{
				{Label: "Book, random order", Pattern: `^BenchmarkBookOrder/random/bookings=(\d+)$`, SizeName: "bookings",
					MaxExponent: 1.2, TargetText: "near-linear: growth exponent <= 1.2 (issue 14 measured 1.5)"},
				{Label: "Book, random order, CPU time", Pattern: `^BenchmarkBookOrder/random/bookings=(\d+)$`, SizeName: "bookings", Unit: "cpu-ns/op",
					MaxExponent: 1.2, TargetText: "near-linear: growth exponent <= 1.2 (issue 14 measured 1.5)"},
				{Label: "Book, in order of start", Pattern: `^BenchmarkBookOrder/in-order/bookings=(\d+)$`, SizeName: "bookings"},
				{Label: "Book, random order, strings allocated in booking order (variant)", Pattern: `^BenchmarkBookOrder/random-strings-in-order/bookings=(\d+)$`, SizeName: "bookings"},
				{Label: "Book, random order, strings allocated in booking order (variant), CPU time", Pattern: `^BenchmarkBookOrder/random-strings-in-order/bookings=(\d+)$`, SizeName: "bookings", Unit: "cpu-ns/op"},
			},
			Notes: "One-hour bookings over 2026 in 5 environments, each changing its own service, booked into an empty calendar with Book (Check included). " +
				"The variant random-strings-in-order books the same bookings in the same order with their strings allocated in booking order (no target: it shows how much of the growth is the input's scattered strings). " +
				"Each environment's bookings are kept by length class in chunked sorted runs of pointer-free entries (calendar/booking_index.go). A CheckLongBooking op is 16 x 1,024 Checks. " +
				"cpu-ns/op is the process's CPU time per op (user and system, every thread): on a shared machine the wall clock also counts waiting for a core. " +
				"Write-up: [docs/bench/calendar-index.md](bench/calendar-index.md).",
		},
		{
			ID: "calendar-slots", Title: "calendar: NextSlot and Schedule", Issue: "issue 4",
			Module: ModuleRoot, Package: "./calendar",
			Full:  Settings{Bench: `^(BenchmarkNextSlot|BenchmarkSchedule|BenchmarkScheduleSizes|BenchmarkScheduleSharedStart)$`, BenchTime: "1s", Timeout: 20 * time.Minute},
			Quick: Settings{BenchTime: quickTime},
			Scalings: []Scaling{
				{Label: "Schedule, 50 environments, 1,000 rules", Pattern: `^BenchmarkScheduleSizes/requests=(\d+)$`, SizeName: "requests"},
				{Label: "Schedule, requests sharing one earliest start, 4 environments, capacity 2", Pattern: `^BenchmarkScheduleSharedStart/requests=(\d+)$`, SizeName: "requests",
					MaxExponent: 1.2, TargetText: "near-linear: growth exponent <= 1.2 over 1k/2k/4k/8k (issue 14 measured 2.0)"},
				{Label: "Schedule, requests sharing one earliest start, CPU time", Pattern: `^BenchmarkScheduleSharedStart/requests=(\d+)$`, SizeName: "requests", Unit: "cpu-ns/op",
					MaxExponent: 1.2, TargetText: "near-linear: growth exponent <= 1.2 over 1k/2k/4k/8k (issue 14 measured 2.0)"},
			},
			Notes: "NextSlot over a one-year horizon with 1,000 rules (warm: rule expansions cached; cold: a new calendar each time). " +
				"Schedule of 5,000 requests across 50 environments; BenchmarkScheduleSizes (calendar/bench_scaling_test.go) adds the sizes for the scaling table. " +
				"BenchmarkScheduleSharedStart: 1,000 to 8,000 requests with one earliest start, each waiting behind the ones placed before it.",
		},
		{
			ID: "calendar-rules", Title: "calendar: rule expansion, the DST resolver and iCalendar", Issue: "issue 4",
			Module: ModuleRoot, Package: "./calendar",
			Full:  Settings{Bench: `^(BenchmarkOccurrencesWeeklyYear|BenchmarkOccurrences1000RulesYear|BenchmarkResolve|BenchmarkWriteICS200Rules|BenchmarkReadICS200Rules)$`, BenchTime: "1s"},
			Quick: Settings{BenchTime: quickTime},
			Notes: "No targets. Write-up: [docs/bench/calendar-rules.md](bench/calendar-rules.md).",
		},
		{
			ID: "report-needs", Title: "release: Engine.Report with dependencies between releases", Issue: "issue 14",
			Module: ModuleBench, Package: ".",
			Full:  Settings{Bench: `^BenchmarkReportNeeds$`, BenchTime: "5x", Timeout: 20 * time.Minute},
			Quick: Settings{BenchTime: "1x"},
			Scalings: []Scaling{
				{Label: "Report, every release needing another by a semver constraint", Pattern: `^BenchmarkReportNeeds/releases=(\d+)$`, SizeName: "releases",
					MaxExponent: 1.2, TargetText: "near-linear: growth exponent <= 1.2 (issue 14 measured 1.35)"},
				{Label: "Report, CPU time", Pattern: `^BenchmarkReportNeeds/releases=(\d+)$`, SizeName: "releases", Unit: "cpu-ns/op",
					MaxExponent: 1.2, TargetText: "near-linear: growth exponent <= 1.2 (issue 14 measured 1.35)"},
			},
			Notes: "Releases of one period on adapters/memory, four versions per service, each needing the next service by one of four constraints. " +
				"Each constraint and version is parsed once per report, and a need looks only at releases of its name (bench/report_needs_test.go).",
		},
		{
			ID: "gate", Title: "gate: concurrent evaluation", Issue: "issue 5",
			Module: ModuleRoot, Package: "./gate",
			Full:  Settings{Bench: `.`, BenchTime: "40x"},
			Quick: Settings{BenchTime: "5x"},
			Comparisons: []Comparison{{
				Label: "100 gates that each take 50 ms, parallelism 100",
				Op:    Measure{Bench: "BenchmarkEvaluate100Gates50ms"}, RefConst: float64(50 * time.Millisecond), RefLabel: "50 ms (one gate)",
				RatioLabel: "time / 50 ms", Target: AtMostTarget(1.2, "100 gates x 50ms within 1.2x of 50ms"),
			}},
			Scalings: []Scaling{{Label: "Evaluate overhead (gates that return at once, parallelism 8)", Pattern: `^BenchmarkEvaluateSizes/gates=(\d+)$`, SizeName: "gates"}},
			Notes:    "BenchmarkEvaluateSizes (gate/bench_scaling_test.go) adds the sizes for the scaling table. Write-up: [docs/bench/gate-risk.md](bench/gate-risk.md).",
		},
		{
			ID: "risk", Title: "risk: one assessment and DORA metrics", Issue: "issue 5",
			Module: ModuleRoot, Package: "./risk",
			Full:     Settings{Bench: `.`, BenchTime: "1s"},
			Quick:    Settings{BenchTime: quickTime},
			Scalings: []Scaling{{Label: "DORA metrics", Pattern: `^BenchmarkDORASizes/deployments=(\d+)$`, SizeName: "deployments"}},
			Notes:    "The issue asks for the cost of one Assess; no target. BenchmarkDORASizes (risk/bench_scaling_test.go) adds the sizes for the scaling table.",
		},
		{
			ID: "rollback", Title: "rollback: plans, runbooks and execution", Issue: "issue 6",
			Module: ModuleRoot, Package: "./rollback",
			Full:  Settings{Bench: `.`, BenchTime: "20x"},
			Quick: Settings{BenchTime: quickTime},
			Scalings: []Scaling{
				{Label: "Plan", Pattern: `^BenchmarkPlan/components=(\d+)$`, SizeName: "components"},
				{Label: "Plan, a tenth of the components failed", Pattern: `^BenchmarkPlanFailedTenth/components=(\d+)$`, SizeName: "components",
					MaxExponent: 1.2, TargetText: "near-linear: growth exponent <= 1.2 (issue 14 measured 1.53)"},
				{Label: "Plan, a tenth of the components failed, CPU time", Pattern: `^BenchmarkPlanFailedTenth/components=(\d+)$`, SizeName: "components", Unit: "cpu-ns/op",
					MaxExponent: 1.2, TargetText: "near-linear: growth exponent <= 1.2 (issue 14 measured 1.53)"},
			},
			Notes: "Issue 6 asks for a plan over 10,000 components, with no target; issue 14 asks that a plan with many failed components stay near-linear. " +
				"Write-up: [docs/bench/rollback.md](bench/rollback.md).",
		},
		{
			ID: "bolt", Title: "adapters/bolt: transitions per second, engine vs bbolt's DB.Batch and Update writing the same rows", Issue: "issues 7 and 14",
			Module: ModuleRoot, Package: "./adapters/bolt",
			Full:  Settings{Bench: `^(BenchmarkTransitions|BenchmarkTransitionsHistory|BenchmarkList)$`, BenchTime: "2s"},
			Quick: Settings{BenchTime: "200ms"},
			Comparisons: []Comparison{
				{Label: "16 writers, real fsync: engine vs bbolt DB.Batch (MaxBatchSize 16, MaxBatchDelay 1 ms), same rows",
					Op:       Measure{Bench: "BenchmarkTransitions/writers=16/sync/engine", Unit: "transitions/s"},
					Ref:      &Measure{Bench: "BenchmarkTransitions/writers=16/sync/batch", Unit: "transitions/s"},
					RefLabel: "bbolt DB.Batch", RatioLabel: "engine / Batch", Target: AtLeastTarget(0.7, "engine >= 0.7 of DB.Batch with the same rows (issue 14)")},
				{Label: "1 writer, real fsync: engine vs one bbolt Update per transition, same rows",
					Op:       Measure{Bench: "BenchmarkTransitions/writers=1/sync/engine", Unit: "transitions/s"},
					Ref:      &Measure{Bench: "BenchmarkTransitions/writers=1/sync/update", Unit: "transitions/s"},
					RefLabel: "bbolt Update", RatioLabel: "engine / Update", Target: AtLeastTarget(0.7, "engine >= 0.7 of a same-rows Update (issue 14)")},
				{Label: "16 writers, NoSync (unsafe, tests only): engine vs one bbolt Update per transition, same rows",
					Op:       Measure{Bench: "BenchmarkTransitions/writers=16/nosync/engine", Unit: "transitions/s"},
					Ref:      &Measure{Bench: "BenchmarkTransitions/writers=16/nosync/update", Unit: "transitions/s"},
					RefLabel: "bbolt Update", RatioLabel: "engine / Update", Target: AtLeastTarget(0.7, "engine >= 0.7 of raw bbolt (issue 7)")},
				{Label: "16 writers, real fsync: engine vs one bbolt Update per transition (unbatched), same rows",
					Op:       Measure{Bench: "BenchmarkTransitions/writers=16/sync/engine", Unit: "transitions/s"},
					Ref:      &Measure{Bench: "BenchmarkTransitions/writers=16/sync/update", Unit: "transitions/s"},
					RefLabel: "bbolt Update", RatioLabel: "engine / Update", Target: None("the weak reference: an unbatched loop cannot share fsyncs; the DB.Batch row is the one to quote")},
				{Label: "16 writers, NoSync (unsafe, tests only): engine vs bbolt DB.Batch, same rows",
					Op:       Measure{Bench: "BenchmarkTransitions/writers=16/nosync/engine", Unit: "transitions/s"},
					Ref:      &Measure{Bench: "BenchmarkTransitions/writers=16/nosync/batch", Unit: "transitions/s"},
					RefLabel: "bbolt DB.Batch", RatioLabel: "engine / Batch", Target: None("for comparison: without fsync the engine's CPU work per transition decides")},
			},
			Scalings: []Scaling{
				{Label: "long histories: one transition, 1 writer, NoSync", Pattern: `^BenchmarkTransitionsHistory/entries=(\d+)$`, SizeName: "history entries",
					MaxExponent: 0.2, TargetText: "flat in history length: growth exponent <= 0.2 (counting the history's keys on every append was linear)"},
				{Label: "long histories: one transition, 1 writer, NoSync, CPU time", Pattern: `^BenchmarkTransitionsHistory/entries=(\d+)$`, SizeName: "history entries", Unit: "cpu-ns/op",
					MaxExponent: 0.2, TargetText: "flat in history length: growth exponent <= 0.2 (counting the history's keys on every append was linear)"},
			},
			Notes: "Same rows, keys and data set: the references write the store's own rows under its own keys (a 551-byte release row, a 610-byte entry in the release's nested history bucket, the state key moved in the list index, a 1,281-byte outbox row under its 38-byte key and its 50-byte due key) into a pool of planned releases like the engine's, each writer taking a fresh one every 20 transitions. " +
				"BenchmarkTransitionsHistory (the long-history variant) fires on releases whose histories already hold 100, 1,000 or 10,000 entries (each takes as many more), one writer without fsync so that the CPU cost per transition shows; cpu-ns/op is the process's CPU time per transition. " +
				"The sub-benchmarks of one run alternate under -count, so load hits them alike. " +
				"With real fsync the store commits concurrent writers together (group commit); with NoSync the engine's CPU work decides. " +
				"Write-up: [docs/bench/bolt.md](bench/bolt.md).",
		},
		{
			ID: "stores-scaling", Title: "adapters/memory: Book and Fire(schedule) as stored bookings grow", Issue: "issue 14",
			Module: ModuleRoot, Package: "./adapters/memory",
			Full:  Settings{Bench: `^(BenchmarkBook|BenchmarkScheduleFire)$`, BenchTime: "1s"},
			Quick: Settings{BenchTime: quickTime},
			Scalings: []Scaling{
				{Label: "BookWithin + Unbook, one environment", Pattern: `^BenchmarkBook/bookings=(\d+)$`, SizeName: "stored bookings",
					MaxExponent: 0.2, TargetText: "flat in the stored bookings: growth exponent <= 0.2 (the scan of every booking was linear, 1)"},
				{Label: "Fire(schedule) + Fire(unschedule), earliest slot, capacity 4", Pattern: `^BenchmarkScheduleFire/bookings=(\d+)$`, SizeName: "stored bookings",
					MaxExponent: 0.2, TargetText: "flat per call as stored bookings grow: growth exponent <= 0.2 (reading the whole horizon was linear, 1)"},
			},
			Notes: "Stored bookings: n, one hour each, all in one environment, at random hours of the n hours after the clock's now: " +
				"as busy near now at every size, so the figures show what grows with the bookings stored, not with a busier week. " +
				"Write-up: [docs/bench/stores.md](bench/stores.md).",
		},
		listsGroup("lists-memory", "adapters/memory", ModuleRoot, "./adapters/memory"),
		listsGroup("lists-bolt", "adapters/bolt", ModuleRoot, "./adapters/bolt"),
		listsGroup("lists-postgres", "adapters/postgres", ModulePostgres, "."),
		{
			ID: "postgres-interleaved", Title: "adapters/postgres: engine vs raw pgx, 16 writers, interleaved rounds", Issue: "issue 7",
			Module: ModulePostgres, Package: ".", NeedsPostgres: true,
			Full:  Settings{Bench: `^BenchmarkTransitionsInterleaved$`, BenchTime: "30x", Timeout: 20 * time.Minute},
			Quick: Settings{BenchTime: "3x"},
			Comparisons: []Comparison{
				{Label: "engine vs raw pgx (UPDATE and INSERTs in one transaction), same rounds",
					Op:       Measure{Bench: "BenchmarkTransitionsInterleaved", Unit: "engine/raw_tx"},
					RefLabel: "raw pgx transaction", RatioLabel: "engine / raw", Target: AtLeastTarget(0.7, "engine >= 0.7 of raw pgx")},
				{Label: "engine vs raw pgx reading the row then the one statement, same rounds",
					Op:       Measure{Bench: "BenchmarkTransitionsInterleaved", Unit: "engine/raw_read_cte"},
					RefLabel: "raw pgx read + statement", RatioLabel: "engine / raw", Target: None("the read-decide-write floor, for comparison")},
				{Label: "engine vs raw pgx single statement without a read, same rounds",
					Op:       Measure{Bench: "BenchmarkTransitionsInterleaved", Unit: "engine/raw_cte"},
					RefLabel: "raw pgx statement", RatioLabel: "engine / raw", Target: None("the database's floor, for comparison")},
			},
			Notes: "Rounds of 16 writers x 20 transitions alternate between the variants inside one benchmark, so load hits them alike: the figure to quote. " +
				"Needs RELEASEKIT_POSTGRES_DSN (`make bench` starts a throwaway cluster). Write-up: [docs/bench/postgres.md](bench/postgres.md).",
		},
		{
			ID: "postgres-parallel", Title: "adapters/postgres: engine vs raw pgx, 16 writers, one variant after the other", Issue: "issue 7",
			Module: ModulePostgres, Package: ".", NeedsPostgres: true,
			Full:  Settings{Bench: `^BenchmarkTransitions$`, BenchTime: "3000x", Timeout: 20 * time.Minute},
			Quick: Settings{BenchTime: "300x"},
			Comparisons: []Comparison{
				{Label: "engine vs raw pgx transaction (b.RunParallel, sub-benchmarks in turn)",
					Op: Measure{Bench: "BenchmarkTransitions/engine", Unit: "transitions/s"}, Ref: &Measure{Bench: "BenchmarkTransitions/raw_pgx_tx", Unit: "transitions/s"},
					RefLabel: "raw pgx transaction", RatioLabel: "engine / raw", Target: AtLeastTarget(0.7, "engine >= 0.7 of raw pgx")},
			},
			Notes: "The sub-benchmarks run one after the other for seconds each, so drifting load skews this ratio; prefer the interleaved group.",
		},
		{
			ID: "evidence", Title: "release: an approve judging 100 recorded approvals and 100 checks vs the same evidence from the host", Issue: "issue 12",
			Module: ModuleRoot, Package: "./release",
			Full:  Settings{Bench: `^BenchmarkApproveEvidence$`, BenchTime: "200x"},
			Quick: Settings{BenchTime: "20x"},
			Comparisons: []Comparison{{
				Label: "approve reading the evidence from the history vs from GateConfig.Evidence",
				Op:    Measure{Bench: "BenchmarkApproveEvidence/recorded"}, Ref: ref("BenchmarkApproveEvidence/host"), RefLabel: "host-supplied evidence",
				RatioLabel: "recorded / host", Target: AtMostTarget(2, "gates reading stored evidence within 2x of host-supplied evidence"),
			}},
			Notes: "Memory store; each iteration approves a fresh release whose 206-entry history (create, plan, schedule, 100 approvals, 100 checks) is written with the timer stopped. " +
				"The recorded variant reads and folds the history; the host variant gets the same facts from a function Write-up: [docs/bench/evidence.md](bench/evidence.md).",
		},
		{
			ID: "lockdown-start", Title: "release: a start as the lockdown history grows (memory)", Issue: "issue 15",
			Module: ModuleRoot, Package: "./release",
			Full:  Settings{Bench: `^BenchmarkStartLockdownHistory$`, BenchTime: "400x"},
			Quick: Settings{BenchTime: "40x"},
			Scalings: []Scaling{{Label: "Fire(start) with 100 and 1000 lockdown history entries", Pattern: `^BenchmarkStartLockdownHistory/entries=(\d+)$`, SizeName: "history entries",
				MaxExponent: 0.2, TargetText: "flat in the lockdown history: growth exponent <= 0.2 (reading and verifying the whole history per start was linear, 1.2)"}},
			Notes: "Memory store; 0, 100 and 1000 entries (lockdowns declared and lifted); the engine's first start, which verifies the whole history, runs before the timer. " +
				"A start reads the entries from the last one its engine verified. Write-up: [docs/bench/lockdown.md](bench/lockdown.md).",
		},
		{
			ID: "record", Title: "release: Engine.Record beside Engine.Fire on bolt (fsync) and memory, 1 and 16 writers", Issue: "issue 12",
			Module: ModuleRoot, Package: "./adapters/bolt",
			Full:  Settings{Bench: `^BenchmarkRecord$`, BenchTime: "2s"},
			Quick: Settings{BenchTime: "200ms"},
			Comparisons: []Comparison{
				{Label: "Record vs Fire, bolt, 1 writer", Op: Measure{Bench: "BenchmarkRecord/bolt/record/writers=1", Unit: "ops/s"},
					Ref: &Measure{Bench: "BenchmarkRecord/bolt/fire/writers=1", Unit: "ops/s"}, RefLabel: "Fire (schedule/unschedule)",
					RatioLabel: "record / fire", Target: None("issue 12 asks for Record beside Fire in the same run")},
				{Label: "Record vs Fire, bolt, 16 writers", Op: Measure{Bench: "BenchmarkRecord/bolt/record/writers=16", Unit: "ops/s"},
					Ref: &Measure{Bench: "BenchmarkRecord/bolt/fire/writers=16", Unit: "ops/s"}, RefLabel: "Fire (schedule/unschedule)",
					RatioLabel: "record / fire", Target: None("issue 12 asks for Record beside Fire in the same run")},
				{Label: "Record vs Fire, memory, 1 writer", Op: Measure{Bench: "BenchmarkRecord/memory/record/writers=1", Unit: "ops/s"},
					Ref: &Measure{Bench: "BenchmarkRecord/memory/fire/writers=1", Unit: "ops/s"}, RefLabel: "Fire (schedule/unschedule)",
					RatioLabel: "record / fire", Target: None("issue 12 asks for Record beside Fire in the same run")},
				{Label: "Record vs Fire, memory, 16 writers", Op: Measure{Bench: "BenchmarkRecord/memory/record/writers=16", Unit: "ops/s"},
					Ref: &Measure{Bench: "BenchmarkRecord/memory/fire/writers=16", Unit: "ops/s"}, RefLabel: "Fire (schedule/unschedule)",
					RatioLabel: "record / fire", Target: None("issue 12 asks for Record beside Fire in the same run")},
			},
			Notes: "storetest.BenchmarkRecord: each writer on its own release; record is one check result, fire a schedule or unschedule. bolt with real fsync (group commit) Write-up: [docs/bench/evidence.md](bench/evidence.md).",
		},
		{
			ID: "record-postgres", Title: "adapters/postgres: Engine.Record beside Engine.Fire, 1 and 16 writers", Issue: "issue 12",
			Module: ModulePostgres, Package: ".", NeedsPostgres: true,
			Full:  Settings{Bench: `^BenchmarkRecord$`, BenchTime: "2000x", Timeout: 20 * time.Minute},
			Quick: Settings{BenchTime: "200x"},
			Comparisons: []Comparison{
				{Label: "Record vs Fire, 1 writer", Op: Measure{Bench: "BenchmarkRecord/record/writers=1", Unit: "ops/s"},
					Ref: &Measure{Bench: "BenchmarkRecord/fire/writers=1", Unit: "ops/s"}, RefLabel: "Fire (schedule/unschedule)",
					RatioLabel: "record / fire", Target: None("issue 12 asks for Record beside Fire in the same run")},
				{Label: "Record vs Fire, 16 writers", Op: Measure{Bench: "BenchmarkRecord/record/writers=16", Unit: "ops/s"},
					Ref: &Measure{Bench: "BenchmarkRecord/fire/writers=16", Unit: "ops/s"}, RefLabel: "Fire (schedule/unschedule)",
					RatioLabel: "record / fire", Target: None("issue 12 asks for Record beside Fire in the same run")},
			},
			Notes: "storetest.BenchmarkRecord over a pool of 16 connections. Needs RELEASEKIT_POSTGRES_DSN Write-up: [docs/bench/evidence.md](bench/evidence.md).",
		},
		{
			ID: "analysis", Title: "analysis: the runner's overhead per measurement, and resuming from recorded measurements", Issue: "issue 17",
			Module: ModuleRoot, Package: "./analysis",
			Full:  Settings{Bench: `^(BenchmarkMeasurement|BenchmarkMeasurementInterleaved|BenchmarkResume)$`, BenchTime: "200x"},
			Quick: Settings{BenchTime: "20x"},
			Comparisons: []Comparison{
				{Label: "runner vs the bare query, Vector.Value and criterion check, per measurement (separate sub-benchmarks)",
					Op: Measure{Bench: "BenchmarkMeasurement/runner", Unit: "ns/measurement"}, Ref: &Measure{Bench: "BenchmarkMeasurement/bare", Unit: "ns/measurement"},
					RefLabel: "bare query and check", RatioLabel: "runner / bare", Target: None("issue 17 asks for the overhead per measurement")},
				{Label: "runner vs the bare query and check, per measurement (interleaved in one loop)",
					Op:       Measure{Bench: "BenchmarkMeasurementInterleaved", Unit: "x-bare"},
					RefLabel: "bare query and check, same loop", RatioLabel: "runner / bare", Target: None("issue 17 asks for the overhead per measurement")},
			},
			Notes: "One run of 1,000 measurements (interval 1ns, so it never sleeps) on a provider that answers at once, per measurement: scheduling, judging, the reason text, the result. " +
				"recorded adds a Recorder, baseline a second query and a relative criterion. Resume: Evaluate re-judging 1,000 recorded measurements. " +
				"1,000 concurrent analyses with bounded queries and no leaked goroutine are a test (TestThousandConcurrentAnalyses), not a benchmark. Write-up: [docs/bench/analysis.md](bench/analysis.md).",
		},
		{
			ID: "strategy", Title: "strategy: the driver's overhead per step", Issue: "issue 17",
			Module: ModuleRoot, Package: "./strategy",
			Full:  Settings{Bench: `^BenchmarkStep$`, BenchTime: "200x"},
			Quick: Settings{BenchTime: "20x"},
			Notes: "A canary of 100 steps on a host and recorder that return at once, per step: weight steps only; every other step a one-measurement analysis; " +
				"and a run that finds all 100 steps recorded (resume). No targets. Write-up: [docs/bench/analysis.md](bench/analysis.md).",
		},
		{
			ID: "rollout", Title: "release: the engine's overhead per measurement and per step of a rollout (Engine.Rollout)", Issue: "issue 17",
			Module: ModuleRoot, Package: "./release",
			Full:  Settings{Bench: `^BenchmarkRollout$`, BenchTime: "20x"},
			Quick: Settings{BenchTime: "3x"},
			Comparisons: []Comparison{
				{Label: "Engine.Rollout vs the bare strategy driver, per measurement (interleaved in one loop)",
					Op:       Measure{Bench: "BenchmarkRollout/measurement", Unit: "x-driver"},
					RefLabel: "driver with a recorder that returns at once", RatioLabel: "engine / driver", Target: None("issue 17 asks for the overhead per measurement")},
				{Label: "Engine.Rollout vs the driver plus one bare Engine.Record per measurement (interleaved)",
					Op:       Measure{Bench: "BenchmarkRollout/measurement", Unit: "x-driver+records"},
					RefLabel: "driver + Engine.Record", RatioLabel: "engine / (driver + records)", Target: None("issue 17 asks for the overhead per measurement")},
				{Label: "Engine.Rollout vs the bare strategy driver, per step (interleaved in one loop)",
					Op:       Measure{Bench: "BenchmarkRollout/step", Unit: "x-driver"},
					RefLabel: "driver with a recorder that returns at once", RatioLabel: "engine / driver", Target: None("issue 17 asks for the overhead per step")},
				{Label: "Engine.Rollout vs the driver plus two bare Engine.Record per step (interleaved)",
					Op:       Measure{Bench: "BenchmarkRollout/step", Unit: "x-driver+records"},
					RefLabel: "driver + Engine.Record", RatioLabel: "engine / (driver + records)", Target: None("issue 17 asks for the overhead per step")},
			},
			Notes: "On adapters/memory: every measurement and step is an evidence entry (idempotency key, hash chain, compare-and-swap). " +
				"measurement: one analysis step of 200 measurements; step: a canary of 100 weight steps (two entries each: started, completed). " +
				"Each iteration rolls a fresh release from deploying to verified, then runs the same driver with a no-op recorder, then as many bare Engine.Record calls as the rollout wrote. " +
				"engine-ns, driver-ns and records-ns per measurement or step are reported beside the ratios. Write-up: [docs/bench/rollout.md](bench/rollout.md).",
		},
		{
			ID: "webhook", Title: "adapters/webhook: signing, verification and delivery", Issue: "issue 7",
			Module: ModuleRoot, Package: "./adapters/webhook",
			Full:  Settings{Bench: `.`, BenchTime: "5000x"},
			Quick: Settings{BenchTime: "500x"},
			Notes: "No targets. Write-up: [docs/bench/notifiers.md](bench/notifiers.md).",
		},
	}
}

// listsGroup is the group of BenchmarkListIndexed (storetest.BenchmarkList) on one
// store: List by name and by component at 1,000, 10,000 and 100,000 releases, which
// the index must keep flat, beside the scan of every release it replaced.
func listsGroup(id, store string, m Module, pkg string) Group {
	flat := func(label, by, unit string) Scaling {
		return Scaling{Label: label, Pattern: `^BenchmarkListIndexed/releases=(\d+)/` + by + `$`, SizeName: "stored releases", Unit: unit,
			MaxExponent: 0.2, TargetText: "flat in the stored releases: growth exponent <= 0.2 (issue 15 measured 1.0 on bolt: every row scanned)"}
	}
	notes := "Each List matches 10 releases at every size: by name, 10 releases spread over the whole ID range; by component, 10 releases created one after another. " +
		"The scan (a filter on version, which no index serves) reads every release, as every List did before the indexes. " +
		"Write-up: [docs/bench/lists.md](bench/lists.md)."
	g := Group{
		ID: id, Title: store + ": List by name and by component as stored releases grow", Issue: "issue 15",
		Module: m, Package: pkg,
		Full:  Settings{Bench: `^BenchmarkListIndexed$`, BenchTime: "1s", Timeout: 30 * time.Minute},
		Quick: Settings{BenchTime: quickTime},
		Scalings: []Scaling{
			flat("List by name", "name", ""),
			flat("List by component", "component", ""),
			{Label: "List scanning every release (reference: no index serves the filter)", Pattern: `^BenchmarkListIndexed/releases=(\d+)/scan$`, SizeName: "stored releases"},
		},
		Notes: notes,
	}
	if m != ModulePostgres { // the server's CPU time is not the client's
		g.Scalings = append(g.Scalings,
			flat("List by name, CPU time", "name", "cpu-ns/op"),
			flat("List by component, CPU time", "component", "cpu-ns/op"))
	}
	if m == ModulePostgres {
		g.NeedsPostgres = true
		g.Notes = "The releases table is analyzed once after the load, as autovacuum does on a live database. Needs RELEASEKIT_POSTGRES_DSN. " + notes
	}
	return g
}
