package benchreport

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
)

// Cmp says how a ratio is held against a target value.
type Cmp string

// The comparisons a [Target] can make.
const (
	// NoCmp: the issue set no target for this figure.
	NoCmp Cmp = ""
	// AtLeast: the ratio must be >= the target value.
	AtLeast Cmp = ">="
	// AtMost: the ratio must be <= the target value.
	AtMost Cmp = "<="
)

// Cmps lists every [Cmp].
func Cmps() []Cmp { return []Cmp{NoCmp, AtLeast, AtMost} }

// Verdict is the outcome of holding a figure against its target.
type Verdict string

// The verdicts.
const (
	// Met: the figure meets its target.
	Met Verdict = "met"
	// NotMet: the figure misses its target.
	NotMet Verdict = "not met"
	// NoTarget: the figure was measured; its issue set no target.
	NoTarget Verdict = "no target"
	// NoData: a figure needed for the ratio is missing (the group failed or was
	// skipped, a benchmark skipped, or a value was zero).
	NoData Verdict = "no data"
)

// Verdicts lists every [Verdict].
func Verdicts() []Verdict { return []Verdict{Met, NotMet, NoTarget, NoData} }

// Target is a figure's target from its issue, such as "Waves >= 10x faster than gonum
// topo.Sort": Cmp and Value hold the ratio against its bound, Text says it in words.
// The zero Target means "no target".
type Target struct {
	Cmp   Cmp
	Value float64
	Text  string
}

// None is the zero [Target] with a text saying why there is no target.
func None(why string) Target { return Target{Text: why} }

// AtLeastTarget returns a target "ratio >= v".
func AtLeastTarget(v float64, text string) Target { return Target{Cmp: AtLeast, Value: v, Text: text} }

// AtMostTarget returns a target "ratio <= v".
func AtMostTarget(v float64, text string) Target { return Target{Cmp: AtMost, Value: v, Text: text} }

// Check holds a ratio against the target. A NaN or infinite ratio gives [NoData]; a
// target without a comparison gives [NoTarget].
func (t Target) Check(ratio float64) Verdict {
	if math.IsNaN(ratio) || math.IsInf(ratio, 0) {
		return NoData
	}
	switch t.Cmp {
	case AtLeast:
		if ratio >= t.Value {
			return Met
		}
		return NotMet
	case AtMost:
		if ratio <= t.Value {
			return Met
		}
		return NotMet
	default:
		return NoTarget
	}
}

// String says the target in words, with its bound.
func (t Target) String() string {
	if t.Cmp == NoCmp {
		if t.Text == "" {
			return "no target"
		}
		return "no target (" + t.Text + ")"
	}
	return fmt.Sprintf("%s (ratio %s %s)", t.Text, t.Cmp, strconv.FormatFloat(t.Value, 'g', -1, 64))
}

// Validate reports a target whose comparison is unknown or whose bound is not a
// positive finite number.
func (t Target) Validate() error {
	if !slices.Contains(Cmps(), t.Cmp) {
		return fmt.Errorf("target %q: unknown comparison %q: use one of %v", t.Text, t.Cmp, Cmps())
	}
	if t.Cmp != NoCmp && (t.Value <= 0 || math.IsInf(t.Value, 0) || math.IsNaN(t.Value)) {
		return fmt.Errorf("target %q: bound %v must be a positive number", t.Text, t.Value)
	}
	return nil
}

// Unit names a benchmark metric.
const (
	NsPerOp     = "ns/op"
	BytesPerOp  = "B/op"
	AllocsPerOp = "allocs/op"
)

// Measure names one metric of one benchmark: Bench is the full name without the
// -GOMAXPROCS suffix, Unit defaults to ns/op.
type Measure struct {
	Bench string
	Unit  string
}

func (m Measure) unit() string {
	if m.Unit == "" {
		return NsPerOp
	}
	return m.Unit
}

