package trainer

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

// hardSolver turns the network into the hard-constraint PDE layer of
// Négiar et al. (2023): the last hidden layer's N units φ_j (plus a
// constant) are a learned basis, and the output weights are not trained
// but solved for at every evaluation,
//
//	w* = argmin_w ‖A w − b‖² + ridge·‖w‖²,
//
// where the rows of A, b are the PINN loss's residual, IC and BC terms at
// the training points (A_pj = √(λ/N_f)·(Lφ_j)(p) for a linear operator L,
// √(1/N_u)·φ_j(x_i, 0) with b = √(1/N_u)·h(x_i), and √(1/N_b) times the
// boundary differences), so ‖A w − b‖² is exactly the soft PINN loss of
// u = Σ w_j φ_j. The outer loss is that PINN loss at w*; its gradient flows
// through the solve by the implicit function theorem: with M = AᵀA + ridge·I,
// r = A w* − b and the adjoint v = M⁻¹·∂L/∂w,
//
//	∂L/∂A = 2 r w*ᵀ − r vᵀ − (A v) w*ᵀ,
//
// which seeds the reverse pass at the last hidden layer.
//
// The least-squares solve runs in float64 whatever the network's
// precision: M squares the condition number of A, which a float32
// Cholesky factorisation with ridge 1e-6 would not survive. A float32
// network's basis is widened to float64 for it, and the adjoint that
// seeds the reverse pass is rounded back to float32.
type hardSolver struct {
	ridge float64
	w     []float64 // the last solve, N+1 (bias last)
	A, b  []float64
	m     []float64
	atb   []float64
	r     []float64
	g, v  []float64
	av    []float64
	dA    []float64
}

// hardCompatible reports why an operator cannot be hard-constrained.
func hardCompatible(op operator) error {
	if op.rho != 0 {
		return fmt.Errorf("hard_layer needs a linear PDE (convection, diffusion, or ρ = 0): ρ = %v", op.rho)
	}
	return nil
}

// evalHard is problem.eval for a hard-constrained network (one shard),
// with the packed parameters w already loaded.
func evalHard[T real](pr *problem, sh *shard[T], w *params[T], grad []float64) float64 {
	hs := pr.hard
	nt := pr.nt
	L := nt.layers()
	N := nt.sizes[L-1]
	P := N + 1
	clear(grad)
	for _, g := range sh.grad {
		clear(g)
	}
	// Rows: IC, BC (value, then u_x if on), residual.
	nIC, nBCp, nRes := 0, 0, 0
	if sh.ic != nil {
		sh.ic.forward(w)
		nIC = sh.ic.n
	}
	bcBlocks := 0
	if sh.bc != nil && pr.w.bc > 0 {
		sh.bc.forward(w)
		nBCp = sh.bc.n / 2
		bcBlocks = sh.bc.st.count()
	}
	if sh.res != nil {
		sh.res.forward(w)
		nRes = sh.res.n
	}
	rows := nIC + nBCp*bcBlocks + nRes
	hs.A = grow(hs.A, rows*P)
	hs.b = grow(hs.b, rows)
	clear(hs.A)
	clear(hs.b)
	sIC := math.Sqrt(pr.w.ic / float64(max(1, pr.nIC)))
	sBC := math.Sqrt(pr.w.bc / float64(max(1, pr.nBC)))
	sRes := math.Sqrt(pr.w.res / float64(max(1, pr.nRes)))
	row := 0
	if b := sh.ic; b != nil {
		H := b.h[L-1]
		for j := 0; j < N; j++ {
			hv := b.block(H, j, 0)
			for i := 0; i < nIC; i++ {
				hs.A[(row+i)*P+j] = sIC * float64(hv[i])
			}
		}
		for i := 0; i < nIC; i++ {
			hs.A[(row+i)*P+N] = sIC
			hs.b[row+i] = sIC * float64(sh.icU[i])
		}
		row += nIC
	}
	if b := sh.bc; b != nil && nBCp > 0 {
		H := b.h[L-1]
		for blk := 0; blk < bcBlocks; blk++ {
			for j := 0; j < N; j++ {
				hb := b.block(H, j, blk)
				for i := 0; i < nBCp; i++ {
					hs.A[(row+i)*P+j] = sBC * float64(hb[i]-hb[nBCp+i])
				}
			}
			row += nBCp
		}
	}
	if b := sh.res; b != nil {
		H := b.h[L-1]
		for j := 0; j < N; j++ {
			for k, c := range pr.op.lin {
				if c == 0 {
					continue
				}
				hk := b.block(H, j, k)
				for i := 0; i < nRes; i++ {
					hs.A[(row+i)*P+j] += sRes * c * float64(hk[i])
				}
			}
		}
		for i := 0; i < nRes; i++ {
			hs.A[(row+i)*P+N] = sRes * pr.op.lin[0]
		}
	}
	impl := blas64.Implementation()
	// M = AᵀA + ridge·I; w = M⁻¹ Aᵀb.
	hs.m = grow(hs.m, P*P)
	impl.Dgemm(blas.Trans, blas.NoTrans, P, P, rows, 1, hs.A, P, hs.A, P, 0, hs.m, P)
	for j := 0; j < P; j++ {
		hs.m[j*P+j] += hs.ridge
	}
	hs.atb = grow(hs.atb, P)
	impl.Dgemv(blas.Trans, rows, P, 1, hs.A, P, hs.b, 1, 0, hs.atb, 1)
	if !choleskyInPlace(hs.m, P) {
		return math.NaN()
	}
	hs.w = grow(hs.w, P)
	choleskySolve(hs.m, P, hs.w, hs.atb)
	// r = A w − b and the loss terms.
	hs.r = grow(hs.r, rows)
	copy(hs.r, hs.b)
	impl.Dgemv(blas.NoTrans, rows, P, 1, hs.A, P, hs.w, 1, -1, hs.r, 1)
	sum := func(lo, hi int) float64 {
		s := 0.0
		for _, v := range hs.r[lo:hi] {
			s += v * v
		}
		return s
	}
	icS, bcS, resS := sum(0, nIC), sum(nIC, nIC+nBCp*bcBlocks), sum(nIC+nBCp*bcBlocks, rows)
	pr.terms = [numTerms]float64{}
	if pr.w.ic > 0 {
		pr.terms[termIC] = icS / pr.w.ic
	}
	if pr.w.bc > 0 {
		pr.terms[termBC] = bcS / pr.w.bc
	}
	if pr.w.res > 0 {
		pr.terms[termRes] = resS / pr.w.res
	}
	loss := icS + bcS + resS
	// Adjoint: g = ∂L/∂w = 2Aᵀr, M v = g.
	hs.g = grow(hs.g, P)
	impl.Dgemv(blas.Trans, rows, P, 2, hs.A, P, hs.r, 1, 0, hs.g, 1)
	hs.v = grow(hs.v, P)
	choleskySolve(hs.m, P, hs.v, hs.g)
	hs.av = grow(hs.av, rows)
	impl.Dgemv(blas.NoTrans, rows, P, 1, hs.A, P, hs.v, 1, 0, hs.av, 1)
	// dA = 2 r wᵀ − r vᵀ − (A v) wᵀ, then seed the last hidden layer.
	hs.dA = grow(hs.dA, rows*N)
	for i := 0; i < rows; i++ {
		ri, avi := hs.r[i], hs.av[i]
		d := hs.dA[i*N : (i+1)*N]
		for j := range d {
			d[j] = (2*ri-avi)*hs.w[j] - ri*hs.v[j]
		}
	}
	row = 0
	if b := sh.ic; b != nil {
		G := b.g1[:N*b.cols] // backwardFrom does not use g1 as its first spare
		clear(G)
		for j := 0; j < N; j++ {
			g := b.block(G, j, 0)
			for i := 0; i < nIC; i++ {
				g[i] = T(sIC * hs.dA[(row+i)*N+j])
			}
		}
		row += nIC
		b.backwardFrom(w, sh.grad, G, L-2)
	}
	if b := sh.bc; b != nil && nBCp > 0 {
		G := b.g1[:N*b.cols]
		clear(G)
		for blk := 0; blk < bcBlocks; blk++ {
			for j := 0; j < N; j++ {
				g := b.block(G, j, blk)
				for i := 0; i < nBCp; i++ {
					d := T(sBC * hs.dA[(row+i)*N+j])
					g[i] += d
					g[nBCp+i] -= d
				}
			}
			row += nBCp
		}
		b.backwardFrom(w, sh.grad, G, L-2)
	}
	if b := sh.res; b != nil {
		G := b.g1[:N*b.cols]
		clear(G)
		for j := 0; j < N; j++ {
			for k, c := range pr.op.lin {
				if c == 0 {
					continue
				}
				g := b.block(G, j, k)
				for i := 0; i < nRes; i++ {
					g[i] = T(sRes * c * hs.dA[(row+i)*N+j])
				}
			}
		}
		b.backwardFrom(w, sh.grad, G, L-2)
	}
	addGrad(nt, sh.grad, grad)
	return loss
}

