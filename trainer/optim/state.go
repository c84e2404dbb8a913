package optim

import (
	"fmt"
	"math"

	"github.com/pinnsweep/pinnsweep/internal/bincodec"
)

// callState is what a Minimize call carries across an iteration boundary
// besides the optimizer's persistent state: its counters (the per-call
// caps count from them) and the loss and max|g| of the last evaluation.
type callState struct {
	iters, evals int
	f, gmax      float64
}

// boundary records the running call's counters, calls AtBoundary, and
// forgets them again: MarshalBinary sees a call in progress only inside
// the hook.
func (o *LBFGS) boundary(c callState) {
	o.at = &c
	defer func() { o.at = nil }()
	o.set.AtBoundary()
}

func (o *Adam) boundary(c callState) {
	o.at = &c
	defer func() { o.at = nil }()
	o.set.AtBoundary()
}

// Kinds of optimizer state (the kind field of the encoding).
const (
	kindLBFGS = "lbfgs"
	kindAdam  = "adam"
)

// stateFormat is the version of the encoding below; UnmarshalBinary
// refuses any other.
const stateFormat = 1

// state is the encoding of either optimizer (with package bincodec, which
// keeps every float64 bit for bit), in field order.
type state struct {
	kind string
	n    int
	// settings are the resolved settings that shape the iterates (not the
	// per-call caps): a state is only taken by an optimizer whose
	// settings are the same.
	settings []float64

	// L-BFGS: PyTorch's state (n_iter, func_evals, d, t, prev_flat_grad,
	// H_diag, old_stps, old_dirs, ro) with the stored pairs oldest first.
	// Adam: nEvals, the moments m and v, the step count and the (decayed)
	// learning rate.
	nIter, nEvals int
	d, prevG      []float64
	t, hDiag      float64
	s, y          [][]float64
	s32, y32      [][]float32 // the pairs instead of s, y with Settings.HistoryFloat32
	ro            []float64
	m, v          []float64
	step          int
	lr            float64

	// call is the call in progress at a boundary (nil between calls),
	// with the vector it needs: L-BFGS's gradient at x, or Adam's point
	// before its last update (x goes back there if the next evaluation
	// diverges).
	call *callState
	vec  []float64
}

// settingsKey of an LBFGS: with HistoryFloat32 a sixth value, 1, so that
// float32 pairs are never restored into a float64 history or the reverse
// (and states of float64 histories read as before the option existed).
func (o *LBFGS) settingsKey() []float64 {
	k := []float64{o.lr, o.tolGrad, o.tolChange, float64(o.maxLS), float64(len(o.mem.ring))}
	if o.mem.f32 {
		k = append(k, 1)
	}
	return k
}

func (o *Adam) settingsKey() []float64 {
	return []float64{o.lr0, o.b1, o.b2, o.eps, o.tolGrad, o.decay, float64(o.set.DecaySteps)}
}

// MarshalBinary encodes the optimizer's whole state: the curvature pairs
// (as float32 with Settings.HistoryFloat32, as they are stored), the last
// direction and step, the previous gradient, the counters and,
// when called from Settings.AtBoundary, the call in progress. An LBFGS
// with the same n and settings restored from it by UnmarshalBinary
// produces bit-identical iterates from there on.
func (o *LBFGS) MarshalBinary() ([]byte, error) {
	st := state{kind: kindLBFGS, n: o.n, settings: o.settingsKey(),
		nIter: o.nIter, nEvals: o.nEvals, d: o.d, prevG: o.prevG, t: o.t, hDiag: o.hDiag, call: o.at}
	for k := 0; k < o.mem.count; k++ {
		j := o.mem.slot(k)
		if o.mem.f32 {
			st.s32 = append(st.s32, o.mem.v32[sVec][j][:o.n])
			st.y32 = append(st.y32, o.mem.v32[yVec][j][:o.n])
		} else {
			st.s = append(st.s, o.mem.v64[sVec][j][:o.n])
			st.y = append(st.y, o.mem.v64[yVec][j][:o.n])
		}
		st.ro = append(st.ro, o.mem.ro[j])
	}
	if o.at != nil {
		st.vec = o.g[o.cur]
	}
	return st.encode(), nil
}

