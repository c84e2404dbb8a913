package sweeps

import (
	"math"
	"strconv"
)

// Axis is one swept dimension of a spec.
type Axis struct {
	// Name is the axis name. For plain items it is also the setting the
	// item's value is assigned to.
	Name string

	// Values are the axis values in file order (for a range, in range
	// order, with values that round to an earlier one dropped).
	Values []AxisValue

	// Range is the range the values were generated from, or nil for an
	// explicit list.
	Range *Range

	// Line is the 1-based line of the axis in the spec, or 0.
	Line int
}

// AxisValue is one value of an axis: either a plain item, which sets the
// setting named by the axis, or a bundle (a YAML mapping), which sets
// several settings at once and is shown by its label.
type AxisValue struct {
	// Value is what a trial's Point shows for this axis: the value of a
	// plain item, or the label of a bundle.
	Value any

	// Settings are the settings the item sets, sorted by key: for a plain
	// item, the single setting {Axis.Name, Value}.
	Settings []Setting

	// Bundle reports whether the item is a bundle.
	Bundle bool

	// Line is the 1-based line of the item in the spec, or 0.
	Line int
}

// Range kinds.
const (
	// Linspace is n evenly spaced values from start to stop inclusive.
	Linspace = "linspace"
	// Logspace is n values from 10^start to 10^stop inclusive, evenly
	// spaced in the exponent.
	Logspace = "logspace"
)

// Range is a generated axis: {linspace: [start, stop, n]} or
// {logspace: [start_exp, stop_exp, n]}.
//
// Value i (0 ≤ i < n) is start + (stop-start)·i/(n-1), or 10 raised to that
// for a logspace, rounded to 15 significant decimal digits, so that
// linspace [0, 1, 11] yields 0.1, 0.2, 0.3 rather than 0.30000000000000004;
// with n = 1 the only value is start (or 10^start). A value equal to an
// earlier one after rounding is dropped.
type Range struct {
	// Kind is Linspace or Logspace.
	Kind string
	// Start and Stop are the first and last values (exponents for a
	// logspace).
	Start, Stop float64
	// N is the number of values before rounding duplicates are dropped.
	N int
}

// Limits on range endpoints, which keep every computed value finite.
const (
	maxLinspaceAbs = 1e300
	maxLogspaceExp = 300
)

// at returns value i of r, rounded.
func (r *Range) at(i int) float64 {
	x := r.Start
	if r.N > 1 && i > 0 {
		x = r.Start + (r.Stop-r.Start)*float64(i)/float64(r.N-1)
	}
	if r.Kind == Logspace {
		x = math.Pow(10, x)
	}
	return round15(x)
}

// values returns the distinct values of r in order. It allocates in
// proportion to r.N; callers bound r.N first.
func (r *Range) values() []float64 {
	out := make([]float64, 0, r.N)
	seen := make(map[float64]struct{}, r.N)
	for i := range r.N {
		x := r.at(i)
		if _, dup := seen[x]; dup {
			continue
		}
		seen[x] = struct{}{}
		out = append(out, x)
	}
	return out
}

// round15 rounds x to 15 significant decimal digits, the most that every
// float64 round-trips through, and turns -0 into 0.
func round15(x float64) float64 {
	var buf [32]byte
	// ParseFloat cannot fail on FormatFloat's output (±Inf and NaN
	// included), so its error is ignored.
	y, _ := strconv.ParseFloat(string(strconv.AppendFloat(buf[:0], x, 'g', 15, 64)), 64)
	if y == 0 {
		return 0
	}
	return y
}