// setOutput writes the last solve's weights into the output layer of p,
// so the plain network evaluates u = Σ w_j φ_j + w_N.
func (pr *problem) setOutput(p []float64) {
	if pr.hard == nil || pr.hard.w == nil {
		return
	}
	L := pr.nt.layers()
	N := pr.nt.sizes[L-1]
	copy(pr.nt.weights(p, L-1), pr.hard.w[:N])
	pr.nt.bias(p, L-1)[0] = pr.hard.w[N]
}

func grow(s []float64, n int) []float64 {
	if cap(s) < n {
		return make([]float64, n)
	}
	return s[:n]
}

// choleskyInPlace overwrites the lower triangle of the symmetric positive
// definite n × n matrix a (row major) with its Cholesky factor L (a = LLᵀ)
// and reports false if a is not positive definite. The system is tiny
// (the basis size + 1), so a plain loop beats a library call, and it keeps
// the hard layer off the (possibly non-thread-safe) global BLAS.
func choleskyInPlace(a []float64, n int) bool {
	for j := 0; j < n; j++ {
		d := a[j*n+j]
		for k := 0; k < j; k++ {
			d -= a[j*n+k] * a[j*n+k]
		}
		if !(d > 0) {
			return false
		}
		d = math.Sqrt(d)
		a[j*n+j] = d
		for i := j + 1; i < n; i++ {
			s := a[i*n+j]
			for k := 0; k < j; k++ {
				s -= a[i*n+k] * a[j*n+k]
			}
			a[i*n+j] = s / d
		}
	}
	return true
}

// choleskySolve solves LLᵀx = b with the factor of choleskyInPlace.
func choleskySolve(l []float64, n int, x, b []float64) {
	copy(x, b)
	for i := 0; i < n; i++ {
		s := x[i]
		for k := 0; k < i; k++ {
			s -= l[i*n+k] * x[k]
		}
		x[i] = s / l[i*n+i]
	}
	for i := n - 1; i >= 0; i-- {
		s := x[i]
		for k := i + 1; k < n; k++ {
			s -= l[k*n+i] * x[k]
		}
		x[i] = s / l[i*n+i]
	}
}
