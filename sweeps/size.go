package sweeps

import (
	"fmt"
	"math"
	"math/bits"
	"strings"
)

// Size returns the number of trials Expand returns: the product of the
// axis lengths and the number of seeds. It fails with ErrTooManyTrials if
// that exceeds the spec's limit (MaxTrials, or DefaultMaxTrials when
// zero).
//
// Size does not allocate unless it fails, so it is safe to call on any
// grid, however large; Parse has already checked a parsed spec.
func (s *Spec) Size() (int, error) {
	n := int64(len(s.seeds()))
	overflow := false
	for i := range s.Axes {
		n, overflow = mul(n, int64(len(s.Axes[i].Values)))
		if overflow {
			break
		}
	}
	if !overflow && n <= int64(s.limit()) {
		return int(n), nil
	}
	names := make([]string, len(s.Axes))
	lens := make([]int64, len(s.Axes))
	for i, a := range s.Axes {
		names[i], lens[i] = a.Name, int64(len(a.Values))
	}
	return 0, tooManyTrials(s.File, 0, names, lens, int64(len(s.seeds())), s.limit())
}

// mul returns a·b for non-negative a and b, and whether it overflows an
// int64.
func mul(a, b int64) (int64, bool) {
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	if hi != 0 || lo > math.MaxInt64 {
		return 0, true
	}
	return int64(lo), false
}

// gridSize returns the number of trials of a grid with the given axis
// lengths and seed count, and whether it is within limit.
func gridSize(lens []int64, seeds int64, limit int) (int, bool) {
	n := seeds
	for _, l := range lens {
		var overflow bool
		if n, overflow = mul(n, l); overflow {
			return 0, false
		}
	}
	return int(n), n <= int64(limit)
}

// tooManyTrials returns the error for a grid over its limit, such as
// "grid has 10000000 trials (beta 1000 × nu 1000 × 10 seeds), more than
// max_trials 1000000".
func tooManyTrials(file string, line int, names []string, lens []int64, seeds int64, limit int) *Error {
	var factors strings.Builder
	n, overflow := seeds, false
	for i, name := range names {
		fmt.Fprintf(&factors, "%s %d × ", name, lens[i])
		if !overflow {
			n, overflow = mul(n, lens[i])
		}
	}
	fmt.Fprintf(&factors, "%d seed", seeds)
	if seeds != 1 {
		factors.WriteByte('s')
	}
	total := fmt.Sprint(n)
	if overflow {
		total = fmt.Sprintf("more than %d", int64(math.MaxInt64))
	}
	return &Error{
		File: file,
		Line: line,
		Msg:  fmt.Sprintf("grid has %s trials (%s), more than max_trials %d", total, factors.String(), limit),
		Kind: ErrTooManyTrials,
	}
}
