// Package vmath provides fast elementwise kernels for the trainer's
// activation functions, working on contiguous []float64 slices such as a
// layer's width×points pre-activations.
//
// [Tanh] computes h = tanh(a), and [TanhDeriv] computes h and s = 1 − h²
// together; [Tanh32] and [TanhDeriv32] are the float32 versions.
// [TanhJet] computes a tanh layer's value and one first-order Taylor
// stream in one pass, and [TanhJetAdjoint] runs that backwards from the
// outputs, for either precision. [Implementation] and [Implementation32]
// report which kernels the build and CPU selected. (A sin activation
// needs no kernel of its own: the trainer calls math.Sincos.)
//
// All functions panic if the slice lengths differ. A destination may be
// the source slice itself (in place), but any other overlap between
// arguments gives unspecified results.
//
// # Algorithm
//
// For a = |x| (clamped to 20) and t = 2a, the kernel reduces
// t = k·ln2 + r with |r| ≤ ln2/2 and uses fdlibm's polynomial (Go's
// math.Exp) for R = r·coth(r/2). Then e^t = 2^k·(R+r)/(R−r), so
//
//	tanh(a) = ((2^k−1)·R + (2^k+1)·r) / ((2^k+1)·R + (2^k−1)·r).
//
// This needs one division and no branch. For k = 0 the numerator is
// exactly 2r, so tanh of small and subnormal x has no cancellation error.
// Where tanh(a) ≥ 0.5 the kernel returns 1 − 2(R−r)/den instead. The
// bits of t·log₂e + (1.5·2⁵² + 1023) give 2^k without a float-to-int
// conversion, and the sign of x is copied back onto the result.
//
// # Accuracy
//
// Errors were measured against a correctly rounded big.Float reference
// on 646,569 points: a grid of [−30, 30] with step 1/4096, 100 points
// each way around the branch points, 200,000 log-uniform magnitudes in
// [2⁻⁶⁰, 2⁵] and 200,000 uniform values in [−1.2, 1.2]
// (go test -run Exact ./internal/vmath/ -args -vmath.fullsweep):
//
//   - maximum absolute error: 2.22e-16 (= 2⁻⁵²);
//   - maximum relative error: 4.86e-16 (2.19·2⁻⁵²), near |x| = 0.17;
//   - maximum error in ulp of the result: 4. 0.06% of the points have
//     an error of 3 ulp or more, and 84% are correctly rounded. For
//     comparison, math.Tanh is within 1 ulp;
//   - against math.Tanh on the same grid, the largest difference is
//     2.22e-16.
//
// The special values are exact:
//
//   - ±0 gives ±0, and ±Inf gives ±1;
//   - subnormal and tiny x give x;
//   - |x| ≥ 19.1 gives exactly ±1, as does the correctly rounded tanh;
//   - NaN gives NaN.
//
// TestTanhExact, TestTanhDense and TestTanhSpecial assert these bounds.
//
// [TanhDeriv] computes s as 1 − h·h from the returned h, with the product
// rounded and never fused into an FMA. s is therefore exactly what a
// caller computing 1 − h*h from h would get. Its absolute error is at
// most about 2·|h|·err(h) + 2⁻⁵³ ≈ 7e-16.
//
// # float32
//
// [Tanh32] computes both branches and keeps one without a jump: for
// a = |x| < 0.625 the odd polynomial a + a³·P(a²) of Cephes' tanhf; from
// 0.625, 1 − 2/(e^{2a} + 1) with e^{2a} from Cephes' expf (reduction by
// ln 2 in two parts, a degree-5 polynomial, 2^k from the bits of a
// rounding constant); |x| is clamped to 10, where the result is exactly 1.
// Against tanh computed in float64 on every 61st float32 in [2⁻³⁰, 10.5]
// (4.6 million points; -vmath.fullsweep takes every float32) the maximum
// error is 1.29 ulp, at x = 0.633, just above the switch of branches;
// 99.99% of the points are within 1 ulp, i.e. a relative error below
// 1.6e-7. Negative inputs give exactly the negated results, ±0, ±Inf and
// NaN give ±0, ±1 and NaN, and subnormal x gives x. TestTanh32Accuracy
// asserts 1.5 ulp.
//
// # Jets
//
// A tanh layer of the trainer propagates its pre-activation a and the
// derivative streams a_d of its inputs. [TanhJet] writes h = tanh(a)
// and h_d = s·a_d with s = 1 − h² while a vector of a is in registers,
// instead of one pass for tanh, one for s and one per stream, in place if
// the caller likes (h = a, h_d = a_d). [TanhJetAdjoint] turns the
// adjoints of (h, h_d) into those of (a, a_d) from the outputs alone:
// ā = s·ḡ − 2·h·h_d·ḡ_d, ā_d = s·ḡ_d, using tanh″ = −2·h·s and
// s·a_d = h_d, so that neither a, a_d, s nor a second derivative has to
// be kept between the passes. Recomputing s from h costs two operations
// per element; storing it and loading it back cost more, since the
// adjoint is bound by memory traffic (measured: the trainer's whole
// float64 evaluation 8–11% faster without a and s). Every product is
// rounded (no FMA) in every build.
//
// # Builds
//
// There are two implementations, chosen when the package is built. The
// same tests cover both:
//
//   - The default build is pure Go. It needs no cgo and no GOEXPERIMENT,
//     and its loops have no bounds checks and no data-dependent branches.
//     Every product is rounded explicitly (float64(x*y)), so the compiler
//     cannot fuse multiply–adds on arm64 or with GOAMD64=v3. Its
//     TanhDeriv computes h for a block of 512 elements and then s from
//     that block while it is still in L1.
//   - With GOEXPERIMENT=simd on amd64, the build adds simd/archsimd
//     kernels on 256-bit vectors (Float64x4, Float32x8; they need AVX2)
//     and on 512-bit vectors (Float64x8, Float32x16; they need AVX-512 F,
//     CD, BW, DQ and VL). The widest the CPU supports is chosen at
//     start-up, the pure-Go kernels without AVX2. The kernels of every
//     variant are generated from one template per algorithm by
//     gen_kernels.go (go generate ./internal/vmath/). The tail of fewer
//     than one vector goes through padded buffers.
//
// The archsimd kernels do the same operations in the same order as the
// pure-Go ones and deliberately use no FMA, so every build gives
// bit-identical results on every platform. TestTanhGolden pins the exact
// output bits, and TestTanhMatchesGeneric and TestKernelsMatchGeneric
// compare every kernel level this CPU supports with the portable kernels
// element by element.
//
// Using MulAdd (FMA) measured about 12% faster, but that is within the
// noise of the shared machine and it would break the bit-identity.
//
// simd/archsimd is experimental and outside the Go 1 compatibility
// promise. CI should run both go test ./internal/vmath/ and
// GOEXPERIMENT=simd go test ./internal/vmath/.
//
// # Measured speed
//
// These are ns per element for n = 100,000 normally distributed inputs
// (σ = 2). Each build's test binary ran -bench . -benchtime 100x ten times,
// alternating the two builds; the table gives the median and, in
// brackets, the minimum. The machine is a 2-vCPU AMD EPYC with AVX2 and
// FMA but no AVX-512. Other jobs were loading it (load average 4–8 on 2
// cores), so the absolute times are inflated and vary by ±25–50% from run
// to run; B5 of the engineering notes gives ≈ 15 ns for math.Tanh on an
// idle machine. The ratios within one build's run are the reliable part.
//
//	benchmark                       default build   GOEXPERIMENT=simd
//	TanhMath (math.Tanh loop)       31 [25]         26 [26]
//	TanhFast (Tanh)                 19 [18]         3.3 [2.6]
//	TanhGeneric (pure-Go kernel)    18 [17]         17 [17]
//	TanhDerivMath (math.Tanh, 1−h²) 30 [25]         32 [30]
//	TanhDeriv                       16 [16]         3.7 [2.7]
//
// With AVX-512 on the later development machine (an AMD EPYC of the Zen 5
// generation, with full-width 512-bit units), BenchmarkJet gave, in ns
// per element of thread CPU time at a load average of 16 on 2 cores
// (ratios within the run are what counts):
//
//	                       go     avx2   avx512
//	float64 tanh+s         11.7   2.5    1.1
//	float64 tanh+s+stream  13.3   2.7    1.4
//	float64 adjoint        2.5    1.1    1.0
//	float32 tanh+s         17.3   1.0    0.53
//	float32 tanh+s+stream  13.1   1.1    0.64
//	float32 adjoint        1.3    0.49   0.48
//
// so the 512-bit tanh is 2.0–2.3× the 256-bit one and is kept; the
// adjoint is memory-bound and gains little.
//
// The archsimd kernel is 8–10× faster than math.Tanh, and TanhDeriv is
// 9–11× faster than math.Tanh followed by 1 − h². The pure-Go kernel is
// 1.4–1.7× faster than math.Tanh (TanhDeriv: 1.5–1.9×). It is limited by the algorithm's scalar
// operations, about 90 instructions per element including the moves
// between float and integer registers, whereas the AVX2 loop needs about
// 70 instructions per four elements.
package vmath
