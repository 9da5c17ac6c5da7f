package bolt_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/adapters/bolt"
	"github.com/releasekit/releasekit/release"
)

// TestCheckFindsEditedRows: a release row whose state, author or environment was
// edited in the file, without a history entry, is named by Check, field and release;
// the untouched release next to it is not reported.
func TestCheckFindsEditedRows(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		field string
		edit  func(r *release.Release)
	}{
		{"state", func(r *release.Release) { r.State = release.StateApproved }},
		{"author", func(r *release.Release) { r.Author = "bob" }},
		{"environment", func(r *release.Release) { r.Environment = "dev" }},
	} {
		t.Run(tc.field, func(t *testing.T) {
			s, _ := openTemp(t)
			e := newEngine(t, s)
			r, err := e.Create(ctx, spec("checkout"))
			require.NoError(t, err)
			r, err = e.Fire(ctx, r.ID, release.EventPlan, bob)
			require.NoError(t, err)
			other, err := e.Create(ctx, spec("payments"))
			require.NoError(t, err)
			require.NoError(t, s.Check(ctx))

			edited := r.Clone()
			tc.edit(&edited)
			require.NoError(t, bolt.Tamper.SetRelease(ctx, s, edited))
			err = s.Check(ctx)
			var me *release.MismatchError
			require.ErrorAs(t, err, &me)
			require.ErrorIs(t, err, release.ErrTampered)
			require.Equal(t, tc.field, me.Field)
			require.Equal(t, r.ID, me.ID)
			require.NotContains(t, err.Error(), other.ID.String())
			var me2 *release.MismatchError
			require.True(t, errors.As(e.Verify(ctx, r.ID), &me2) && me2.Field == tc.field, "Engine.Verify agrees")
		})
	}
}
