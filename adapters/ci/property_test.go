package ci_test

import (
	"fmt"
	"net/http"
	"testing"

	"pgregory.net/rapid"

	"github.com/releasekit/releasekit/adapters/ci"
	"github.com/releasekit/releasekit/gate"
)

// Whatever order deliveries and redeliveries arrive in, each delivery id is
// recorded exactly once, on its first arrival (200); every later arrival is a
// replay (409); and the gate's view is the last recorded result of each check.
func TestEachDeliveryRecordedOnce(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		e := newEnv(rt)
		rel := e.release("1.4.0", map[string]string{"commit": sha})
		h := e.handler(ci.NewGeneric)
		seen := map[string]bool{}
		var order []string
		last := map[string]gate.CheckStatus{}
		n := rapid.IntRange(1, 30).Draw(rt, "deliveries")
		for range n {
			id := fmt.Sprintf("d%d", rapid.IntRange(0, 8).Draw(rt, "id"))
			name := rapid.SampledFrom([]string{"build", "e2e"}).Draw(rt, "name")
			st := rapid.SampledFrom(gate.CheckStatuses()).Draw(rt, "status")
			body := fmt.Appendf(nil, `{"delivery":%q,"name":%q,"status":%q,"commit":%q}`, id, name, st, sha)
			code, a := post(rt, h, "/", body, signed(body))
			if seen[id] {
				if code != http.StatusConflict {
					rt.Fatalf("delivery %s again: status %d, want 409 (%s)", id, code, a.Error)
				}
				continue
			}
			if code != http.StatusOK {
				rt.Fatalf("delivery %s: status %d, want 200 (%s)", id, code, a.Error)
			}
			seen[id] = true
			order = append(order, id)
			last[name] = st
		}
		got := e.recorded(rel)
		if len(got) != len(order) {
			rt.Fatalf("recorded %d results for %d distinct deliveries", len(got), len(order))
		}
		for i, r := range got {
			if r.Delivery != order[i] {
				rt.Fatalf("record %d is delivery %s, want %s", i, r.Delivery, order[i])
			}
		}
		view := map[string]gate.CheckStatus{}
		for _, r := range got {
			view[r.Name] = r.Status
		}
		if fmt.Sprint(view) != fmt.Sprint(last) {
			rt.Fatalf("latest results %v, want %v", view, last)
		}
	})
}
