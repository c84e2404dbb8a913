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
func (op *operator) residual(b *batch, f []float64) {
	n := b.n
	u := b.out[:n]
	f = f[:n]
	for i := range f {
		f[i] = op.rho * (u[i]*u[i] - u[i])
	}
	for k, c := range op.lin {
		if c == 0 {
			continue
		}
		s := b.out[k*n : (k+1)*n]
		for i := range f {
			f[i] += c * s[i]
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

// problem is a PINN loss over a point set, sharded over goroutines.
type problem struct {
	nt         *network
	emb        embedding
	op         operator
	periodicUx bool
	w          termWeights
	nIC, nBC   int
	nRes       int
	shards     []*shard
	terms      [numTerms]float64 // the unweighted MSE terms of the last eval
	// hard, if set, solves the output layer (the hard-constraint layer).
	hard *hardSolver
	// causal, if set, recomputes the causal residual weights in every
	// eval from that eval's own residuals (held constant in its
	// gradient), instead of a separate forward pass before it. Single
	// shard only.
	causal *reweighter
}

type shard struct {
	ic, bc, res *batch
	icU         []float64
	resT        []float64 // the collocation times (for causal weights)
	resW        []float64
	f           []float64
	grad        []float64
	terms       [numTerms]float64
}

func newProblem(nt *network, emb embedding, op operator, periodicUx bool, w termWeights, pts pointSet, threads int) *problem {
	if threads < 1 {
		threads = 1
	}
	pr := &problem{nt: nt, emb: emb, op: op, periodicUx: periodicUx, w: w,
		nIC: len(pts.icX), nBC: len(pts.bcT), nRes: len(pts.resX)}
	bcSt := streams{}
	if periodicUx {
		bcSt.dirs = [][2]float64{{1, 0}}
	}
	for s := 0; s < threads; s++ {
		sh := &shard{grad: make([]float64, nt.n)}
		lo, hi := split(pr.nIC, threads, s)
		if hi > lo {
			sh.ic = newBatch(nt, streams{}, emb, pts.icX[lo:hi], pts.icT[lo:hi])
			sh.icU = pts.icU[lo:hi]
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
			sh.bc = newBatch(nt, bcSt, emb, x, t)
		}
		lo, hi = split(pr.nRes, threads, s)
		if hi > lo {
			sh.res = newBatch(nt, op.st, emb, pts.resX[lo:hi], pts.resT[lo:hi])
			if pts.resW != nil {
				sh.resW = pts.resW[lo:hi]
			}
			sh.resT = pts.resT[lo:hi]
			sh.f = make([]float64, hi-lo)
		}
		pr.shards = append(pr.shards, sh)
	}
	return pr
}

// split returns shard s's half-open range of n items over k shards.
func split(n, k, s int) (int, int) {
	return n * s / k, n * (s + 1) / k
}

// eval returns the weighted loss at p and writes its gradient into grad.
// The unweighted terms are left in pr.terms.
func (pr *problem) eval(p, grad []float64) float64 {
	if pr.hard != nil {
		return pr.evalHard(p, grad)
	}
	if len(pr.shards) == 1 {
		pr.shards[0].eval(pr, p)
	} else {
		var wg sync.WaitGroup
		for _, sh := range pr.shards[1:] {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sh.eval(pr, p)
			}()
		}
		pr.shards[0].eval(pr, p)
		wg.Wait()
	}
	copy(grad, pr.shards[0].grad)
	pr.terms = pr.shards[0].terms
	for _, sh := range pr.shards[1:] {
		for i, g := range sh.grad {
			grad[i] += g
		}
		for k := range pr.terms {
			pr.terms[k] += sh.terms[k]
		}
	}
	return pr.w.ic*pr.terms[termIC] + pr.w.bc*pr.terms[termBC] + pr.w.res*pr.terms[termRes]
}

// eval computes this shard's share of the three MSE terms and of the
// weighted loss's gradient.
func (sh *shard) eval(pr *problem, p []float64) {
	clear(sh.grad)
	sh.terms = [numTerms]float64{}
	if b := sh.ic; b != nil {
		b.forward(p)
		c := 2 * pr.w.ic / float64(pr.nIC)
		s := 0.0
		for i, u := range b.out[:b.n] {
			d := u - sh.icU[i]
			s += d * d
			b.gout[i] = c * d
		}
		sh.terms[termIC] = s / float64(pr.nIC)
		b.backward(p, sh.grad)
	}
	if b := sh.bc; b != nil {
		b.forward(p)
		m := b.n / 2
		c := 2 * pr.w.bc / float64(pr.nBC)
		s := 0.0
		for blk := 0; blk < b.st.count(); blk++ {
			o := b.out[blk*b.n : (blk+1)*b.n]
			g := b.gout[blk*b.n : (blk+1)*b.n]
			for j := 0; j < m; j++ {
				d := o[j] - o[m+j]
				s += d * d
				g[j] = c * d
				g[m+j] = -c * d
			}
		}
		sh.terms[termBC] = s / float64(pr.nBC)
		b.backward(p, sh.grad)
	}
	if b := sh.res; b != nil {
		b.forward(p)
		pr.op.residual(b, sh.f)
		if pr.causal != nil {
			if len(sh.resW) != len(sh.f) {
				sh.resW = make([]float64, len(sh.f))
			}
			pr.causal.weightsFrom(sh.f, sh.resT, sh.resW)
		}
		n := b.n
		c := 2 * pr.w.res / float64(pr.nRes)
		s := 0.0
		u := b.out[:n]
		for i, f := range sh.f {
			wf := f
			if sh.resW != nil {
				wf *= sh.resW[i]
			}
			s += wf * f
			sh.f[i] = c * wf // now ∂loss/∂f
		}
		sh.terms[termRes] = s / float64(pr.nRes)
		for k, lc := range pr.op.lin {
			g := b.gout[k*n : (k+1)*n]
			for i, df := range sh.f {
				g[i] = lc * df
			}
		}
		if pr.op.rho != 0 {
			g := b.gout[:n]
			for i, df := range sh.f {
				g[i] += df * pr.op.rho * (2*u[i] - 1)
			}
		}
		b.backward(p, sh.grad)
	}
}
