package trainer

import "fmt"

// Resource limits of one trial, checked by Config.Validate before anything
// is allocated: a trial over them fails at once with a reason, rather than
// having every worker that leases it killed for memory, on every retry.
const (
	// MaxGridPoints bounds NX·NT, the evaluation grid (2048 × 2048; the
	// paper's is 256 × 100). The trainer holds about a dozen float64
	// values per grid point (the reference solution, the prediction, the
	// interior points and their residuals, the collocation pool), and
	// reports and the dashboard recompute the reference solution on it.
	MaxGridPoints = 1 << 22

	// MaxMemory bounds Config.MemoryEstimate, in bytes.
	MaxMemory = 4 << 30
)

// Terms of MemoryEstimate, fitted to the peak resident memory (ru_maxrss)
// of `pinnsweep train` (convection unless said, 2 or 3 iterations) on
// 2026-12-03: 70 MB for the paper's defaults; 183, 294 and 503 MB for
// 1024 × 1024, 2048 × 1024 and 2048 × 2048 grids; 234 MB for
// reaction-diffusion on 1024 × 1024; 374 MB for N_f = 20,000; 459 MB for
// four hidden layers of 512 with an L-BFGS history of 20 (25 iterations).
// The estimate is 1.05 to 1.8 times those peaks: it adds parts that do
// not all live at once.
const (
	// memBase is the process's own: runtime, binary, small buffers.
	memBase = 32 << 20
	// memPerGridPoint is the cost of one evaluation grid point.
	memPerGridPoint = 112
	// memSlack covers the garbage collector's headroom over the live heap
	// (GOGC=100 lets the heap grow to twice the live data between
	// collections; most of it is long-lived here).
	memSlack = 1.25
)

// MemoryEstimate returns an estimate of the peak memory, in bytes, that
// training c takes: the evaluation grid, the network's parameters with
// the optimizer's state (L-BFGS keeps 2·History vectors of them) and one
// gradient per thread, the activations of every training point and of
// one evaluation chunk, per layer and derivative stream, and the
// diagnostics' Lanczos basis. With Precision f32 the activations and the
// per-thread gradients take 4 bytes a value instead of 8; the optimizer's
// vectors (its curvature pairs included), the grid and the Lanczos basis
// stay float64. c must have passed the range checks of
// Validate (widths, counts, diagnostics).
func (c *Config) MemoryEstimate() int64 {
	grid, params, points, diag := c.memoryParts()
	return memBase + int64(memSlack*float64(grid+params+points+diag))
}

// memoryParts returns MemoryEstimate's parts before slack. diag is the
// Hessian diagnostics': the eigenvalue run keeps its whole Lanczos basis
// (full reorthogonalisation), one parameter vector per step and at most
// m = min(n, 3·HessianSteps) steps (the most a run that does not converge
// takes; one that converges stops at HessianSteps), with the steps'
// tridiagonal eigenvectors (m × m), the K Ritz vectors and a few work
// vectors. Measured on 2026-12-03: a run of 300 steps on a network of
// 66,817 parameters (2 hidden layers of 256, a history of 5) raised the
// peak resident memory (ru_maxrss) of `pinnsweep train` from 46 to
// 207 MiB, by 161 MiB; the term is 158 MiB for m = 300.
func (c *Config) memoryParts() (grid, params, points, diag int64) {
	grid = int64(c.NX) * int64(c.NT) * memPerGridPoint

	sizes := append([]int{newEmbedding(c).dim()}, c.Layers...)
	sizes = append(sizes, 1)
	var nParams, sumW, maxW int64
	for l, w := range sizes {
		sumW += int64(w)
		maxW = max(maxW, int64(w))
		if l+1 < len(sizes) {
			nParams += (int64(w) + 1) * int64(sizes[l+1])
		}
	}
	elem := int64(8) // bytes of the network's arithmetic
	if c.Precision == PrecisionF32 {
		elem = 4
	}
	vectors := int64(8) // iterate, gradient, direction, line-search copies
	var pairs int64     // L-BFGS curvature pairs (float64)
	switch c.Optimizer {
	case OptimizerAdam:
		vectors += 4
	case OptimizerAdamLBFGS:
		vectors += 4
		pairs = 2 * int64(c.History)
	default:
		pairs = 2 * int64(c.History)
	}
	// The packed parameters and one packed gradient per thread are in the
	// network's precision.
	params = nParams * (8*(vectors+pairs) + elem*(1+int64(max(c.Threads, 1))))

	streams := int64(4) // value, two directions, u_xx
	if op, err := operatorFor(c); err == nil {
		streams = int64(op.st.count())
	}
	// Per point and layer: pre-activations and activations for every
	// stream, σ', σ'', σ''' once; the two adjoint buffers of the widest
	// layer for every stream.
	perPoint := (2*streams+3)*sumW + 2*streams*maxW
	n := int64(c.NU) + 2*int64(c.NB) + int64(c.NF) + evalChunk
	points = elem * n * perPoint
	if c.wantsHessian() {
		m := min(nParams, 3*int64(c.HessianSteps))
		diag = 8 * (nParams*(m+int64(c.HessianK)+6) + m*m)
	}
	return grid, params, points, diag
}

// checkResources is Validate's check of the grid size and the memory
// estimate.
func (c *Config) checkResources() error {
	if g := int64(c.NX) * int64(c.NT); g > MaxGridPoints {
		return fmt.Errorf("nx × nt = %d × %d = %d grid points: the limit is %d (e.g. 2048 × 2048)", c.NX, c.NT, g, MaxGridPoints)
	}
	if est := c.MemoryEstimate(); est > MaxMemory {
		grid, params, points, diag := c.memoryParts()
		parts, advice := "", ""
		if diag > 0 {
			parts, advice = fmt.Sprintf(", Hessian diagnostics %s", gib(diag)), ", fewer hessian_steps"
		}
		return fmt.Errorf("the trial needs an estimated %s of memory (network and optimizer %s, training points %s, grid %s%s): "+
			"the limit is %s; use fewer or narrower layers, a shorter history, fewer points or fewer threads%s",
			gib(est), gib(params), gib(points), gib(grid), parts, gib(MaxMemory), advice)
	}
	return nil
}

// gib formats a byte count in GiB.
func gib(b int64) string { return fmt.Sprintf("%.2f GiB", float64(b)/(1<<30)) }
