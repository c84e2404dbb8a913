package trainer

import (
	"unsafe"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"

	"github.com/pinnsweep/pinnsweep/internal/vmath"
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

// batch evaluates the network and its derivative streams at n points in
// precision T, all streams stacked as column blocks of one feature-major
// matrix, so every layer costs one GEMM forward and two backward whatever
// the stream count.
//
// Layout: a layer's activations are a (width+1) × cols row-major matrix
// with cols = S·n; row r < width holds unit r, columns [k·n, (k+1)·n) hold
// stream k (0 value, 1.. directions, then xx) of the n points. The last
// row is the bias row: 1 in the value stream, 0 in the others (the bias
// does not depend on the inputs), so the packed [W | b] of params
// computes a = W·h + b in one product.
type batch[T real] struct {
	nt   *network
	st   streams
	n    int
	cols int
	// fused: the layers take the fused tanh path (see fused).
	fused bool

	// emb fills the input layer: h[0] (sizes[0] × cols, then the bias row).
	emb embedding
	// in64 receives the embedding's float64 features before they are
	// rounded into h[0] (float32 batches only).
	in64 []float64

	// a[l], l = 1..L: pre-activations, sizes[l] × cols. On the fused
	// path a hidden layer's a[l] is the first sizes[l] rows of h[l]: the
	// forward GEMM writes there and vmath.TanhJet activates in place.
	a [][]T
	h [][]T // h[l], l = 0..L-1: activations, (sizes[l]+1) × cols
	// σ', σ” and σ”' of the general path, per hidden layer, sizes[l] × n
	// (s3 for the xx stream only); the fused path needs none of them.
	s1     [][]T
	s2     [][]T
	s3     [][]T
	out    []T // 1 × cols: u and its streams
	gout   []T // adjoint of out
	g0, g1 []T // adjoint ping-pong buffers, maxWidth × cols
}

func newBatch[T real](nt *network, st streams, emb embedding, x, t []float64) *batch[T] {
	return newBatchPath[T](nt, st, emb, x, t, fused(nt.act, st))
}

// newBatchPath is newBatch on the fused path or not; the general path
// computes the same function for any activation (TestFusedMatchesGeneral).
func newBatchPath[T real](nt *network, st streams, emb embedding, x, t []float64, fused bool) *batch[T] {
	n := len(x)
	S := st.count()
	b := &batch[T]{nt: nt, st: st, n: n, cols: S * n, emb: emb, fused: fused}
	L := nt.layers()
	b.a = make([][]T, L+1)
	b.h = make([][]T, L)
	b.s1 = make([][]T, L)
	b.s2 = make([][]T, L)
	b.s3 = make([][]T, L)
	maxW := 0
	for l := 0; l <= L; l++ {
		w := nt.sizes[l]
		maxW = max(maxW, w)
		if l < L {
			b.h[l] = make([]T, (w+1)*b.cols)
			bias := b.h[l][w*b.cols : w*b.cols+n] // the bias row: 1 (value), 0 (streams)
			for i := range bias {
				bias[i] = 1
			}
		}
		switch {
		case l == 0:
		case l == L || !b.fused:
			b.a[l] = make([]T, w*b.cols)
		default:
			b.a[l] = b.h[l][:w*b.cols]
		}
		if l >= 1 && l < L && !b.fused {
			b.s1[l] = make([]T, w*n)
			b.s2[l] = make([]T, w*n)
			if st.xx {
				b.s3[l] = make([]T, w*n)
			}
		}
	}
	b.out = b.a[L]
	b.gout = make([]T, b.cols)
	b.g0 = make([]T, maxW*b.cols)
	b.g1 = make([]T, maxW*b.cols)
	if !isFloat64[T]() {
		b.in64 = make([]float64, nt.sizes[0]*b.cols)
	}
	b.fill(x, t)
	return b
}

// isFloat64 reports whether T is float64.
func isFloat64[T real]() bool { return unsafe.Sizeof(T(0)) == 8 }

// fill writes the input features of the points (x, t) into h[0].
func (b *batch[T]) fill(x, t []float64) {
	in := b.h[0][:b.nt.sizes[0]*b.cols]
	if isFloat64[T]() {
		b.emb.fill(as64(in), b.st, x, t)
		return
	}
	b.emb.fill(b.in64, b.st, x, t)
	for i, v := range b.in64 {
		in[i] = T(v)
	}
}

// refill replaces the batch's points by x, t (as many as before) and
// keeps its buffers.
func (b *batch[T]) refill(x, t []float64) {
	if len(x) != b.n {
		panic("trainer: refill with a different point count")
	}
	b.fill(x, t)
}

// block returns stream k of row r of a width × cols matrix m.
func (b *batch[T]) block(m []T, r, k int) []T {
	off := r*b.cols + k*b.n
	return m[off : off+b.n]
}

// as64 and as32 reinterpret a slice of T (of the matching size) as
// []float64 or []float32, for the BLAS calls.
func as64[T real](s []T) []float64 {
	return unsafe.Slice((*float64)(unsafe.Pointer(unsafe.SliceData(s))), len(s))
}

func as32[T real](s []T) []float32 {
	return unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(s))), len(s))
}

