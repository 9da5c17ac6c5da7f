package lockdownrow_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/releasekit/releasekit/adapters/internal/lockdownrow"
	"github.com/releasekit/releasekit/release"
)

func TestDecode(t *testing.T) {
	e := release.LockdownEntry{Sequence: 2, Event: release.EventDeclare, Lockdown: release.Lockdown{Reason: "incident"}, PrevHash: "a", Hash: "b"}
	raw, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	got, err := lockdownrow.Decode(raw, 2)
	if err != nil || got.Sequence != 2 || got.Lockdown.Reason != "incident" || got.Hash != "b" {
		t.Fatalf("Decode = %+v, %v; want the entry back", got, err)
	}
	for _, c := range []struct {
		raw  string
		seq  int64
		says string
	}{
		{string(raw), 3, "holds entry 2 under sequence 3"},
		{strings.Replace(string(raw), `"sequence":2`, `"sequence":2,"extra":1`, 1), 2, "does not decode"},
		{`{"sequence":`, 2, "does not decode"},
		{`[]`, 2, "does not decode"},
	} {
		if _, err := lockdownrow.Decode([]byte(c.raw), c.seq); err == nil || !strings.Contains(err.Error(), c.says) {
			t.Errorf("Decode(%s, %d) = %v, want an error saying %q", c.raw, c.seq, err, c.says)
		}
	}
}

func TestErrorsAreStale(t *testing.T) {
	for _, err := range []error{lockdownrow.NotNext(5, 3), lockdownrow.FenceMoved(4, 3)} {
		if !errors.Is(err, release.ErrStale) {
			t.Errorf("%v does not match release.ErrStale", err)
		}
	}
	if got := lockdownrow.FenceMoved(4, 3).Error(); !strings.Contains(got, "holds 4 entries, not 3") {
		t.Errorf("FenceMoved(4, 3) = %q", got)
	}
}
