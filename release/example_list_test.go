package release_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/releasetest"
)

// Listing a week of releases that shipped one component, a page at a time. Every
// store serves the component and the creation range from an index; results come in
// creation order, and After pages on from the last one.
func ExampleEngine_List() {
	ctx := context.Background()
	monday := time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)
	clock := releasetest.NewClock(monday.Add(-48*time.Hour), 12*time.Hour) // each release 12 hours after the last
	eng, err := release.New(memory.New(), release.WithClock(clock), release.WithPolicy(release.AllowAll()))
	if err != nil {
		log.Fatal(err)
	}
	for i, name := range []string{"checkout", "payments", "checkout", "search", "payments", "checkout", "ledger"} {
		if _, err := eng.Create(ctx, release.Spec{Name: name, Version: fmt.Sprintf("1.%d.0", i), Environment: "prod", Author: "ana",
			Components: []release.Component{{Name: name + "-api", Version: "1.0.0"}, {Name: "ledger-db", Version: "4.2.0"}}}); err != nil {
			log.Fatal(err)
		}
	}

	f := release.Filter{Component: "ledger-db", CreatedFrom: monday, CreatedTo: monday.AddDate(0, 0, 7), Limit: 2}
	for page := 1; ; page++ {
		rs, err := eng.List(ctx, f)
		if err != nil {
			fmt.Println(err)
			return
		}
		for _, r := range rs {
			fmt.Printf("page %d: %s %s, created %s\n", page, r.Name, r.Version, r.CreatedAt.Format("Mon 15:04"))
		}
		if len(rs) < f.Limit {
			break
		}
		f.After = rs[len(rs)-1].ID
	}

	_, err = eng.List(ctx, release.Filter{CreatedFrom: monday, CreatedTo: monday.Add(-time.Hour)})
	fmt.Println(errors.Is(err, release.ErrInvalid))
	// Output:
	// page 1: payments 1.4.0, created Mon 09:00
	// page 1: checkout 1.5.0, created Mon 21:00
	// page 2: ledger 1.6.0, created Tue 09:00
	// true
}
