package trainer

import (
	"time"

	"github.com/pinnsweep/pinnsweep/internal/simdlevel"
)

// Trial statuses reported in Result.Status.
const (
	// StatusDone: training ended by a stopping rule or budget and was evaluated.
	StatusDone = "done"
	// StatusDiverged: the loss or gradient became NaN or Inf.
	StatusDiverged = "diverged"
	// StatusCancelled: the context was cancelled before training finished.
	StatusCancelled = "cancelled"
)

// HistoryPoint is one entry of the thinned loss history.
type HistoryPoint struct {
	Eval    int     `json:"eval"`
	Iter    int     `json:"iter"`
	Seconds float64 `json:"seconds"`
	Loss    float64 `json:"loss"`
	LossIC  float64 `json:"loss_ic"`
	LossBC  float64 `json:"loss_bc"`
	LossRes float64 `json:"loss_res"`
}

// Result is the outcome of one trial: its settings, metrics on the full
// evaluation grid, loss terms, history and costs.
type Result struct {
	Config Config `json:"config"`
	// Status is done, diverged or cancelled.
	Status string `json:"status"`
	// StopReason says which rule ended training (e.g. tol_change, max_iters, max_seconds).
	StopReason string `json:"stop_reason"`
	// PeriodicUx records whether the u_x periodicity term was in the BC loss.
	PeriodicUx bool `json:"periodic_ux"`

	// RelL2 is ‖û−u‖₂/‖u‖₂ on the full NX × NT grid.
	RelL2 float64 `json:"rel_l2"`
	// AbsErr is the mean absolute error on the grid.
	AbsErr float64 `json:"abs_err"`
	// LinfRel is max|û−u| / max|u| on the grid.
	LinfRel float64 `json:"linf_rel"`
	// MSEGrid is the mean squared error (1/N)Σ(û−u)² on the grid, in the
	// units of the loss's data terms: beside the supervised loss's
	// collocation term (LossRes) it shows a fit of the points that misses
	// the grid.
	MSEGrid float64 `json:"mse_grid"`

	// Loss and its terms at the final parameters (λ already applied to Loss, not to LossRes).
	Loss    float64 `json:"loss"`
	LossIC  float64 `json:"loss_ic"`
	LossBC  float64 `json:"loss_bc"`
	LossRes float64 `json:"loss_res"`
	// ResidualGrid is the mean squared PDE residual over every interior grid point (t>0).
	ResidualGrid float64 `json:"residual_grid"`
	// ResidualTrain is the mean squared PDE residual on the training collocation points.
	ResidualTrain float64 `json:"residual_train"`
	// LossInitial is the final training loss (the loss Loss measures)
	// evaluated at the initial parameters: the scale that training
	// reduced. Absent for seq2seq (one network per segment).
	LossInitial *float64 `json:"loss_initial,omitempty"`
	// GradNorm is ‖∇Loss‖₂ at the final parameters (absent for seq2seq).
	GradNorm *float64 `json:"grad_norm,omitempty"`

	// HessianMax is λ_max, the largest eigenvalue of the training loss's
	// Hessian at the final parameters, HessianTop the HessianK largest
	// (descending) and HessianTrace its trace; Hessian has the details.
	// Present with the hessian diagnostic only (see HessianStats).
	HessianMax   *float64      `json:"hessian_max,omitempty"`
	HessianTop   []float64     `json:"hessian_top,omitempty"`
	HessianTrace *float64      `json:"hessian_trace,omitempty"`
	Hessian      *HessianStats `json:"hessian,omitempty"`
	// Landscape is the loss on the plane of the top two eigenvectors
	// (the landscape diagnostic).
	Landscape *Landscape `json:"landscape,omitempty"`

	Evals      int     `json:"evals"`
	Iterations int     `json:"iterations"`
	Seconds    float64 `json:"seconds"`

	History []HistoryPoint `json:"history,omitempty"`
	// Schedule is the curriculum's coefficient per stage (curriculum only).
	Schedule []float64 `json:"schedule,omitempty"`
	// Adaptive records the redraws of adaptive and resample.
	Adaptive *AdaptiveStats `json:"adaptive,omitempty"`
	// Solution is the prediction on a sub-grid of the evaluation grid, for
	// figures (the exact solution comes from Exact).
	Solution *Snapshot `json:"solution,omitempty"`
	// Version is the pinnsweep trainer version that produced the result.
	Version string `json:"version"`
	// BLAS names the GEMM implementation and the vector kernels' level
	// (BLASName: gonum, gonum+simd/avx512, openblas/avx2, …). Builds and
	// levels differ in rounding, which changes L-BFGS trajectories, so a
	// trial is reproducible bit for bit only on the same BLAS and level.
	BLAS string `json:"blas"`
}

// Progress is reported to Options.Progress during training.
type Progress struct {
	Evals   int
	Iter    int
	Loss    float64
	Seconds float64
}

// Options are run-time hooks that do not change the result.
// The zero value reports nothing, takes no checkpoint and starts afresh.
type Options struct {
	// Progress, if set, is called every Config.HistoryEvery evaluations.
	Progress func(Progress)

	// Checkpoint, if set, receives the run's state, encoded (see
	// Checkpoint and ReadCheckpoint), at the first iteration boundary
	// CheckpointEvery or more after the start or the previous checkpoint
	// (at every boundary if CheckpointEvery ≤ 0). It is called from the
	// training goroutine, which waits for it; the data is the callee's.
	Checkpoint func(data []byte)
	// CheckpointEvery is the least time between checkpoints.
	CheckpointEvery time.Duration
	// CheckpointTag is stored in every checkpoint (Checkpoint.Tag): the
	// caller's name for the trial.
	CheckpointTag string
	// Resume, if set, continues the run it was taken from instead of
	// starting afresh. Train refuses (with an error wrapping
	// ErrCheckpoint, before any training) a checkpoint that Check
	// rejects for cfg.
	Resume *Checkpoint
}

// Version is the trainer's version, recorded in every Result. 0.2.0: the
// float32 path, the bias folded into the GEMMs and the new kernels change
// the float64 path's rounding too (a run of 0.1.0 does not continue bit
// for bit, so its checkpoints are refused). 0.3.0: the AVX-512 GEMMs are
// assembly kernels that accumulate in another order than 0.2.0's archsimd
// ones, so a checkpoint of 0.2.0 is refused rather than continued with
// other rounding. 0.4.0: a tanh layer's reverse pass works from its
// outputs alone (ā = s·ḡ − 2·h·h_d·ḡ_d instead of s·(ḡ − 2·h·a_d·ḡ_d)),
// which rounds differently, and a float32 network's L-BFGS keeps its
// curvature pairs in float64, so a checkpoint of 0.3.0 is refused.
const Version = "0.4.0"

// BLASName names the arithmetic a run's bits depend on besides its
// settings and the trainer version: BLASEngine and, where the process
// runs vector kernels (GEMMs, the L-BFGS two-loop's level-1 routines,
// tanh), their level, chosen at start-up by internal/simdlevel
// ("gonum+simd/avx512"). The AVX2 and AVX-512 kernels accumulate in
// different orders, so their runs differ in the last bits; "gonum" and
// "openblas" alone where no kernels run.
func BLASName() string {
	if l := simdlevel.Start(); l != simdlevel.None {
		return BLASEngine + "/" + l.String()
	}
	return BLASEngine
}
