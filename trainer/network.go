package trainer

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// network is a fully connected MLP: sizes[0] inputs, tanh (or sin) hidden
// layers, and a linear output layer of width sizes[L]. Its parameters live
// in one flat vector: for each layer l, W_l (sizes[l+1] × sizes[l], row
// major) followed by b_l (sizes[l+1]).
type network struct {
	sizes []int
	act   activation
	wOff  []int
	bOff  []int
	n     int // number of parameters
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
