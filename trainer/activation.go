package trainer

import (
	"fmt"
	"math"

	"github.com/pinnsweep/pinnsweep/internal/vmath"
)

// activation names σ; evalAct applies it. The derivative streams need σ'
// (first order), σ” (second-order streams and every reverse pass through
// a first-order stream) and σ”' (the reverse pass of a second-order
// stream).
type activation interface {
	name() string
}

func activationByName(name string) (activation, error) {
	switch name {
	case "tanh", "":
		return tanhAct{}, nil
	case "sin":
		return sinAct{}, nil
	}
	return nil, fmt.Errorf("unknown activation %q (known: tanh, sin)", name)
}

type tanhAct struct{}

func (tanhAct) name() string { return "tanh" }

type sinAct struct{}

func (sinAct) name() string { return "sin" }

// fused reports whether a layer of act with streams st takes the fused
// path: tanh with first-order streams only (convection, reaction, and the
// IC and BC batches of every PDE). Its forward pass is vmath.TanhJet in
// place and its reverse pass vmath.TanhJetAdjoint, which need only the
// layer's outputs h (σ' = 1 − h², σ” = −2hσ'), so neither the
// pre-activations nor any derivative of σ is kept.
func fused(act activation, st streams) bool {
	_, ok := act.(tanhAct)
	return ok && !st.xx
}

// evalAct sets h = σ(a), s1 = σ'(a), s2 = σ”(a) and, if s3 != nil,
// s3 = σ”'(a): the general path, for sin and second-order streams. All
// slices have the same length.
func evalAct[T real](act activation, h, s1, s2, s3, a []T) {
	h = h[:len(a)]
	s1 = s1[:len(a)]
	s2 = s2[:len(a)]
	switch act.(type) {
	case tanhAct:
		// With h = tanh(a): σ' = 1 − h², σ” = −2hσ', σ”' = −2σ'(1 − 3h²).
		vmath.TanhJet(h, s1, nil, a, nil)
		for i, v := range h {
			s2[i] = -2 * v * s1[i]
		}
		if s3 != nil {
			s3 = s3[:len(h)]
			for i, v := range h {
				s3[i] = -2 * s1[i] * (1 - 3*v*v)
			}
		}
	case sinAct:
		for i, v := range a {
			sn, cs := math.Sincos(float64(v))
			h[i] = T(sn)
			s1[i] = T(cs)
			s2[i] = T(-sn)
		}
		if s3 != nil {
			s3 = s3[:len(a)]
			for i := range a {
				s3[i] = -s1[i]
			}
		}
	}
}
