// Package spectral estimates the spectrum of a large symmetric matrix that
// is known only through its matrix–vector product: the extreme
// eigenpairs by the Lanczos method with full reorthogonalisation, the
// trace by Hutchinson's estimator, and the spectral density by stochastic
// Lanczos quadrature (SLQ). It knows nothing of neural networks; the
// trainer uses it with Hessian–vector products of a training loss.
//
// # Lanczos
//
// A Lanczos run builds an orthonormal basis q_0, q_1, … of the Krylov
// space of a start vector and the symmetric tridiagonal T = QᵀAQ (α on
// the diagonal, β off it). Every new vector is orthogonalised against
// all the previous ones, twice (classical Gram–Schmidt twice is enough
// for orthogonality to working precision), so no spurious copies ("ghost"
// Ritz values) appear. When β falls below 1e-10 times the largest |α| or
// β seen, the Krylov space is invariant: a run that looks for eigenpairs
// restarts from a Gaussian vector orthogonalised against the basis (T
// gets a zero off-diagonal there), so eigenvalues that the start vector
// does not see, and repeated ones, are found too; a quadrature run stops.
//
// The Ritz pairs (θ_i, y_i = Q s_i) come from the eigendecomposition of T
// (LAPACK's implicit QL/QR, gonum's Dsteqr). ‖A y_i − θ_i y_i‖ = β_m·|s_mi|
// for exact products: TopEigen stops when this bound is at most Tol·|θ_i|
// for each of the K largest Ritz values (and MinSteps are done).
//
// # Trace
//
// Hutchinson's estimator averages zᵀAz over Rademacher vectors z (±1
// entries). Its variance, 2(‖A‖_F² − Σ A_ii²) per probe, is dominated
// by the few large eigenvalues a Hessian typically has, so Hutchinson
// deflates an orthonormal set V (the Lanczos basis, which captures them)
// whose part of the trace, Σ v_iᵀAv_i = Σ α_i, the caller knows: the
// estimate is Σ α_i + mean((Pz)ᵀA(Pz)) with P = I − VVᵀ, unbiased for
// any orthonormal V. It stops when at least MinProbes were used and the
// standard error of the mean is at most RelTol·|estimate|, or after
// MaxProbes.
//
// # Density
//
// A Lanczos run of m steps from a unit vector v gives the m-point Gauss
// quadrature of v's spectral measure: nodes θ_i and weights s_0i² (the
// squared first components of T's eigenvectors), which sum to 1. With a
// normalised Rademacher v its expectation is the spectral density
// (1/n)Σδ(λ − λ_j). Density smooths the nodes of one or more runs with a
// Gaussian of variance 1e-5·max(1, λ_max − λ_min) (the convention of
// PyHessian and of Ghorbani et al. 2019) and integrates it over equal
// bins between the extreme nodes (widened by three standard deviations),
// so the bins hold probability masses that sum to 1 whatever their width.
package spectral
