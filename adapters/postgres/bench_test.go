package postgres_test

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/adapters/postgres"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/storetest"
)

// writers is the number of concurrent writers in the transition benchmarks.
const writers = 16

// benchStore opens a store in a fresh schema with a pool of one connection per
// writer, and plans one release per writer.
func benchStore(b *testing.B) (*postgres.Store, *release.Engine, []release.Release) {
	b.Helper()
	schema := freshSchema(b)
	ctx := context.Background()
	s, err := postgres.Open(ctx, dsn(b)+poolParam(dsn(b), writers), postgres.WithSchema(schema))
	require.NoError(b, err)
	b.Cleanup(s.Close)
	e := newEngine(b, s)
	rs := make([]release.Release, writers)
	for i := range rs {
		r, err := e.Create(ctx, spec(fmt.Sprintf("svc-%d", i)))
		require.NoError(b, err)
		rs[i], err = e.Fire(ctx, r.ID, release.EventPlan, manager)
		require.NoError(b, err)
	}
	return s, e, rs
}

// rawStore is benchStore for the raw variants: the triggers of migration 0007 are
// disabled in its schema, so raw writes do only what they name.
func rawStore(b *testing.B) (*postgres.Store, []release.Release) {
	b.Helper()
	s, _, rs := benchStore(b)
	for _, q := range []string{
		"ALTER TABLE " + table(s.Schema(), "releases") + " DISABLE TRIGGER releases_list_columns",
		"ALTER TABLE " + table(s.Schema(), "history") + " DISABLE TRIGGER history_link",
	} {
		_, err := s.Pool().Exec(context.Background(), q)
		require.NoError(b, err)
	}
	return s, rs
}

// runWriters runs op from 16 goroutines (b.RunParallel with parallelism
// 16/GOMAXPROCS), each on its own release, and reports transitions per second.
func runWriters(b *testing.B, n int, op func(w int, pb *testing.PB)) {
	b.Helper()
	procs := max(1, testingProcs())
	b.SetParallelism((n + procs - 1) / procs)
	var next atomic.Int64
	start := time.Now()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		w := int(next.Add(1)-1) % n
		op(w, pb)
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "transitions/s")
}

// BenchmarkTransitions compares, in one run, transitions committed per second by 16
// concurrent writers:
//   - engine: release.Engine.Fire over the postgres Store (read, policy, hash, then
//     one compare-and-swap statement that also appends history and outbox rows);
//   - raw_pgx_tx: bare pgx doing the same writes as a transaction of separate
//     statements (BEGIN; UPDATE … WHERE revision = $n; INSERT history; INSERT outbox;
//     COMMIT) with pre-encoded payloads;
//   - raw_pgx_cte: bare pgx doing the same writes as the one statement the store uses.
//
// The raw variants do no JSON encoding, hashing or read: they are the database's
// floor for the same rows. Their schemas have the triggers of migration 0007
// disabled (rawStore), so, as before that migration, they leave the history rows'
// links to their predecessors empty and skip the foreign-key check the store's rows
// pass, and do not derive the release's list columns: a reference that does less
// than the store.
func BenchmarkTransitions(b *testing.B) {
	b.Run("engine", func(b *testing.B) {
		_, e, rs := benchStore(b)
		actor := release.Person("bench", release.RoleReleaseManager)
		runWriters(b, writers, func(w int, pb *testing.PB) {
			ctx := context.Background()
			id := rs[w].ID
			state := release.StatePlanned
			for pb.Next() {
				ev := release.EventSchedule
				if state == release.StateScheduled {
					ev = release.EventUnschedule
				}
				r, err := e.Fire(ctx, id, ev, actor)
				if err != nil {
					b.Errorf("Fire: %v", err)
					return
				}
				state = r.State
			}
		})
	})
	raw := func(b *testing.B, write func(ctx context.Context, pool *pgxpool.Pool, q rawQueries, id [16]byte, rev int64, doc, entry []byte, key string, now time.Time) error) {
		s, rs := rawStore(b)
		q := newRawQueries(s.Schema())
		runWriters(b, writers, func(w int, pb *testing.PB) {
			ctx := context.Background()
			r := rs[w]
			h, err := s.History(ctx, r.ID)
			if err != nil {
				b.Errorf("History: %v", err)
				return
			}
			doc, err := encodeForBench(r)
			if err != nil {
				b.Error(err)
				return
			}
			entry, err := release.EncodeEntry(h[len(h)-1])
			if err != nil {
				b.Error(err)
				return
			}
			id, rev := [16]byte(r.ID), r.Revision
			now := time.Now()
			for pb.Next() {
				key := fmt.Sprintf("%s/%d", r.ID, rev+1)
				if err := write(ctx, s.Pool(), q, id, rev, doc, entry, key, now); err != nil {
					b.Errorf("raw write: %v", err)
					return
				}
				rev++
			}
		})
	}
	b.Run("raw_pgx_tx", func(b *testing.B) {
		raw(b, func(ctx context.Context, pool *pgxpool.Pool, q rawQueries, id [16]byte, rev int64, doc, entry []byte, key string, now time.Time) error {
			return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
				tag, err := tx.Exec(ctx, q.update, id, rev, "planned", rev+1, doc)
				if err != nil {
					return err
				}
				if tag.RowsAffected() != 1 {
					return fmt.Errorf("compare-and-swap missed at revision %d", rev)
				}
				if _, err := tx.Exec(ctx, q.history, id, rev+1, entry); err != nil {
					return err
				}
				_, err = tx.Exec(ctx, q.outbox, key, id, rev+1, doc, entry, now)
				return err
			})
		})
	})
	b.Run("raw_pgx_cte", func(b *testing.B) {
		raw(b, func(ctx context.Context, pool *pgxpool.Pool, q rawQueries, id [16]byte, rev int64, doc, entry []byte, key string, now time.Time) error {
			var n int
			if err := pool.QueryRow(ctx, q.cte, id, rev, "planned", rev+1, doc, entry, key, now).Scan(&n); err != nil {
				return err
			}
			if n != 1 {
				return fmt.Errorf("compare-and-swap missed at revision %d", rev)
			}
			return nil
		})
	})
}

