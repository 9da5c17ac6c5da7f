package release_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/releasekit/releasekit/adapters/checkpointfile"
	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/releasetest"
)

// An engine that anchors its audit outside the database: checkpoints signed with an
// Ed25519 key the database never holds, published to a file. A verifier holding only
// the public key and the published checkpoints finds a rewrite that a chain check
// alone cannot: the entry rewritten and the chain and head recomputed.
func ExampleWithCheckpoints() {
	ctx := context.Background()
	skey, vkey, err := note.GenerateKey(rand.Reader, "audit.example.com/releases")
	if err != nil {
		log.Fatal(err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		log.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "checkpoints")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	sink := checkpointfile.New(filepath.Join(dir, "checkpoints.jsonl"))

	store := memory.New()
	eng, err := release.New(store, release.WithPolicy(release.AllowAll()),
		release.WithCheckpoints(signer, sink, release.CheckpointEvery(100), release.CheckpointInterval(time.Minute)))
	if err != nil {
		log.Fatal(err)
	}
	r, err := eng.Create(ctx, release.Spec{Name: "checkout", Version: "2.4.0", Environment: "prod", Author: "ana"})
	if err != nil {
		log.Fatal(err)
	}
	r, err = eng.Fire(ctx, r.ID, release.EventPlan, release.Person("ana"))
	if err != nil {
		log.Fatal(err)
	}
	r, err = eng.Fire(ctx, r.ID, release.EventSchedule, release.Person("ana"))
	if err != nil {
		log.Fatal(err)
	}
	r, err = eng.Fire(ctx, r.ID, release.EventApprove, release.Person("rui"))
	if err != nil {
		log.Fatal(err)
	}
	cp, err := eng.Checkpoint(ctx) // at shutdown; otherwise every 100 commits or a minute after one
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("checkpoint of", cp.Size, "entries")

	key, err := note.NewVerifier(vkey)
	if err != nil {
		log.Fatal(err)
	}
	published, err := sink.Checkpoints(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("verifies:", release.VerifyCheckpoints(ctx, store, key, published) == nil)

	// Someone with database access makes mallory the approver and recomputes the
	// chain and the head: the chain check passes, the checkpoints do not.
	h, err := store.History(ctx, r.ID)
	if err != nil {
		log.Fatal(err)
	}
	h[3].Actor.ID = "mallory"
	h[3].Hash, err = h[3].ComputeHash()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("chain alone:", release.VerifyHistory(h, h[3].Hash))
	err = release.VerifyCheckpoints(ctx, rewritten{store, r.ID, h}, key, published)
	var he *release.HistoryError
	if errors.As(err, &he) {
		fmt.Println("checkpoints: entry", he.Sequence, "of", he.ID == r.ID, errors.Is(err, release.ErrTampered))
	}
	// Output:
	// checkpoint of 4 entries
	// verifies: true
	// chain alone: <nil>
	// checkpoints: entry 4 of true true
}

// rewritten stands for a database whose history of one release was rewritten.
type rewritten struct {
	release.Store
	id release.ID
	h  []release.AuditEntry
}

func (s rewritten) Get(ctx context.Context, id release.ID) (release.Release, error) {
	r, err := s.Store.Get(ctx, id)
	if id == s.id {
		r.Head = s.h[len(s.h)-1].Hash
	}
	return r, err
}

func (s rewritten) History(ctx context.Context, id release.ID) ([]release.AuditEntry, error) {
	if id == s.id {
		return s.h, nil
	}
	return s.Store.History(ctx, id)
}

// An audit pack of a week's production changes, checked offline with the
// checkpoints' public key.
func ExampleEngine_AuditPack() {
	ctx := context.Background()
	skey, vkey, err := note.GenerateKey(rand.Reader, "audit.example.com/releases")
	if err != nil {
		log.Fatal(err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		log.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "checkpoints")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	sink := checkpointfile.New(filepath.Join(dir, "checkpoints.jsonl"))
	monday := time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)
	eng, err := release.New(memory.New(), release.WithPolicy(release.AllowAll()), release.WithClock(releasetest.NewClock(monday, time.Minute)),
		release.WithCheckpoints(signer, sink))
	if err != nil {
		log.Fatal(err)
	}

	ana, rui := release.Person("ana", release.RoleDeveloper), release.Person("rui", release.RoleReleaseManager)
	r, err := eng.Create(ctx, release.Spec{Name: "checkout", Version: "2.4.0", Environment: "prod", Author: ana.ID})
	if err != nil {
		log.Fatal(err)
	}
	for _, step := range []struct {
		ev release.Event
		by release.Actor
	}{{release.EventPlan, ana}, {release.EventSchedule, ana}, {release.EventApprove, rui}, {release.EventStart, ana}, {release.EventComplete, ana}} {
		r, err = eng.Fire(ctx, r.ID, step.ev, step.by)
		if err != nil {
			log.Fatal(err)
		}
	}
	eng.Checkpoint(ctx)

	var pack bytes.Buffer
	if err := eng.AuditPack(ctx, &pack, release.AuditFilter{From: monday, To: monday.AddDate(0, 0, 7)}); err != nil {
		log.Fatal(err)
	}
	key, err := note.NewVerifier(vkey)
	if err != nil {
		log.Fatal(err)
	}
	published, err := sink.Checkpoints(ctx)
	if err != nil {
		log.Fatal(err)
	}
	info, err := release.VerifyAuditPack(&pack, key, published)
	fmt.Println(err, info.Releases, info.Entries, info.Anchored)
	for _, line := range strings.Split(info.Summary, "\n") {
		if strings.HasPrefix(line, "| r1") {
			fmt.Println(line)
		}
	}
	// Output:
	// <nil> 1 6 6
	// | r1 | checkout 2.4.0 (prod) | normal | deployed | ana | rui | held | none recorded | – |
}
