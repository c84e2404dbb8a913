package spectral

import (
	"fmt"
	"math"
)

// KernelVariance is the relative variance of Density's Gaussian kernel:
// σ² = KernelVariance·max(1, λ_max − λ_min).
const KernelVariance = 1e-5

// Density is a smoothed spectral density on equal bins.
type Density struct {
	// Lo and Hi bound the bins: bin b covers [Lo + b·w, Lo + (b+1)·w)
	// with w = (Hi − Lo)/len(Mass).
	Lo float64 `json:"lo"`
	Hi float64 `json:"hi"`
	// Sigma is the kernel's standard deviation.
	Sigma float64 `json:"sigma"`
	// Mass is the smoothed density integrated over each bin (the bins sum
	// to 1 up to the kernel's tails outside [Lo, Hi], which are below
	// 0.3 %).
	Mass []float64 `json:"mass"`
}

// SmoothDensity averages the quadratures (nodes[r], weights[r]) of
// several runs, smooths them with a Gaussian kernel and integrates the
// result over bins equal bins; see the package documentation.
func SmoothDensity(nodes, weights [][]float64, bins int) (Density, error) {
	if bins < 1 || len(nodes) == 0 || len(nodes) != len(weights) {
		return Density{}, fmt.Errorf("%w: %d bins, %d node sets, %d weight sets", ErrBadInput, bins, len(nodes), len(weights))
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for r := range nodes {
		if len(nodes[r]) != len(weights[r]) || len(nodes[r]) == 0 {
			return Density{}, fmt.Errorf("%w: run %d has %d nodes and %d weights", ErrBadInput, r, len(nodes[r]), len(weights[r]))
		}
		for i, v := range nodes[r] {
			if math.IsNaN(v) || math.IsInf(v, 0) || math.IsNaN(weights[r][i]) || weights[r][i] < 0 {
				return Density{}, fmt.Errorf("%w: run %d node %d = %g, weight %g", ErrBadInput, r, i, v, weights[r][i])
			}
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	sigma := math.Sqrt(KernelVariance * math.Max(1, hi-lo))
	d := Density{Lo: lo - 3*sigma, Hi: hi + 3*sigma, Sigma: sigma, Mass: make([]float64, bins)}
	width := (d.Hi - d.Lo) / float64(bins)
	runs := float64(len(nodes))
	for r := range nodes {
		for i, theta := range nodes[r] {
			w := weights[r][i] / runs
			if w == 0 {
				continue
			}
			// Only bins within 8σ of θ get a share worth adding.
			b0 := max(0, int(math.Floor((theta-8*sigma-d.Lo)/width)))
			b1 := min(bins-1, int(math.Floor((theta+8*sigma-d.Lo)/width)))
			for b := b0; b <= b1; b++ {
				a := d.Lo + float64(b)*width
				d.Mass[b] += w * (gaussCDF((a+width-theta)/sigma) - gaussCDF((a-theta)/sigma))
			}
		}
	}
	return d, nil
}

func gaussCDF(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }
