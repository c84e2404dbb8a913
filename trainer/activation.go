package trainer

import (
	"fmt"
	"math"

	"github.com/pinnsweep/pinnsweep/internal/vmath"
)

// activation applies σ and its first three derivatives elementwise. The
// derivative streams need σ' (first order), σ” (second-order streams and
// every reverse pass through a first-order stream) and σ”' (the reverse
// pass of a second-order stream).
type activation interface {
	// eval sets h = σ(a), s1 = σ'(a), s2 = σ''(a) and, if s3 != nil,
	// s3 = σ'''(a). All slices have the same length.
	eval(h, s1, s2, s3, a []float64)
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

// eval uses the fast vectorised tanh; with h = tanh(a): σ' = 1 − h²,
// σ” = −2hσ', σ”' = −2σ'(1 − 3h²).
func (tanhAct) eval(h, s1, s2, s3, a []float64) {
	vmath.TanhDeriv(h, s1, a)
	s1 = s1[:len(h)]
	s2 = s2[:len(h)]
	for i, v := range h {
		s2[i] = -2 * v * s1[i]
	}
	if s3 != nil {
		s3 = s3[:len(h)]
		for i, v := range h {
			s3[i] = -2 * s1[i] * (1 - 3*v*v)
		}
	}
}

type sinAct struct{}

func (sinAct) name() string { return "sin" }

func (sinAct) eval(h, s1, s2, s3, a []float64) {
	h = h[:len(a)]
	s1 = s1[:len(a)]
	s2 = s2[:len(a)]
	for i, v := range a {
		sn, cs := math.Sincos(v)
		h[i] = sn
		s1[i] = cs
		s2[i] = -sn
	}
	if s3 != nil {
		s3 = s3[:len(a)]
		for i := range a {
			s3[i] = -s1[i]
		}
	}
}