// Comparison is an operation's figure beside its reference, measured in the same run,
// and the target from its issue.
//
// The ratio is Op / Ref (or Ref / Op when Invert is set) where Ref is another benchmark
// of the same group; or Op / RefConst when RefConst is set (a fixed bound such as
// 50 ms); or, when neither is set, Op's own value: a benchmark that times the
// operation and its reference in turn inside one loop and reports the ratio itself.
type Comparison struct {
	// Label names the comparison, such as "Waves vs gonum topo.Sort, 100,000 nodes, 400,000 edges".
	Label string
	// Op is the operation's figure.
	Op Measure
	// Ref is the reference benchmark's figure, or nil.
	Ref *Measure
	// RefConst is a fixed reference in Op's unit, used when Ref is nil.
	RefConst float64
	// RefLabel names the reference ("gonum topo.Sort", "50 ms").
	RefLabel string
	// Invert makes the ratio Ref / Op (a speed-up) instead of Op / Ref.
	Invert bool
	// RatioLabel says what the ratio is ("gonum / depgraph").
	RatioLabel string
	// Target is the target from the issue, or a [None] target.
	Target Target
}

// ComparisonResult is a [Comparison] evaluated on a [Set].
type ComparisonResult struct {
	Comparison
	// OpValue and RefValue are the medians (and ranges) of the two figures; RefValue
	// holds RefConst when the reference is fixed, and is unset for a ratio measured
	// in one loop.
	OpValue, RefValue Summary
	OpOK, RefOK       bool
	Ratio             float64
	// RatioMin and RatioMax are the range of the ratio over the rounds: the ratio of
	// each round's two figures (the runner takes the runs in rounds, so the i-th
	// figures of the operation and of its reference ran side by side), or the range
	// of a ratio measured in one loop. Both are NaN when there is no range.
	RatioMin, RatioMax float64
	Verdict            Verdict
	Missing            string // what was missing, when Verdict is NoData
	RatioMeasured      bool   // whether Ratio holds a value
}

// Evaluate computes the ratio of medians and holds it against the target.
func (c Comparison) Evaluate(s *Set) ComparisonResult {
	r := ComparisonResult{Comparison: c, Ratio: math.NaN(), RatioMin: math.NaN(), RatioMax: math.NaN()}
	r.OpValue, r.OpOK = s.Get(c.Op.Bench, c.Op.unit())
	var missing []string
	if !r.OpOK {
		missing = append(missing, fmt.Sprintf("%s of %s", c.Op.unit(), c.Op.Bench))
	}
	switch {
	case c.Ref != nil:
		r.RefValue, r.RefOK = s.Get(c.Ref.Bench, c.Ref.unit())
		if !r.RefOK {
			missing = append(missing, fmt.Sprintf("%s of %s", c.Ref.unit(), c.Ref.Bench))
		}
	case c.RefConst != 0:
		r.RefValue, r.RefOK = Summary{Median: c.RefConst, Min: c.RefConst, Max: c.RefConst, N: 1}, true
	default:
		r.RefOK = true
	}
	if len(missing) > 0 {
		r.Verdict, r.Missing = NoData, "missing: "+joinAnd(missing)
		return r
	}
	switch {
	case c.Ref == nil && c.RefConst == 0:
		r.Ratio = r.OpValue.Median
	case c.Invert:
		r.Ratio = r.RefValue.Median / r.OpValue.Median
	default:
		r.Ratio = r.OpValue.Median / r.RefValue.Median
	}
	if math.IsNaN(r.Ratio) || math.IsInf(r.Ratio, 0) {
		r.Verdict, r.Missing = NoData, "a zero figure: the ratio is undefined"
		r.Ratio = math.NaN()
		return r
	}
	r.RatioMeasured = true
	r.Verdict = c.Target.Check(r.Ratio)
	r.RatioMin, r.RatioMax = c.ratioRange(s, r.OpValue)
	return r
}

// ratioRange returns the range of the per-round ratios (see RatioMin), or NaNs.
func (c Comparison) ratioRange(s *Set, op Summary) (lo, hi float64) {
	lo, hi = math.NaN(), math.NaN()
	switch {
	case c.Ref == nil && c.RefConst == 0:
		if op.N > 1 {
			return op.Min, op.Max
		}
	case c.Ref != nil:
		ops, refs := s.Values(c.Op.Bench, c.Op.unit()), s.Values(c.Ref.Bench, c.Ref.unit())
		if len(ops) < 2 || len(ops) != len(refs) {
			return lo, hi
		}
		for i := range ops {
			q := ops[i] / refs[i]
			if c.Invert {
				q = refs[i] / ops[i]
			}
			if math.IsNaN(q) || math.IsInf(q, 0) {
				return math.NaN(), math.NaN()
			}
			if i == 0 || q < lo {
				lo = q
			}
			if i == 0 || q > hi {
				hi = q
			}
		}
	}
	return lo, hi
}