// gemm computes C = op(A)·op(B) + beta·C with the process's BLAS of T's
// precision (blas64's Dgemm or blas32's Sgemm; see BLASEngine).
func gemm[T real](tA, tB blas.Transpose, m, n, k int, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	if isFloat64[T]() {
		blas64.Implementation().Dgemm(tA, tB, m, n, k, 1, as64(a), lda, as64(b), ldb, float64(beta), as64(c), ldc)
		return
	}
	blas32.Implementation().Sgemm(tA, tB, m, n, k, 1, as32(a), lda, as32(b), ldb, float32(beta), as32(c), ldc)
}

// forward computes every layer's activations and b.out for the packed
// parameters w.
func (b *batch[T]) forward(w *params[T]) {
	nt := b.nt
	L := nt.layers()
	cols := b.cols
	for l := 0; l < L; l++ {
		in, out := nt.sizes[l], nt.sizes[l+1]
		gemm(blas.NoTrans, blas.NoTrans, out, cols, in+1, w.w[l], in+1, b.h[l], cols, 0, b.a[l+1], cols)
		if l == L-1 {
			break
		}
		for r := 0; r < out; r++ {
			if b.fused {
				b.activateFused(l+1, r)
			} else {
				b.activate(l+1, r)
			}
		}
	}
}

// activateFused sets row r of hidden layer j in place on the fused path
// (a[j] is h[j]'s rows): the value and the first direction in one
// vmath.TanhJet pass, further directions (none in the shipped PDEs) as
// h_k = σ'·a_k with σ' = 1 − h_v², rounded as TanhJet rounds it.
func (b *batch[T]) activateFused(j, r int) {
	H := b.h[j]
	hv := b.block(H, r, 0)
	nd := len(b.st.dirs)
	if nd == 0 {
		vmath.TanhJet(hv, nil, nil, hv, nil)
		return
	}
	h1 := b.block(H, r, 1)
	vmath.TanhJet(hv, nil, h1, hv, h1)
	for k := 2; k <= nd; k++ {
		hk := b.block(H, r, k)[:len(hv)]
		for i, v := range hv {
			hk[i] *= 1 - v*v
		}
	}
}

// activate sets row r of hidden layer j on the general path: σ and its
// derivatives, then the streams h_k = σ'·a_k and
// h_xx = σ'·a_xx + σ”·a_x².
func (b *batch[T]) activate(j, r int) {
	n := b.n
	nd := len(b.st.dirs)
	A, H := b.a[j], b.h[j]
	var s3r []T
	if b.st.xx {
		s3r = b.s3[j][r*n : (r+1)*n]
	}
	s1 := b.s1[j][r*n : (r+1)*n]
	s2 := b.s2[j][r*n : (r+1)*n]
	evalAct(b.nt.act, b.block(H, r, 0), s1, s2, s3r, b.block(A, r, 0))
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
		ax := b.block(A, r, 1)
		axx := b.block(A, r, nd+1)
		hxx := b.block(H, r, nd+1)
		ax, s1, s2, hxx = ax[:len(axx)], s1[:len(axx)], s2[:len(axx)], hxx[:len(axx)]
		for i, v := range axx {
			hxx[i] = s1[i]*v + s2[i]*ax[i]*ax[i]
		}
	}
}

