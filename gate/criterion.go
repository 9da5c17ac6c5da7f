package gate

import (
	"math"
	"strconv"
	"strings"
)

// Operator compares a metric with a threshold in a [Criterion].
type Operator string

// The comparison operators of a [Criterion].
const (
	// OpLess is "<".
	OpLess Operator = "<"
	// OpLessEqual is "<=".
	OpLessEqual Operator = "<="
	// OpGreater is ">".
	OpGreater Operator = ">"
	// OpGreaterEqual is ">=".
	OpGreaterEqual Operator = ">="
	// OpEqual is "=" (also written "==").
	OpEqual Operator = "="
)

// Operators lists every [Operator].
func Operators() []Operator {
	return []Operator{OpLess, OpLessEqual, OpGreater, OpGreaterEqual, OpEqual}
}

// Criterion is one condition on a metric, in the style of Keptn quality gates:
// an absolute bound such as "<=600" or ">=99.9", or a bound relative to the
// metric's baseline such as "<=+10%" (at most 10% above the baseline) or
// ">=-2%" (at most 2% below it). Build one with [ParseCriterion].
type Criterion struct {
	// Op is the comparison.
	Op Operator `json:"op"`
	// Value is the absolute threshold, or the percentage change from the
	// baseline when Relative is set.
	Value float64 `json:"value"`
	// Relative makes the threshold baseline × (1 + Value/100).
	Relative bool `json:"relative,omitempty"`
}

// ParseCriterion parses a criterion: an operator (<, <=, >, >=, = or ==)
// followed by a decimal number, optionally signed, e.g. "<=600", ">=99.9",
// "=0", "<-5". A number with a trailing "%" is relative to the baseline and
// must carry an explicit sign: "<=+10%", ">=-2%". Spaces around the parts are
// allowed. Errors are [*CriterionError]s wrapping [ErrInvalidCriterion].
func ParseCriterion(s string) (Criterion, error) {
	fail := func(problem string) (Criterion, error) {
		return Criterion{}, &CriterionError{Input: s, Problem: problem}
	}
	t := strings.TrimSpace(s)
	if t == "" {
		return fail(`is empty: write an operator and a number, e.g. "<=600" or "<=+10%"`)
	}
	var c Criterion
	switch {
	case strings.HasPrefix(t, "<="):
		c.Op, t = OpLessEqual, t[2:]
	case strings.HasPrefix(t, ">="):
		c.Op, t = OpGreaterEqual, t[2:]
	case strings.HasPrefix(t, "=="):
		c.Op, t = OpEqual, t[2:]
	case strings.HasPrefix(t, "<"):
		c.Op, t = OpLess, t[1:]
	case strings.HasPrefix(t, ">"):
		c.Op, t = OpGreater, t[1:]
	case strings.HasPrefix(t, "="):
		c.Op, t = OpEqual, t[1:]
	default:
		return fail("does not start with an operator: use one of <, <=, >, >=, =")
	}
	t = strings.TrimSpace(t)
	if strings.HasSuffix(t, "%") {
		c.Relative = true
		t = strings.TrimSpace(t[:len(t)-1])
		if strings.Contains(t, "%") {
			return fail(`has more than one "%": write one, e.g. "<=+10%"`)
		}
		if t == "" || (t[0] != '+' && t[0] != '-') {
			return fail(`a relative criterion needs an explicit sign: write "+10%" for an increase or "-2%" for a decrease`)
		}
	}
	if t == "" {
		return fail("has no number after the operator")
	}
	if !isDecimal(t) {
		return fail("the threshold " + strconv.Quote(t) + " is not a decimal number (digits, an optional sign, point and exponent)")
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return fail("the threshold " + strconv.Quote(t) + " is out of range")
	}
	c.Value = v
	return c, nil
}

// isDecimal accepts [+-]digits[.digits][e[+-]digits] with at least one digit
// in the mantissa; ParseFloat alone would also accept "Inf", "NaN", hex and
// underscores.
func isDecimal(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		exp := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			exp++
		}
		if exp == 0 {
			return false
		}
	}
	return i == len(s)
}

// String renders the criterion in the syntax [ParseCriterion] reads; parsing
// the result gives back an equal Criterion.
func (c Criterion) String() string {
	v := strconv.FormatFloat(c.Value, 'g', -1, 64)
	if c.Relative {
		if !strings.HasPrefix(v, "-") {
			v = "+" + v
		}
		return string(c.Op) + v + "%"
	}
	return string(c.Op) + v
}

// Threshold is the bound the metric is compared with: Value, or for a relative
// criterion baseline × (1 + Value/100).
func (c Criterion) Threshold(baseline float64) float64 {
	if c.Relative {
		return baseline * (1 + c.Value/100)
	}
	return c.Value
}

// Holds reports whether value satisfies the criterion given the baseline
// (ignored for absolute criteria). NaN never satisfies a criterion.
func (c Criterion) Holds(value, baseline float64) bool {
	t := c.Threshold(baseline)
	switch c.Op {
	case OpLess:
		return value < t
	case OpLessEqual:
		return value <= t
	case OpGreater:
		return value > t
	case OpGreaterEqual:
		return value >= t
	case OpEqual:
		return value == t
	}
	return false
}
