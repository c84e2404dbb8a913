// Package simdblas is gonum's pure-Go BLAS with a faster Dgemm and Sgemm
// for builds with GOEXPERIMENT=simd on amd64.
//
// [Implementation] embeds gonum.Implementation, so it provides every
// blas.Float64, blas.Float32 and complex routine, and overrides only Dgemm
// and Sgemm. It is meant for the trainer's pure-Go build (no cgo, no
// OpenBLAS), where gonum's SSE2 GEMMs (about 8 GFLOP/s per core, no
// register blocking) dominate the run time:
//
//	blas64.Use(simdblas.Implementation{})
//	blas32.Use(simdblas.Implementation{})
//
// [Accelerated] reports whether the kernels are in use and [Kernels]
// which ones.
//
// # Variants
//
// The kernels come in four variants, generated from one template by
// gen_kernels.go (go generate ./internal/simdblas/):
//
//	variant  element  vector      lanes  CPU
//	f64x4    float64  Float64x4   4      AVX2 + FMA
//	f64x8    float64  Float64x8   8      AVX-512 (F, CD, BW, DQ, VL)
//	f32x8    float32  Float32x8   8      AVX2 + FMA
//	f32x16   float32  Float32x16  16     AVX-512
//
// The widest level the CPU supports is chosen once at start-up (AVX-512,
// else AVX2 with FMA, else none: gonum's routines). On a CPU with full
// 512-bit FMA units (the development machine, an AMD EPYC of the Zen 5
// generation) the 512-bit variants run 1.6–1.9× faster than the 256-bit
// ones; BENCHMARKS.md has the figures. The tests run every level the CPU
// supports.
//
// # What is specialised
//
// Each GEMM takes one of two paths, chosen from the transposes and k;
// both run on the calling goroutine.
//
// The outer-product path serves A·B (the forward product, W·H), Aᵀ·B (the
// input gradient, Wᵀ·Ā), Aᵀ·Bᵀ, and A·Bᵀ when k < 16. For each block of
// up to kc values of k and mc rows of C, op(A) is packed "pre-broadcast":
// every element is stored W times, so that the kernel loads it as a vector
// with one VMOVUPD instead of a load and a broadcast. The kernel keeps a
// 5-row by 2-vector block of C (5×8 doubles with AVX2, 5×16 with
// AVX-512, 5×16 and 5×32 floats) in ten accumulators, updated with MulAdd
// (VFMADD213) for each k; ten independent chains keep both FMA pipes busy
// through the FMA latency (eight, in a 4-row block, measured 25% slower).
// The last m mod 5 rows use a 1-row kernel. The loop runs over blocks of
// nc columns of B: every 5-row panel of A (in L1) runs across a block (in
// L2) before the next block is touched. op(B) is read in place when B is
// not transposed and fits in cache, packed into kc×nr strips when a k
// block of B is 2 MiB or more or B is transposed. The last n mod nr
// columns go through a zero-padded strip and a scratch tile.
//
// The dot-product path serves A·Bᵀ for k ≥ 16: the weight gradient
// dW += Ā·Hᵀ, whose k is the number of points. Element (i, j) of C is the
// dot product of rows i of A and j of B, which are both contiguous, so
// nothing is packed. A 4×2 kernel keeps eight vector accumulators along k
// and reduces them with horizontal adds at the end; 4×1, 1×4, 1×2 and 1×1
// kernels take the edges. k is processed in blocks of 256, so that four
// rows of A stay in L1 while the rows of B stream from L2.
//
// Everything else goes to the embedded gonum routine: every call when the
// CPU lacks AVX2 or FMA, and products with m·n·k < 512, for which gonum's
// set-up cost is lower. With alpha = 0 or k = 0, C is scaled by beta
// without reading A or B, as in the reference BLAS (gonum reads them and
// propagates 0·NaN). With beta = 0, C is overwritten without being read.
// The argument checks and panic messages are gonum's.
//
// The results agree with gonum's to rounding but are not bit-identical:
// sums are accumulated in a different order and with fused multiply–adds.
//
// # Builds
//
// The gemm_*_amd64.go files are built only with
// //go:build goexperiment.simd && amd64. In every other build,
// dgemm_generic.go leaves Implementation exactly gonum.Implementation
// (Accelerated returns false). simd/archsimd is experimental and outside
// the Go 1 compatibility promise. CI should run both
//
//	go test ./internal/simdblas/
//	GOEXPERIMENT=simd go test ./internal/simdblas/
//
// The tests run gonum's Dgemm conformance suite (testblas.TestDgemm) at
// every kernel level, with the default threshold and with the kernels
// forced on every size, and compare Dgemm and Sgemm at every level with a
// float64 reference (gonum's Dgemm on the same values; float32 inputs
// convert to float64 exactly) on about 11,000 randomized products per
// type and level: all four transpose combinations, m ∈ {1, 2, 3, 4, 5, 7,
// 8, 9, 49, 50, 51}, n ∈ {1, 2, 3, 7, 8, 9, 16, 17, 33, 1001}, k from 1 to
// 300, alpha and beta including 0 (with NaN in C), padded leading
// dimensions (the padding must stay untouched, and A and B unchanged),
// sizes past every blocking parameter, and the trainer's shapes for N up
// to 10,000. Each element must lie within 2(k+2)·ε of |alpha|·|op(A)|·
// |op(B)| + |beta·C| of the reference (ε = 2⁻⁵² for float64, 2⁻²³ for
// float32). A level the CPU lacks is skipped, saying so, or fails when
// PINNSWEEP_REQUIRE_AVX512=1.
//
// # Measured speed
//
// BenchmarkDgemm, BenchmarkSgemm and their Edge variants report GFLOP/s
// (2·m·n·k per call) of the thread's CPU time at each level, on the
// trainer's shapes for a hidden layer of width 50 (forward C(50×N) = W·H,
// weight gradient dW(50×50) += Ā·Hᵀ, input gradient Ḡ(50×N) = Wᵀ·Ā). On
// the development machine (an AMD EPYC of the Zen 5 generation, 2 vCPUs,
// full-width 512-bit FMA: BenchmarkPeak gives 111 GFLOP/s in float64 and
// 225 in float32 with 512-bit vectors, 55 and 112 with 256-bit ones),
// medians of 3 runs with -cpu 1 at a load average of 7–14:
//
//	shape (GFLOP/s, CPU time)  f64 avx2  f64 avx512  f32 avx2  f32 avx512
//	forward  N=2000              30.3      52.3        79.3      139.3
//	weight   N=2000              36.6      61.6        70.5      110.0
//	input    N=2000              41.5      68.8        80.0      124.5
//	forward  N=10000             28.5      49.6        78.5      132.1
//	weight   N=10000             31.0      49.0        62.3       90.0
//	input    N=10000             27.6      45.9        80.1      138.3
//
// The 512-bit kernels are 1.6–1.8× the 256-bit ones on the hidden-layer
// shapes (1.05–1.7× on the first and output layers, which are
// memory-bound), so the start-up choice takes them wherever the CPU has
// AVX-512. At best they reach about 60% of the peak (float32 forward 139
// of 225, float64 input 69 of 111). gonum's Sgemm and Dgemm ran at 9–27
// and 10–11 GFLOP/s on the weight shape (the others spread over
// goroutines whose CPU time the thread clock does not see).
//
// # Code generation notes
//
// Go 1.26 compiles scalar float code with legacy SSE encodings. Running
// such an instruction while the upper halves of the vector registers are
// dirty made the 4×8 kernel 30 times slower on an AMD EPYC of family 25:
// 1 GFLOP/s instead of 31, when alpha and beta were float64 arguments
// that the register allocator kept in X0 and X1 and reloaded in the loop.
// Every kernel therefore ends with archsimd.ClearAVXUpperBits
// (VZEROUPPER) before any scalar code runs, takes alpha and beta as
// vectors, and the packing routines copy elements as unsigned integers or
// with VEX broadcasts.
//
// The compiler allocates 15 vector registers (X15 is reserved, and it
// does not use Z16–Z31), emits MulAdd as VFMADD213 (which overwrites a
// multiplicand, so an operand used twice costs a register copy), does not
// fold loads into the FMA, and does not fold base+index addresses into
// vector loads (each such load cost a LEAQ). The kernels therefore
// advance one pointer per operand row and load at constant offsets from
// it. The accumulators still rotate through registers, which costs one
// register move per FMA at the loop's back edge (eliminated at rename on
// AMD cores, but they take front-end slots). A 5-row dot-product block
// (ten accumulators) spilled, because the compiler loads every row before
// the first FMA; the outer-product kernel loads one A vector at a time and
// does not.
package simdblas
