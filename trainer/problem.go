package trainer

import (
	"fmt"
	"sync"
)

// operator is a PDE residual of the form
//
//	f = Σ_b lin[b]·(stream b of u) + ρ·(u² − u)
//
// over the stream blocks st (value, directional derivatives, u_xx). It
// covers convection (u_t + βu_x as one directional derivative), reaction,
// diffusion and reaction–diffusion.
type operator struct {
	st  streams
	lin []float64
	rho float64
}

func operatorFor(cfg *Config) (operator, error) {
	switch cfg.PDE {
	case Convection:
		return operator{st: streams{dirs: [][2]float64{{cfg.Beta, 1}}}, lin: []float64{0, 1}}, nil
	case Reaction:
		return operator{st: streams{dirs: [][2]float64{{0, 1}}}, lin: []float64{0, 1}, rho: cfg.Rho}, nil
	case Diffusion:
		return operator{st: streams{dirs: [][2]float64{{1, 0}, {0, 1}}, xx: true}, lin: []float64{0, 0, 1, -cfg.Nu}}, nil
	case ReactionDiffusion:
		return operator{st: streams{dirs: [][2]float64{{1, 0}, {0, 1}}, xx: true}, lin: []float64{0, 0, 1, -cfg.Nu}, rho: cfg.Rho}, nil
	}
	return operator{}, fmt.Errorf("unknown pde %q (known: convection, reaction, rd, diffusion)", cfg.PDE)
}

// residual writes f at the batch's points (after forward) into f.
func residual[T real](op *operator, b *batch[T], f []T) {
	n := b.n
	u := b.out[:n]
	f = f[:n]
	rho := T(op.rho)
	for i := range f {
		f[i] = rho * (u[i]*u[i] - u[i])
	}
	for k, c := range op.lin {
		if c == 0 {
			continue
		}
		s := b.out[k*n : (k+1)*n]
		ct := T(c)
		for i := range f {
			f[i] += ct * s[i]
		}
	}
}

// pointSet holds the training points of one problem.
type pointSet struct {
	icX, icT, icU []float64 // initial-condition points and targets
	bcT           []float64 // boundary times: pairs (xl, t) and (xr, t)
	xl, xr        float64
	resX, resT    []float64 // collocation points
	resW          []float64 // per-point residual weights (nil: all 1)
}

// termWeights scales the three loss terms: loss = ic·MSE_IC + bc·MSE_BC + res·MSE_res.
type termWeights struct{ ic, bc, res float64 }

// Term indices of problem.terms.
const (
	termIC = iota
	termBC
	termRes
	numTerms
)

// problem is a PINN loss over a point set, sharded over goroutines. Its
// objective (eval) takes and returns float64 (the optimizer's parameter
// vector, loss and gradient) whatever the network's precision: exactly one
// of s64 and s32 is set, by network.f32.
type problem struct {
	nt         *network
	emb        embedding
	op         operator
	periodicUx bool
	w          termWeights
	nIC, nBC   int
	nRes       int
	s64        []*shard[float64]
	s32        []*shard[float32]
	p64        params[float64] // the parameters of the last eval, packed
	p32        params[float32]
	terms      [numTerms]float64 // the unweighted MSE terms of the last eval
	// hard, if set, solves the output layer (the hard-constraint layer).
	hard *hardSolver
	// causal, if set, recomputes the causal residual weights in every
	// eval from that eval's own residuals (held constant in its
	// gradient), instead of a separate forward pass before it. Single
	// shard only.
	causal *reweighter
}

// shard is one goroutine's share of the points, in precision T.
type shard[T real] struct {
	ic, bc, res *batch[T]
	icU         []T
	resT        []float64 // the collocation times (for causal weights)
	resW        []float64
	f           []T
	f64         []float64 // f in float64, for the causal weights (float32 only)
	grad        [][]T     // the packed gradient (see params)
	terms       [numTerms]float64
}

