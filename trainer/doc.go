// Package trainer trains physics-informed neural networks (PINNs) on the
// 1-D periodic benchmark problems of Krishnapriyan et al., "Characterizing
// possible failure modes in physics-informed neural networks" (NeurIPS
// 2021), and measures how well they solve them.
//
// # Problems
//
// x ∈ [0, 2π) with periodic boundaries, t ∈ [0, 1]; the PDEs are
// convection u_t + βu_x = 0, reaction u_t = ρu(1−u), reaction–diffusion
// u_t − νu_xx − ρu(1−u) = 0 and diffusion u_t − νu_xx = 0 with the initial
// conditions of package refsol, which also computes the reference
// solutions on the NX × NT evaluation grid (paper: 256 × 100).
//
// # Loss
//
// loss = MSE_IC + MSE_BC + λ·MSE_residual on NU initial-condition points,
// NB boundary pairs u(0, t) = u(2π, t) (plus u_x(0, t) = u_x(2π, t) when
// periodic_ux is on: by default when ν > 0, as in the public code) and NF
// collocation points drawn without replacement from the grid interior with
// a sampling seed separate from the initialisation seed.
//
// # Network and derivatives
//
// A fully connected MLP (default 2-50-50-50-50-1, tanh or sin), float64
// or float32 (see Precision), initialised like PyTorch's nn.Linear:
// U(±1/√fan_in) from PCG(seed). The input derivatives the residual needs
// are propagated forward as Taylor-mode streams — the value, first-order
// directional derivatives and u_xx — stacked as column blocks of one
// feature-major matrix per layer, so every layer is one GEMM forward and
// two backward (dW = Ā·Hᵀ, H̄ = Wᵀ·Ā) whatever the number of streams,
// followed by elementwise rules. The bias is a column of the weight matrix
// and the activations carry a row of ones (zeros in the derivative
// streams), so the forward product adds it and the weight-gradient product
// yields its gradient, with no pass of their own. Only the streams an
// operator needs are computed: convection's residual u_t + βu_x is the
// single directional derivative along (β, 1), reaction needs ∂_t,
// diffusion and rd need ∂_x, ∂_t and ∂_xx. A tanh layer with first-order
// streams only (convection, reaction, every IC and BC batch) computes its
// value and its stream in place in one pass (vmath.TanhJet: the forward
// GEMM writes the pre-activations into the activations' rows) and
// reverses it in one pass from the outputs alone (vmath.TanhJetAdjoint,
// using tanh′ = 1 − h², tanh″ = −2h·tanh′ and h_d = tanh′·a_d), so neither
// the pre-activations nor any derivative of tanh is stored. The reverse pass is written by hand and checked against central
// finite differences for every PDE, activation, embedding and loss term
// (relative error ≤ 1e-6).
//
// # Precision
//
// Config.Precision (f64, the default, or f32) is the element type of the
// numerical core: the activations, the Taylor streams, the residuals, the
// per-point loss terms and the whole reverse pass, with the GEMMs on Sgemm
// or Dgemm of the process's BLAS and the float32 or float64 tanh kernels
// of internal/vmath. The objective the optimizer sees does not change: an
// optim.Func of the float64 parameter vector returning a float64 loss and
// gradient. A float32 evaluation rounds the parameters to float32 once,
// and its loss is a float32 value (each term's mean accumulated in
// float64 and rounded once, the weighted sum formed in float32, as
// accurate as a framework's pairwise reduction). The optimizer keeps the
// parameters, gradient, direction, curvature pairs and every product of
// L-BFGS in float64 in both precisions: float32 curvature pairs
// (optim.Settings.HistoryFloat32) halve the two-loop's memory traffic,
// but over 20 seeds they cost accuracy. TestPrecisionAblation measured the
// alternatives (docs/repro.md, "Precision"). The hard layer's least-squares solve stays float64 in
// both precisions, and a trial's metrics evaluate the network it trained,
// in its own precision. The float32 gradient is checked against the
// float64 one and against its own difference quotient (TestGradientFloat32).
//
// # BLAS
//
// The default build uses gonum's pure-Go BLAS (no cgo). With
// GOEXPERIMENT=simd (make build) the GEMMs run on the kernels of
// internal/simdblas: assembly AVX-512 kernels where the CPU has it, else
// archsimd AVX2 and FMA ones, chosen at start-up (PINNSWEEP_KERNELS=avx2
// caps it). Built with -tags
// openblas (and CGO_LDFLAGS pointing at Debian's serial OpenBLAS, see the
// Makefile) the GEMMs run on OpenBLAS through gonum/netlib. tanh uses the
// kernels of internal/vmath. Config.Threads shards the points over
// goroutines and sums their gradients.
//
// # Optimisers and limits
//
// L-BFGS (a port of PyTorch's, strong Wolfe line search, history 50,
// tolerances 1e-7) and Adam, from package optim. MaxIters, MaxEvals and
// MaxSeconds cap training; a cancelled context stops it within one
// evaluation; a NaN or Inf loss ends the trial as "diverged". Validate
// refuses, before anything is allocated, an evaluation grid over
// MaxGridPoints and a configuration whose MemoryEstimate (grid, network
// and optimizer state, point activations, the Hessian diagnostics'
// Lanczos basis; fitted to measured peaks in limits.go) is over MaxMemory, so that such a trial fails with the
// reason instead of its workers being killed for memory.
//
// # Strategies
//
// regular (the baseline), curriculum (coefficient schedule with weights
// carried over and a fresh optimizer per stage), seq2seq (time marching
// over windows of Δt with the previous window's prediction as the initial
// condition), adaptive and resample (collocation redraws every K epochs
// with a cosine uniform/residual mix and a restart on a stall). Any of them
// can use the exact periodic embedding in x (PeriodicX) and random Fourier
// features of t (FourierT). supervised is the expressivity control: the
// same network, optimizer and budget fitted to the exact solution at the
// initial-condition, boundary and collocation points, with no PDE
// residual in the loss.
//
// # Diagnostics
//
// Opt-in per trial (Diagnostics: hessian, landscape), after training:
// Hessian–vector products of the final training loss by central
// differences of its gradient (hvp.go), from which package spectral
// finds the top HessianK eigenpairs (Lanczos with full
// reorthogonalisation), the trace (deflated Hutchinson) and the spectral
// density (stochastic Lanczos quadrature); and the loss on a grid of the
// plane through the final parameters spanned by the top two eigenvectors.
// The worker computes them, so a report only draws them. On the paper
// configuration at β = 30 they cost about 15 % of the trial (BENCHMARKS.md).
//
// # Checkpoints
//
// With Options.Checkpoint set, Train hands out its whole state, encoded,
// at the first iteration boundary CheckpointEvery after the start or the
// last checkpoint (see Checkpoint for what it holds); ReadCheckpoint
// decodes one and Options.Resume continues the run from it. A resumed run
// ends with the Result of the uninterrupted run bit for bit, wall-clock
// seconds aside, which count the time before the checkpoint too (so
// MaxSeconds bounds the whole training). A checkpoint is accepted only
// for the settings it was taken with (a SHA-256 of them is stored,
// precision included: a float32 checkpoint never continues a float64 run
// or the reverse), the same trainer version and the same BLAS and kernel
// level (BLASName, e.g. gonum+simd/avx512); the encoding ends with a
// SHA-256 of itself, so damage is detected, never decoded. The kernel
// level is part of it because the AVX2 and AVX-512 kernels accumulate in
// different orders: a run resumed on the other level would not end as the
// uninterrupted one (TestCheckpointKernelLevel shows the results differ),
// so a worker on a machine of the other level starts the trial afresh
// rather than produce a result no single run would.
//
// # Metrics
//
// Result holds the relative L2, mean absolute, relative L∞ and mean
// squared errors on the full grid, the mean squared residual on every
// interior grid point and on the training points (a trial that fits its
// points without solving the PDE shows a large gap), the loss terms and
// their history, the loss at the initial parameters and the final
// gradient norm, and the evaluations, iterations and seconds used.
package trainer