type rawQueries struct{ update, history, outbox, cte string }

func newRawQueries(schema string) rawQueries {
	rel, hist, out := table(schema, "releases"), table(schema, "history"), table(schema, "outbox")
	return rawQueries{
		update:  `UPDATE ` + rel + ` SET state = $3, revision = $4, doc = $5 WHERE id = $1 AND revision = $2`,
		history: `INSERT INTO ` + hist + ` (release_id, seq, entry) VALUES ($1, $2, $3)`,
		outbox:  `INSERT INTO ` + out + ` (key, release_id, seq, release, entry, due) VALUES ($1, $2, $3, $4, $5, $6)`,
		cte: `WITH u AS (UPDATE ` + rel + ` SET state = $3, revision = $4, doc = $5 WHERE id = $1 AND revision = $2 RETURNING id),
h AS (INSERT INTO ` + hist + ` (release_id, seq, entry) SELECT id, $4, $6 FROM u),
o AS (INSERT INTO ` + out + ` (key, release_id, seq, release, entry, due) SELECT $7, id, $4, $5, $6, $8 FROM u)
SELECT count(*) FROM u`,
	}
}

func testingProcs() int { return runtime.GOMAXPROCS(0) }

func encodeForBench(r release.Release) ([]byte, error) { return json.Marshal(r) }