func newProblem(nt *network, emb embedding, op operator, periodicUx bool, w termWeights, pts pointSet, threads int) *problem {
	pr := &problem{nt: nt, emb: emb, op: op, periodicUx: periodicUx, w: w,
		nIC: len(pts.icX), nBC: len(pts.bcT), nRes: len(pts.resX)}
	if nt.f32 {
		pr.s32 = newShards[float32](pr, pts, threads)
	} else {
		pr.s64 = newShards[float64](pr, pts, threads)
	}
	return pr
}

// newShards splits the points of pr over threads shards.
func newShards[T real](pr *problem, pts pointSet, threads int) []*shard[T] {
	threads = max(threads, 1)
	nt, emb := pr.nt, pr.emb
	bcSt := streams{}
	if pr.periodicUx {
		bcSt.dirs = [][2]float64{{1, 0}}
	}
	var shards []*shard[T]
	for s := 0; s < threads; s++ {
		sh := &shard[T]{grad: newParams[T](nt)}
		lo, hi := split(pr.nIC, threads, s)
		if hi > lo {
			sh.ic = newBatch[T](nt, streams{}, emb, pts.icX[lo:hi], pts.icT[lo:hi])
			sh.icU = make([]T, hi-lo)
			for i, v := range pts.icU[lo:hi] {
				sh.icU[i] = T(v)
			}
		}
		lo, hi = split(pr.nBC, threads, s)
		if hi > lo {
			m := hi - lo
			x := make([]float64, 2*m)
			t := make([]float64, 2*m)
			for j := 0; j < m; j++ {
				x[j], x[m+j] = pts.xl, pts.xr
				t[j], t[m+j] = pts.bcT[lo+j], pts.bcT[lo+j]
			}
			sh.bc = newBatch[T](nt, bcSt, emb, x, t)
		}
		lo, hi = split(pr.nRes, threads, s)
		if hi > lo {
			sh.res = newBatch[T](nt, pr.op.st, emb, pts.resX[lo:hi], pts.resT[lo:hi])
			if pts.resW != nil {
				sh.resW = pts.resW[lo:hi]
			}
			sh.resT = pts.resT[lo:hi]
			sh.f = make([]T, hi-lo)
		}
		shards = append(shards, sh)
	}
	return shards
}

// redraw replaces the collocation points and their weights by those of
// pts in place, keeping every buffer, and reports whether it could: one
// shard, no hard layer and the same number of points (otherwise build a
// new problem).
func (pr *problem) redraw(pts pointSet) bool {
	if pr.hard != nil || pr.nRes != len(pts.resX) {
		return false
	}
	if pr.s32 != nil {
		return redrawShards(pr, pr.s32, pts)
	}
	return redrawShards(pr, pr.s64, pts)
}

func redrawShards[T real](pr *problem, shards []*shard[T], pts pointSet) bool {
	if len(shards) != 1 || shards[0].res == nil {
		return false
	}
	sh := shards[0]
	sh.res.refill(pts.resX, pts.resT)
	sh.resT = pts.resT
	switch {
	case pts.resW != nil:
		sh.resW = pts.resW
	case pr.causal != nil:
		// the weights are written by every eval
	default:
		sh.resW = nil
	}
	return true
}

// split returns shard s's half-open range of n items over k shards.
func split(n, k, s int) (int, int) {
	return n * s / k, n * (s + 1) / k
}

// eval returns the weighted loss at p and writes its gradient into grad.
// The unweighted terms are left in pr.terms. With a float32 network the
// loss is a float32 value: each term's mean is accumulated in float64 and
// rounded once, and the weighted sum is formed in float32.
func (pr *problem) eval(p, grad []float64) float64 {
	if pr.s32 != nil {
		return evalShards(pr, &pr.p32, pr.s32, p, grad)
	}
	return evalShards(pr, &pr.p64, pr.s64, p, grad)
}

