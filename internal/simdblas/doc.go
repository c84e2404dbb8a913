// Package simdblas is gonum's pure-Go BLAS with a faster Dgemm for
// builds with GOEXPERIMENT=simd on amd64.
//
// [Implementation] embeds gonum.Implementation, so it provides every
// blas.Float64 (and blas.Complex128) routine, and overrides only Dgemm. It
// is meant for the trainer's pure-Go build (no cgo, no OpenBLAS), where
// gonum's SSE2 Dgemm (about 8 GFLOP/s per core, no register blocking)
// dominates the run time:
//
//	blas64.Use(simdblas.Implementation{})
//
// [Accelerated] reports whether the kernels are in use.
//
// # What is specialised
//
// Dgemm takes one of two paths, chosen from the transposes and k; both
// run on the calling goroutine.
//
// The outer-product path serves A·B (the forward product, W·H), Aᵀ·B (the
// input gradient, Wᵀ·Ā), Aᵀ·Bᵀ, and A·Bᵀ when k < 16. For each block of
// up to 128 values of k and 64 rows of C, op(A) is packed
// "pre-broadcast": every element is stored four times, so that the kernel
// loads it as a Float64x4 with one VMOVUPD instead of a load and a
// VBROADCASTSD (31 vs 24 GFLOP/s in a micro-benchmark). The 4×8 kernel
// then keeps a 4-row by 8-column block of C in eight Float64x4
// accumulators, updated with MulAdd (VFMADD213PD) for each k, unrolled
// twice. The last m mod 4 rows use a 1×8 kernel. op(B) is read in place
// when B is not transposed and fits in cache, packed in blocks of 256
// columns when a k block of B is 2 MiB or more (N ≳ 5000 at k = 50), and
// packed one 8-column strip at a time when B is transposed. The last
// n mod 8 columns go through a zero-padded strip and a scratch tile.
//
// The dot-product path serves A·Bᵀ for k ≥ 16: the weight gradient
// dW += Ā·Hᵀ, whose k is the number of points. Element (i, j) of C is the
// dot product of rows i of A and j of B, which are both contiguous, so
// nothing is packed. A 4×2 kernel keeps eight Float64x4 accumulators along
// k (unrolled twice) and reduces them with VHADDPD at the end; 4×1, 1×4,
// 1×2 and 1×1 kernels take the edges. k is processed in blocks of 256, so
// that four rows of A stay in L1 while the rows of B stream from L2.
//
// Everything else goes to the embedded gonum Dgemm: every call when the
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
// dgemm_simd_amd64.go and kernels_simd_amd64.go are built only with
// //go:build goexperiment.simd && amd64. They check
// archsimd.X86.AVX2() && archsimd.X86.FMA() once at start-up and fall
// back to gonum's Dgemm without them. In every other build,
// dgemm_generic.go leaves Implementation exactly gonum.Implementation
// (Accelerated returns false). simd/archsimd is experimental and outside
// the Go 1 compatibility promise. CI should run both
//
//	go test ./internal/simdblas/
//	GOEXPERIMENT=simd go test ./internal/simdblas/
//
// The tests run gonum's conformance suite (testblas.TestDgemm) with the
// default threshold, with the kernels forced on every size and with them
// disabled, and compare against gonum's Dgemm on about 9,000 randomized
// products: all four transpose combinations, m ∈ {1, 2, 3, 4, 5, 7, 8, 9,
// 49, 50, 51}, n ∈ {1, 2, 3, 7, 8, 9, 16, 17, 1001}, k from 1 to 300,
// alpha and beta including 0 (with NaN in C), padded leading dimensions
// (the padding must stay untouched, and A and B unchanged), sizes past
// every blocking parameter, and the trainer's shapes for N up to 10,000.
// Each element must lie within 2(k+2)·2⁻⁵² of |alpha|·|op(A)|·|op(B)| +
// |beta·C| of gonum's.
//
// # Code generation notes
//
// Go 1.26 compiles scalar float64 code with legacy SSE encodings. Running
// such an instruction while the upper halves of the YMM registers are
// dirty made the 4×8 kernel 30 times slower on the development machine
// (an AMD EPYC of family 25, under KVM): 1 GFLOP/s instead of 31, when
// alpha and beta were float64 arguments that the register allocator kept
// in X0 and X1 and reloaded in the loop. Every kernel therefore ends with
// archsimd.ClearAVXUpperBits (VZEROUPPER) before any scalar code runs,
// takes alpha and beta as vectors, and the packing routines copy elements
// as uint64. MulAdd always compiles to VFMADD213PD, which overwrites a
// multiplicand, so each FMA costs a register copy; with the loop unrolled
// twice this still runs at about 31 GFLOP/s. 6×8 and 4×12 blocks (12
// accumulators) spill, because Go reserves X15 and schedules loads
// early, and ran at 18–20 GFLOP/s. Each accumulator sums different
// products, so the compiler cannot merge chains (the pitfall seen with
// identically seeded benchmark accumulators).
//
// # Measured speed
//
// BenchmarkDgemm and BenchmarkDgemmEdge report GFLOP/s (2·m·n·k per call)
// for gonum and simdblas in the same run, on the trainer's shapes for a
// hidden layer of width 50: forward C(50×N) = W·H, weight dW(50×50) +=
// Ā·Hᵀ, input Ḡ(50×N) = Wᵀ·Ā. The machine is a 2-vCPU AMD EPYC (family
// 25, AVX2 and FMA, no AVX-512) that other jobs kept at a load average of
// 5–7, so gonum ran at 1–4 GFLOP/s instead of its idle 8 and single runs
// vary by ±50%; only the ratios within a run mean anything. The table gives
// medians of five runs of the compiled test binary with -test.cpu 1 and
// -test.count 1, so that gonum and simdblas are measured back to back in
// each run, and the median of the five per-run ratios:
//
//	shape (GFLOP/s, -cpu 1)   gonum   simdblas   ratio
//	forward  N=2000            1.7      7.9      3.8×
//	weight   N=2000            3.2      9.8      2.8×
//	input    N=2000            2.2      5.7      2.9×
//	forward  N=10000           2.1      6.4      2.8×
//	weight   N=10000           3.3      3.9      1.7×
//	input    N=10000           1.6      3.7      2.5×
//
// Wall-clock time on the loaded machine mostly measures waiting for a CPU.
// Process CPU time (CLOCK_PROCESS_CPUTIME_ID, gonum and simdblas
// alternating, 21 repetitions, GOMAXPROCS=1) is steadier; its medians were
//
//	shape (GFLOP/s of CPU time)   gonum   simdblas   ratio [p10, p90]
//	forward  N=2000                3.7      12.3     3.3× [2.7, 3.8]
//	weight   N=2000                6.6      16.2     2.5× [2.1, 2.7]
//	input    N=2000                4.0      13.7     3.4× [3.1, 4.0]
//	forward  N=10000               3.3      10.8     3.2× [3.0, 3.6]
//	weight   N=10000               5.3      13.2     2.8× [2.2, 3.5]
//	input    N=10000               4.1      12.8     3.1× [2.9, 3.5]
//	first layer, k or n = 2        2.9–7.7  7.5–22   2.6–2.9×
//	first layer, width 21          5.7–7.4  23–25    3.1–4.1×
//	output forward (m = 1)         2.6      7.6      3.1×
//	output weight (m = 1)          6.9      11.2     1.6×
//	output input (k = 1)           2.1      4.2      2.1×
//
// and, in moments when the machine was quieter, thread CPU time gave
// 26–30 GFLOP/s for simdblas on all three hidden-layer shapes at N = 2000
// against about 7 for gonum's serial weight product. The output layer's
// weight gradient (each element of H used once) and input gradient (a
// rank-1 update) are memory-bound, which limits their gain.
//
// gonum's Dgemm runs the forward and input products on up to GOMAXPROCS
// goroutines (one per 64×64 block of C); Implementation uses one. With
// -test.cpu 2 on the same loaded machine simdblas was still 3–4.6× faster
// on those shapes, but to use both cores, shard the points across
// goroutines in the caller.
package simdblas
