package depgraph_test

import (
	"errors"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/releasekit/releasekit/depgraph"
)

func Example() {
	g := depgraph.New[string]()
	// payments ships before checkout
	if err := g.AddDependency("checkout", "payments"); err != nil {
		log.Fatal(err)
	}
	if err := g.AddDependency("checkout", "cart"); err != nil {
		log.Fatal(err)
	}
	if err := g.AddDependency("payments", "ledger"); err != nil {
		log.Fatal(err)
	}
	if err := g.AddDependency("cart", "catalog"); err != nil {
		log.Fatal(err)
	}

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
	if err := g.AddDependency("checkout", "payments"); err != nil {
		log.Fatal(err)
	}
	if err := g.AddDependency("payments", "ledger"); err != nil {
		log.Fatal(err)
	}
	if err := g.AddDependency("ledger", "checkout"); err != nil {
		log.Fatal(err)
	}

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
	if err := g.AddDependency("api", "db"); err != nil {
		log.Fatal(err)
	}
	if err := g.AddDependency("web", "api"); err != nil {
		log.Fatal(err)
	}
	order, err := g.Order()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(order)
	// Output: [db api web]
}

func ExampleGraph_Cycles() {
	g := depgraph.New[string]()
	if err := g.AddDependency("a", "b"); err != nil {
		log.Fatal(err)
	}
	if err := g.AddDependency("b", "a"); err != nil {
		log.Fatal(err)
	}
	if err := g.AddDependency("c", "d"); err != nil {
		log.Fatal(err)
	}
	if err := g.AddDependency("d", "e"); err != nil {
		log.Fatal(err)
	}
	if err := g.AddDependency("e", "c"); err != nil {
		log.Fatal(err)
	}
	if err := g.AddDependency("e", "d"); err != nil {
		log.Fatal(err)
	}
	fmt.Println(g.Cycles())
	fmt.Println(g.CyclicComponents())
	// Output:
	// [[a b a] [c d e c]]
	// [[a b] [c d e]]
}

func ExampleGraph_Dependents() {
	g := depgraph.New[string]()
	if err := g.AddDependency("checkout", "payments"); err != nil {
		log.Fatal(err)
	}
	if err := g.AddDependency("invoices", "payments"); err != nil {
		log.Fatal(err)
	}
	if err := g.AddDependency("payments", "ledger"); err != nil {
		log.Fatal(err)
	}
	fmt.Println(g.Dependents("ledger"))
	fmt.Println(g.Dependencies("checkout"))
	// Output:
	// [checkout payments invoices]
	// [payments ledger]
}

func ExampleGraph_Closure() {
	g := depgraph.New[string]()
	if err := g.AddDependency("checkout", "payments"); err != nil {
		log.Fatal(err)
	}
	if err := g.AddDependency("payments", "ledger"); err != nil {
		log.Fatal(err)
	}
	if err := g.AddDependency("search", "catalog"); err != nil {
		log.Fatal(err)
	}
	fmt.Println(g.Closure("payments", "search"))
	// Output: [payments ledger search catalog]
}

func ExampleGraph_Reduce() {
	g := depgraph.New[string]()
	if err := g.AddDependency("checkout", "payments"); err != nil {
		log.Fatal(err)
	}
	if err := g.AddDependency("payments", "ledger"); err != nil {
		log.Fatal(err)
	}
	// implied by the two above
	if err := g.AddDependency("checkout", "ledger"); err != nil {
		log.Fatal(err)
	}
	removed, err := g.Reduce()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(removed)
	fmt.Println(g.Edges())
	// Output:
	// [{checkout ledger}]
	// [{checkout payments} {payments ledger}]
}

func ExampleGraph_CriticalPath() {
	g := depgraph.New[string]()
	if err := g.AddDependency("checkout", "payments"); err != nil {
		log.Fatal(err)
	}
	if err := g.AddDependency("checkout", "cart"); err != nil {
		log.Fatal(err)
	}
	if err := g.AddDependency("payments", "ledger"); err != nil {
		log.Fatal(err)
	}
	minutes := map[string]time.Duration{"checkout": 10, "payments": 30, "cart": 5, "ledger": 20}
	path, total, err := g.CriticalPath(func(k string) time.Duration { return minutes[k] * time.Minute })
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(path, total)
	// Output: [ledger payments checkout] 1h0m0s
}

func ExampleGraph_Unmet() {
	g := depgraph.New[string]()
	if err := g.AddRequirement("checkout", "payments", ">= 1.5.0, < 2.0.0"); err != nil {
		log.Fatal(err)
	}
	if err := g.AddRequirement("checkout", "ledger", "^3"); err != nil {
		log.Fatal(err)
	}
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
	if err := g.AddDependency("checkout", "payments"); err != nil {
		log.Fatal(err)
	}
	if err := g.AddRequirement("payments", "ledger", ">= 2.1"); err != nil {
		log.Fatal(err)
	}
	if err := g.WriteMermaid(os.Stdout); err != nil {
		log.Fatal(err)
	}
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
	if err := g.AddDependency("checkout", "payments"); err != nil {
		log.Fatal(err)
	}
	if err := g.WriteDOT(os.Stdout, depgraph.WithTitle("release train")); err != nil {
		log.Fatal(err)
	}
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