func evalShards[T real](pr *problem, w *params[T], shards []*shard[T], p, grad []float64) float64 {
	w.load(pr.nt, p)
	if pr.hard != nil {
		return evalHard(pr, shards[0], w, grad)
	}
	if len(shards) == 1 {
		shards[0].eval(pr, w)
	} else {
		var wg sync.WaitGroup
		for _, sh := range shards[1:] {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sh.eval(pr, w)
			}()
		}
		shards[0].eval(pr, w)
		wg.Wait()
	}
	clear(grad)
	pr.terms = [numTerms]float64{}
	for _, sh := range shards {
		addGrad(pr.nt, sh.grad, grad)
		for k := range pr.terms {
			pr.terms[k] += sh.terms[k]
		}
	}
	return pr.loss()
}

// loss is the weighted sum of pr.terms, in the network's precision (see
// eval); it rounds the terms of a float32 network to float32.
func (pr *problem) loss() float64 {
	if !pr.nt.f32 {
		return pr.w.ic*pr.terms[termIC] + pr.w.bc*pr.terms[termBC] + pr.w.res*pr.terms[termRes]
	}
	var l float32
	for k, wk := range [numTerms]float64{pr.w.ic, pr.w.bc, pr.w.res} {
		t := float32(pr.terms[k])
		pr.terms[k] = float64(t)
		l += float32(wk) * t
	}
	return float64(l)
}

// eval computes this shard's share of the three MSE terms and of the
// weighted loss's gradient (packed, in sh.grad).
func (sh *shard[T]) eval(pr *problem, w *params[T]) {
	for _, g := range sh.grad {
		clear(g)
	}
	sh.terms = [numTerms]float64{}
	if b := sh.ic; b != nil {
		b.forward(w)
		c := T(2 * pr.w.ic / float64(pr.nIC))
		s := 0.0
		for i, u := range b.out[:b.n] {
			d := u - sh.icU[i]
			s += float64(d * d)
			b.gout[i] = c * d
		}
		sh.terms[termIC] = s / float64(pr.nIC)
		b.backward(w, sh.grad)
	}
	if b := sh.bc; b != nil {
		b.forward(w)
		m := b.n / 2
		c := T(2 * pr.w.bc / float64(pr.nBC))
		s := 0.0
		for blk := 0; blk < b.st.count(); blk++ {
			o := b.out[blk*b.n : (blk+1)*b.n]
			g := b.gout[blk*b.n : (blk+1)*b.n]
			for j := 0; j < m; j++ {
				d := o[j] - o[m+j]
				s += float64(d * d)
				g[j] = c * d
				g[m+j] = -c * d
			}
		}
		sh.terms[termBC] = s / float64(pr.nBC)
		b.backward(w, sh.grad)
	}
	if b := sh.res; b != nil {
		b.forward(w)
		residual(&pr.op, b, sh.f)
		if pr.causal != nil {
			if len(sh.resW) != len(sh.f) {
				sh.resW = make([]float64, len(sh.f))
			}
			pr.causal.weightsFrom(sh.residuals64(), sh.resT, sh.resW)
		}
		n := b.n
		c := T(2 * pr.w.res / float64(pr.nRes))
		s := 0.0
		u := b.out[:n]
		for i, f := range sh.f {
			wf := f
			if sh.resW != nil {
				wf *= T(sh.resW[i])
			}
			s += float64(wf * f)
			sh.f[i] = c * wf // now ∂loss/∂f
		}
		sh.terms[termRes] = s / float64(pr.nRes)
		for k, lc := range pr.op.lin {
			g := b.gout[k*n : (k+1)*n]
			lt := T(lc)
			for i, df := range sh.f {
				g[i] = lt * df
			}
		}
		if pr.op.rho != 0 {
			g := b.gout[:n]
			rho := T(pr.op.rho)
			for i, df := range sh.f {
				g[i] += df * rho * (2*u[i] - 1)
			}
		}
		b.backward(w, sh.grad)
	}
}

// residuals64 returns the shard's residuals as float64 (sh.f itself for a
// float64 shard).
func (sh *shard[T]) residuals64() []float64 {
	if isFloat64[T]() {
		return as64(sh.f)
	}
	if len(sh.f64) != len(sh.f) {
		sh.f64 = make([]float64, len(sh.f))
	}
	for i, v := range sh.f {
		sh.f64[i] = float64(v)
	}
	return sh.f64
}
