package trainer

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// network is a fully connected MLP: sizes[0] inputs, tanh (or sin) hidden
// layers, and a linear output layer of width sizes[L]. Its parameters live
// in one flat float64 vector (the optimizer's): for each layer l, W_l
// (sizes[l+1] × sizes[l], row major) followed by b_l (sizes[l+1]). f32
// says whether the network, its Taylor streams, the loss and the reverse
// pass run in float32 (Config.Precision f32) rather than float64.
type network struct {
	sizes []int
	act   activation
	wOff  []int
	bOff  []int
	n     int // number of parameters
	f32   bool
}

func newNetwork(sizes []int, act activation) (*network, error) {
	if len(sizes) < 2 {
		return nil, fmt.Errorf("network needs at least an input and an output layer, got sizes %v", sizes)
	}
	for _, s := range sizes {
		if s < 1 || s > 4096 {
			return nil, fmt.Errorf("layer width %d out of range [1, 4096]", s)
		}
	}
	nt := &network{sizes: append([]int(nil), sizes...), act: act}
	off := 0
	for l := 0; l+1 < len(sizes); l++ {
		nt.wOff = append(nt.wOff, off)
		off += sizes[l+1] * sizes[l]
		nt.bOff = append(nt.bOff, off)
		off += sizes[l+1]
	}
	nt.n = off
	return nt, nil
}

// layers is the number of affine layers (hidden + output).
func (nt *network) layers() int { return len(nt.sizes) - 1 }

func (nt *network) weights(p []float64, l int) []float64 {
	return p[nt.wOff[l] : nt.wOff[l]+nt.sizes[l+1]*nt.sizes[l]]
}

func (nt *network) bias(p []float64, l int) []float64 {
	return p[nt.bOff[l] : nt.bOff[l]+nt.sizes[l+1]]
}

// real is the element type of the numerical core: every activation,
// Taylor stream, residual and adjoint of a batch is a T.
type real interface{ float32 | float64 }

// params holds a network's parameters in the core's precision, laid out
// for the GEMMs: layer l is one sizes[l+1] × (sizes[l]+1) row-major
// matrix [W_l | b_l]. The activations carry a row of ones (value stream)
// and zeros (derivative streams) below their units, so one product
// computes W·h + b, and the weight-gradient product yields the bias
// gradient as its last column.
type params[T real] struct {
	w [][]T
}

// newParams allocates the packed layers of nt.
func newParams[T real](nt *network) [][]T {
	w := make([][]T, nt.layers())
	for l := range w {
		w[l] = make([]T, nt.sizes[l+1]*(nt.sizes[l]+1))
	}
	return w
}

// load packs p (the flat float64 vector) into pw, rounding to T.
func (pw *params[T]) load(nt *network, p []float64) {
	if pw.w == nil {
		pw.w = newParams[T](nt)
	}
	for l, wl := range pw.w {
		in := nt.sizes[l]
		W, b := nt.weights(p, l), nt.bias(p, l)
		for r, br := range b {
			row := wl[r*(in+1) : (r+1)*(in+1)]
			for c, v := range W[r*in : (r+1)*in] {
				row[c] = T(v)
			}
			row[in] = T(br)
		}
	}
}

// addGrad adds the packed gradient g (the layout of params) to grad (the
// flat float64 layout of p).
func addGrad[T real](nt *network, g [][]T, grad []float64) {
	for l, gl := range g {
		in := nt.sizes[l]
		W, b := nt.weights(grad, l), nt.bias(grad, l)
		for r := range b {
			row := gl[r*(in+1) : (r+1)*(in+1)]
			w := W[r*in : (r+1)*in]
			for c, v := range row[:in] {
				w[c] += float64(v)
			}
			b[r] += float64(row[in])
		}
	}
}

// initParams fills p with PyTorch's default nn.Linear initialisation: every
// weight and bias of layer l drawn from U(−1/√fan_in, +1/√fan_in), where
// fan_in = sizes[l]. The generator is PCG seeded with (seed, 0x5eed), drawn
// layer by layer, weights (row major) before biases, so a seed gives the same
// network on every platform.
func (nt *network) initParams(p []float64, seed int64) {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x5eed))
	for l := 0; l < nt.layers(); l++ {
		bound := 1 / math.Sqrt(float64(nt.sizes[l]))
		w := nt.weights(p, l)
		for i := range w {
			w[i] = bound * (2*rng.Float64() - 1)
		}
		b := nt.bias(p, l)
		for i := range b {
			b[i] = bound * (2*rng.Float64() - 1)
		}
	}
}
