package refsol

import (
	"fmt"
	"math"
)

// Grid limits, guarding against accidental huge allocations.
const (
	// MinNX is the smallest accepted number of x points.
	MinNX = 4
	// MinNT is the smallest accepted number of t points (t = 0 and t = 1).
	MinNT = 2
	// MaxPoints caps NX·NT (2^27 points, 1 GiB of float64).
	MaxPoints = 1 << 27
)

// Grid is the evaluation grid: x_j = 2πj/NX for j = 0..NX-1 (periodic, 2π
// excluded) and t_i = i/(NT-1) for i = 0..NT-1 (both 0 and 1 included).
//
// A solution on the grid is a []float64 of length NT·NX stored row-major by
// t: u(x_j, t_i) is at index i·NX + j (see Index). This is the layout of the
// public code's flattened arrays.
type Grid struct {
	// NX is the number of x points (≥ 4). It need not be a power of two.
	NX int
	// NT is the number of t points (≥ 2).
	NT int
}

// PaperGrid returns the paper's 256 × 100 evaluation grid.
func PaperGrid() Grid { return Grid{NX: 256, NT: 100} }

// Validate reports whether g is usable: NX ≥ 4, NT ≥ 2, NX·NT ≤ MaxPoints.
func (g Grid) Validate() error {
	if g.NX < MinNX {
		return fmt.Errorf("refsol: grid NX = %d, need NX ≥ %d", g.NX, MinNX)
	}
	if g.NT < MinNT {
		return fmt.Errorf("refsol: grid NT = %d, need NT ≥ %d (t = 0 and t = 1)", g.NT, MinNT)
	}
	if g.NX > MaxPoints/g.NT {
		return fmt.Errorf("refsol: grid %d × %d has more than %d points", g.NX, g.NT, MaxPoints)
	}
	return nil
}

// X returns x_j = 2πj/NX.
func (g Grid) X(j int) float64 { return 2 * math.Pi * float64(j) / float64(g.NX) }

// T returns t_i = i/(NT-1); T(0) = 0 and T(NT-1) = 1 exactly.
func (g Grid) T(i int) float64 { return float64(i) / float64(g.NT-1) }

// Len returns NX·NT, the length of a solution slice.
func (g Grid) Len() int { return g.NX * g.NT }

// Index returns the position of u(x_j, t_i) in a solution slice: i·NX + j.
func (g Grid) Index(i, j int) int { return i*g.NX + j }

// Xs returns all x_j, j = 0..NX-1.
func (g Grid) Xs() []float64 {
	xs := make([]float64, g.NX)
	for j := range xs {
		xs[j] = g.X(j)
	}
	return xs
}

// Ts returns all t_i, i = 0..NT-1.
func (g Grid) Ts() []float64 {
	ts := make([]float64, g.NT)
	for i := range ts {
		ts[i] = g.T(i)
	}
	return ts
}