// UnmarshalBinary restores a state written by MarshalBinary. It returns an
// error wrapping ErrState, and leaves the optimizer as it was, when the
// data is corrupt, is Adam's, or was made with another dimension, history
// size or settings. A state taken inside a call makes the next Minimize
// continue that call: it does not evaluate x first, and its caps count
// the iterations and evaluations the call had already done.
func (o *LBFGS) UnmarshalBinary(data []byte) error {
	st, err := decodeState(data, kindLBFGS, o.n, o.settingsKey(), o.mem.f32)
	if err != nil {
		return err
	}
	size := len(o.mem.ring)
	pairs, ys := len(st.s)+len(st.s32), len(st.y)+len(st.y32)
	switch {
	case len(st.d) != o.n || len(st.prevG) != o.n:
		return fmt.Errorf("%w: direction or previous gradient of length %d, %d; want %d", ErrState, len(st.d), len(st.prevG), o.n)
	case pairs > size || ys != pairs || len(st.ro) != pairs:
		return fmt.Errorf("%w: %d/%d/%d curvature pairs for a history of %d", ErrState, pairs, ys, len(st.ro), size)
	case st.nIter < 0 || st.nEvals < 0:
		return fmt.Errorf("%w: negative counters", ErrState)
	case st.m != nil || st.v != nil || st.step != 0 || math.Float64bits(st.lr) != 0:
		// Adam's fields: an L-BFGS state never sets them.
		return fmt.Errorf("%w: an L-BFGS state with Adam's moments, step or learning rate", ErrState)
	case st.call != nil && len(st.vec) != o.n:
		return fmt.Errorf("%w: call in progress with a gradient of length %d; want %d", ErrState, len(st.vec), o.n)
	}
	for k := range st.s {
		if len(st.s[k]) != o.n || len(st.y[k]) != o.n {
			return fmt.Errorf("%w: curvature pair %d has length %d, %d; want %d", ErrState, k, len(st.s[k]), len(st.y[k]), o.n)
		}
	}
	for k := range st.s32 {
		if len(st.s32[k]) != o.n || len(st.y32[k]) != o.n {
			return fmt.Errorf("%w: curvature pair %d has length %d, %d; want %d", ErrState, k, len(st.s32[k]), len(st.y32[k]), o.n)
		}
	}
	o.nIter, o.nEvals, o.t, o.hDiag = st.nIter, st.nEvals, st.t, st.hDiag
	copy(o.d, st.d)
	copy(o.prevG, st.prevG)
	// Oldest pair in slot 0: the ring order is all the two-loop recursion
	// sees, so the directions come out bit for bit as before.
	o.mem.reset()
	for k := range pairs {
		if o.mem.f32 {
			v := &o.mem.v32
			if v[sVec][k] == nil {
				v[sVec][k], v[yVec][k] = make([]float32, o.n), make([]float32, o.n)
			}
			copy(v[sVec][k], st.s32[k])
			copy(v[yVec][k], st.y32[k])
		} else {
			v := &o.mem.v64
			if v[sVec][k] == nil {
				v[sVec][k], v[yVec][k] = make([]float64, o.n), make([]float64, o.n)
			}
			copy(v[sVec][k], st.s[k])
			copy(v[yVec][k], st.y[k])
		}
		o.mem.ro[k] = st.ro[k]
		o.mem.ring[k] = k
	}
	o.mem.count = pairs
	o.mem.spare = o.mem.count // a free slot: the next one, or the extra slot when full
	o.resume = st.call
	if st.call != nil {
		o.cur = 0
		copy(o.g[0], st.vec)
	}
	return nil
}

// MarshalBinary encodes the optimizer's whole state: the moments, the
// step count, the decayed learning rate and, when called from
// Settings.AtBoundary, the call in progress. An Adam with the same n and
// settings restored from it by UnmarshalBinary produces bit-identical
// iterates from there on.
func (o *Adam) MarshalBinary() ([]byte, error) {
	st := state{kind: kindAdam, n: o.n, settings: o.settingsKey(),
		nEvals: o.nEvals, m: o.m, v: o.v, step: o.step, lr: o.lr, call: o.at}
	if o.at != nil {
		st.vec = o.prev
	}
	return st.encode(), nil
}