// BenchmarkTransitionsInterleaved measures the three variants of
// BenchmarkTransitions, and raw_pgx_read_cte (bare pgx reading the release row, as
// the engine must before it decides, then the one statement), in alternating rounds of 16 writers × 20 transitions within
// one benchmark, so that load on a shared machine hits them alike, and reports each
// one's transitions per second and the engine's ratio to each raw variant. b.N counts
// rounds.
func BenchmarkTransitionsInterleaved(b *testing.B) {
	const perWriter = 20
	ctx := context.Background()
	_, e, ers := benchStore(b)
	rs, rrs := rawStore(b)
	cs, crs := rawStore(b)
	ds, drs := rawStore(b)
	actor := release.Person("bench", release.RoleReleaseManager)
	type rawState struct {
		id         [16]byte
		rev        int64
		doc, entry []byte
	}
	prep := func(s *postgres.Store, list []release.Release) []*rawState {
		out := make([]*rawState, len(list))
		for i, r := range list {
			h, err := s.History(ctx, r.ID)
			require.NoError(b, err)
			doc, err := encodeForBench(r)
			require.NoError(b, err)
			entry, err := release.EncodeEntry(h[len(h)-1])
			require.NoError(b, err)
			out[i] = &rawState{id: [16]byte(r.ID), rev: r.Revision, doc: doc, entry: entry}
		}
		return out
	}
	rawTx, rawCTE, rawRead := prep(rs, rrs), prep(cs, crs), prep(ds, drs)
	rq, cq, dq := newRawQueries(rs.Schema()), newRawQueries(cs.Schema()), newRawQueries(ds.Schema())
	getDoc := `SELECT doc FROM ` + table(ds.Schema(), "releases") + ` WHERE id = $1`
	states := make([]release.State, writers)
	for i := range states {
		states[i] = release.StatePlanned
	}
	now := time.Now()
	variants := []struct {
		name string
		op   func(w int) error
	}{
		{"engine", func(w int) error {
			ev := release.EventSchedule
			if states[w] == release.StateScheduled {
				ev = release.EventUnschedule
			}
			r, err := e.Fire(ctx, ers[w].ID, ev, actor)
			states[w] = r.State
			return err
		}},
		{"raw_pgx_tx", func(w int) error {
			st := rawTx[w]
			err := pgx.BeginFunc(ctx, rs.Pool(), func(tx pgx.Tx) error {
				tag, err := tx.Exec(ctx, rq.update, st.id, st.rev, "planned", st.rev+1, st.doc)
				if err != nil {
					return err
				}
				if tag.RowsAffected() != 1 {
					return fmt.Errorf("compare-and-swap missed at revision %d", st.rev)
				}
				if _, err := tx.Exec(ctx, rq.history, st.id, st.rev+1, st.entry); err != nil {
					return err
				}
				_, err = tx.Exec(ctx, rq.outbox, fmt.Sprintf("%x/%d", st.id, st.rev+1), st.id, st.rev+1, st.doc, st.entry, now)
				return err
			})
			st.rev++
			return err
		}},
		{"raw_pgx_cte", func(w int) error {
			st := rawCTE[w]
			var n int
			err := cs.Pool().QueryRow(ctx, cq.cte, st.id, st.rev, "planned", st.rev+1, st.doc, st.entry, fmt.Sprintf("%x/%d", st.id, st.rev+1), now).Scan(&n)
			if err == nil && n != 1 {
				err = fmt.Errorf("compare-and-swap missed at revision %d", st.rev)
			}
			st.rev++
			return err
		}},
		{"raw_pgx_read_cte", func(w int) error {
			st := rawRead[w]
			var doc []byte
			if err := ds.Pool().QueryRow(ctx, getDoc, st.id).Scan(&doc); err != nil {
				return err
			}
			var n int
			err := ds.Pool().QueryRow(ctx, dq.cte, st.id, st.rev, "planned", st.rev+1, st.doc, st.entry, fmt.Sprintf("%x/%d", st.id, st.rev+1), now).Scan(&n)
			if err == nil && n != 1 {
				err = fmt.Errorf("compare-and-swap missed at revision %d", st.rev)
			}
			st.rev++
			return err
		}},
	}
	round := func(op func(w int) error) time.Duration {
		var wg sync.WaitGroup
		errs := make(chan error, writers)
		start := time.Now()
		for w := range writers {
			wg.Go(func() {
				for range perWriter {
					if err := op(w); err != nil {
						errs <- err
						return
					}
				}
			})
		}
		wg.Wait()
		d := time.Since(start)
		close(errs)
		for err := range errs {
			b.Fatal(err)
		}
		return d
	}
	for _, v := range variants {
		round(v.op) // warm up: connections, prepared statements
	}
	total := make([]time.Duration, len(variants))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j := range variants {
			k := (i + j) % len(variants) // rotate who goes first
			total[k] += round(variants[k].op)
		}
	}
	b.StopTimer()
	tps := make([]float64, len(variants))
	for k, v := range variants {
		tps[k] = float64(b.N*writers*perWriter) / total[k].Seconds()
		b.ReportMetric(tps[k], v.name+"_transitions/s")
	}
	b.ReportMetric(tps[0]/tps[1], "engine/raw_tx")
	b.ReportMetric(tps[0]/tps[2], "engine/raw_cte")
	b.ReportMetric(tps[0]/tps[3], "engine/raw_read_cte")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkRecord measures Engine.Record beside Engine.Fire on PostgreSQL at 1 and
// 16 writers (storetest.BenchmarkRecord), in a fresh schema with a pool of one
// connection per writer.
func BenchmarkRecord(b *testing.B) {
	storetest.BenchmarkRecord(b, func(b *testing.B) release.Store {
		s, err := postgres.Open(context.Background(), dsn(b)+poolParam(dsn(b), writers), postgres.WithSchema(freshSchema(b)))
		require.NoError(b, err)
		b.Cleanup(s.Close)
		return s
	})
}

// BenchmarkListIndexed: List by name and by component at 1,000, 10,000 and 100,000
// stored releases (storetest.BenchmarkList), beside a List that scans them all, in a
// fresh schema per size. The releases table is analyzed once after the load (on the
// untimed first List), as autovacuum does on a live database: right after a bulk
// load the planner has no statistics.
func BenchmarkListIndexed(b *testing.B) {
	storetest.BenchmarkList(b, func(b *testing.B) release.Store {
		schema := freshSchema(b)
		s, err := postgres.Open(context.Background(), dsn(b)+poolParam(dsn(b), 8), postgres.WithSchema(schema))
		require.NoError(b, err)
		b.Cleanup(s.Close)
		return &analyzeFirst{Store: s, table: table(schema, "releases"), tb: b}
	})
}

// analyzeFirst runs ANALYZE on the releases table before its first List.
type analyzeFirst struct {
	*postgres.Store
	table string
	tb    testing.TB
	once  sync.Once
}

func (a *analyzeFirst) List(ctx context.Context, f release.Filter) ([]release.Release, error) {
	a.once.Do(func() {
		if _, err := admin(a.tb).Exec(ctx, "ANALYZE "+a.table); err != nil {
			a.tb.Fatal(err)
		}
	})
	return a.Store.List(ctx, f)
}
