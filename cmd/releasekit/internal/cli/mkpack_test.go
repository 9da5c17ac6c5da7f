package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/releasekit/releasekit/adapters/checkpointfile"
	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/release"
)

// The scripts' checkpoint key pair (made by note.GenerateKey; a test key, nothing
// else uses it) and another key.
const (
	packSignerKey   = "PRIVATE+KEY+audit.releasekit.example+c7182705+AWdRJ5Eo35Ni5XnCaT6yGkVTm8aci6/3VnYNPq+pRN9C"
	packVerifierKey = "audit.releasekit.example+c7182705+AUQsQSiND1F6g5+QCu/muedfzjZpxdrcAcMEW8Dm1iBi"
	packOtherKey    = "other.example+aeb011b8+AeylLqo6IztpRynvzIz2P068dBoUs+QMDEiyVhPhOOhT"
)

// mkpack writes, in the current directory, what the verify-audit scripts check:
// key.pub and other.pub (verifier keys), checkpoints.jsonl (as published),
// pack.jsonl (a week of prod changes, all but the last entry anchored),
// rewritten.jsonl (an anchored approval rewritten to mallory, the chain and head
// recomputed, proofs kept), stripped.jsonl (the same with the rewritten entries'
// proofs removed and the summary adjusted, as if they were committed after the
// checkpoint) and cut.jsonl (the pack without its summary line).
func mkpack() {
	if err := writePack(); err != nil {
		fmt.Fprintln(os.Stderr, "mkpack:", err)
		os.Exit(1)
	}
}

func writePack() error {
	ctx := context.Background()
	signer, err := note.NewSigner(packSignerKey)
	if err != nil {
		return err
	}
	t := time.Date(2026, 5, 4, 8, 0, 0, 0, time.UTC)
	clock := release.ClockFunc(func() time.Time { t = t.Add(time.Minute); return t })
	sink := checkpointfile.New("checkpoints.jsonl")
	eng, err := release.New(memory.New(), release.WithClock(clock), release.WithPolicy(release.AllowAll()),
		release.WithCheckpoints(signer, sink, release.CheckpointEvery(0), release.CheckpointInterval(0)))
	if err != nil {
		return err
	}
	ana := release.Person("ana", release.RoleDeveloper)
	rui := release.Person("rui", release.RoleReleaseManager)
	var last release.Release
	for _, name := range []string{"payments", "checkout"} {
		r, err := eng.Create(ctx, release.Spec{Name: name, Version: "1.0.0", Environment: "prod", Author: ana.ID})
		if err != nil {
			return err
		}
		for _, st := range []struct {
			ev release.Event
			by release.Actor
		}{{release.EventPlan, ana}, {release.EventSchedule, ana}, {release.EventApprove, rui}, {release.EventStart, ana}, {release.EventComplete, ana}} {
			if r, err = eng.Fire(ctx, r.ID, st.ev, st.by, release.Reason(string(st.ev))); err != nil {
				return err
			}
		}
		if _, err := eng.Checkpoint(ctx); err != nil {
			return err
		}
		last = r
	}
	if _, err := eng.Fire(ctx, last.ID, release.EventVerify, ana); err != nil {
		return err
	}
	var b bytes.Buffer
	if err := eng.AuditPack(ctx, &b, release.AuditFilter{From: time.Date(2026, 5, 4, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 5, 11, 0, 0, 0, 0, time.UTC)}); err != nil {
		return err
	}
	pack := b.Bytes()
	rewritten, err := rewritePack(pack, false)
	if err != nil {
		return err
	}
	stripped, err := rewritePack(pack, true)
	if err != nil {
		return err
	}
	lines := bytes.SplitAfter(bytes.TrimSpace(pack), []byte("\n"))
	cut := bytes.Join(lines[:len(lines)-1], nil)
	for name, data := range map[string][]byte{
		"key.pub": []byte(packVerifierKey + "\n"), "other.pub": []byte(packOtherKey + "\n"),
		"pack.jsonl": pack, "rewritten.jsonl": rewritten, "stripped.jsonl": stripped, "cut.jsonl": cut,
	} {
		if err := os.WriteFile(name, data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// rewritePack rewrites the first release's approval (entry 4) to mallory and
// recomputes the chain and the release's head, as someone producing a pack from a
// rewritten database would; with strip, it also removes the proofs of the rewritten
// entries and fixes the summary's count, as if they were committed after the
// checkpoint.
func rewritePack(pack []byte, strip bool) ([]byte, error) {
	var recs []map[string]json.RawMessage
	for _, l := range bytes.Split(bytes.TrimSpace(pack), []byte("\n")) {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(l, &m); err != nil {
			return nil, err
		}
		recs = append(recs, m)
	}
	typ := func(m map[string]json.RawMessage) string {
		var s string
		_ = json.Unmarshal(m["type"], &s)
		return s
	}
	rel := 0
	for typ(recs[rel]) != "release" {
		rel++
	}
	var r release.Release
	if err := json.Unmarshal(recs[rel]["release"], &r); err != nil {
		return nil, err
	}
	var h []release.AuditEntry
	for i := rel + 1; typ(recs[i]) == "entry"; i++ {
		var e release.AuditEntry
		if err := json.Unmarshal(recs[i]["entry"], &e); err != nil {
			return nil, err
		}
		h = append(h, e)
	}
	h[3].Actor = release.Person("mallory", release.RoleReleaseManager)
	prev := ""
	for i := range h {
		h[i].PrevHash = prev
		var err error
		if h[i].Hash, err = h[i].ComputeHash(); err != nil {
			return nil, err
		}
		prev = h[i].Hash
	}
	r.Head = prev
	set := func(m map[string]json.RawMessage, k string, v any) {
		b, _ := json.Marshal(v)
		m[k] = b
	}
	set(recs[rel], "release", r)
	for i := range h {
		set(recs[rel+1+i], "entry", h[i])
		if strip && i >= 3 {
			delete(recs[rel+1+i], "leaf")
			delete(recs[rel+1+i], "proof")
		}
	}
	last := recs[len(recs)-1]
	var md string
	_ = json.Unmarshal(last["markdown"], &md)
	md = strings.Replace(md, "| ana | rui |", "| ana | mallory |", 1)
	if strip {
		md = strings.Replace(md, "12 of the entries", "9 of the entries", 1)
	}
	set(last, "markdown", md)
	var out bytes.Buffer
	for _, m := range recs {
		b, err := json.Marshal(m)
		if err != nil {
			return nil, err
		}
		out.Write(b)
		out.WriteByte('\n')
	}
	return out.Bytes(), nil
}