// Scaling shows how one operation's cost grows with size: every benchmark of the group
// whose name matches Pattern is a point, and Pattern's one capture group is its size.
type Scaling struct {
	// Label names the operation ("Waves (depgraph)").
	Label string
	// Pattern is a regexp over full benchmark names with exactly one capture group
	// holding the size, such as `^BenchmarkPlan/components=(\d+)$`.
	Pattern string
	// Unit is the metric, ns/op by default.
	Unit string
	// SizeName names the size ("components", "edges").
	SizeName string
	// MaxExponent, when positive, is a target on the growth exponent from the smallest
	// to the largest size (cost ∝ size^exponent: 1 is linear; logarithmic growth gives
	// a small exponent). TargetText says it in words.
	MaxExponent float64
	TargetText  string
}

// ScalingPoint is one size of a [Scaling].
type ScalingPoint struct {
	Bench string
	Size  float64
	Value Summary
	// SizeFactor, Growth and Exponent compare this point with the previous one; they
	// are zero for the first point.
	SizeFactor, Growth, Exponent float64
}

// ScalingResult is a [Scaling] evaluated on a [Set].
type ScalingResult struct {
	Scaling
	Points []ScalingPoint
	// Exponent is the growth exponent from the first to the last point (NaN with fewer
	// than two points or equal sizes).
	Exponent float64
	Verdict  Verdict
	Note     string
}

func (sc Scaling) unit() string {
	if sc.Unit == "" {
		return NsPerOp
	}
	return sc.Unit
}

// Evaluate finds the scaling's points in the set, sorted by size, with growth factors.
func (sc Scaling) Evaluate(s *Set) ScalingResult {
	res := ScalingResult{Scaling: sc, Exponent: math.NaN(), Verdict: NoData}
	re, err := regexp.Compile(sc.Pattern)
	if err != nil {
		res.Note = "bad pattern: " + err.Error()
		return res
	}
	for _, name := range s.Names() {
		m := re.FindStringSubmatch(name)
		if len(m) != 2 {
			continue
		}
		size, err := strconv.ParseFloat(m[1], 64)
		if err != nil || size <= 0 {
			continue
		}
		v, ok := s.Get(name, sc.unit())
		if !ok {
			continue
		}
		res.Points = append(res.Points, ScalingPoint{Bench: name, Size: size, Value: v})
	}
	slices.SortStableFunc(res.Points, func(a, b ScalingPoint) int {
		switch {
		case a.Size < b.Size:
			return -1
		case a.Size > b.Size:
			return 1
		}
		return 0
	})
	for i := 1; i < len(res.Points); i++ {
		p, q := &res.Points[i], res.Points[i-1]
		p.SizeFactor = p.Size / q.Size
		p.Growth = p.Value.Median / q.Value.Median
		p.Exponent = exponent(p.Growth, p.SizeFactor)
	}
	switch n := len(res.Points); {
	case n == 0:
		res.Note = "no sizes measured"
		return res
	case n == 1:
		res.Note = "only one size measured"
		return res
	case n == 2:
		res.Note = "only two sizes measured"
	}
	first, last := res.Points[0], res.Points[len(res.Points)-1]
	res.Exponent = exponent(last.Value.Median/first.Value.Median, last.Size/first.Size)
	switch {
	case math.IsNaN(res.Exponent):
		res.Verdict = NoData
	case sc.MaxExponent > 0 && res.Exponent <= sc.MaxExponent:
		res.Verdict = Met
	case sc.MaxExponent > 0:
		res.Verdict = NotMet
	default:
		res.Verdict = NoTarget
	}
	return res
}

// exponent returns log(growth)/log(sizeFactor): cost ∝ size^exponent between two sizes.
func exponent(growth, sizeFactor float64) float64 {
	if sizeFactor <= 0 || sizeFactor == 1 || growth <= 0 {
		return math.NaN()
	}
	e := math.Log(growth) / math.Log(sizeFactor)
	if math.IsInf(e, 0) {
		return math.NaN()
	}
	return e
}

func joinAnd(xs []string) string {
	switch len(xs) {
	case 0:
		return ""
	case 1:
		return xs[0]
	}
	out := ""
	for i, x := range xs {
		switch {
		case i == 0:
		case i == len(xs)-1:
			out += " and "
		default:
			out += ", "
		}
		out += x
	}
	return out
}
