package trainer

import (
	"context"
	"math"
	"time"
)

// Landscape is the training loss on a square grid of the plane through
// the final parameters θ* spanned by the top two unit Hessian
// eigenvectors v₁, v₂ (the loss-landscape figures of Krishnapriyan et al.
// 2021 and PyHessian): Loss[j·N + i] = L(θ* + Coords[i]·v₁ + Coords[j]·v₂)
// with N = len(Coords). Coords are N = LandscapePoints values evenly over
// [−LandscapeRange, LandscapeRange] (0 in the middle). The axes are in
// parameter units (the eigenvectors have norm 1), the same for every
// trial, so trials of a sweep compare directly. Each eigenvector's sign
// makes its largest-magnitude component positive.
//
// The default 21 × 21 grid over [−1, 1]² costs 441 loss evaluations and
// about 2.4 kB of JSON.
type Landscape struct {
	Coords []float64 `json:"coords"`
	// Loss holds the losses (float32; NaN where the loss is not finite).
	Loss Float32s `json:"loss"`
	// Center is the loss at θ* in full precision.
	Center float64 `json:"center"`
	// Lambda1 and Lambda2 are the eigenvalues of v₁ and v₂.
	Lambda1 float64 `json:"lambda1"`
	Lambda2 float64 `json:"lambda2"`
	// Evals counts the loss evaluations and Seconds their wall time.
	Evals   int     `json:"evals"`
	Seconds float64 `json:"seconds"`
}

// landscape evaluates f on the grid of cfg around p along v1 and v2 and
// records it in the result. It returns the context's error if the
// context ends first.
func (s *session) landscape(ctx context.Context, f lossGrad, p, v1, v2 []float64, l1, l2 float64) error {
	t0 := time.Now()
	n := s.cfg.LandscapePoints
	r := s.cfg.LandscapeRange
	ls := &Landscape{Coords: make([]float64, n), Loss: make(Float32s, n*n), Lambda1: l1, Lambda2: l2}
	for i := range ls.Coords {
		ls.Coords[i] = r * float64(2*i-(n-1)) / float64(n-1)
	}
	x := make([]float64, len(p))
	grad := make([]float64, len(p))
	for j, b := range ls.Coords {
		for i, a := range ls.Coords {
			if err := ctx.Err(); err != nil {
				return err
			}
			for k, pk := range p {
				x[k] = pk + a*v1[k] + b*v2[k]
			}
			v := f(x, grad)
			ls.Evals++
			if math.IsInf(v, 0) {
				v = math.NaN()
			}
			ls.Loss[j*n+i] = float32(v)
			if a == 0 && b == 0 {
				ls.Center = v
			}
		}
	}
	ls.Seconds = time.Since(t0).Seconds()
	s.res.Landscape = ls
	return nil
}
