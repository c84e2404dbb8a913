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
// A fully connected MLP (default 2-50-50-50-50-1, tanh or sin), float64,
// initialised like PyTorch's nn.Linear: U(±1/√fan_in) from PCG(seed).
// The input derivatives the residual needs are propagated forward as
// Taylor-mode streams — the value, first-order directional derivatives and
// u_xx — stacked as column blocks of one feature-major matrix per layer, so
// every layer is one GEMM forward and two backward (dW = Ā·Hᵀ, H̄ = Wᵀ·Ā)
// whatever the number of streams, followed by elementwise rules. Only the
// streams an operator needs are computed: convection's residual u_t + βu_x
// is the single directional derivative along (β, 1), reaction needs ∂_t,
// diffusion and rd need ∂_x, ∂_t and ∂_xx. The reverse pass is written by
// hand and checked against central finite differences for every PDE,
// activation, embedding and loss term (relative error ≤ 1e-6).
//
// # BLAS
//
// The default build uses gonum's pure-Go BLAS (no cgo). Built with
// -tags openblas (and CGO_LDFLAGS pointing at Debian's serial OpenBLAS,
// see the Makefile) the GEMMs run on OpenBLAS through gonum/netlib.
// tanh uses the vectorisable kernel of internal/vmath. Config.Threads
// shards the points over goroutines and sums their gradients.
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
// # Metrics
//
// Result holds the relative L2, mean absolute, relative L∞ and mean
// squared errors on the full grid, the mean squared residual on every
// interior grid point and on the training points (a trial that fits its
// points without solving the PDE shows a large gap), the loss terms and
// their history, the loss at the initial parameters and the final
// gradient norm, and the evaluations, iterations and seconds used.
package trainer
