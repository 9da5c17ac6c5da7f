package gate_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/gate"
)

func TestParseCriterion(t *testing.T) {
	tests := []struct {
		in   string
		want gate.Criterion
		why  string
	}{
		{"<=600", gate.Criterion{Op: gate.OpLessEqual, Value: 600}, "absolute upper bound"},
		{"<600", gate.Criterion{Op: gate.OpLess, Value: 600}, "strict upper bound"},
		{">=99.9", gate.Criterion{Op: gate.OpGreaterEqual, Value: 99.9}, "decimal"},
		{">0.5", gate.Criterion{Op: gate.OpGreater, Value: 0.5}, "strict lower bound"},
		{"=0", gate.Criterion{Op: gate.OpEqual, Value: 0}, "equality"},
		{"==0", gate.Criterion{Op: gate.OpEqual, Value: 0}, "double equals is accepted"},
		{"<-5", gate.Criterion{Op: gate.OpLess, Value: -5}, "signed absolute"},
		{" <= 1e3 ", gate.Criterion{Op: gate.OpLessEqual, Value: 1000}, "spaces and exponent"},
		{"<=+10%", gate.Criterion{Op: gate.OpLessEqual, Value: 10, Relative: true}, "relative increase"},
		{"<+5%", gate.Criterion{Op: gate.OpLess, Value: 5, Relative: true}, "strict relative"},
		{">=-2%", gate.Criterion{Op: gate.OpGreaterEqual, Value: -2, Relative: true}, "relative decrease"},
		{"<= +10 %", gate.Criterion{Op: gate.OpLessEqual, Value: 10, Relative: true}, "spaces in a relative criterion"},
	}
	for _, tt := range tests {
		got, err := gate.ParseCriterion(tt.in)
		require.NoError(t, err, tt.why)
		assert.Equal(t, tt.want, got, "%s: %q", tt.why, tt.in)
	}
}

func TestParseCriterionErrors(t *testing.T) {
	tests := []struct{ in, problem, why string }{
		{"", "is empty", "nothing to parse"},
		{"600", "does not start with an operator", "missing operator"},
		{"~5", "does not start with an operator", "unknown operator"},
		{"<=", "has no number", "missing number"},
		{"<=10%", "explicit sign", "relative without sign is ambiguous"},
		{"<=%", "explicit sign", "percent alone"},
		{"<=abc", "not a decimal number", "letters"},
		{"<=NaN", "not a decimal number", "NaN is not a threshold"},
		{"<=Inf", "not a decimal number", "infinity is not a threshold"},
		{"<=0x10", "not a decimal number", "no hex"},
		{"<=1_000", "not a decimal number", "no underscores"},
		{"<=1e", "not a decimal number", "incomplete exponent"},
		{"<=1e999", "out of range", "overflow"},
		{"<==5", "not a decimal number", "stray operator"},
		{"<=5%%", "more than one", "double percent"},
	}
	for _, tt := range tests {
		_, err := gate.ParseCriterion(tt.in)
		require.ErrorIs(t, err, gate.ErrInvalidCriterion, tt.why)
		var ce *gate.CriterionError
		require.ErrorAs(t, err, &ce)
		assert.Equal(t, tt.in, ce.Input)
		assert.Contains(t, err.Error(), tt.problem, "%s: %q", tt.why, tt.in)
	}
}

func TestCriterionHolds(t *testing.T) {
	tests := []struct {
		c           string
		value, base float64
		want        bool
		why         string
	}{
		{"<=600", 600, 0, true, "bound is inclusive"},
		{"<600", 600, 0, false, "strict bound"},
		{"<=+10%", 110, 100, true, "exactly 10% above"},
		{"<=+10%", 110.1, 100, false, "just over 10% above"},
		{">=-2%", 98, 100, true, "exactly 2% below"},
		{">=-2%", 97.9, 100, false, "more than 2% below"},
		{"=0", 0, 5, true, "absolute ignores the baseline"},
	}
	for _, tt := range tests {
		c, err := gate.ParseCriterion(tt.c)
		require.NoError(t, err)
		assert.Equal(t, tt.want, c.Holds(tt.value, tt.base), "%s: %s with %v vs %v", tt.why, tt.c, tt.value, tt.base)
	}
	c, _ := gate.ParseCriterion("<1")
	assert.False(t, c.Holds(nan(), 0), "NaN never holds")
}

func FuzzParseCriterion(f *testing.F) {
	for _, s := range []string{"<=600", "<600", ">=99.9", "=0", "==0", "<=+10%", "<+5%", ">=-2%", "<= 1e3", "", "%", "<=10%", "<=NaN", ">-0%", "<1e-300"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := gate.ParseCriterion(s)
		if err != nil {
			var ce *gate.CriterionError
			if !assert.ErrorAs(t, err, &ce) {
				return
			}
			return
		}
		back, err := gate.ParseCriterion(c.String())
		require.NoError(t, err, "String() of a parsed criterion must parse: %q -> %q", s, c.String())
		require.Equal(t, c, back, "round trip of %q via %q", s, c.String())
	})
}
