package bench

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	tlogformat "github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"

	"github.com/releasekit/releasekit/adapters/checkpointfile"
	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/release"
)

// TestCheckpointsInteroperate checks releasekit's checkpoints and audit-pack proofs
// with an implementation nobody on this project wrote: transparency-dev's C2SP
// checkpoint parser (github.com/transparency-dev/formats/log, which Sigstore's and
// the transparency-dev logs use) opens and verifies every published checkpoint with
// the public key, and its RFC 6962 verifier (github.com/transparency-dev/merkle)
// accepts every inclusion proof of an audit pack against the pack's checkpoint.
func TestCheckpointsInteroperate(t *testing.T) {
	ctx := context.Background()
	skey, vkey, err := note.GenerateKey(rand.Reader, "audit.example.com/releases")
	if err != nil {
		t.Fatal(err)
	}
	signer, _ := note.NewSigner(skey)
	key, _ := note.NewVerifier(vkey)
	sink := checkpointfile.New(filepath.Join(t.TempDir(), "checkpoints.jsonl"))
	t0 := time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)
	now := t0
	eng, err := release.New(memory.New(), release.WithPolicy(release.AllowAll()),
		release.WithClock(release.ClockFunc(func() time.Time { now = now.Add(time.Minute); return now })),
		release.WithCheckpoints(signer, sink, release.CheckpointEvery(0), release.CheckpointInterval(0)))
	if err != nil {
		t.Fatal(err)
	}
	dev, rm := release.Person("ana", release.RoleDeveloper), release.Person("rui", release.RoleReleaseManager)
	for k := range 7 {
		r, err := eng.Create(ctx, release.Spec{Name: "svc", Version: "1.0.0", Environment: "prod", Author: dev.ID})
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range []struct {
			ev release.Event
			by release.Actor
		}{{release.EventPlan, dev}, {release.EventSchedule, dev}, {release.EventApprove, rm}, {release.EventStart, dev}} {
			if _, err := eng.Fire(ctx, r.ID, st.ev, st.by); err != nil {
				t.Fatal(err)
			}
		}
		if k%3 == 0 {
			if _, err := eng.Checkpoint(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := eng.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}

	cps, err := sink.Checkpoints(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cps {
		parsed, _, _, err := tlogformat.ParseCheckpoint([]byte(c.Note), c.Origin, key)
		if err != nil {
			t.Fatalf("transparency-dev cannot open checkpoint %d: %v", c.Size, err)
		}
		if parsed.Size != uint64(c.Size) || !bytes.Equal(parsed.Hash, c.Root[:]) || parsed.Origin != c.Origin {
			t.Fatalf("transparency-dev reads checkpoint %d as %+v", c.Size, parsed)
		}
	}
	_, otherKey, _ := note.GenerateKey(rand.Reader, "audit.example.com/releases")
	other, _ := note.NewVerifier(otherKey)
	if _, _, _, err := tlogformat.ParseCheckpoint([]byte(cps[0].Note), cps[0].Origin, other); err == nil {
		t.Fatal("transparency-dev accepts a checkpoint with another key of the same name")
	}

	var pack bytes.Buffer
	if err := eng.AuditPack(ctx, &pack, release.AuditFilter{From: t0, To: t0.Add(24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	var cp release.Checkpoint
	proven := 0
	sc := bufio.NewScanner(&pack)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var rec struct {
			Type       string              `json:"type"`
			Checkpoint *release.Checkpoint `json:"checkpoint"`
			Entry      *release.AuditEntry `json:"entry"`
			Leaf       *int64              `json:"leaf"`
			Proof      [][]byte            `json:"proof"`
		}
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatal(err)
		}
		switch {
		case rec.Type == "checkpoint":
			cp = *rec.Checkpoint
		case rec.Type == "entry" && rec.Leaf != nil:
			// The leaf is "<release id> <sequence> <entry hash>\n" (docs/AUDIT.md).
			data := []byte(rec.Entry.ReleaseID.String() + " " + itoa(rec.Entry.Sequence) + " " + rec.Entry.Hash + "\n")
			leaf := rfc6962.DefaultHasher.HashLeaf(data)
			if err := proof.VerifyInclusion(rfc6962.DefaultHasher, uint64(*rec.Leaf), uint64(cp.Size), leaf, rec.Proof, cp.Root[:]); err != nil {
				t.Fatalf("transparency-dev rejects the inclusion proof of %s/%d: %v", rec.Entry.ReleaseID, rec.Entry.Sequence, err)
			}
			proven++
		}
	}
	if proven != 35 {
		t.Fatalf("%d entries proven, want all 35", proven)
	}
	t.Logf("%d checkpoints opened and %d inclusion proofs verified by transparency-dev", len(cps), proven)
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}