// UnmarshalBinary restores a state written by MarshalBinary, as
// LBFGS.UnmarshalBinary does.
func (o *Adam) UnmarshalBinary(data []byte) error {
	st, err := decodeState(data, kindAdam, o.n, o.settingsKey(), false)
	if err != nil {
		return err
	}
	switch {
	case len(st.m) != o.n || len(st.v) != o.n:
		return fmt.Errorf("%w: moments of length %d, %d; want %d", ErrState, len(st.m), len(st.v), o.n)
	case st.step < 0 || st.nEvals < 0 || !(st.lr > 0) || math.IsInf(st.lr, 0):
		return fmt.Errorf("%w: step %d, evaluations %d, learning rate %v", ErrState, st.step, st.nEvals, st.lr)
	case st.call != nil && len(st.vec) != o.n:
		return fmt.Errorf("%w: call in progress with a previous point of length %d; want %d", ErrState, len(st.vec), o.n)
	case st.nIter != 0 || st.d != nil || st.prevG != nil || math.Float64bits(st.t) != 0 || math.Float64bits(st.hDiag) != 0 ||
		st.s != nil || st.s32 != nil || st.ro != nil:
		// L-BFGS's fields: an Adam state never sets them.
		return fmt.Errorf("%w: an Adam state with L-BFGS's iterations, direction or curvature pairs", ErrState)
	}
	copy(o.m, st.m)
	copy(o.v, st.v)
	o.step, o.nEvals, o.lr = st.step, st.nEvals, st.lr
	o.resume = st.call
	if st.call != nil {
		copy(o.prev, st.vec)
	}
	return nil
}

func (st *state) encode() []byte {
	var w bincodec.Writer
	w.Int(stateFormat)
	w.String(st.kind)
	w.Int(st.n)
	w.Floats(st.settings)
	w.Int(st.nIter)
	w.Int(st.nEvals)
	w.Floats(st.d)
	w.Floats(st.prevG)
	w.Float(st.t)
	w.Float(st.hDiag)
	w.Int(len(st.s) + len(st.s32))
	for k := range st.s {
		w.Floats(st.s[k])
		w.Floats(st.y[k])
	}
	for k := range st.s32 {
		w.Float32s(st.s32[k])
		w.Float32s(st.y32[k])
	}
	w.Floats(st.ro)
	w.Floats(st.m)
	w.Floats(st.v)
	w.Int(st.step)
	w.Float(st.lr)
	w.Bool(st.call != nil)
	if c := st.call; c != nil {
		w.Int(c.iters)
		w.Int(c.evals)
		w.Float(c.f)
		w.Float(c.gmax)
		w.Floats(st.vec)
	}
	return w.Bytes()
}

// decodeState decodes data and checks its format, kind, dimension and
// settings against the optimizer's. pairs32 says that the curvature pairs
// are float32 (the settings, which include HistoryFloat32, already
// matched).
func decodeState(data []byte, kind string, n int, settings []float64, pairs32 bool) (*state, error) {
	r := bincodec.NewReader(data)
	if f := r.Int(); r.Err() == nil && f != stateFormat {
		return nil, fmt.Errorf("%w: format %d; this build reads format %d", ErrState, f, stateFormat)
	}
	st := &state{kind: r.String(), n: r.Int(), settings: r.Floats()}
	switch {
	case r.Err() != nil:
		return nil, fmt.Errorf("%w: %w", ErrState, r.Err())
	case st.kind != kind:
		return nil, fmt.Errorf("%w: a %q state given to %s", ErrState, st.kind, kind)
	case st.n != n:
		return nil, fmt.Errorf("%w: dimension %d; the optimizer has %d", ErrState, st.n, n)
	case !equalBits(st.settings, settings):
		return nil, fmt.Errorf("%w: made with settings %v; the optimizer has %v", ErrState, st.settings, settings)
	}
	st.nIter, st.nEvals = r.Int(), r.Int()
	st.d, st.prevG = r.Floats(), r.Floats()
	st.t, st.hDiag = r.Float(), r.Float()
	pairs := r.Int()
	if pairs < 0 || pairs > len(data)/8 {
		return nil, fmt.Errorf("%w: %d curvature pairs", ErrState, pairs)
	}
	for k := 0; k < pairs && r.Err() == nil; k++ {
		if pairs32 {
			st.s32 = append(st.s32, r.Float32s())
			st.y32 = append(st.y32, r.Float32s())
		} else {
			st.s = append(st.s, r.Floats())
			st.y = append(st.y, r.Floats())
		}
	}
	st.ro = r.Floats()
	st.m, st.v = r.Floats(), r.Floats()
	st.step, st.lr = r.Int(), r.Float()
	if r.Bool() {
		st.call = &callState{iters: r.Int(), evals: r.Int(), f: r.Float(), gmax: r.Float()}
		st.vec = r.Floats()
		if st.call.iters < 1 || st.call.evals < 1 {
			return nil, fmt.Errorf("%w: a call in progress with %d iterations and %d evaluations", ErrState, st.call.iters, st.call.evals)
		}
	}
	if err := r.Done(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrState, err)
	}
	return st, nil
}

func equalBits(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return false
		}
	}
	return true
}
