package notifytest

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/releasekit/releasekit/change"
	"github.com/releasekit/releasekit/release"
)

// SampleStart is the time of the first entry of every [Sample] walk.
var SampleStart = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// sampleNames and sampleEnvs give each sample release its name and environment.
var (
	sampleNames = []string{"payments", "checkout", "ledger", "search", "inventory"}
	sampleEnvs  = []string{"prod", "staging", "dev"}
)

type step struct {
	event  release.Event
	actor  release.Actor
	reason string
}

// sampleWalk is the lifecycle path every sample release takes: it fails in its
// environment and is rolled back, so the notifications cover good and bad news.
var sampleWalk = []step{
	{release.EventPlan, release.Person("alice", "developer"), ""},
	{release.EventSchedule, release.Person("alice", "developer"), "Tuesday window"},
	{release.EventApprove, release.Person("bob", "release-manager"), "CAB approved"},
	{release.EventStart, release.Automation("deploy-bot", "deployer"), ""},
	{release.EventComplete, release.Automation("deploy-bot", "deployer"), ""},
	{release.EventFail, release.Automation("canary", "verifier"), "error rate 4.2% > 1% for 5m <p99>"},
	{release.EventRollback, release.Person("bob", "release-manager"), "roll back & investigate"},
	{release.EventFinishRollback, release.Automation("deploy-bot", "deployer"), ""},
	{release.EventClose, release.Person("bob", "release-manager"), "post-incident review PIR-42"},
}

// SampleLen is the number of notifications in every [Sample] walk.
const SampleLen = 9

// Sample returns the notifications of sample release number i walking through its
// lifecycle (plan, schedule, approve, start, complete, fail, rollback,
// finish_rollback, close): one per committed transition, in order, with sequence
// numbers 2 to 10, entries hash-chained from a create entry, and each notification's
// release as committed. The output depends only on i; distinct i give distinct
// release IDs, so their idempotency keys never collide.
func Sample(i int) []release.Notification {
	var raw [16]byte
	binary.BigEndian.PutUint64(raw[0:8], 0x019c_ad00_0000_7000) // UUIDv7-shaped prefix
	binary.BigEndian.PutUint64(raw[8:16], 0x8000_0000_0000_0000|uint64(i)&0x3fff_ffff_ffff_ffff)
	id := release.ID(raw)

	start := SampleStart.Add(time.Duration(i) * time.Hour)
	r := release.Release{
		ID:          id,
		Name:        sampleNames[abs(i)%len(sampleNames)],
		Version:     fmt.Sprintf("1.%d.0", abs(i)%100),
		Environment: sampleEnvs[abs(i)%len(sampleEnvs)],
		Class:       change.Normal,
		Author:      "alice",
		Components: []release.Component{
			{Name: "api", Version: fmt.Sprintf("1.%d.0", abs(i)%100), PreviousVersion: "1.0.0"},
			{Name: "worker", Version: "2.3.1", PreviousVersion: "2.3.0"},
		},
		Labels:    map[string]string{"team": "core"},
		State:     release.StateDraft,
		Revision:  1,
		CreatedAt: start,
		UpdatedAt: start,
		Reached:   map[release.State]time.Time{release.StateDraft: start},
	}
	create := release.AuditEntry{
		ReleaseID: id, Sequence: 1, Event: release.EventCreate, To: release.StateDraft,
		Actor: release.Person("alice", "developer"), Time: start,
	}
	create.Hash = mustHash(create)
	r.Head = create.Hash

	out := make([]release.Notification, 0, len(sampleWalk))
	prev := create
	for k, s := range sampleWalk {
		to, ok := release.Next(r.State, s.event)
		if !ok {
			panic(fmt.Sprintf("notifytest: sample walk: %s from %s is not a transition", s.event, r.State))
		}
		at := start.Add(time.Duration(k+1) * 7 * time.Minute)
		e := release.AuditEntry{
			ReleaseID: id, Sequence: prev.Sequence + 1, Event: s.event, From: r.State, To: to,
			Actor: s.actor, Reason: s.reason, Time: at, PrevHash: prev.Hash,
		}
		e.Hash = mustHash(e)
		r = r.Clone()
		r.State, r.Revision, r.Head, r.UpdatedAt = to, e.Sequence, e.Hash, at
		if _, seen := r.Reached[to]; !seen {
			r.Reached[to] = at
		}
		out = append(out, release.Notification{Release: r.Clone(), Entry: e.Clone()})
		prev = e
	}
	return out
}

func abs(i int) int {
	if i < 0 {
		if i == -i { // math.MinInt
			return 0
		}
		return -i
	}
	return i
}

// mustHash hashes an entry built above from fixed, valid values; it cannot fail.
func mustHash(e release.AuditEntry) string {
	h, err := e.ComputeHash()
	if err != nil {
		panic("notifytest: hash a sample entry: " + err.Error())
	}
	return h
}