// backward accumulates into the packed gradient g the gradient of
// Σ gout·out with respect to the parameters, using the activations of
// the last forward call.
func (b *batch[T]) backward(w *params[T], g [][]T) {
	b.backwardFrom(w, g, b.gout, b.nt.layers()-1)
}

// backwardFrom runs the reverse pass from affine layer top down: G is the
// adjoint of a[L] when top = L−1 (the output), else the adjoint of the
// hidden activations h[top+1] (all streams, without the bias row). G may
// be b.g1 (it is not needed after the first layer) but not b.g0, where
// the first input adjoint is written. The gradient of layer l's [W | b] accumulates into
// g[l]: its last column, the bias gradient, is the sum of the value
// stream's adjoint, which the bias row of h[l] selects.
func (b *batch[T]) backwardFrom(w *params[T], g [][]T, G []T, top int) {
	nt := b.nt
	L := nt.layers()
	cols := b.cols
	spare := b.g0
	other := b.g1
	for l := top; l >= 0; l-- {
		in, out := nt.sizes[l], nt.sizes[l+1]
		if l < L-1 {
			// G holds the adjoint of h[l+1]; turn it into the adjoint of a[l+1] in place.
			for r := 0; r < out; r++ {
				if b.fused {
					b.adjointFused(G, l+1, r)
				} else {
					b.activationAdjoint(G, l+1, r)
				}
			}
		}
		gemm(blas.NoTrans, blas.Trans, out, in+1, cols, G, cols, b.h[l], cols, 1, g[l], in+1)
		if l == 0 {
			break
		}
		// The first in columns of [W | b]: the adjoint of the units, not of the bias row.
		gemm(blas.Trans, blas.NoTrans, in, cols, out, w.w[l], in+1, G, cols, 0, spare[:in*cols], cols)
		G = spare[:in*cols]
		spare, other = other, spare
	}
}

// adjointFused turns row r of G from the adjoint of h[j] into the adjoint
// of a[j] in place on the fused path, from the layer's outputs alone: with
// h_v = tanh(a_v), s = 1 − h_v² and h_k = s·a_k,
//
//	ā_v = s·g_v − 2·h_v·Σ_k h_k·g_k,  ā_k = s·g_k.
func (b *batch[T]) adjointFused(G []T, j, r int) {
	H := b.h[j]
	gv, hv := b.block(G, r, 0), b.block(H, r, 0)
	nd := len(b.st.dirs)
	if nd == 0 {
		vmath.TanhJetAdjoint(gv, nil, hv, nil)
		return
	}
	vmath.TanhJetAdjoint(gv, b.block(G, r, 1), hv, b.block(H, r, 1))
	for k := 2; k <= nd; k++ {
		// The further streams (none in the shipped PDEs), with g_v already s·g_v.
		hk, gk := b.block(H, r, k)[:len(hv)], b.block(G, r, k)[:len(hv)]
		gv := gv[:len(hv)]
		for i, v := range hv {
			t := v * hk[i] * gk[i]
			gv[i] -= t + t
			gk[i] *= 1 - v*v
		}
	}
}

// activationAdjoint turns row r of G from the adjoint of h[j] into the
// adjoint of a[j] in place on the general path. With s1, s2, s3 the first
// three derivatives of σ at a_v, the chain rule through h_v = σ(a_v),
// h_k = s1·a_k and h_xx = s1·a_xx + s2·a_x² gives
//
//	ā_v  = s1·g_v + s2·Σ_k a_k·g_k + (s2·a_xx + s3·a_x²)·g_xx
//	ā_k  = s1·g_k            (+ 2·s2·a_x·g_xx for k = x)
//	ā_xx = s1·g_xx
func (b *batch[T]) activationAdjoint(G []T, j, r int) {
	n := b.n
	nd := len(b.st.dirs)
	A := b.a[j]
	s1 := b.s1[j][r*n : (r+1)*n]
	s2 := b.s2[j][r*n : (r+1)*n][:len(s1)]
	gv := b.block(G, r, 0)[:len(s1)]
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
