package trainer

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

// streams says which derivative streams a batch propagates besides the
// value: first-order directional derivatives along dirs (in (x, t)), and
// optionally u_xx, which needs dirs[0] = (1, 0).
//
// Convection's residual u_t + βu_x is ONE directional derivative along
// (β, 1), so it needs two streams (value and direction) instead of three.
type streams struct {
	dirs [][2]float64
	xx   bool
}

// count is the number of stream blocks S: value, each direction, and xx.
func (s streams) count() int {
	n := 1 + len(s.dirs)
	if s.xx {
		n++
	}
	return n
}

// xxBlock is the block index of the second-derivative stream.
func (s streams) xxBlock() int { return 1 + len(s.dirs) }

// batch evaluates the network and its derivative streams at n points, all
// streams stacked as column blocks of one feature-major matrix, so every
// layer costs one GEMM forward and two backward whatever the stream count.
//
// Layout: a layer's activations are a width × cols row-major matrix with
// cols = S·n; row r holds unit r, columns [k·n, (k+1)·n) hold stream k
// (0 value, 1.. directions, then xx) of the n points.
type batch struct {
	nt   *network
	st   streams
	n    int
	cols int
	impl blas.Float64

	// emb fills the input layer: h[0] (sizes[0] × cols).
	emb embedding

	a      [][]float64 // a[l], l = 1..L: pre-activations, sizes[l] × cols
	h      [][]float64 // h[l], l = 0..L-1: activations (h[0] = input)
	s1     [][]float64 // σ', σ'', σ''' per hidden layer, sizes[l] × n
	s2     [][]float64
	s3     [][]float64
	out    []float64 // 1 × cols: u and its streams
	gout   []float64 // adjoint of out
	g0, g1 []float64 // adjoint ping-pong buffers, maxWidth × cols
}

func newBatch(nt *network, st streams, emb embedding, x, t []float64) *batch {
	n := len(x)
	S := st.count()
	b := &batch{nt: nt, st: st, n: n, cols: S * n, impl: blas64.Implementation(), emb: emb}
	L := nt.layers()
	b.a = make([][]float64, L+1)
	b.h = make([][]float64, L)
	b.s1 = make([][]float64, L)
	b.s2 = make([][]float64, L)
	b.s3 = make([][]float64, L)
	maxW := 0
	for l := 0; l <= L; l++ {
		w := nt.sizes[l]
		if w > maxW {
			maxW = w
		}
		if l >= 1 {
			b.a[l] = make([]float64, w*b.cols)
		}
		if l < L {
			b.h[l] = make([]float64, w*b.cols)
		}
		if l >= 1 && l < L {
			b.s1[l] = make([]float64, w*n)
			b.s2[l] = make([]float64, w*n)
			if st.xx {
				b.s3[l] = make([]float64, w*n)
			}
		}
	}
	b.out = b.a[L]
	b.gout = make([]float64, b.cols)
	b.g0 = make([]float64, maxW*b.cols)
	b.g1 = make([]float64, maxW*b.cols)
	emb.fill(b.h[0], st, x, t)
	return b
}

// refill replaces the batch's points by x, t (as many as before) and
// keeps its buffers.
func (b *batch) refill(x, t []float64) {
	if len(x) != b.n {
		panic("trainer: refill with a different point count")
	}
	b.emb.fill(b.h[0], b.st, x, t)
}

// block returns stream k of row r of a width × cols matrix m.
func (b *batch) block(m []float64, r, k int) []float64 {
	off := r*b.cols + k*b.n
	return m[off : off+b.n]
}

// forward computes every layer's activations and b.out for parameters p.
func (b *batch) forward(p []float64) {
	nt := b.nt
	L := nt.layers()
	n, cols := b.n, b.cols
	nd := len(b.st.dirs)
	for l := 0; l < L; l++ {
		in, out := nt.sizes[l], nt.sizes[l+1]
		A := b.a[l+1]
		b.impl.Dgemm(blas.NoTrans, blas.NoTrans, out, cols, in, 1, nt.weights(p, l), in, b.h[l], cols, 0, A, cols)
		bias := nt.bias(p, l)
		for r := 0; r < out; r++ {
			av := A[r*cols : r*cols+n]
			br := bias[r]
			for i := range av {
				av[i] += br
			}
		}
		if l == L-1 {
			break
		}
		H := b.h[l+1]
		var s3 []float64
		if b.st.xx {
			s3 = b.s3[l+1]
		}
		// Value stream and σ', σ'', σ''' for the whole layer in one call.
		for r := 0; r < out; r++ {
			var s3r []float64
			if s3 != nil {
				s3r = s3[r*n : (r+1)*n]
			}
			nt.act.eval(H[r*cols:r*cols+n], b.s1[l+1][r*n:(r+1)*n], b.s2[l+1][r*n:(r+1)*n], s3r, A[r*cols:r*cols+n])
		}
		for r := 0; r < out; r++ {
			s1 := b.s1[l+1][r*n : (r+1)*n]
			for k := 1; k <= nd; k++ {
				ak := b.block(A, r, k)
				hk := b.block(H, r, k)
				hk = hk[:len(ak)]
				s1 := s1[:len(ak)]
				for i, v := range ak {
					hk[i] = s1[i] * v
				}
			}
			if b.st.xx {
				s2 := b.s2[l+1][r*n : (r+1)*n]
				ax := b.block(A, r, 1)
				axx := b.block(A, r, nd+1)
				hxx := b.block(H, r, nd+1)
				ax, s1, s2, hxx = ax[:len(axx)], s1[:len(axx)], s2[:len(axx)], hxx[:len(axx)]
				for i, v := range axx {
					hxx[i] = s1[i]*v + s2[i]*ax[i]*ax[i]
				}
			}
		}
	}
}

