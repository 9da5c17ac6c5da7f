package bolt_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/adapters/bolt"
	"github.com/releasekit/releasekit/release"
)

// TestCheckFindsIndexDamage: Check compares the releases' index with the release
// rows. A release missing from the index under a field, a key that points to a
// release that is not stored, and a key that gives a release a value its row does
// not have are each reported (release.ErrCorrupt), naming the release; a List through
// a key of a release that is not stored is a *release.CorruptError, not a silent
// skip, and a stale key never lists a release that does not match.
func TestCheckFindsIndexDamage(t *testing.T) {
	ctx := context.Background()
	var ghost release.ID
	ghost[0], ghost[15] = 0x01, 0x7f
	for _, tc := range []struct {
		why    string
		damage func(t *testing.T, s *bolt.Store, r release.Release)
		says   string
	}{
		{"a release missing from the name index", func(t *testing.T, s *bolt.Store, r release.Release) {
			require.NoError(t, bolt.DeleteIndexKey(s, bolt.IndexKey('n', r.Name, r.ID)))
		}, "its name is missing from the index"},
		{"a release missing from the component index", func(t *testing.T, s *bolt.Store, r release.Release) {
			require.NoError(t, bolt.DeleteIndexKey(s, bolt.IndexKey('c', r.Components[0].Name, r.ID)))
		}, "its component is missing from the index"},
		{"a key of a release that is not stored", func(t *testing.T, s *bolt.Store, r release.Release) {
			require.NoError(t, bolt.PutIndexKey(s, bolt.IndexKey('n', r.Name, ghost)))
		}, "which is not stored"},
		{"a key that gives a release another state", func(t *testing.T, s *bolt.Store, r release.Release) {
			require.NoError(t, bolt.PutIndexKey(s, bolt.IndexKey('s', string(release.StateApproved), r.ID)))
		}, "whose row does not have this state"},
	} {
		t.Run(tc.why, func(t *testing.T) {
			s, _ := openTemp(t)
			e := newEngine(t, s)
			r, err := e.Create(ctx, spec("checkout"))
			require.NoError(t, err)
			_, err = e.Create(ctx, spec("payments"))
			require.NoError(t, err)
			require.NoError(t, s.Check(ctx))

			tc.damage(t, s, r)
			err = s.Check(ctx)
			require.ErrorIs(t, err, release.ErrCorrupt)
			require.Contains(t, err.Error(), tc.says)
			require.Contains(t, err.Error(), map[bool]string{true: ghost.String(), false: r.ID.String()}[tc.says == "which is not stored"])
		})
	}
	t.Run("List through a key of a missing release", func(t *testing.T) {
		s, _ := openTemp(t)
		e := newEngine(t, s)
		r, err := e.Create(ctx, spec("checkout"))
		require.NoError(t, err)
		require.NoError(t, bolt.PutIndexKey(s, bolt.IndexKey('n', r.Name, ghost)))
		_, err = s.List(ctx, release.Filter{Name: r.Name})
		var ce *release.CorruptError
		require.ErrorAs(t, err, &ce)
	})
	t.Run("a stale key lists nothing that does not match", func(t *testing.T) {
		s, _ := openTemp(t)
		e := newEngine(t, s)
		r, err := e.Create(ctx, spec("checkout"))
		require.NoError(t, err)
		require.NoError(t, bolt.PutIndexKey(s, bolt.IndexKey('s', string(release.StateApproved), r.ID)))
		got, err := s.List(ctx, release.Filter{States: []release.State{release.StateApproved}})
		require.NoError(t, err)
		require.Empty(t, got)
	})
}
