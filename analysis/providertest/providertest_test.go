package providertest_test

import (
	"context"
	"fmt"
	"math"
	"testing"

	"github.com/releasekit/releasekit/analysis"
	"github.com/releasekit/releasekit/analysis/providertest"
)

// table is a provider over fixed answers: a reference implementation of the
// contract in a few lines.
type table map[string]analysis.Vector

func (tb table) Query(ctx context.Context, q analysis.Query) (analysis.Vector, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	v, ok := tb[q.Expr]
	if !ok {
		return nil, fmt.Errorf("%w: unknown query %q", analysis.ErrInvalidQuery, q.Expr)
	}
	if len(v) == 0 {
		return nil, fmt.Errorf("%q: %w", q.Expr, analysis.ErrNoData)
	}
	out := make(analysis.Vector, len(v))
	for i, s := range v {
		out[i] = s
		if s.Labels != nil {
			out[i].Labels = make(map[string]string, len(s.Labels))
			for k, l := range s.Labels {
				out[i].Labels[k] = l
			}
		}
	}
	out.Sort()
	return out, nil
}

var down = analysis.ProviderFunc(func(ctx context.Context, q analysis.Query) (analysis.Vector, error) {
	return nil, fmt.Errorf("%w: connection refused", analysis.ErrUnavailable)
})

func TestTableProviderConforms(t *testing.T) {
	p := table{
		"one":     {{Value: 0.25}},
		"several": {{Labels: map[string]string{"pod": "b"}, Value: 2}, {Labels: map[string]string{"pod": "a"}, Value: 1}},
		"none":    {},
		"nan":     {{Value: math.NaN()}},
	}
	providertest.Run(t, p, providertest.Cases{
		One: analysis.Query{Expr: "one"}, Want: 0.25,
		Several: analysis.Query{Expr: "several"},
		NoData:  analysis.Query{Expr: "none"},
		NaN:     analysis.Query{Expr: "nan"},
		Invalid: analysis.Query{Expr: "what"},
		Down:    down,
	})
}
