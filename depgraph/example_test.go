package depgraph_test

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/releasekit/releasekit/depgraph"
)

func Example() {
	g := depgraph.New[string]()
	_ = g.AddDependency("checkout", "payments") // payments ships before checkout
	_ = g.AddDependency("checkout", "cart")
	_ = g.AddDependency("payments", "ledger")
	_ = g.AddDependency("cart", "catalog")

	waves, err := g.Waves()
	if err != nil {
		fmt.Println(err)
		return
	}
	for i, w := range waves {
		fmt.Println("wave", i, w)
	}
	fmt.Println("blast radius of ledger:", g.Dependents("ledger"))
	// Output:
	// wave 0 [ledger catalog]
	// wave 1 [payments cart]
	// wave 2 [checkout]
	// blast radius of ledger: [checkout payments]
}

func ExampleGraph_Waves_cycle() {
	g := depgraph.New[string]()
	_ = g.AddDependency("checkout", "payments")
	_ = g.AddDependency("payments", "ledger")
	_ = g.AddDependency("ledger", "checkout")

	_, err := g.Waves()
	var cycle *depgraph.CycleError[string]
	if errors.As(err, &cycle) {
		fmt.Println(cycle.Cycle)
	}
	fmt.Println(errors.Is(err, depgraph.ErrCycle))
	fmt.Println(err)
	// Output:
	// [checkout payments ledger checkout]
	// true
	// depgraph: dependency cycle checkout -> payments -> ledger -> checkout: remove one of these dependencies so the services can be released in order
}

func ExampleGraph_Order() {
	g := depgraph.New[string]()
	_ = g.AddDependency("api", "db")
	_ = g.AddDependency("web", "api")
	order, _ := g.Order()
	fmt.Println(order)
	// Output: [db api web]
}

func ExampleGraph_Cycles() {
	g := depgraph.New[string]()
	_ = g.AddDependency("a", "b")
	_ = g.AddDependency("b", "a")
	_ = g.AddDependency("c", "d")
	_ = g.AddDependency("d", "e")
	_ = g.AddDependency("e", "c")
	_ = g.AddDependency("e", "d")
	fmt.Println(g.Cycles())
	fmt.Println(g.CyclicComponents())
	// Output:
	// [[a b a] [c d e c]]
	// [[a b] [c d e]]
}

func ExampleGraph_Dependents() {
	g := depgraph.New[string]()
	_ = g.AddDependency("checkout", "payments")
	_ = g.AddDependency("invoices", "payments")
	_ = g.AddDependency("payments", "ledger")
	fmt.Println(g.Dependents("ledger"))
	fmt.Println(g.Dependencies("checkout"))
	// Output:
	// [checkout payments invoices]
	// [payments ledger]
}

func ExampleGraph_Closure() {
	g := depgraph.New[string]()
	_ = g.AddDependency("checkout", "payments")
	_ = g.AddDependency("payments", "ledger")
	_ = g.AddDependency("search", "catalog")
	fmt.Println(g.Closure("payments", "search"))
	// Output: [payments ledger search catalog]
}

func ExampleGraph_Reduce() {
	g := depgraph.New[string]()
	_ = g.AddDependency("checkout", "payments")
	_ = g.AddDependency("payments", "ledger")
	_ = g.AddDependency("checkout", "ledger") // implied by the two above
	removed, _ := g.Reduce()
	fmt.Println(removed)
	fmt.Println(g.Edges())
	// Output:
	// [{checkout ledger}]
	// [{checkout payments} {payments ledger}]
}

func ExampleGraph_CriticalPath() {
	g := depgraph.New[string]()
	_ = g.AddDependency("checkout", "payments")
	_ = g.AddDependency("checkout", "cart")
	_ = g.AddDependency("payments", "ledger")
	minutes := map[string]time.Duration{"checkout": 10, "payments": 30, "cart": 5, "ledger": 20}
	path, total, _ := g.CriticalPath(func(k string) time.Duration { return minutes[k] * time.Minute })
	fmt.Println(path, total)
	// Output: [ledger payments checkout] 1h0m0s
}

func ExampleGraph_Unmet() {
	g := depgraph.New[string]()
	_ = g.AddRequirement("checkout", "payments", ">= 1.5.0, < 2.0.0")
	_ = g.AddRequirement("checkout", "ledger", "^3")
	prod := map[string]string{"payments": "1.4.2"}
	for _, u := range g.Unmet(prod) {
		fmt.Println(u.Kind, u.Dependency)
	}
	fmt.Println(len(g.Unmet(map[string]string{"payments": "1.5.1", "ledger": "v3.2"})))
	// Output:
	// out-of-range payments
	// missing ledger
	// 0
}

func ExampleGraph_WriteMermaid() {
	g := depgraph.New[string]()
	_ = g.AddDependency("checkout", "payments")
	_ = g.AddRequirement("payments", "ledger", ">= 2.1")
	_ = g.WriteMermaid(os.Stdout)
	// Output:
	// flowchart LR
	//     subgraph wave_0 ["wave 0"]
	//         n2_ledger["ledger"]
	//     end
	//     subgraph wave_1 ["wave 1"]
	//         n1_payments["payments"]
	//     end
	//     subgraph wave_2 ["wave 2"]
	//         n0_checkout["checkout"]
	//     end
	//     n1_payments --> n0_checkout
	//     n2_ledger -->|"#62;= 2.1"| n1_payments
}

func ExampleGraph_WriteDOT() {
	g := depgraph.New[string]()
	_ = g.AddDependency("checkout", "payments")
	_ = g.WriteDOT(os.Stdout, depgraph.WithTitle("release train"))
	// Output:
	// // Drawn by depgraph. An arrow a -> b means a is released before b.
	// digraph depgraph {
	// 	rankdir=LR;
	// 	label="release train";
	// 	labelloc=t;
	// 	node [shape=box];
	// 	subgraph cluster_wave_0 {
	// 		label="wave 0";
	// 		n1_payments [label="payments"];
	// 	}
	// 	subgraph cluster_wave_1 {
	// 		label="wave 1";
	// 		n0_checkout [label="checkout"];
	// 	}
	// 	n1_payments -> n0_checkout;
	// }
}
