package postgres_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/releasekit/releasekit/adapters/postgres"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/dispatch"
)

// Every replica of a release service opens the same database; the store migrates the
// schema on the first start (safely when replicas start together) and the engines
// share releases, histories, the outbox and the calendar bookings. A dispatcher in
// each replica delivers what an engine could not.
func Example() {
	ctx := context.Background()
	store, err := postgres.Open(ctx, os.Getenv("RELEASEKIT_POSTGRES_DSN"), postgres.WithSchema("releasekit"))
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()

	notifier := release.NotifierFunc(func(ctx context.Context, n release.Notification) error {
		fmt.Println("notify", n.Key(), n.Entry.Event)
		return nil
	})
	eng, err := release.New(store, release.WithNotifier(notifier))
	if err != nil {
		log.Fatal(err)
	}
	r, err := eng.Create(ctx, release.Spec{Name: "checkout", Version: "2.4.0", Environment: "prod", Author: "ana"})
	if err != nil {
		log.Fatal(err)
	}
	r, err = eng.Fire(ctx, r.ID, release.EventPlan, release.Person("bob", release.RoleReleaseManager))
	if err != nil && !release.Committed(err) {
		log.Fatal(err)
	}
	fmt.Println(r.State, r.Revision)

	d, err := dispatch.New(store, notifier, dispatch.Config{})
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	// until ctx ends
	if err := d.Run(ctx); err != nil {
		log.Fatal(err)
	}
}

// A host that already owns a pgx pool hands it to New; Close then leaves it open.
func ExampleNew() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, os.Getenv("RELEASEKIT_POSTGRES_DSN"))
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()
	store, err := postgres.New(ctx, pool, postgres.WithSchema("releasekit"))
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	fmt.Println("schema version", store.SchemaVersion())
}

// Migrations can run as a deployment step of their own; replicas then open the
// store without migrating and refuse a schema at another version.
func ExampleMigrate() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, os.Getenv("RELEASEKIT_POSTGRES_DSN"))
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()
	v, err := postgres.Migrate(ctx, pool, postgres.WithSchema("releasekit"))
	if err != nil {
		log.Fatal(err) // errors.Is(err, postgres.ErrSchemaTooNew): the code is older than the database
	}
	fmt.Println("migrated to", v)

	store, err := postgres.Open(ctx, os.Getenv("RELEASEKIT_POSTGRES_DSN"), postgres.WithSchema("releasekit"), postgres.WithoutMigrate())
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
}