// backward accumulates into grad the gradient of Σ gout·out with respect to
// the parameters, using the activations of the last forward call.
func (b *batch) backward(p, grad []float64) {
	b.backwardFrom(p, grad, b.gout, b.nt.layers()-1)
}

// backwardFrom runs the reverse pass from affine layer top down: G is the
// adjoint of a[L] when top = L−1 (the output), else the adjoint of the
// hidden activations h[top+1] (all streams). G must not be b.g0 or b.g1.
func (b *batch) backwardFrom(p, grad, G []float64, top int) {
	nt := b.nt
	L := nt.layers()
	n, cols := b.n, b.cols
	nd := len(b.st.dirs)
	spare := b.g0
	other := b.g1
	for l := top; l >= 0; l-- {
		in, out := nt.sizes[l], nt.sizes[l+1]
		if l < L-1 {
			// G holds the adjoint of h[l+1]; turn it into the adjoint of a[l+1] in place.
			A := b.a[l+1]
			for r := 0; r < out; r++ {
				b.activationAdjoint(G, A, l+1, r, nd)
			}
		}
		W := nt.weights(p, l)
		gW := nt.weights(grad, l)
		b.impl.Dgemm(blas.NoTrans, blas.Trans, out, in, cols, 1, G, cols, b.h[l], cols, 1, gW, in)
		gb := nt.bias(grad, l)
		for r := 0; r < out; r++ {
			s := 0.0
			for _, v := range G[r*cols : r*cols+n] {
				s += v
			}
			gb[r] += s
		}
		if l == 0 {
			break
		}
		b.impl.Dgemm(blas.Trans, blas.NoTrans, in, cols, out, 1, W, in, G, cols, 0, spare[:in*cols], cols)
		G = spare[:in*cols]
		spare, other = other, spare
	}
}

// activationAdjoint turns row r of G from the adjoint of h[j] into the
// adjoint of a[j] in place (j a hidden layer). With s1, s2, s3 the first
// three derivatives of σ at a_v, the chain rule through h_v = σ(a_v),
// h_k = s1·a_k and h_xx = s1·a_xx + s2·a_x² gives
//
//	ā_v  = s1·g_v + s2·Σ_k a_k·g_k + (s2·a_xx + s3·a_x²)·g_xx
//	ā_k  = s1·g_k            (+ 2·s2·a_x·g_xx for k = x)
//	ā_xx = s1·g_xx
func (b *batch) activationAdjoint(G, A []float64, j, r, nd int) {
	n := b.n
	s1 := b.s1[j][r*n : (r+1)*n]
	s2 := b.s2[j][r*n : (r+1)*n][:len(s1)]
	gv := b.block(G, r, 0)[:len(s1)]
	if nd == 1 && !b.st.xx {
		// The common first-order case (convection, reaction) in one pass.
		a1 := b.block(A, r, 1)[:len(s1)]
		g1 := b.block(G, r, 1)[:len(s1)]
		for i, s := range s1 {
			gv[i] = s*gv[i] + s2[i]*a1[i]*g1[i]
			g1[i] *= s
		}
		return
	}
	for i, s := range s1 {
		gv[i] *= s
	}
	for k := 1; k <= nd; k++ {
		ak := b.block(A, r, k)[:len(s1)]
		gk := b.block(G, r, k)[:len(s1)]
		for i := range gv {
			gv[i] += s2[i] * ak[i] * gk[i]
			gk[i] *= s1[i]
		}
	}
	if b.st.xx {
		s3 := b.s3[j][r*n : (r+1)*n][:len(s1)]
		ax := b.block(A, r, 1)[:len(s1)]
		axx := b.block(A, r, nd+1)[:len(s1)]
		gx := b.block(G, r, 1)[:len(s1)]
		gxx := b.block(G, r, nd+1)[:len(s1)]
		for i := range gv {
			gv[i] += (s2[i]*axx[i] + s3[i]*ax[i]*ax[i]) * gxx[i]
			gx[i] += 2 * s2[i] * ax[i] * gxx[i]
			gxx[i] *= s1[i]
		}
	}
}
