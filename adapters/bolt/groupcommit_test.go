package bolt_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/release"
)

// Writes that share a group commit keep their own outcomes: one write that fails in
// the middle of the transaction (bbolt refuses its 40 KB key) rolls its group back, the
// others are committed alone and succeed, and nothing of the failed one is stored.
// Refusals (a taken slot) drop out of a group without harming it.
func TestGroupCommitOutcomes(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	for round := range 5 {
		var wg sync.WaitGroup
		errs := make([]error, 16)
		for w := range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				id := fmt.Sprintf("r%d-w%d", round, w)
				start := t0.Add(time.Duration(round*100+w) * time.Hour)
				switch w {
				case 0:
					id = strings.Repeat("x", 40<<10) + id // too large a key for bbolt
				case 1:
					start = t0.Add(time.Duration(round*100+2) * time.Hour) // races w2 for its slot
				}
				errs[w] = s.Book(ctx, booking(id, "prod", start, start.Add(time.Hour), "svc"))
			}()
		}
		wg.Wait()
		require.Error(t, errs[0], "round %d: the oversized booking must fail", round)
		assert.NotErrorIs(t, errs[0], release.ErrSlotTaken)
		require.True(t, (errs[1] == nil) != (errs[2] == nil), "round %d: exactly one of two bookings of one slot wins: %v, %v", round, errs[1], errs[2])
		for w := 3; w < 16; w++ {
			require.NoError(t, errs[w], "round %d: writer %d", round, w)
		}
	}
	bs, err := s.Bookings(ctx, "prod", t0.Add(-time.Hour), t0.Add(1000*time.Hour))
	require.NoError(t, err)
	assert.Len(t, bs, 5*14, "14 bookings per round: 13 free ones and one of the two racers")
	require.NoError(t, s.Check(ctx))
}
